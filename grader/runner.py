"""The parent's side of the process boundary: start a child, send calls, enforce limits.

A `ChildSession` runs one submission. Each call waits at most its time limit; a call that
hangs, crashes or ends the process fails with a message that says which, and the next
call gets a fresh child. The student's prints are captured (and capped), never shown
on the grader's own output.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from grader import wire
from grader.rubric import Limits

Status = Literal[
    "ok", "exception", "missing", "timeout", "crashed", "exited",
    "unsupported", "too_large", "protocol", "import_failed", "not_run",
]

# The child starts from nothing the parent has loaded: a fresh interpreter that imports
# only grader.child (and through it numpy), then forgets where grader lives.
_BOOT = (
    "import sys; root = sys.argv.pop(1); sys.path.insert(0, root); "
    "import grader.child as child; sys.path.remove(root); child.main()"
)
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


@dataclass(frozen=True)
class Outcome:
    """What happened to one call (or to the import)."""

    status: Status
    value: Any = None
    message: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class OutputCapture:
    """The student's stdout and stderr: the first `limit` bytes kept, the rest counted."""

    limit: int
    kept: bytearray = field(default_factory=bytearray)
    total: int = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += data[:room]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.kept)

    def text(self) -> str:
        text = self.kept.decode("utf-8", errors="replace")
        if self.truncated:
            text += f"\n[output cut: {self.total - len(self.kept)} more bytes not kept]"
        return text


def child_environment() -> dict[str, str]:
    """A small, explicit environment: nothing of the grader's leaks into the child."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        # One BLAS thread: deterministic sums and no oversubscription in batches.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # needed on some CPUs for correct results
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class ChildSession:
    """One submission's child process, restarted after a call that killed it."""

    def __init__(self, submission: Path, module: str, limits: Limits) -> None:
        self.limits = limits
        self.module = module
        self.output = OutputCapture(limits.output_kb * 1024)
        self.message_limit = int(limits.message_mb * 1024 * 1024)
        self._workdir = Path(tempfile.mkdtemp(prefix="grader-"))
        self._submission = self._workdir / submission.name
        shutil.copyfile(submission, self._submission)
        self._process: subprocess.Popen[bytes] | None = None
        self._import_failure: Outcome | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> Outcome:
        """Start a child and import the submission; the outcome says whether it worked."""
        config = {"submission": str(self._submission), "module": self.module,
                  "message_limit": self.message_limit}
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, _PACKAGE_ROOT, json.dumps(config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=self._workdir, env=child_environment(), start_new_session=True, close_fds=True,
        )
        outcome = self._exchange(None, self.limits.import_seconds, during_import=True)
        if outcome.status == "ok":
            return outcome
        self.stop()
        failure = Outcome("import_failed", message=outcome.message)
        self._import_failure = failure
        return failure

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> ChildSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls -----------------------------------------------------------------------

    def call(self, function: str, args: list[Any], seconds: float) -> Outcome:
        """Run one student call in the child, starting a fresh child if the last one died."""
        if self._import_failure is not None:
            return self._import_failure
        if self._process is None:
            started = self.start()
            if not started.ok:
                return started
        request = wire.pack({"op": "call", "function": function, "args": list(args)}, 1 << 62)
        outcome = self._exchange(request, seconds, during_import=False)
        if outcome.status in ("timeout", "crashed", "exited", "too_large", "protocol"):
            self.stop()  # the next call gets a fresh child
        return outcome

    def _exchange(self, request: bytes | None, seconds: float, *, during_import: bool) -> Outcome:
        """Send `request` (if any) and wait for one answer frame, reading output meanwhile."""
        process = self._process
        assert process is not None and process.stdout and process.stderr and process.stdin
        started = time.perf_counter()
        deadline = started + seconds
        selector = selectors.DefaultSelector()
        answers, prints, requests = process.stdout.fileno(), process.stderr.fileno(), process.stdin.fileno()
        selector.register(answers, selectors.EVENT_READ)
        selector.register(prints, selectors.EVENT_READ)
        pending = memoryview(request) if request else None
        if pending is not None:
            os.set_blocking(requests, False)
            selector.register(requests, selectors.EVENT_WRITE)
        buffer = bytearray()
        try:
            while True:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    what = "importing the module" if during_import else "the call"
                    limit = f"{seconds:g} s"
                    return Outcome("timeout", message=f"exceeded the time limit ({limit}) while {what}"
                                   if during_import else f"exceeded the time limit ({limit})",
                                   seconds=seconds)
                for key, _ in selector.select(remaining):
                    fd = key.fd
                    if fd == requests and pending is not None:
                        try:
                            pending = pending[os.write(fd, pending):]
                        except BrokenPipeError:
                            pending = memoryview(b"")
                        if not pending:
                            selector.unregister(fd)
                            pending = None
                        continue
                    data = os.read(fd, 1 << 20)
                    if fd == prints:
                        if data:
                            self.output.add(data)
                        else:
                            selector.unregister(fd)
                        continue
                    if not data:
                        return self._died(during_import, time.perf_counter() - started)
                    buffer += data
                    frame = self._frame(buffer)
                    if isinstance(frame, Outcome):
                        return frame
                    if frame is not None:
                        return self._answer(frame, time.perf_counter() - started)
        finally:
            selector.close()

    def _frame(self, buffer: bytearray) -> bytes | Outcome | None:
        if len(buffer) < wire.FRAME_HEADER.size:
            return None
        (length,) = wire.FRAME_HEADER.unpack_from(buffer)
        if length > self.message_limit + (1 << 16):
            return Outcome("too_large", message=self._too_large())
        end = wire.FRAME_HEADER.size + length
        if len(buffer) < end:
            return None
        if len(buffer) > end:
            return Outcome("protocol", message="the process wrote unexpected data to the grader's channel")
        return bytes(buffer[wire.FRAME_HEADER.size:end])

    def _too_large(self) -> str:
        return f"output too large (more than {self.limits.message_mb:g} MB)"

    def _answer(self, payload: bytes, seconds: float) -> Outcome:
        try:
            message = wire.unpack(payload)
        except wire.WireError as error:
            return Outcome("protocol", message=f"the answer could not be read: {error}", seconds=seconds)
        op = message.get("op")
        if op in ("ready", "result"):
            return Outcome("ok", value=message.get("value"), seconds=seconds)
        if op == "missing":
            return Outcome("missing", message=f"the submission does not define {message.get('function')}()",
                           seconds=seconds)
        if op == "too_large":
            return Outcome("too_large", message=self._too_large(), seconds=seconds)
        text = str(message.get("message", ""))
        kinds: dict[str, Status] = {"exception": "exception", "exited": "exited",
                                    "unsupported": "unsupported", "import_error": "import_failed"}
        return Outcome(kinds.get(str(op), "protocol"), message=text or f"unexpected answer {op!r}",
                       seconds=seconds)

    def _died(self, during_import: bool, seconds: float) -> Outcome:
        process = self._process
        assert process is not None
        try:
            code = process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return Outcome("protocol", message="the process closed the grader's channel", seconds=seconds)
        subject = "the module" if during_import else "the function"
        if code < 0:
            return Outcome("crashed", message=f"the process was killed by {_signal_name(-code)}",
                           seconds=seconds)
        return Outcome("exited", message=f"{subject} ended the process (exit code {code})", seconds=seconds)
