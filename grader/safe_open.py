"""Reading a file a submission handed in: a regular file, reached through no symbolic link.

A submission is a folder the student controls: any name in it may be a symbolic link (to the
reference, through /proc/self/cwd, ...), a FIFO that blocks whoever opens it, a device, or a
file of gigabytes. Every read of a submitted file goes through `read_regular`: it opens the last
component with O_NOFOLLOW and O_NONBLOCK (a link is refused, a FIFO cannot block), checks on the
opened descriptor that it is a regular file, and reads at most `limit` bytes. The folders above
it are vetted by whoever found the file (submission.locate walks without following links), and
`entries` lists a folder without following links either. Standard library only.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_FLAGS = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0) \
    | getattr(os, "O_BINARY", 0)


class Refused(Exception):
    """The file cannot be graded; the message says why, for the student. `size`: the file's size
    when that is the reason (too large), else None."""

    def __init__(self, message: str, size: int | None = None) -> None:
        super().__init__(message)
        self.size = size


def link_text(path: Path) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        target = "somewhere"
    return f"{path.name} is a symbolic link to {target[:300]}: submit the file itself, not a link"


def kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def read_regular(path: Path, limit: int, what: str = "file") -> bytes:
    """At most `limit` bytes of `path`, a regular file that is not a link; raises Refused."""
    name = path.name
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise Refused(f"{name} does not exist") from None
    except OSError as error:
        raise Refused(f"{name} cannot be read: {error.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise Refused(link_text(path))
    if stat.S_ISDIR(info.st_mode):
        raise Refused(f"{name} is a folder, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"{name} is {kind_of(info.st_mode)}, not a {what}")
    try:
        fd = os.open(path, _FLAGS)
    except OSError as error:  # ELOOP: it became a link since the lstat
        raise Refused(f"{name} cannot be read: {error.strerror}") from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # what was opened is what counts
            raise Refused(f"{name} is {kind_of(opened.st_mode)}, not a {what}")
        if opened.st_size > limit:
            raise Refused(f"{name} is too large ({opened.st_size / 1024 / 1024:.1f} MB; "
                          f"the limit is {limit / 1024 / 1024:g} MB)", opened.st_size)
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as error:
        raise Refused(f"{name} cannot be read: {error.strerror}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise Refused(f"{name} is too large (the limit is {limit / 1024 / 1024:g} MB)", len(data))
    return data


def entries(folder: Path, limit: int | None = None) -> list[os.DirEntry[str]]:
    """What `folder` holds (its first `limit` entries as the system lists them, if a limit is
    given), sorted by name, read without following any link (empty if unreadable)."""
    found: list[os.DirEntry[str]] = []
    try:
        with os.scandir(folder) as scan:
            for entry in scan:
                found.append(entry)
                if limit is not None and len(found) >= limit:
                    break
    except OSError:
        return []
    return sorted(found, key=lambda entry: entry.name)


def is_real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def is_real_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False
