"""One uid per session, leased with a file lock, and the sweep of what still runs as it."""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from grader.sandbox.uid_guard import UID_BASE, UID_SLOTS, kill_all_of

log = logging.getLogger("grader.sandbox")


class UidLease:
    """One uid (and the gid of the same number) for one session, held with a file lock.

    The lock lives as long as this object: concurrent graders on one machine never share a
    uid, so `kill -1` as that uid and RLIMIT_NPROC concern one submission only.
    """

    def __init__(self) -> None:
        base = self.base = uid_base()
        folder = _lock_folder()
        start = os.getpid() % UID_SLOTS
        for step in range(UID_SLOTS):
            slot = (start + step) % UID_SLOTS
            fd = os.open(folder / f"uid-{base + slot}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.uid = self.gid = base + slot
            self._fd: int | None = fd
            return
        raise RuntimeError(f"all {UID_SLOTS} sandbox uids are in use")

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def uid_base() -> int:
    """The first sandbox uid: $NUMGRADER_SANDBOX_UID_BASE, else UID_BASE (the leased range is
    base .. base + UID_SLOTS - 1)."""
    text = os.environ.get("NUMGRADER_SANDBOX_UID_BASE", "").strip()
    try:
        base = int(text) if text else UID_BASE
    except ValueError:
        raise ValueError(f"NUMGRADER_SANDBOX_UID_BASE={text!r} is not a whole number") from None
    if not 1000 <= base <= 2**31 - 1 - UID_SLOTS:
        raise ValueError(f"NUMGRADER_SANDBOX_UID_BASE={base}: use 1000 .. {2**31 - 1 - UID_SLOTS}")
    return base


def _lock_folder() -> Path:
    for parent in ("/run", tempfile.gettempdir()):
        folder = Path(parent) / "numgrader-uids"
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            info = folder.stat()
            if info.st_uid == os.geteuid() and info.st_mode & 0o077 == 0:
                return folder
        except OSError:
            continue
    raise RuntimeError("no private folder for the sandbox's uid locks (/run or the temp folder)")


def sweep(uid: int) -> int:
    """Kill every process still running as `uid`, a leased sandbox uid (uid_guard refuses any
    other: root, the grader's own, a real account's). Cheap when there is nothing to kill: one
    scan of /proc. Returns how many were found."""
    found = [entry for entry in _proc_entries() if _owner(entry) == uid]
    if found and not kill_all_of(uid, uid_base()):
        log.warning("numgrader: %d processes of uid %d were not swept: not a sandbox uid", len(found), uid)
    return len(found)


def _proc_entries() -> Iterable[str]:
    try:
        return [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def _owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None
