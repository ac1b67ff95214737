"""Sandbox policy: what this machine can protect, and the plan each child applies.

The grader's own process decides here; the child (child.py) applies the plan mechanically,
with ctypes and the standard library, before any of the student's code runs. A plan is
plain data (JSON), so nothing of the parent's memory reaches the child.

What a child gets, strongest first (each layer is tried, and the child reports which held):
  - as root: a dedicated unprivileged uid and gid per session, no supplementary groups;
    not root: an unprivileged user namespace when the kernel allows one (no capabilities
    left), otherwise the grader's own user;
  - a private mount namespace whose root is a fresh tmpfs holding read-only binds of the
    system folders and of Python, and a copy of the submission: the reference, the rubrics,
    the results and the grader's files are simply not there. Without namespaces, Landlock
    (Linux >= 5.13) restricts the same allow-list instead;
  - new network (no interfaces up), pid, IPC, UTS and cgroup namespaces: when the session
    ends its init dies and the kernel kills every process left in it;
  - a seccomp filter refusing IP sockets, new namespaces, ptrace, mount, keyrings, bpf,
    io_uring and other kernel attack surface;
  - resource limits (address space, CPU, file size, open files, processes), set after the
    privilege drop; every fd above 2 closed.
Cleanup by uid: `sweep(uid)` kills whatever still runs as a session's uid.

`NUMGRADER_SANDBOX` chooses: auto (default), off (no sandbox: for benchmarks and debugging),
userns (force an unprivileged user namespace, as a normal user gets), nonamespaces (no
namespaces: what a container without CAP_SYS_ADMIN gets). docs/threat-model.md explains.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import logging
import math
import os
import platform
import stat
import struct
import sys
import sysconfig
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.paths import PACKAGE_DIR, PROJECT_ROOT, cache_location
from grader.sandbox.uid_guard import UID_BASE, UID_SLOTS, kill_all_of

if TYPE_CHECKING:  # only its fields are read: a plan can be made before pydantic is imported
    from grader.rubric import Limits

log = logging.getLogger("grader.sandbox.policy")

MODES = ("auto", "off", "userns", "nonamespaces")

# Top-level system folders a Python program may need, bound read-only (or re-created as the
# symlinks they are on merged-/usr systems). Nothing else of the host is in the child's view.
SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
# Imported before the privilege drop when the sandbox's uid cannot read Python's own files
# (Python installed under a private home, e.g. pyenv in /root, and no mount namespace).
PRELOAD = (
    "abc", "array", "bisect", "calendar", "cmath", "collections", "contextlib", "copy", "csv", "dataclasses",
    "datetime", "decimal", "enum", "fractions", "functools", "heapq", "io", "itertools", "json", "math",
    "numbers", "operator", "pprint", "random", "re", "statistics", "string", "subprocess", "textwrap",
    "time", "typing", "unittest", "warnings", "glob", "pathlib", "shutil", "tempfile", "socket", "pickle",
    "struct", "hashlib", "base64", "logging", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.polynomial",
)


# -- the machine ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Host:
    """What the kernel and our privileges allow, found without side effects."""

    mode: str
    root: bool
    userns: bool  # may an unprivileged process create a user namespace?
    landlock_abi: int  # 0: unavailable
    arch: str | None  # a seccomp syscall table we have for this CPU, or None


def _read_int(path: str) -> int | None:
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None


def _landlock_abi() -> int:
    """landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION): the ABI, or 0."""
    if sys.platform != "linux":
        return 0
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        abi = int(libc.syscall(ctypes.c_long(444), None, ctypes.c_size_t(0), ctypes.c_uint32(1)))
    except (OSError, AttributeError):
        return 0
    return max(abi, 0)


@functools.cache
def host() -> Host:
    mode = os.environ.get("NUMGRADER_SANDBOX", "auto").strip().lower() or "auto"
    if mode not in MODES:
        log.warning("NUMGRADER_SANDBOX=%s is not one of %s; using auto", mode, ", ".join(MODES))
        mode = "auto"
    userns = (_read_int("/proc/sys/user/max_user_namespaces") or 0) > 0 \
        and _read_int("/proc/sys/kernel/unprivileged_userns_clone") != 0
    machine = platform.machine().lower()
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(machine)
    seccomp = "Seccomp:" in _status_text()
    return Host(mode=mode, root=os.geteuid() == 0, userns=userns, landlock_abi=_landlock_abi(),
                arch=arch if seccomp and sys.byteorder == "little" else None)


def _status_text() -> str:
    try:
        return Path("/proc/self/status").read_text()
    except OSError:
        return ""


def enabled() -> bool:
    return sys.platform == "linux" and host().mode != "off"


# -- per-session uid --------------------------------------------------------------------------


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


# -- the answer key by file permissions ---------------------------------------------------------


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
    python = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, *_python_paths())]

    def needed(path: str) -> bool:  # Python's own files, or a folder on the way to them
        return any(_covered(path, [p]) or _covered(p, [path]) for p in python)

    for path in paths:
        real = os.path.realpath(path)
        if os.path.isdir(real):
            for folder, dirs, files in os.walk(real):
                dirs[:] = [d for d in dirs if not _covered(os.path.join(folder, d), python)]  # not into Python
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


# -- the plan ---------------------------------------------------------------------------------


def _covered(path: str, folders: Iterable[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


@functools.cache
def _view() -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(symlinks, read-only binds) that make Python and the system usable in the child."""
    links: list[tuple[str, str]] = []
    binds: list[str] = []
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            links.append((folder, os.readlink(folder)))
        elif os.path.isdir(folder):
            binds.append(folder)
    wanted = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
              os.path.dirname(os.path.realpath(sys.executable))]
    paths = sysconfig.get_paths()
    wanted += [paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths]
    for path in wanted:
        for candidate in (path, os.path.realpath(path)):
            if os.path.isdir(candidate) and not _covered(candidate, binds) \
                    and not _covered(candidate, [link for link, _ in links]):
                # A deeper folder of one already bound is covered; a parent replaces its children.
                binds = [b for b in binds if not _covered(b, [candidate])] + [candidate]
    return tuple(links), tuple(sorted(set(binds), key=lambda p: (p.count("/"), p)))


def hidden_paths(extra: Sequence[Path] = ()) -> list[str]:
    """Folders that must never be visible: the project (reference/, rubrics/), the grader's
    package, the grader's working directory, its cache (call plans hold hidden inputs), and
    what the caller names."""
    paths = {str(PROJECT_ROOT), str(PACKAGE_DIR)}
    with contextlib.suppress(OSError):  # a working directory that was deleted
        paths.add(os.getcwd())
    cache = cache_location()
    if cache is not None and cache.exists():
        paths.add(str(cache.resolve()))
    paths.update(str(Path(p).resolve()) for p in extra)
    env = os.environ.get("NUMGRADER_SANDBOX_HIDE", "")
    paths.update(str(Path(p).resolve()) for p in env.split(os.pathsep) if p)
    return sorted(paths)


def plan(limits: Limits, workdir: Path, submission: Path, source: Path, mountpoint: Path, uid: int | None,
         hide: Sequence[Path] = (), cgroup: Sequence[str] = ()) -> dict[str, Any]:
    """The child's instructions, as JSON-able data.

    `workdir`/`submission`: the student's folder and file (the same paths inside the sandbox);
    `source`: the pristine copy the child copies from; `mountpoint`: where it builds its new
    root (a folder the student can never write); `cgroup`: the session's memory cgroup, if any.
    """
    machine = host()
    links, binds = _view()
    hidden = hidden_paths(hide)
    # A hidden folder inside a bound one (a project kept in /usr/src, a grader installed in
    # site-packages) is covered by an empty read-only tmpfs in the child's view; never one that
    # holds Python itself (the "project" of a grader installed in site-packages is site-packages).
    python = _python_paths()
    covers = [h for h in hidden if any(h != b and _covered(h, [b]) for b in binds)
              and not any(_covered(p, [h]) for p in python)]
    namespaces = None
    if machine.mode in ("auto", "userns"):
        namespaces = "root" if machine.root and machine.mode == "auto" else ("user" if machine.userns else None)
    memory = limits.memory_mb * 1024 * 1024
    cpu = limits.cpu_seconds if limits.cpu_seconds is not None else limits.submission_seconds + limits.import_seconds
    return {
        "mode": machine.mode,
        "namespaces": namespaces,
        "uid": uid,
        "gid": uid,
        "uid_range": [uid_base(), UID_SLOTS] if uid is not None else None,  # what P0 may sweep (uid_guard)
        "links": [list(link) for link in links],
        "binds": list(binds),
        "devices": [d for d in DEVICES if os.path.exists(d)],
        "covers": covers,
        "workdir": str(workdir),
        "submission": str(submission),
        "source": str(source),
        "mountpoint": str(mountpoint),
        "disk_bytes": limits.disk_mb * 1024 * 1024,
        "landlock": _landlock_plan(machine.landlock_abi, binds, links, workdir, covers),
        "seccomp": seccomp_program(machine.arch, limits.shared_memory).hex() if machine.arch else None,
        "shared_memory": limits.shared_memory,
        "pivot_root": PIVOT_ROOT.get(machine.arch or ""),
        "rlimits": {
            "AS": memory,
            "CPU": [math.ceil(cpu), math.ceil(cpu) + 1],
            "FSIZE": limits.file_mb * 1024 * 1024,
            "NOFILE": limits.open_files,
            # RLIMIT_NPROC counts every process of the real uid on the machine: only
            # meaningful for a uid of our own (root) or inside a user namespace.
            "NPROC": limits.processes,
            "CORE": 0,
        },
        "memory_text": memory_text(limits),
        "cgroup": list(cgroup),  # cgroup.procs files the child's first process joins (grader/sandbox/cgroup.py)
        "python_paths": python,
        "preload": list(PRELOAD),
    }


@functools.cache
def _python_paths_cached() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple(sorted({paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}))


def _python_paths() -> list[str]:
    return list(_python_paths_cached())


def memory_text(limits: Limits) -> str:
    mb = limits.memory_mb
    return f"{mb // 1024} GiB" if mb % 1024 == 0 else f"{mb} MiB"


# -- Landlock (the filesystem fence when there is no mount namespace) -------------------------

_LL_EXECUTE, _LL_WRITE_FILE, _LL_READ_FILE, _LL_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_LL_FILE_ONLY = _LL_EXECUTE | _LL_WRITE_FILE | _LL_READ_FILE | (1 << 14) | (1 << 15)  # + TRUNCATE, IOCTL_DEV


def _landlock_plan(abi: int, binds: Sequence[str], links: Sequence[tuple[str, str]], workdir: Path,
                   covers: Sequence[str]) -> dict[str, Any] | None:
    if abi <= 0:
        return None
    handled = (1 << 13) - 1  # ABI 1: execute .. make_sym
    if abi >= 2:
        handled |= 1 << 13  # refer
    if abi >= 3:
        handled |= 1 << 14  # truncate
    if abi >= 5:
        handled |= 1 << 15  # ioctl_dev
    read = _LL_EXECUTE | _LL_READ_FILE | _LL_READ_DIR
    rules: list[list[Any]] = [[path, read & handled] for path in binds]
    rules += [[os.path.realpath(link), read & handled] for link, _ in links if os.path.isdir(link)]
    rules.append([str(workdir), handled])
    for device in DEVICES:
        if os.path.exists(device):
            rules.append([device, (_LL_READ_FILE | _LL_WRITE_FILE) & handled & _LL_FILE_ONLY])
    for name in ("/proc/cpuinfo", "/proc/meminfo", "/proc/stat"):
        rules.append([name, _LL_READ_FILE])
    return {
        "abi": abi,
        "handled_fs": handled,
        "handled_net": 0b11 if abi >= 4 else 0,  # bind_tcp, connect_tcp: refuse both
        "scoped": 0b11 if abi >= 6 else 0,  # abstract unix sockets, signals outside the sandbox
        "rules": rules,
        "uncovered": list(covers),  # hidden folders inside allowed ones: Landlock cannot carve them out
    }


# -- seccomp ----------------------------------------------------------------------------------

PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}

# Refused with EPERM: ways out of the sandbox or into the kernel's rarer corners.
_DENIED = {
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271),
    "mount": (165, 40), "umount2": (166, 39), "pivot_root": (155, 41), "chroot": (161, 51),
    "unshare": (272, 97), "setns": (308, 268), "kexec_load": (246, 104), "kexec_file_load": (320, 294),
    "init_module": (175, 105), "finit_module": (313, 273), "delete_module": (176, 106),
    "bpf": (321, 280), "perf_event_open": (298, 241), "keyctl": (250, 219), "add_key": (248, 217),
    "request_key": (249, 218), "userfaultfd": (323, 282), "swapon": (167, 224), "swapoff": (168, 225),
    "reboot": (169, 142), "acct": (163, 89), "quotactl": (179, 60), "quotactl_fd": (443, 443),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    "open_by_handle_at": (304, 265), "name_to_handle_at": (303, 264), "fsopen": (430, 430),
    "fsconfig": (431, 431), "fsmount": (432, 432), "fspick": (433, 433), "move_mount": (429, 429),
    "open_tree": (428, 428), "mount_setattr": (442, 442), "lookup_dcookie": (212, 18),
    "syslog": (103, 116), "vhangup": (153, 58), "settimeofday": (164, 170), "clock_settime": (227, 112),
    "adjtimex": (159, 171), "clock_adjtime": (305, 266), "sethostname": (170, 161),
    "setdomainname": (171, 162), "kcmp": (312, 272), "pidfd_getfd": (438, 438),
    "fanotify_init": (300, 262), "nfsservctl": (180, 42),
    "iopl": (172, None), "ioperm": (173, None), "uselib": (134, None),
}
# Memory no per-process limit counts: memfd pages and SysV shared memory (which outlives its
# process without an IPC namespace). Refused unless the rubric allows shared memory.
_SHARED_MEMORY = {
    "memfd_create": (319, 279), "memfd_secret": (447, 447), "shmget": (29, 194), "shmat": (30, 196),
    "shmctl": (31, 195), "msgget": (68, 186), "semget": (64, 190),
}
_SOCKET = {"x86_64": 41, "aarch64": 198}
_CLONE = {"x86_64": 56, "aarch64": 220}
_CLONE3 = 435
_NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
_AF_UNIX = 1
_EPERM, _ENOSYS, _EAFNOSUPPORT = 1, 38, 97

_RET, _LD_ABS, _JEQ, _JGE, _JSET = 0x06, 0x20, 0x15, 0x35, 0x45
_ALLOW = 0x7FFF0000


def _errno(number: int) -> int:
    return 0x00050000 | number


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


@functools.cache
def seccomp_program(arch: str, shared_memory: bool = False) -> bytes:
    """The sandbox's classic-BPF seccomp filter (struct sock_filter[]) for `arch`: _DENIED (and
    _SHARED_MEMORY, unless `shared_memory`) refused with EPERM, clone3 with ENOSYS (libc falls
    back to clone, whose namespace flags are refused), sockets other than AF_UNIX."""
    column = 0 if arch == "x86_64" else 1
    denied = dict(_DENIED) if shared_memory else {**_DENIED, **_SHARED_MEMORY}
    refused = {number: _EPERM for number in (numbers[column] for numbers in denied.values()) if number is not None}
    refused[_CLONE3] = _ENOSYS
    return bpf_filter(arch, refused, unix_sockets_only=True)


def syscall_number(name: str, arch: str) -> int | None:
    """The number of a system call this module knows by name (_DENIED, _SHARED_MEMORY)."""
    numbers = {**_DENIED, **_SHARED_MEMORY}.get(name)
    return None if numbers is None else numbers[0 if arch == "x86_64" else 1]


def bpf_filter(arch: str, refused: dict[int, int], *, unix_sockets_only: bool) -> bytes:
    """A seccomp filter for `arch`: each system call of `refused` (number -> errno) fails with its
    errno, clone() with a namespace flag fails with EPERM, other ABIs (i386, x32) get nothing, and
    with `unix_sockets_only` socket() makes only AF_UNIX sockets. Everything else is allowed."""
    program = [
        _op(_LD_ABS, 4),  # seccomp_data.arch
        _op(_JEQ, _AUDIT_ARCH[arch], 1, 0),
        _op(_RET, _errno(_EPERM)),  # another ABI (i386 on x86_64): nothing
        _op(_LD_ABS, 0),  # seccomp_data.nr
    ]
    if arch == "x86_64":  # the x32 ABI: nothing
        program += [_op(_JGE, 0x40000000, 0, 1), _op(_RET, _errno(_EPERM))]
    for number, errno in refused.items():
        program += [_op(_JEQ, number, 0, 1), _op(_RET, _errno(errno))]
    if unix_sockets_only:
        program += [
            _op(_JEQ, _SOCKET[arch], 0, 4), _op(_LD_ABS, 16), _op(_JEQ, _AF_UNIX, 0, 1),
            _op(_RET, _ALLOW), _op(_RET, _errno(_EAFNOSUPPORT)),
        ]
    program += [  # clone(): no new namespaces
        _op(_JEQ, _CLONE[arch], 0, 4), _op(_LD_ABS, 16), _op(_JSET, _NAMESPACE_FLAGS, 0, 1),
        _op(_RET, _errno(_EPERM)), _op(_RET, _ALLOW),
    ]
    program.append(_op(_RET, _ALLOW))
    return b"".join(program)


# -- what the child reports -------------------------------------------------------------------

# Each protection and the report's field that says whether it held (child.py sets both).
STRONG = {
    "user": "user_isolated",
    "filesystem": "filesystem_isolated",
    "network": "network_cut",
    "processes": "processes_contained",
    "seccomp": "seccomp_on",
}


def weaknesses(report: dict[str, Any]) -> list[str]:
    """The protections that did not hold, one phrase each (empty when all held)."""
    if not report:
        return ["no sandbox report (the child did not start)"]
    if report.get("mode") == "off":
        return ["the sandbox is off (NUMGRADER_SANDBOX=off)"]
    missing = []
    for key, held in STRONG.items():
        if report.get(held) is not True:
            missing.append(f"{key}: {report.get(key) or 'unknown'}")
    missing += [str(w) for w in report.get("warnings", [])]
    return missing


def summary(report: dict[str, Any]) -> str:
    """One line for instructors: which protections were active for this submission."""
    if not report:
        return "Sandbox: unknown (the submission's process did not report)."
    if report.get("mode") == "off":
        return "Sandbox: OFF (NUMGRADER_SANDBOX=off): the submission ran unprotected."
    parts = [f"{key} {report[key]}" for key in ("user", "filesystem", "network", "processes", "seccomp", "limits")
             if key in report]
    weak = weaknesses(report)
    head = "Sandbox" if not weak else "Sandbox (DEGRADED: " + "; ".join(weak) + ")"
    return f"{head}: " + "; ".join(parts) + "."


_warned: set[str] = set()


def warn_once(report: dict[str, Any]) -> None:
    """Say on the grader's stderr (once per process) when protections are missing."""
    weak = weaknesses(report)
    key = "|".join(weak)
    if weak and key not in _warned:
        _warned.add(key)
        log.warning("numgrader sandbox is degraded on this machine: %s. See docs/threat-model.md.",
                    "; ".join(weak))
