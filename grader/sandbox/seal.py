"""The answer key by file permissions: group and others lose every permission on what the
sandbox's uid must not read."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from grader.sandbox.host import enabled, host
from grader.sandbox.view import covered, python_paths


def seal(paths: Iterable[Path]) -> None:
    """Make `paths` unreadable to the sandbox's uid by their mode alone (group and others lose
    every permission; a folder's whole tree too), when the grader is root and its children run
    as a uid of their own. Without a mount namespace and without Landlock (Docker before 23, an
    older host kernel) this is what keeps the answer key unread: the private view and Landlock
    are further walls, not the only one. A folder that holds Python's own files (a reference
    module kept beside the environment) is not sealed as a tree: only the files named are.
    Cheap when already sealed: one stat a file."""
    if not enabled() or not host().root:
        return
    python = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, *python_paths())]

    def needed(path: str) -> bool:  # Python's own files, or a folder on the way to them
        return any(covered(path, [p]) or covered(p, [path]) for p in python)

    for path in paths:
        real = os.path.realpath(path)
        if os.path.isdir(real):
            for folder, dirs, files in os.walk(real):
                dirs[:] = [d for d in dirs if not covered(os.path.join(folder, d), python)]  # not into Python
                for name in (*dirs, *files):
                    if not needed(os.path.join(folder, name)):
                        _seal_one(os.path.join(folder, name))
        if not needed(real):
            _seal_one(real)


def _seal_one(path: str) -> None:
    try:
        info = os.lstat(path)
        if info.st_mode & 0o077 and not stat.S_ISLNK(info.st_mode):
            os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)
    except OSError:
        pass
