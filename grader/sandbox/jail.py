"""The sandbox applied in the child, from the parent's plan, before any student code runs.

Nothing but the standard library (ctypes for the system calls Python lacks, syscalls.py):

    P0  the process the grader started (root, or the grader's user). It unshares the
        namespaces, forks P1 then P2, then only waits, and reports how P2 ended on the
        status fd. When P2 ends, or on SIGTERM from the grader, it kills P1 and exits once
        everything is gone.
    P1  with namespaces: init of the new pid namespace, reaping orphans. When it dies the
        kernel kills whatever is left in the namespace (setsid'd, double-forked, ...).
    P2  the student's process: runs `before` (the boundary imports its wire format and numpy
        while it still can), builds its filesystem view and pivots into it (confine.py),
        drops privileges, sets resource limits, closes every fd above 2, installs the seccomp
        filter; then `enter` returns and the submission is imported.
Without namespaces there is no P1: P0 is a child subreaper and kills P2's leftovers itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable
from typing import Any, NoReturn

from grader.sandbox import cgroup, confine, uid_guard
from grader.sandbox.plan import Plan
from grader.sandbox.report import SandboxReport
from grader.sandbox.syscalls import (
    CLONE_NEWCGROUP,
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWUSER,
    CLONE_NEWUTS,
    MS_PRIVATE,
    MS_REC,
    PR_SET_CHILD_SUBREAPER,
    PR_SET_PDEATHSIG,
    mount,
    prctl,
    unshare,
)

SETUP_FAILED = 70  # P2's exit code when the sandbox could not be set up (EX_SOFTWARE)


def status(fd: int, kind: str, **fields: Any) -> None:
    """One JSON line on the status fd: read by the grader, never reachable by student code."""
    with contextlib.suppress(OSError):
        os.write(fd, (json.dumps({"kind": kind, **fields}) + "\n").encode())


def enter(plan: Plan, status_fd: int, parent: int, before: Callable[[], None]) -> None:
    """Split into P0 / P1 / P2 (see the module docstring); returns in P2, sandboxed."""
    targets: list[int] = []
    stopping: list[bool] = []

    def terminate(signum: int, frame: object) -> None:
        stopping.append(True)
        for pid in targets:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, terminate)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # P0 dies with the grader
    if os.getppid() != parent:
        os._exit(1)
    report = SandboxReport(mode=plan.mode)
    report.memory = _memory_bound(plan)  # before the fork: every process of the submission is inside
    namespaces, private_mounts = _unshare(plan, report)
    init = 0
    if namespaces is not None:
        init = os.fork()  # the first process forked after unshare(CLONE_NEWPID) is the namespace's init
        if init == 0:
            _init()
        targets.append(init)
    else:
        prctl(PR_SET_CHILD_SUBREAPER, 1)
    student = os.fork()  # P2: pid 2 in the namespace (its parent, P0, is outside it)
    if student:
        targets.append(student)
        if stopping:
            for pid in targets:
                os.kill(pid, signal.SIGKILL)
        _wait_for(student, init, status_fd, plan)
    # P2: the student's process.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        before()
        confine.prepare_student(plan, report, namespaces, private_mounts)
    except BaseException as error:  # fail closed: no student code without the privilege drop
        report.error = f"{type(error).__name__}: {error}"
        status(status_fd, "sandbox", report=report.to_json())
        os._exit(SETUP_FAILED)
    status(status_fd, "sandbox", report=report.to_json())
    os.closerange(3, 1 << 16)


def _memory_bound(plan: Plan) -> str:
    """Join the session's memory cgroup if there is one; say which memory bound applies."""
    each = f"{plan.memory_text} of address space per process"
    if plan.cgroup and cgroup.join(list(plan.cgroup)):
        return (f"cgroup: {plan.memory_text} for all of the submission's processes together, shared memory "
                f"included, no swap; and {each}")
    shared = "" if plan.shared_memory else "; memfd and SysV shared memory refused"
    return f"{each} (no memory cgroup on this machine){shared}; the OOM killer takes the submission first"


def _init() -> NoReturn:
    """P1, init of the pid namespace: reap orphans until killed (SIGKILL from P0 or with it)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # so that pause() wakes for new orphans
    with contextlib.suppress(OSError):
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.closerange(0, 1 << 16)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            signal.pause()
        except OSError:
            pass


def _wait_for(student: int, init: int, status_fd: int, plan: Plan) -> NoReturn:
    """P0: reap until the student's process ends, say how it ended, clean up, and exit."""
    for fd in (0, 1, 2):  # only the student's process holds the protocol pipes
        os.close(fd)
    code = 0
    while True:
        try:
            pid, wait_status, usage = os.wait4(-1, 0)
        except ChildProcessError:
            break
        if pid == student:
            code = os.waitstatus_to_exitcode(wait_status)
            status(status_fd, "exit", code=code, maxrss_kb=usage.ru_maxrss)
            break
    if init:  # the namespace's init dies, and with it everything left; wait until all is gone
        with contextlib.suppress(ProcessLookupError):
            os.kill(init, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            while True:
                os.wait()
    else:  # no pid namespace: P0 kills the leftovers itself
        _kill_leftovers(plan)
    os._exit(code if code >= 0 else 128 - code)


def _kill_leftovers(plan: Plan) -> None:
    """Without a pid namespace: kill every process of the session's uid (as root, and only a uid
    uid_guard proves to be a leased sandbox uid: never root's, never a real account's), and every
    descendant (P0 is their subreaper), then reap them all."""
    if plan.uid is not None and plan.uid_range and os.geteuid() == 0:
        uid_guard.kill_all_of(plan.uid, *plan.uid_range)
    deadline = time.monotonic() + 5.0
    me = os.getpid()
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{me}/task/{me}/children") as listing:
                children = [int(p) for p in listing.read().split()]
        except OSError:
            children = []
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            pid, _ = os.waitpid(-1, 0 if children else os.WNOHANG)
        except ChildProcessError:
            return
        if not children and pid == 0:
            return


def _unshare(plan: Plan, report: SandboxReport) -> tuple[str | None, bool]:
    """P0: enter new namespaces; (kind or None, whether mounts are private to us)."""
    kind = plan.namespaces
    if kind is None:
        return None, False
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP
    if kind == "user":
        flags |= CLONE_NEWUSER
    try:
        unshare(flags)
    except OSError as error:
        report.warnings.append(f"no namespaces ({error.strerror})")
        return None, False
    try:
        if kind == "user":
            for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
                with open(f"/proc/self/{name}", "w") as stream:
                    stream.write(text)
        mount(None, "/", None, MS_REC | MS_PRIVATE)
    except OSError as error:
        report.warnings.append(f"mount namespace unusable ({error})")
        return kind, False
    return kind, True
