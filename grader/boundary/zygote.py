"""A warm worker ("zygote") that forks one child per submission, ready to run.

Starting a child costs an interpreter and a numpy import (~100-200 ms); forking one from a
process that has both already costs a few milliseconds. The zygote is such a process:

- it is started fresh, exactly as a child is (`python -I -c BOOT`, the child's small
  environment, a new session), never forked from the grader, so nothing of the grader's
  memory (a reference, a rubric, another submission's data) is in it. It imports only
  grader.boundary.child, grader.boundary.wire (and with them numpy) and this module, and it never runs
  student code itself. Before its first fork it runs numpy's everyday float paths once
  (_warm_numpy: ~10 ms), so that children inherit resolved ufunc loops and loaded linalg
  instead of paying for them per submission (~6 of ~55 ms of CPU in the example homework);
- on request it forks. The forked process takes the pipes the grader sent over the control
  socket (SCM_RIGHTS) as fds 0/1/2 (requests / answers / prints) and 3 (the private status
  fd), closes every other fd, takes the child's environment and working folder, starts a
  new session, and calls `grader.boundary.child.main(config)`: from there on it is exactly the
  child launch.py would have spawned, and it applies the same sandbox (namespaces, private
  filesystem, uid drop, rlimits, seccomp) before any student code runs;
- it sends back the child's pid and a pidfd, and reports how the child ended (its exit
  code, as `Popen.returncode` would) on a pipe of that child's own, so the grader can time
  it out, kill it (and its process group) and learn how it ended as with a spawned one;
- it dies with the grader (PR_SET_PDEATHSIG, and when the control socket closes), and its
  children die with it (the sandbox's first process sets PR_SET_PDEATHSIG, sandbox/jail.py).

Use: `with zygote.serving(): ...` (or `zygote.start_shared()` once in a long-lived worker
process): every `ChildSession` of the process then forks its children from the shared
zygote; without one it spawns them. A zygote that dies is replaced by a fresh one.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any, NoReturn

from grader.boundary.environment import child_environment
from grader.boundary.processes import EXIT_REPORT, ForkedProcess
from grader.boundary.protocol import ChildConfig
from grader.paths import PROJECT_ROOT

_PACKAGE_ROOT = str(PROJECT_ROOT)
# The zygote starts from nothing the grader has loaded, then forgets where grader lives.
BOOT = (
    "import sys; root = sys.argv.pop(1); sys.path.insert(0, root); "
    "import grader.boundary.child, grader.boundary.zygote as zygote; sys.path.remove(root); zygote.serve()"
)
READY_SECONDS = 60.0  # the zygote's own start (an interpreter and numpy) on a very busy machine
REPLY_SECONDS = 20.0  # one fork
_MAX_REQUEST = 1 << 22
PR_SET_PDEATHSIG = 1


class ZygoteError(RuntimeError):
    """The zygote is gone or did not answer: spawn the child instead (or start another zygote)."""


# -- the grader's side ----------------------------------------------------------------------


class Zygote:
    """A warm worker process and the socket to ask it for children. Thread-safe."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        """Start the zygote; it boots in the background (the first fork waits for it)."""
        self._lock = threading.Lock()
        self._ready = False
        self._socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-c", BOOT, _PACKAGE_ROOT, str(theirs.fileno()), str(os.getpid())],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env or child_environment(),
                cwd="/", start_new_session=True, close_fds=True, pass_fds=(theirs.fileno(),),
            )
        except BaseException:
            self._socket.close()
            raise
        finally:
            theirs.close()

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._process.poll() is None and self._socket.fileno() >= 0

    def _fail(self, why: str) -> NoReturn:
        self.close()
        raise ZygoteError(why)

    def _receive(self, seconds: float, maxfds: int) -> tuple[bytes, list[int]]:
        self._socket.settimeout(seconds)
        try:
            message, fds, _, _ = socket.recv_fds(self._socket, 1 << 16, maxfds)
        except (OSError, TimeoutError) as error:
            self._fail(f"the zygote did not answer ({error})")
        if not message:
            for fd in fds:
                os.close(fd)
            self._fail("the zygote ended")
        return message, fds

    def fork(self, config: ChildConfig, env: dict[str, str], cwd: str, status_fd: int | None) -> ForkedProcess:
        """A child that runs `grader.boundary.child.main(config)` in `cwd` with `env`; `status_fd`, if any,
        becomes its fd 3 (config["status_fd"] must say 3)."""
        pipes = [os.pipe2(os.O_CLOEXEC) for _ in range(4)]  # requests, answers, prints, exit report
        (requests_r, requests_w), (answers_r, answers_w), (prints_r, prints_w), (exit_r, exit_w) = pipes
        theirs = [requests_r, answers_w, prints_w, exit_w] + ([status_fd] if status_fd is not None else [])
        ours = [requests_w, answers_r, prints_r, exit_r]
        payload = json.dumps({"config": config, "env": env, "cwd": cwd}).encode()
        try:
            with self._lock:
                if not self.alive:
                    raise ZygoteError("the zygote is not running")
                if not self._ready:
                    message, fds = self._receive(READY_SECONDS, 0)
                    if message != b"ready":
                        self._fail(f"the zygote said {message[:80]!r} instead of ready")
                    self._ready = True
                try:
                    socket.send_fds(self._socket, [payload], theirs)
                except OSError as error:
                    self._fail(f"the zygote cannot be reached ({error})")
                message, fds = self._receive(REPLY_SECONDS, 1)
            answer = json.loads(message)
            if "pid" not in answer:
                for fd in fds:
                    os.close(fd)
                raise ZygoteError(f"the zygote could not fork: {answer.get('error')}")
        except BaseException:
            for fd in ours:
                os.close(fd)
            raise
        finally:
            for fd in theirs[:4]:
                os.close(fd)
        return ForkedProcess(int(answer["pid"]), fds[0] if fds else None, exit_r, requests_w, answers_r, prints_r)

    def close(self) -> None:
        """Stop the zygote (its children die with it: their first process has PDEATHSIG)."""
        with contextlib.suppress(OSError):
            self._socket.close()  # the zygote exits on EOF
        if self._process.poll() is None:
            try:
                self._process.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


_shared: Zygote | None = None
_shared_lock = threading.Lock()
_wanted = False


def start_shared() -> Zygote:
    """Start this process's shared zygote (idempotent); stopped at exit. Every ChildSession
    started meanwhile forks its children from it."""
    global _shared, _wanted
    with _shared_lock:
        _wanted = True
        if _shared is None or not _shared.alive:
            if _shared is None:
                atexit.register(stop_shared)
            else:
                _shared.close()
            _shared = Zygote()
        return _shared


def stop_shared() -> None:
    global _shared, _wanted
    with _shared_lock:
        zygote, _shared, _wanted = _shared, None, False
    if zygote is not None:
        zygote.close()


def forget_inherited() -> None:
    """In a process forked from one that had a shared zygote: drop it without stopping it (it
    serves the parent; our copy of its socket is closed, the parent's stays open)."""
    global _shared, _wanted
    zygote, _shared, _wanted = _shared, None, False
    if zygote is not None:
        with contextlib.suppress(OSError):
            zygote._socket.close()


def shared() -> Zygote | None:
    """The shared zygote, if this process wants one (a dead one is replaced by a fresh one)."""
    if not _wanted:
        return None
    zygote = _shared
    if zygote is not None and zygote.alive:
        return zygote
    try:
        return start_shared()
    except OSError:
        return None


@contextlib.contextmanager
def serving() -> Iterator[Zygote]:
    """`with serving():` every ChildSession inside forks from a warm zygote (started now, so
    that its boot overlaps whatever the caller does next, e.g. loading the assignment)."""
    already = _wanted
    zygote = start_shared()
    try:
        yield zygote
    finally:
        if not already:
            stop_shared()


# -- the zygote's side ------------------------------------------------------------------------


def serve() -> NoReturn:
    """The zygote's main loop (runs in the process BOOT started)."""
    import ctypes

    from grader.boundary import child
    from grader.sandbox import syscalls

    control_fd, parent = int(sys.argv[1]), int(sys.argv[2])
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the zygote dies with the grader
    if os.getppid() != parent:
        os._exit(1)
    sys.dont_write_bytecode = True
    child._load_wire()  # numpy, in the children too
    syscalls.libc()  # loaded once, for the sandbox's system calls
    control = socket.socket(fileno=control_fd)
    exits: dict[int, int] = {}  # child pid -> the write end of its exit-report pipe

    def reap(signum: int, frame: object) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            fd = exits.pop(pid, None)
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.write(fd, EXIT_REPORT.pack(os.waitstatus_to_exitcode(status)))
                os.close(fd)

    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _warm_numpy()
    # Everything imported so far moves to the collector's permanent generation: a collection
    # in a child then does not walk (and so copy, page by page) the zygote's objects.
    gc.collect()
    gc.freeze()
    try:
        control.sendall(b"ready")
    except OSError:  # the grader exited while this worker booted (a usage error): leave without a word
        os._exit(0)
    while True:
        try:
            message, fds, flags, _ = socket.recv_fds(control, _MAX_REQUEST, 8)
        except OSError:
            os._exit(0)
        if not message:  # the grader is gone
            os._exit(0)
        pid = 0
        try:
            request = json.loads(message)
            if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC) or len(fds) not in (4, 5):
                raise ValueError("malformed request")
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
            try:
                pid = os.fork()
                if pid == 0:
                    _become_child(request, fds, control)
                exits[pid] = fds[3]
                fds.pop(3)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            pidfd = None
            with contextlib.suppress(OSError, AttributeError):
                pidfd = os.pidfd_open(pid)
            reply, passed = json.dumps({"pid": pid}).encode(), [pidfd] if pidfd is not None else []
        except Exception as error:
            reply, passed, pidfd = json.dumps({"error": f"{type(error).__name__}: {error}"}).encode(), [], None
        finally:
            for fd in fds:
                os.close(fd)
        try:
            socket.send_fds(control, [reply], passed)
        except OSError:
            os._exit(0)
        finally:
            if pidfd is not None:
                os.close(pidfd)


def _become_child(request: dict[str, Any], fds: list[int], control: socket.socket) -> NoReturn:
    """In the forked process: become exactly the child launch.py would spawn, then run it."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        control.detach()
        os.setsid()
        # fds: requests, answers, prints, exit report (the zygote's only), [status]
        wanted = [fds[0], fds[1], fds[2]] + ([fds[4]] if len(fds) == 5 else [])
        high = [_dup_above(fd, 16) for fd in wanted]  # out of the way of 0..3 first
        for target, fd in enumerate(high):
            os.dup2(fd, target)
        os.closerange(len(wanted), 1 << 16)  # the control socket, other children's pipes, ...
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        numpy_random = sys.modules.get("numpy.random")
        if numpy_random is not None:  # a fresh process would have drawn a fresh seed
            numpy_random.seed()
        sys.argv = ["-c"]
        from grader.boundary import child

        child.main(request["config"])
        code = 0
    except SystemExit as error:
        code = error.code if isinstance(error.code, int) else 1
    except BaseException:
        with contextlib.suppress(BaseException):
            import traceback

            traceback.print_exc()
    with contextlib.suppress(BaseException):
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _dup_above(fd: int, floor: int) -> int:
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD, floor)


def _warm_numpy() -> None:
    """Run numpy's everyday float64 paths once, before any fork: each child then inherits the
    resolved ufunc loops, the imported linalg and random machinery and their caches, instead of
    paying for them again in every submission. Generic numpy only: nothing of any assignment."""
    import numpy as np

    a = np.linspace(0.5, 2.0, 12).reshape(3, 4)
    v, ints = a[0].copy(), np.arange(6)
    for op in (np.add, np.subtract, np.multiply, np.true_divide, np.power, np.maximum, np.minimum,
               np.less, np.greater, np.equal, np.less_equal, np.greater_equal):
        op(a, a), op(a, 2.0), op(2.0, v), op(ints, 2)
    for unary in (np.abs, np.negative, np.sqrt, np.exp, np.log, np.square, np.sign, np.isfinite, np.isnan,
                  np.floor, np.round):
        unary(a)
    a @ a.T, v @ v, np.dot(a, v), np.outer(v, v), a.T.copy(), a[1:, ::-1].copy(), a[ints[:2]], a[a > 1]
    for reduce in (np.sum, np.mean, np.max, np.min, np.argmax, np.argmin, np.prod, np.std, np.all, np.any):
        reduce(a), reduce(a, axis=0)
    np.zeros((2, 2)), np.ones(3), np.eye(3), np.asarray([[1.0, 2.0]]), np.array([1, 2]), np.zeros_like(a)
    np.concatenate([v, v]), np.stack([v, v]), np.pad(a, 1), np.clip(a, 0, 1), np.where(a > 1, a, 0.0)
    np.allclose(a, a), np.isclose(a, a), np.array_equal(a, a)
    square = a @ a.T + np.eye(3)
    np.linalg.pinv(a), np.linalg.norm(a), np.linalg.solve(square, v[:3]), np.linalg.inv(square)
    np.linalg.lstsq(a, v[:3], rcond=None), np.linalg.eigh(square), np.linalg.svd(a)
    rng = np.random.default_rng(0)
    rng.integers(10), rng.integers(0, 10, size=3), rng.random(3), rng.normal(size=3), rng.standard_normal(3)
    rng.uniform(size=2), rng.choice(5), rng.permutation(5)

