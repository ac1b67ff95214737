"""Putting a submission's files into the child's working folder: the parent does it when there is
no private filesystem, the child's jail does it into its private root. Standard library only."""

from __future__ import annotations

import os
from collections.abc import Iterable

# (Windows has neither O_NOFOLLOW nor O_CLOEXEC, and needs O_BINARY)
_PORTABLE_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def copy_into(folder: str, files: Iterable[tuple[str, str]], owner: int | None) -> None:
    """Copy each (path relative to `folder`, pristine copy) into `folder`, making its subfolders
    (0o755) and never writing through a link (O_EXCL | O_NOFOLLOW); then give `folder` and all it
    made to `owner` (uid and gid alike), if there is one."""
    made = [folder]
    for name, pristine in files:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            sub = os.path.join(folder, *parts[:depth])
            if not os.path.isdir(sub):
                os.mkdir(sub, 0o755)
                made.append(sub)
        target = os.path.join(folder, *parts)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _PORTABLE_FLAGS, 0o644)
        with open(pristine, "rb") as original, open(fd, "wb") as copied:
            copied.write(original.read())
        made.append(target)
    if owner is not None:
        for path in made:
            os.chown(path, owner, owner, follow_symlinks=False)
