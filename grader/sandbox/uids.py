"""One uid per session, leased with a file lock, and the sweep of what still runs as it and
of what it left in the machine's shared temporary folders."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from grader.sandbox.uid_guard import UID_BASE, UID_SLOTS, kill_all_of, refusal

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


# World-writable folders a submission can write into when nothing gives it a private filesystem
# (no mount namespace, no Landlock: Docker's default profile without Landlock); what it leaves
# there could reach the next submission graded on this machine.
SHARED_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm")
MAX_SCANNED = 20_000  # entries looked at per folder: the sweep stays cheap on a full /tmp


def sweep_files(uid: int, folders: Iterable[str] = SHARED_FOLDERS, keep: Iterable[Path] = ()) -> list[str]:
    """Remove what `uid`, a leased sandbox uid, owns at the top of the shared temporary folders
    (a folder with everything in it; a link itself, never what it points to), but the session's
    own folders (`keep`: its working folder, given to that uid). Returns the names removed.
    Nothing is done for a uid outside the sandbox's range (root, a real account)."""
    if refusal(uid, uid_base()) is not None:  # the proof kill_all_of asks for: never root's files, or a person's
        return []
    kept = {os.path.abspath(path) for path in keep}
    removed = []
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                owned = [entry.path for index, entry in enumerate(entries) if index < MAX_SCANNED
                         and entry.stat(follow_symlinks=False).st_uid == uid and entry.path not in kept]
        except OSError:
            continue
        for path in owned:
            try:
                if stat.S_ISDIR(os.lstat(path).st_mode):
                    shutil.rmtree(path)  # (fd-based on Linux: a link inside is removed, not followed)
                else:
                    os.unlink(path)
                removed.append(path)
            except OSError as error:
                log.warning("numgrader: %s, left by sandbox uid %d, was not removed: %s", path, uid, error)
    return removed
