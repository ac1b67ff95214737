"""The child process: imports one submission and runs the calls the parent asks for.

It is started fresh by runner.py, or forked by a zygote that was itself started fresh and
loaded nothing but this module, grader.boundary.wire and numpy (zygote.py): never forked from a
process that loaded a reference or a rubric. It knows only the submission and the call in
hand, and answers with plain data (wire.py).
Protocol: requests arrive on fd 0, answers leave on fd 1, one frame each; the student's
own prints go to fd 2, which the parent captures and caps.

Before the student's code runs, the child applies the sandbox plan made by sandbox.py,
with nothing but the standard library (ctypes for the system calls Python lacks):

    P0  the process the grader started (root, or the grader's user). It unshares the
        namespaces, forks P1 then P2, then only waits, and reports how P2 ended on the
        status fd. When P2 ends, or on SIGTERM from the grader, it kills P1 and exits once
        everything is gone.
    P1  with namespaces: init of the new pid namespace, reaping orphans. When it dies the
        kernel kills whatever is left in the namespace (setsid'd, double-forked, ...).
    P2  the student's process: imports grader.boundary.wire (and numpy) while it still can, builds
        its filesystem view and pivots into it, drops privileges, sets resource limits,
        closes every fd above 2, installs the seccomp filter, then imports the submission.
Without namespaces there is no P1: P0 is a child subreaper and kills P2's leftovers itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import importlib.util
import json
import os
import resource
import signal
import struct
import sys
import time
import traceback
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

from grader.sandbox import cgroup, uid_guard  # standard library only

if TYPE_CHECKING:
    from grader.boundary import wire

REQUESTS, ANSWERS = 0, 1


def _load_wire() -> None:
    """Import grader.boundary.wire (and with it numpy) — in the student's process, before the jail."""
    global wire
    from grader.boundary import wire


def _send(message: dict[str, Any], limit: int) -> None:
    try:
        frame = wire.pack(message, limit)
    except wire.TooLarge:
        frame = wire.pack({"op": "too_large"}, limit)
    except wire.WireError as error:
        frame = wire.pack({"op": "unsupported", "message": f"returned {error}"}, limit)
    except BaseException as error:  # an answer's own code (a subclass, a signal handler) may raise anything
        frame = wire.pack({"op": "unsupported", "message": f"returned a value that could not be encoded "
                                                           f"({type(error).__name__})"}, limit)
    view = memoryview(frame)
    while view:
        written = os.write(ANSWERS, view)
        view = view[written:]


def _read_exactly(count: int) -> bytes | None:
    chunks, remaining = [], count
    while remaining:
        chunk = os.read(REQUESTS, min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _receive() -> dict[str, Any] | None:
    header = _read_exactly(wire.FRAME_HEADER.size)
    if header is None:
        return None
    (length,) = wire.FRAME_HEADER.unpack(header)
    payload = _read_exactly(length)
    return None if payload is None else wire.unpack(payload)


def _where(error: BaseException, filename: str) -> str:
    """The innermost line of the student's own file in the traceback, if any."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (line {frame.lineno}, in {frame.name})"


def _short(text: str, limit: int = 500) -> str:
    """A bound on what the child itself sends (the grader caps everything again on its side)."""
    return text if len(text) <= limit else text[:limit] + "..."


def _exit_code(error: SystemExit) -> str:
    try:
        return _short(repr(error.code), 100)
    except BaseException:  # the student's object's own __repr__
        return "..."


def _describe(error: BaseException, filename: str) -> str:
    try:
        text = _short(str(error))
    except BaseException:  # a student's exception whose __str__ raises
        text = "(its message could not be read)"
    name = _short(type(error).__name__, 100)
    where = _short(_where(error, filename), 200)
    return f"{name}: {text}{where}" if text else f"{name}{where}"


def _import(path: str, module_name: str) -> tuple[ModuleType | None, dict[str, Any]]:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        return None, {"op": "import_error", "kind": "exception", "message": "cannot be imported as a module"}
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    out_of_memory = False
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        where = f"line {error.lineno}" + (f", column {error.offset}" if error.offset else "")
        detail = f"{type(error).__name__}: {_short(str(error.msg))} ({where})"
        if error.text:
            detail += f"\n    {_short(error.text.rstrip())}"
        return None, {"op": "import_error", "kind": "syntax", "message": detail, "line": error.lineno}
    except SystemExit as error:
        return None, {"op": "import_error", "kind": "exit",
                      "message": f"the module ended the process while being imported (exit({_exit_code(error)}))"}
    except MemoryError:  # not bound to a name: leaving this block frees the traceback and its frames
        out_of_memory = True
    except BaseException as error:  # the student's code may raise anything
        return None, {"op": "import_error", "kind": "exception",
                      "message": f"raised {_describe(error, path)} while being imported"}
    if out_of_memory:
        sys.modules.pop(module_name, None)
        return None, {"op": "import_error", "kind": "memory", "message": "exceeded the memory limit"}
    return module, {"op": "ready"}


def _call(module: ModuleType, path: str, request: dict[str, Any]) -> dict[str, Any]:
    name = request["function"]
    function = getattr(module, name, None)
    if not callable(function):
        return {"op": "missing", "function": name}
    started = time.perf_counter()
    out_of_memory = False
    try:
        value = function(*request["args"])
    except SystemExit as error:
        return {"op": "exited", "message": f"the function ended the process (exit({_exit_code(error)}))"}
    except MemoryError:
        out_of_memory = True
    except BaseException as error:
        return {"op": "exception", "message": f"raised {_describe(error, path)}"}
    finally:
        sys.stdout.flush()
    if out_of_memory:
        return {"op": "memory"}
    return {"op": "result", "value": value, "seconds": time.perf_counter() - started}


def _isolate_output() -> None:
    """Send the student's prints to fd 2 and give them no stdin: fds 0/1 carry the protocol."""
    # These streams live as long as the process: no context manager.
    student_output = open(2, "w", closefd=False, buffering=1, encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
    sys.stdout = sys.stderr = student_output
    vars(sys).update(__stdout__=student_output, __stderr__=student_output)  # "the real stdout" is this one too
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115


def main(config: dict[str, Any] | None = None) -> None:
    """Run the child: `config` from runner.py (as argv[1] when spawned, directly when forked
    by the zygote, zygote.py)."""
    if config is None:
        config = json.loads(sys.argv[1])
    sys.dont_write_bytecode = True
    plan = config.get("sandbox")
    if plan is not None:
        _enter_sandbox(plan, int(config["status_fd"]), int(config["parent"]))  # returns in P2 only
    _load_wire()
    limit = int(config["message_limit"])
    path = config["submission"]
    _isolate_output()
    os.chdir(os.path.dirname(path))
    sys.path.insert(0, os.path.dirname(path))
    sys.argv = [path]
    module, answer = _import(path, config["module"])
    _send(answer, limit)
    if module is None:
        return
    while True:
        request = _receive()
        if request is None or request.get("op") != "call":
            return
        _send(_call(module, path, request), limit)


# -- the sandbox, applied from sandbox.py's plan ----------------------------------------------

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x02000000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE, MS_RELATIME = 1024, 2048, 4096, 16384, 1 << 18, 1 << 21
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_SECCOMP, PR_CAPBSET_DROP = 1, 22, 24
PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 36, 38, 47, 4
SECCOMP_MODE_FILTER = 2
SETUP_FAILED = 70  # P2's exit code when the sandbox could not be set up (EX_SOFTWARE)
O_PATH = 0o10000000
# statvfs f_flag bits → the mount flags a read-only remount must keep (locked in a user namespace).
_KEEP_FLAGS = ((2, MS_NOSUID), (4, MS_NODEV), (8, MS_NOEXEC), (1024, MS_NOATIME), (2048, MS_NODIRATIME),
               (4096, MS_RELATIME))

_libc: ctypes.CDLL | None = None


def _c() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
        libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
        libc.unshare.argtypes = [ctypes.c_int]
        _libc = libc
    return _libc


def _check(result: int, what: str) -> int:
    if result < 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")
    return result


def _prctl(option: int, arg2: int = 0, arg3: int = 0) -> None:
    _check(_c().prctl(option, arg2, arg3, 0, 0), f"prctl({option})")


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_c().mount(_bytes(source), _bytes(target), _bytes(fstype), flags, _bytes(data)), f"mount {target}")


def _status(fd: int, kind: str, **fields: Any) -> None:
    """One JSON line on the status fd: read by the grader, never reachable by student code."""
    with contextlib.suppress(OSError):
        os.write(fd, (json.dumps({"kind": kind, **fields}) + "\n").encode())


def _enter_sandbox(plan: dict[str, Any], status_fd: int, parent: int) -> None:
    """Split into P0 / P1 / P2 (see the module docstring); returns in P2, sandboxed."""
    state: dict[str, Any] = {"targets": [], "stop": False}

    def terminate(signum: int, frame: object) -> None:
        state["stop"] = True
        for pid in state["targets"]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, terminate)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # P0 dies with the grader
    if os.getppid() != parent:
        os._exit(1)
    report: dict[str, Any] = {"mode": plan["mode"], "warnings": []}
    report["memory"] = _memory_bound(plan)  # before the fork: every process of the submission is inside
    namespaces, private_mounts = _unshare(plan, report)
    init = 0
    if namespaces is not None:
        init = os.fork()  # the first process forked after unshare(CLONE_NEWPID) is the namespace's init
        if init == 0:
            _init()
        state["targets"].append(init)
    else:
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
    student = os.fork()  # P2: pid 2 in the namespace (its parent, P0, is outside it)
    if student:
        _wait_for(student, init, state, status_fd, plan)
    # P2: the student's process.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _load_wire()
        _prepare_student(plan, report, namespaces, private_mounts)
    except BaseException as error:  # fail closed: no student code without the privilege drop
        report["error"] = f"{type(error).__name__}: {error}"
        _status(status_fd, "sandbox", report=report)
        os._exit(SETUP_FAILED)
    _status(status_fd, "sandbox", report=report)
    os.closerange(3, 1 << 16)


def _memory_bound(plan: dict[str, Any]) -> str:
    """Join the session's memory cgroup if there is one; say which memory bound applies."""
    each = f"{plan['memory_text']} of address space per process"
    if plan.get("cgroup") and cgroup.join(plan["cgroup"]):
        return (f"cgroup: {plan['memory_text']} for all of the submission's processes together, shared memory "
                f"included, no swap; and {each}")
    shared = "" if plan.get("shared_memory") else "; memfd and SysV shared memory refused"
    return f"{each} (no memory cgroup on this machine){shared}; the OOM killer takes the submission first"


def _init() -> NoReturn:
    """P1, init of the pid namespace: reap orphans until killed (SIGKILL from P0 or with it)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # so that pause() wakes for new orphans
    with contextlib.suppress(OSError):
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.closerange(0, 1 << 16)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            signal.pause()
        except OSError:
            pass


def _wait_for(student: int, init: int, state: dict[str, Any], status_fd: int, plan: dict[str, Any]) -> NoReturn:
    """P0: reap until the student's process ends, say how it ended, clean up, and exit."""
    state["targets"].append(student)
    if state["stop"]:
        for pid in state["targets"]:
            os.kill(pid, signal.SIGKILL)
    for fd in (0, 1, 2):  # only the student's process holds the protocol pipes
        os.close(fd)
    code = 0
    while True:
        try:
            pid, status, usage = os.wait4(-1, 0)
        except ChildProcessError:
            break
        if pid == student:
            code = os.waitstatus_to_exitcode(status)
            _status(status_fd, "exit", code=code, maxrss_kb=usage.ru_maxrss)
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


def _kill_leftovers(plan: dict[str, Any]) -> None:
    """Without a pid namespace: kill every process of the session's uid (as root, and only a uid
    uid_guard proves to be a leased sandbox uid: never root's, never a real account's), and every
    descendant (P0 is their subreaper), then reap them all."""
    uid, uid_range = plan.get("uid"), plan.get("uid_range")
    if uid is not None and uid_range and os.geteuid() == 0:
        uid_guard.kill_all_of(uid, *uid_range)
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


def _unshare(plan: dict[str, Any], report: dict[str, Any]) -> tuple[str | None, bool]:
    """P0: enter new namespaces; (kind or None, whether mounts are private to us)."""
    kind = plan.get("namespaces")
    if kind is None:
        return None, False
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP
    if kind == "user":
        flags |= CLONE_NEWUSER
    try:
        _check(_c().unshare(flags), "unshare")
    except OSError as error:
        report["warnings"].append(f"no namespaces ({error.strerror})")
        return None, False
    try:
        if kind == "user":
            for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
                with open(f"/proc/self/{name}", "w") as stream:
                    stream.write(text)
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
    except OSError as error:
        report["warnings"].append(f"mount namespace unusable ({error})")
        return kind, False
    return kind, True


def _prepare_student(plan: dict[str, Any], report: dict[str, Any], namespaces: str | None,
                     private_mounts: bool) -> None:
    """P2, still privileged: filesystem view, privilege drop, limits, seccomp."""
    os.umask(0o022)
    # The OOM killer's first choice, whatever happens to the grader's memory (its children inherit it).
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as stream:
        stream.write("1000")
    jailed = False
    if namespaces is not None and private_mounts and not plan.get("pivot_root"):
        report["warnings"].append("no private filesystem on this CPU architecture (no pivot_root number)")
    elif namespaces is not None and private_mounts:
        try:
            _jail(plan)
            jailed = True
            report["filesystem"] = "mount namespace (read-only system folders and Python, a fresh copy of the file)"
        except OSError as error:
            report["warnings"].append(f"the private filesystem could not be built ({error})")
    report["private_root"] = jailed  # a field, for decisions (the wording above is for people)
    _preload_if_unreadable(plan, report, namespaces)
    _drop_privileges(plan, report, namespaces)
    _set_limits(plan, report, namespaces)
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    landlocked = False
    if not jailed:
        landlocked = _apply_landlock(plan, report)
    seccomp = _apply_seccomp(plan, report)
    tcp_refused = landlocked and bool(plan["landlock"]["handled_net"])
    if namespaces is not None:
        report["network"] = "cut (network namespace without interfaces)"
        report["processes"] = "pid namespace (everything killed when grading ends)"
    else:
        report["network"] = ("IP sockets refused by seccomp" if seccomp else
                             "TCP refused by landlock" if tcp_refused else "NOT cut")
        report["processes"] = ("killed by uid when grading ends" if report["sandbox_uid"] else
                               "descendants killed when grading ends (no pid namespace)")
    # What held, as fields (sandbox.weaknesses decides from these; the texts above are for people).
    report.update(pid_namespace=namespaces is not None, filesystem_isolated=jailed or landlocked,
                  network_cut=namespaces is not None or seccomp or tcp_refused,
                  processes_contained=namespaces is not None or report["sandbox_uid"], seccomp_on=seccomp)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after the uid change, which clears it


def _jail(plan: dict[str, Any]) -> None:
    """Build a tmpfs root with read-only binds and a copy of the submission; pivot into it."""
    workdir, submission = plan["workdir"], plan["submission"]
    with open(plan["source"], "rb") as source_file:
        source = source_file.read()
    new = str(plan["mountpoint"])
    os.makedirs(new, 0o700, exist_ok=True)
    _mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, f"size={plan['disk_bytes']},nr_inodes=65536,mode=755")

    def inside(path: str) -> str:
        return new + path

    for link, target in plan["links"]:
        os.symlink(target, inside(link))
    for path in plan["binds"]:
        _bind(path, inside(path), read_only=True)
    for path in plan["covers"]:
        if os.path.isdir(inside(path)):
            _mount("tmpfs", inside(path), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "size=4k,nr_inodes=2,mode=000")
        elif os.path.exists(inside(path)):
            _mount("/dev/null", inside(path), None, MS_BIND)
    os.makedirs(inside("/dev"), 0o755)
    for device in plan["devices"]:
        with open(inside(device), "ab"):
            pass
        _mount(device, inside(device), None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, inside(f"/dev/{name}"))
    for path in ("/dev/shm", "/tmp"):
        os.makedirs(inside(path), exist_ok=True)
        os.chmod(inside(path), 0o1777)
    os.makedirs(inside("/proc"), 0o555, exist_ok=True)
    _mount("proc", inside("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)  # this pid namespace's
    os.makedirs(inside(workdir), 0o700, exist_ok=True)
    copy = inside(submission)
    with open(copy, "wb") as copied:
        copied.write(source)
    if plan.get("uid") is not None and os.geteuid() == 0 and plan.get("namespaces") == "root":
        for path in (inside(workdir), copy):
            os.chown(path, plan["uid"], plan["gid"])
    os.chdir(new)
    _check(_c().syscall(ctypes.c_long(plan["pivot_root"]), b".", b"."), "pivot_root")
    _check(_c().umount2(b".", MNT_DETACH), "umount the old root")
    os.chdir(workdir)


def _bind(source: str, target: str, *, read_only: bool) -> None:
    if os.path.isdir(source):
        os.makedirs(target, 0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
        with open(target, "ab"):
            pass
    _mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID
    if read_only:
        flags |= MS_RDONLY | MS_NODEV
    have = os.statvfs(source).f_flag
    for bit, flag in _KEEP_FLAGS:
        if have & bit:
            flags |= flag
    _mount(None, target, None, flags)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _preload_if_unreadable(plan: dict[str, Any], report: dict[str, Any], namespaces: str | None) -> None:
    """If the sandbox's uid cannot read Python's files, import common modules while we can."""
    if os.geteuid() != 0 or plan.get("uid") is None or namespaces == "user":
        return
    uid, gid = int(plan["uid"]), int(plan["gid"])
    os.setgroups([])
    os.setegid(gid)
    os.seteuid(uid)
    try:
        unreadable = [p for p in plan["python_paths"] if not os.access(p, os.R_OK | os.X_OK, effective_ids=True)]
    finally:
        os.seteuid(0)
        os.setegid(0)
    if not unreadable:
        return
    for name in plan["preload"]:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    report["warnings"].append(
        f"Python's files ({unreadable[0]}) are not readable by the sandbox's user: the submission can "
        "import only modules loaded in advance (numpy, math, itertools, ...); install Python where every "
        "user can read it, or allow mount namespaces")


def _drop_privileges(plan: dict[str, Any], report: dict[str, Any], namespaces: str | None) -> None:
    if os.geteuid() == 0 and plan.get("uid") is not None and namespaces != "user":
        uid, gid = int(plan["uid"]), int(plan["gid"])
        if not (0 < uid < 0xFFFFFFFF and 0 < gid < 0xFFFFFFFF):  # -1 would mean "unchanged"
            raise ValueError(f"refusing to run as uid {uid}, gid {gid}")
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)  # from root to a uid of its own: every capability is gone
        if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
            raise PermissionError("the privilege drop did not take")
        report["user"] = f"uid {uid} (gid {gid}, no supplementary groups)"
        report.update(sandbox_uid=True, user_isolated=True)
        return
    if namespaces == "user":
        for capability in range(64):  # an exec could not regain them either
            try:
                _prctl(PR_CAPBSET_DROP, capability)
            except OSError:
                break
        _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
        header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
        _check(_c().capset(ctypes.byref(header), ctypes.byref(data)), "capset")
        report["user"] = f"user namespace (uid {os.getuid()}, no capabilities)"
        report.update(sandbox_uid=False, user_isolated=True)
        return
    report["user"] = "root: NOT dropped" if os.geteuid() == 0 else f"the grader's own user ({os.getuid()})"
    report.update(sandbox_uid=False, user_isolated=False)


def _set_limits(plan: dict[str, Any], report: dict[str, Any], namespaces: str | None) -> None:
    """Resource limits, soft = hard, after the privilege drop (they cannot be raised again)."""
    applied = []
    for name, value in plan["rlimits"].items():
        if name == "NPROC" and not report["user_isolated"]:  # a uid of its own, or a user namespace
            report["warnings"].append("no process limit (it would count all of the grader's user's processes)")
            continue
        soft, hard = (value[0], value[1]) if isinstance(value, list) else (value, value)
        try:
            resource.setrlimit(getattr(resource, f"RLIMIT_{name}"), (soft, hard))
            applied.append(name)
        except (ValueError, OSError) as error:
            report["warnings"].append(f"RLIMIT_{name} not set ({error})")
    limits = plan["rlimits"]
    report["limits"] = (f"memory {plan['memory_text']}, CPU {limits['CPU'][0]} s, files {limits['FSIZE'] >> 20} MB, "
                        f"{limits['NOFILE']} open files"
                        + (f", {limits['NPROC']} processes" if "NPROC" in applied else ""))


def _apply_landlock(plan: dict[str, Any], report: dict[str, Any]) -> bool:
    spec = plan.get("landlock")
    if not spec:
        report["filesystem"] = "NOT isolated (no mount namespace, no Landlock): the reference may be readable"
        return False
    try:
        abi = int(spec["abi"])
        size = 8 if abi < 4 else 16 if abi < 6 else 24
        attr = ctypes.create_string_buffer(
            struct.pack("=QQQ", spec["handled_fs"], spec["handled_net"], spec["scoped"])[:size], size)
        libc = _c()
        ruleset = _check(libc.syscall(ctypes.c_long(444), attr, ctypes.c_size_t(size), ctypes.c_uint32(0)),
                         "landlock_create_ruleset")
        for path, access in spec["rules"]:
            try:
                fd = os.open(path, O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
                _check(libc.syscall(ctypes.c_long(445), ctypes.c_int(ruleset), ctypes.c_int(1), rule,
                                    ctypes.c_uint32(0)), f"landlock_add_rule {path}")
            finally:
                os.close(fd)
        _check(libc.syscall(ctypes.c_long(446), ctypes.c_int(ruleset), ctypes.c_uint32(0)), "landlock_restrict_self")
        os.close(ruleset)
    except OSError as error:
        report["filesystem"] = f"NOT isolated (Landlock failed: {error}): the reference may be readable"
        return False
    report["filesystem"] = f"landlock (ABI {abi}: read-only system folders and Python, the working folder)"
    for path in spec.get("uncovered", []):
        report["warnings"].append(f"{path} is inside an allowed folder and stays readable")
    return True


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _apply_seccomp(plan: dict[str, Any], report: dict[str, Any]) -> bool:
    program = plan.get("seccomp")
    if not program:
        report["seccomp"] = "unavailable on this machine"
        return False
    code = bytes.fromhex(program)
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = _SockFprog(len(code) // 8, ctypes.addressof(buffer))
    try:
        _prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog))
    except OSError as error:
        report["seccomp"] = f"unavailable ({error.strerror})"
        return False
    report["seccomp"] = "on (IP sockets, namespaces, ptrace, mount, bpf, keyrings" + (
        ")" if plan.get("shared_memory") else ", memfd and SysV shared memory refused)")
    return True
