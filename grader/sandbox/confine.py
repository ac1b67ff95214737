"""P2's own confinement, still privileged: the private root, the privilege drop, the resource
limits and the kernel filters, each recorded in the report (jail.py runs it)."""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import resource
import signal

from grader.sandbox import filters
from grader.sandbox.copies import copy_into
from grader.sandbox.plan import Plan
from grader.sandbox.report import SandboxReport
from grader.sandbox.syscalls import (
    MNT_DETACH,
    MS_BIND,
    MS_NOATIME,
    MS_NODEV,
    MS_NODIRATIME,
    MS_NOEXEC,
    MS_NOSUID,
    MS_RDONLY,
    MS_REC,
    MS_RELATIME,
    MS_REMOUNT,
    PR_CAP_AMBIENT,
    PR_CAP_AMBIENT_CLEAR_ALL,
    PR_CAPBSET_DROP,
    PR_SET_NO_NEW_PRIVS,
    PR_SET_PDEATHSIG,
    check,
    libc,
    mount,
    prctl,
)

# statvfs f_flag bits → the mount flags a read-only remount must keep (locked in a user namespace).
_KEEP_FLAGS = ((2, MS_NOSUID), (4, MS_NODEV), (8, MS_NOEXEC), (1024, MS_NOATIME), (2048, MS_NODIRATIME),
               (4096, MS_RELATIME))


def prepare_student(plan: Plan, report: SandboxReport, namespaces: str | None, private_mounts: bool) -> None:
    """P2, still privileged: filesystem view, privilege drop, limits, seccomp."""
    os.umask(0o022)
    # The OOM killer's first choice, whatever happens to the grader's memory (its children inherit it).
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as stream:
        stream.write("1000")
    jailed = False
    if namespaces is not None and private_mounts and not plan.pivot_root:
        report.warnings.append("no private filesystem on this CPU architecture (no pivot_root number)")
    elif namespaces is not None and private_mounts:
        try:
            _build_root(plan)
            jailed = True
            report.filesystem = "mount namespace (read-only system folders and Python, a fresh copy of the file)"
        except OSError as error:
            report.warnings.append(f"the private filesystem could not be built ({error})")
    report.private_root = jailed
    _preload_if_unreadable(plan, report, namespaces)
    _drop_privileges(plan, report, namespaces)
    _set_limits(plan, report)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    landlocked = False
    if not jailed:
        landlocked, report.filesystem, warnings = filters.apply_landlock(plan.landlock)
        report.warnings += warnings
    seccomp, report.seccomp = filters.apply_seccomp(plan.seccomp, plan.shared_memory)
    tcp_refused = landlocked and plan.landlock is not None and bool(plan.landlock.handled_net)
    if namespaces is not None:
        report.network = "cut (network namespace without interfaces)"
        report.processes = "pid namespace (everything killed when grading ends)"
    else:
        report.network = ("IP sockets refused by seccomp" if seccomp else
                          "TCP refused by landlock" if tcp_refused else "NOT cut")
        report.processes = ("killed by uid when grading ends" if report.sandbox_uid else
                            "descendants killed when grading ends (no pid namespace)")
    # What held, as fields (report.weaknesses decides from these; the texts above are for people).
    report.pid_namespace = namespaces is not None
    report.filesystem_isolated = jailed or landlocked
    report.network_cut = namespaces is not None or seccomp or tcp_refused
    report.processes_contained = namespaces is not None or report.sandbox_uid
    report.seccomp_on = seccomp
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after the uid change, which clears it


def _build_root(plan: Plan) -> None:
    """Build a tmpfs root with read-only binds and a copy of the submission; pivot into it."""
    workdir = plan.workdir
    new = plan.mountpoint
    os.makedirs(new, 0o700, exist_ok=True)
    mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, f"size={plan.disk_bytes},nr_inodes=65536,mode=755")

    def inside(path: str) -> str:
        return new + path

    for link, target in plan.links:
        os.symlink(target, inside(link))
    for path in plan.binds:
        _bind(path, inside(path), read_only=True)
    for path in plan.covers:
        if os.path.isdir(inside(path)):
            mount("tmpfs", inside(path), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=4k,nr_inodes=2,mode=000")
        elif os.path.exists(inside(path)):
            mount("/dev/null", inside(path), None, MS_BIND)
    os.makedirs(inside("/dev"), 0o755)
    for device in plan.devices:
        with open(inside(device), "ab"):
            pass
        mount(device, inside(device), None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, inside(f"/dev/{name}"))
    for path in ("/dev/shm", "/tmp"):
        os.makedirs(inside(path), exist_ok=True)
        os.chmod(inside(path), 0o1777)
    os.makedirs(inside("/proc"), 0o555, exist_ok=True)
    mount("proc", inside("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)  # this pid namespace's
    os.makedirs(inside(workdir), 0o700, exist_ok=True)
    owner = plan.uid if plan.uid is not None and os.geteuid() == 0 and plan.namespaces == "root" else None
    copy_into(inside(workdir), [(os.path.basename(plan.submission), plan.source), *plan.files], owner)
    assert plan.pivot_root is not None  # prepare_student checked
    os.chdir(new)
    check(libc().syscall(ctypes.c_long(plan.pivot_root), b".", b"."), "pivot_root")
    check(libc().umount2(b".", MNT_DETACH), "umount the old root")
    os.chdir(workdir)


def _bind(source: str, target: str, *, read_only: bool) -> None:
    if os.path.isdir(source):
        os.makedirs(target, 0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
        with open(target, "ab"):
            pass
    mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID
    if read_only:
        flags |= MS_RDONLY | MS_NODEV
    have = os.statvfs(source).f_flag
    for bit, flag in _KEEP_FLAGS:
        if have & bit:
            flags |= flag
    mount(None, target, None, flags)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _preload_if_unreadable(plan: Plan, report: SandboxReport, namespaces: str | None) -> None:
    """If the sandbox's uid cannot read Python's files, import common modules while we can."""
    if os.geteuid() != 0 or plan.uid is None or namespaces == "user":
        return
    uid = gid = int(plan.uid)
    os.setgroups([])
    os.setegid(gid)
    os.seteuid(uid)
    try:
        unreadable = [p for p in plan.python_paths if not os.access(p, os.R_OK | os.X_OK, effective_ids=True)]
    finally:
        os.seteuid(0)
        os.setegid(0)
    if not unreadable:
        return
    for name in plan.preload:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    report.warnings.append(
        f"Python's files ({unreadable[0]}) are not readable by the sandbox's user: the submission can "
        "import only modules loaded in advance (numpy, math, itertools, ...); install Python where every "
        "user can read it, or allow mount namespaces")


def _drop_privileges(plan: Plan, report: SandboxReport, namespaces: str | None) -> None:
    if os.geteuid() == 0 and plan.uid is not None and namespaces != "user":
        uid = gid = int(plan.uid)
        if not 0 < uid < 0xFFFFFFFF:  # -1 would mean "unchanged"
            raise ValueError(f"refusing to run as uid {uid}, gid {gid}")
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)  # from root to a uid of its own: every capability is gone
        if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
            raise PermissionError("the privilege drop did not take")
        report.user = f"uid {uid} (gid {gid}, no supplementary groups)"
        report.sandbox_uid = report.user_isolated = True
        return
    if namespaces == "user":
        for capability in range(64):  # an exec could not regain them either
            try:
                prctl(PR_CAPBSET_DROP, capability)
            except OSError:
                break
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
        header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
        check(libc().capset(ctypes.byref(header), ctypes.byref(data)), "capset")
        report.user = f"user namespace (uid {os.getuid()}, no capabilities)"
        report.sandbox_uid, report.user_isolated = False, True
        return
    report.user = "root: NOT dropped" if os.geteuid() == 0 else f"the grader's own user ({os.getuid()})"
    report.sandbox_uid = report.user_isolated = False


def _set_limits(plan: Plan, report: SandboxReport) -> None:
    """Resource limits, soft = hard, after the privilege drop (they cannot be raised again)."""
    applied = []
    for name, soft, hard in plan.rlimits.settings():
        if name == "NPROC" and not report.user_isolated:  # a uid of its own, or a user namespace
            report.warnings.append("no process limit (it would count all of the grader's user's processes)")
            continue
        try:
            resource.setrlimit(getattr(resource, f"RLIMIT_{name}"), (soft, hard))
            applied.append(name)
        except (ValueError, OSError) as error:
            report.warnings.append(f"RLIMIT_{name} not set ({error})")
    limits = plan.rlimits
    report.limits = (f"memory {plan.memory_text}, CPU {limits.cpu_seconds} s, files {limits.file_bytes >> 20} MB, "
                     f"{limits.open_files} open files"
                     + (f", {limits.processes} processes" if "NPROC" in applied else ""))
