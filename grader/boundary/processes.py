"""The child process as the session sees it, whichever way it was started: `ChildProcess`, the
part of `subprocess.Popen` the boundary uses, plus `signal_now` (safe from another thread) and
`close`. A spawned child is a `SpawnedProcess`; one forked by the zygote a `ForkedProcess`."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import struct
import subprocess
import threading
import time
from typing import IO, Protocol

EXIT_REPORT = struct.Struct("=i")  # the zygote's report of how a forked child ended: its exit code


class ChildProcess(Protocol):
    @property
    def pid(self) -> int: ...

    @property
    def stdin(self) -> IO[bytes] | None: ...

    @property
    def stdout(self) -> IO[bytes] | None: ...

    @property
    def stderr(self) -> IO[bytes] | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...

    def signal_now(self, number: int) -> None:
        """Signal the process from any thread (cancel)."""

    def close(self) -> None:
        """Forget the process, after wait()."""


class SpawnedProcess(subprocess.Popen[bytes]):
    """A child started as a fresh interpreter."""

    def signal_now(self, number: int) -> None:
        self.send_signal(number)

    def close(self) -> None:
        pass


class ForkedProcess:
    """A child forked by the zygote, seen from the grader like the `subprocess.Popen` it replaces:
    `pid`, `stdin`/`stdout`/`stderr`, `poll()`, `wait(timeout)`, `send_signal()`, `returncode`."""

    def __init__(self, pid: int, pidfd: int | None, exit_fd: int, stdin: int, stdout: int, stderr: int) -> None:
        self.pid = pid
        self.args = f"zygote child {pid}"
        self.returncode: int | None = None
        self._pidfd = pidfd
        self._pidfd_lock = threading.Lock()  # signal_now() may come from another thread
        self._exit_fd: int | None = exit_fd
        # These live as long as the process: session.ChildSession.stop() closes them.
        self.stdin = open(stdin, "wb", buffering=0)  # noqa: SIM115
        self.stdout = open(stdout, "rb", buffering=0)  # noqa: SIM115
        self.stderr = open(stderr, "rb", buffering=0)  # noqa: SIM115

    def _collect(self, timeout: float | None) -> None:
        fd = self._exit_fd
        if fd is None or self.returncode is not None:
            return
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return
        data = b""
        with contextlib.suppress(BlockingIOError, InterruptedError):
            data = os.read(fd, EXIT_REPORT.size)
        if len(data) == EXIT_REPORT.size:
            self.returncode = EXIT_REPORT.unpack(data)[0]
        else:  # no report: the zygote died first; the child dies with it (PDEATHSIG), make sure of it
            if self._pidfd is not None:
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
                select.select([self._pidfd], [], [], 5.0)  # readable once the process has ended
            self.returncode = -signal.SIGKILL
        os.close(fd)
        self._exit_fd = None
        with self._pidfd_lock:
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None

    def poll(self) -> int | None:
        self._collect(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            self._collect(remaining)
            if self.returncode is None and deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        return self.returncode

    def send_signal(self, number: int) -> None:
        if self.poll() is not None:
            return
        if self._pidfd is not None:
            signal.pidfd_send_signal(self._pidfd, number)
        else:
            os.kill(self.pid, number)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def signal_now(self, number: int) -> None:
        """Signal the process from any thread, through its pidfd only (never a pid that may have
        been reused); nothing else of this object is touched."""
        with self._pidfd_lock:
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, number)

    def close(self) -> None:
        """Forget the process (after wait): the fds that remain."""
        with self._pidfd_lock:
            for fd in (self._exit_fd, self._pidfd):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._exit_fd = self._pidfd = None
