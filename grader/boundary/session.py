"""The parent's side of the process boundary: start a child, send calls, enforce limits.

A `ChildSession` runs one submission. Each call waits at most its time limit; a call that
hangs, crashes, runs out of memory or ends the process fails with a message that says
which, and the next call gets a fresh child. The student's prints are captured (and
capped), never shown on the grader's own output.

The child is sandboxed (sandbox.py decides how, child.py applies it): the session holds a
uid of its own when the grader is root, hands the child its plan, and reads on a private
status pipe which protections held and how the student's process ended. The submission
file is checked before anything runs: a folder, a link out of the submission, a zip or
notebook, a NUL byte, text that is not UTF-8 or a file over the size limit each get one
clear message and no child at all.
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import json
import logging
import math
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from grader.boundary import protocol as framing
from grader.boundary import zygote
from grader.boundary.zygote import (
    child_environment as child_environment,  # lives with the zygote, which needs it cheaply
)
from grader.paths import PROJECT_ROOT
from grader.safe_open import Refused, read_regular

# Standard library and our own light modules only: `grader grade` starts the child from a saved
# call plan (prefetch.py) before it imports numpy or pydantic. wire (numpy) is imported where a
# value is encoded or decoded.
from grader.sandbox import cgroup
from grader.sandbox import policy as sandbox
from grader.text import cap

if TYPE_CHECKING:
    from grader.rubric import Limits

log = logging.getLogger("grader.boundary.session")

Status = Literal[
    "ok", "exception", "missing", "timeout", "crashed", "exited", "memory",
    "unsupported", "too_large", "protocol", "import_failed", "not_run",
]
# After these the child is not trusted to go on: the next call starts a fresh one.
RESTART_AFTER = ("timeout", "crashed", "exited", "memory", "too_large", "protocol")
F_SETPIPE_SZ = 1031
Process = subprocess.Popen[bytes] | zygote.ForkedProcess

# The child starts from nothing the parent has loaded: a fresh interpreter that imports
# only grader.boundary.child (and through it numpy), then forgets where grader lives; or a fork of a
# zygote that was started the same way (zygote.py).
_BOOT = (
    "import sys; root = sys.argv.pop(1); sys.path.insert(0, root); "
    "import grader.boundary.child as child; sys.path.remove(root); child.main()"
)
_PACKAGE_ROOT = str(PROJECT_ROOT)


@dataclass(frozen=True)
class Outcome:
    """What happened to one call (or to the import)."""

    status: Status
    value: Any = None
    message: str = ""
    seconds: float = 0.0
    payload: bytes | None = field(default=None, repr=False, compare=False)  # an answer not decoded yet
    cause: Status | None = None  # for "import_failed": what ended the import ("timeout", "memory", ...)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def decoded(self) -> Outcome:
        """This outcome with its value, for an answer read raw (ChildSession(decode=False))."""
        if self.payload is None:
            return self
        from grader.boundary import wire

        try:
            value = wire.unpack(self.payload).get("value")
        except wire.WireError as error:
            return _unreadable(error, self.seconds)
        return Outcome("ok", value=value, seconds=self.seconds)


def _unreadable(error: Exception, seconds: float) -> Outcome:
    return Outcome("protocol", message=f"the answer could not be read: {error}", seconds=seconds)


@dataclass(frozen=True)
class Call:
    """One call to send: its request frame, packed once (wire.pack), and its time limit.

    Calls of one `group` are written to the child together (pipelined); a group's requests are
    written only once every answer of the groups before it has been read, so that a submission
    can never read ahead (on fd 0) into a later group, e.g. from visible checks into hidden ones.
    """

    function: str
    request: bytes
    seconds: float
    group: int = 0


def pack_call(function: str, args: Sequence[Any]) -> bytes:
    from grader.boundary import wire

    return wire.pack({"op": "call", "function": function, "args": list(args)}, 1 << 62)


@dataclass
class OutputCapture:
    """The student's stdout and stderr: the first `limit` bytes kept, the rest counted."""

    limit: int
    kept: bytearray = field(default_factory=bytearray)
    total: int = 0
    marks: dict[int, int] = field(default_factory=dict)  # call group -> bytes printed before its first call

    def mark(self, group: int) -> None:
        self.marks.setdefault(group, self.total)

    def text(self, before_group: int | None = None) -> str:
        """What was printed (with what was not kept, counted); with `before_group`, only what was
        printed before the first call of that group or a later one ran."""
        later = [at for g, at in self.marks.items() if before_group is not None and g >= before_group]
        end = min(later) if later else self.total
        shown = self.kept[:end].decode("utf-8", errors="replace")
        return shown + (f"\n[output cut: {end - len(self.kept)} more bytes not kept]" if end > len(self.kept) else "")

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += data[:room]


_STATUS_LINE = 1 << 16  # the sandbox's report is a few hundred bytes


def _bounded_report(report: dict[Any, Any]) -> dict[str, Any]:
    """The sandbox's report with text values (and booleans) only, each capped (it is written before
    the student's code runs, but everything read from the child is bounded in the parent)."""
    bounded: dict[str, Any] = {}
    for key, value in list(report.items())[:32]:
        if isinstance(value, bool):
            bounded[cap(str(key), 40)] = value
        elif isinstance(value, list):
            bounded[cap(str(key), 40)] = [cap(str(item), 500) for item in value[:32]]
        else:
            bounded[cap(str(key), 40)] = cap(str(value), 500)
    return bounded


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_NOT_PYTHON = (
    (b"PK\x03\x04", "a zip archive, not Python source: unzip it and submit the .py file inside"),
    (b"PK\x05\x06", "an (empty) zip archive, not Python source"),
    (b"\x1f\x8b", "a gzip archive, not Python source"),
    (b"%PDF", "a PDF document, not Python source"),
    (b"\x7fELF", "a compiled program, not Python source"),
)


def check_source(data: bytes, name: str) -> str | None:
    """Why `data` is not a Python source file to import, or None when it looks like one."""
    for magic, what in _NOT_PYTHON:
        if data.startswith(magic):
            return f"{name} is {what}"
    head = data[:4096].lstrip()
    if head.startswith(b"{") and b'"cells"' in data[:1 << 20]:
        return (f"{name} is a Jupyter notebook, not a Python file: export it as Python "
                "(File > Download as > Python (.py)) and submit that")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        return f"{name} contains a NUL byte (line {line}): it is not a text file"
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError as error:
        bad = error.start
    for first_lines in data.split(b"\n", 2)[:2]:  # PEP 263: a declared encoding is honoured
        match = _CODING.match(first_lines)
        if match:
            try:
                data.decode(codecs.lookup(match.group(1).decode("ascii")).name)
                return None
            except (LookupError, UnicodeDecodeError):
                break
    line = data.count(b"\n", 0, bad) + 1
    return (f"{name} is not UTF-8 text (byte 0x{data[bad]:02X} on line {line}): "
            "save it with the UTF-8 encoding")


def read_submission(path: Path, limits: Limits) -> tuple[bytes | None, str | None]:
    """The submission's bytes, or a clear reason why it cannot be graded (never raises): a link,
    a folder, a FIFO or device, or a file over the size limit is refused (safe_open)."""
    try:
        data = read_regular(path, int(limits.source_mb * 1024 * 1024), "Python file")
    except Refused as refused:
        return None, str(refused)
    problem = check_source(data, path.name)
    return (None, problem) if problem else (data, None)


class ChildSession:
    """One submission's child process, restarted after a call that killed it."""

    def __init__(self, submission: Path, module: str, limits: Limits, *, hide: Sequence[Path] = (),
                 warm: zygote.Zygote | None = None, decode: bool = True) -> None:
        """`hide`: folders the child must never see, besides the project's own (sandbox.hidden_paths).
        `warm`: the zygote to fork children from; by default the process's shared one if it has
        one (zygote.serving / start_shared), else each child is spawned. `decode=False`: answers'
        values stay raw until Outcome.decoded() (no numpy needed to run calls)."""
        self.limits = limits
        self._decode = decode
        self._cancelled = False
        self._zygote = warm
        self.module = module
        self.output = OutputCapture(limits.output_kb * 1024)
        self.message_limit = int(limits.message_mb * 1024 * 1024)
        self.sandbox: dict[str, Any] = {}  # what the last child reported about its protections
        self._hide = tuple(hide)
        self._process: Process | None = None
        self._import_failure: Outcome | None = None
        self._status_fd: int | None = None
        self._status = bytearray()
        self._exit: dict[str, Any] | None = None
        self._lease: sandbox.UidLease | None = None
        self._cgroup: cgroup.SandboxCgroup | None = None
        self._oom_kills = 0
        # The student's working folder (the same path inside the sandbox), and a private one
        # of ours: the pristine copy of the file, and where the child mounts its new root.
        self._workdir = Path(tempfile.mkdtemp(prefix="grader-"))
        self._private = Path(tempfile.mkdtemp(prefix="grader-private-"))
        self._submission = self._workdir / submission.name
        self._source = self._private / "source.py"
        try:
            data, problem = read_submission(submission, limits)
            if data is None:
                self._import_failure = Outcome("import_failed", message=problem or "cannot be read")
                return
            self._source.write_bytes(data)
            if sandbox.enabled() and sandbox.host().root:
                self._lease = sandbox.UidLease()
                self._cgroup = cgroup.create(f"numgrader-{self._lease.uid}", limits.memory_mb * 1024 * 1024,
                                             limits.processes)
        except BaseException:
            self.close()
            raise

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> Outcome:
        """Start a child and import the submission; the outcome says whether it worked."""
        if self._import_failure is not None:
            return self._import_failure
        self._fresh_workdir()
        config: dict[str, Any] = {"submission": str(self._submission), "module": self.module,
                                  "message_limit": self.message_limit}
        env = child_environment()
        env["HOME"] = env["TMPDIR"] = str(self._workdir)
        status_write = None
        if sandbox.enabled():
            self._status_fd, status_write = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
            config.update(status_fd=status_write, parent=os.getpid(), sandbox=sandbox.plan(
                self.limits, self._workdir, self._submission, self._source, self._private / "root",
                self._lease.uid if self._lease else None, self._hide, self._cgroup.procs if self._cgroup else ()))
            self._oom_kills = self._cgroup.oom_kills() if self._cgroup else 0
        self._status.clear()
        self._exit = None
        try:
            self._process = self._fork(config, env, status_write)
            if self._process is None:
                self._process = subprocess.Popen(
                    [sys.executable, "-I", "-c", _BOOT, _PACKAGE_ROOT, json.dumps(config)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    cwd=self._workdir, env=env, start_new_session=True, close_fds=True,
                    pass_fds=(status_write,) if status_write is not None else (),
                )
        finally:
            if status_write is not None:
                os.close(status_write)
        assert self._process.stderr is not None
        with contextlib.suppress(OSError):  # fewer wake-ups when a submission floods its output
            fcntl.fcntl(self._process.stderr.fileno(), F_SETPIPE_SZ, 1 << 20)
        if self._cancelled:  # cancel() came while the child was being forked
            self.stop()
            return self._cancelled_outcome()
        (outcome,) = self._exchange([], [self.limits.import_seconds], during_import=True)
        self._read_status()
        if outcome.status == "ok":
            return outcome
        if self._cancelled:  # the child died of cancel(): not the submission's failure
            self.stop()
            return self._cancelled_outcome()
        self.stop()
        failure = Outcome("import_failed", message=outcome.message, cause=outcome.status)
        self._import_failure = failure
        return failure

    def _fork(self, config: dict[str, Any], env: dict[str, str], status_write: int | None) -> Process | None:
        """The child, forked by the zygote (ours, or the process's shared one) when there is one."""
        warm = self._zygote or zygote.shared()
        if warm is None:
            return None
        forked = dict(config)
        if status_write is not None:  # the zygote is the child's parent, and the status fd is its fd 3
            forked.update(status_fd=3, parent=warm.pid)
        try:
            return warm.fork(forked, env, str(self._workdir), status_write)
        except zygote.ZygoteError as error:
            log.warning("numgrader: the warm worker failed (%s); starting the child directly", error)
            return None

    def _fresh_workdir(self) -> None:
        """Only a copy of the submission in the working folder, whatever a previous child left."""
        for entry in os.scandir(self._workdir):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        fd = os.open(self._submission, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        with open(fd, "wb") as stream:
            stream.write(self._source.read_bytes())
        if self._lease is not None:  # its own folder, for when there is no private filesystem
            for path in (self._workdir, self._submission):
                os.chown(path, self._lease.uid, self._lease.gid, follow_symlinks=False)

    def stop(self) -> None:
        """End the child and everything it started (see child.py: SIGTERM makes P0 kill all)."""
        process, self._process = self._process, None
        if process is None:
            return
        forced = False
        if self._status_fd is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                forced = True
        if self._status_fd is None or forced:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        if isinstance(process, zygote.ForkedProcess):
            process.close()
        self._read_status()
        if self._status_fd is not None:
            os.close(self._status_fd)
            self._status_fd = None
        if self._lease is not None and (forced or self.sandbox.get("pid_namespace") is not True):
            sandbox.sweep(self._lease.uid)

    def close(self) -> None:
        self.stop()
        if self._cgroup is not None:  # empty now: every process of the session has ended
            cgroup.release(self._cgroup)
            self._cgroup = None
        if self._lease is not None:  # stop() swept already unless a pid namespace made it needless
            self._lease.release()
            self._lease = None
        shutil.rmtree(self._workdir, ignore_errors=True)
        shutil.rmtree(self._private, ignore_errors=True)

    def _read_status(self) -> None:
        """Take what the child wrote on its status pipe: its sandbox report, how it ended."""
        if self._status_fd is None:
            return
        while True:
            try:
                data = os.read(self._status_fd, 1 << 16)
            except BlockingIOError:
                break
            if not data:
                break
            self._status += data
        *lines, rest = self._status.split(b"\n")
        self._status = bytearray(rest[:_STATUS_LINE])
        for line in lines:
            try:
                message = json.loads(line[:_STATUS_LINE])
            except (ValueError, RecursionError):
                continue
            if not isinstance(message, dict):
                continue
            if message.get("kind") == "sandbox" and isinstance(message.get("report"), dict):
                self.sandbox = _bounded_report(message["report"])
                sandbox.warn_once(self.sandbox)
            elif message.get("kind") == "exit":
                self._exit = message

    @property
    def sandbox_weaknesses(self) -> list[str]:
        """The protections that did not hold for this submission (empty when all did)."""
        return sandbox.weaknesses(self.sandbox if sandbox.enabled() else {"mode": "off"})

    @property
    def sandbox_summary(self) -> str:
        """One line for instructors: the protections the submission ran under."""
        if not sandbox.enabled():
            return sandbox.summary({"mode": "off"})
        return sandbox.summary(self.sandbox)

    def __enter__(self) -> ChildSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls -----------------------------------------------------------------------

    def call(self, function: str, args: list[Any], seconds: float) -> Outcome:
        """Run one student call in the child, starting a fresh child if the last one died."""
        (outcome,) = self.run([Call(function, pack_call(function, args), seconds)], math.inf)
        return outcome

    def run(self, calls: Sequence[Call], deadline: float) -> Iterator[Outcome]:
        """One outcome per call, in order. A group's requests are written at once and all of its
        answers read before any is handed out, so that each call's time is counted from the
        moment the one before it answered, however long the caller then takes to judge it. After
        a call that killed the child (or cannot be trusted) the child is stopped and the next
        call gets a fresh one. Calls that would start after `deadline` (the submission's time
        limit) are not run."""
        done = 0
        while done < len(calls):
            if self._import_failure is None and self._process is None and not self._cancelled:
                self.start()
            failure = self._import_failure or (self._cancelled_outcome() if self._cancelled else None)
            if failure is not None:
                for _ in calls[done:]:
                    yield failure
                return
            end = done + 1
            while end < len(calls) and calls[end].group == calls[done].group:
                end += 1
            batch = calls[done:end]
            self.output.mark(batch[0].group)
            outcomes = self._exchange([c.request for c in batch], [c.seconds for c in batch], deadline)
            if outcomes[-1].status in RESTART_AFTER or outcomes[-1].status == "not_run":
                self.stop()  # first: a hung child uses no CPU while the caller judges; the next call gets a fresh one
            for outcome in outcomes:
                done += 1
                yield outcome
            if done < len(calls) and time.perf_counter() >= deadline:
                for _ in calls[done:]:
                    yield self._not_run()
                return

    def cancel(self) -> None:
        """From another thread: end the child now and run nothing more. Only a signal (SIGTERM,
        so that the sandbox's first process still kills everything the student started): the
        thread running the calls sees the child end, stops it as usual and returns."""
        self._cancelled = True
        process = self._process
        if process is None:
            return
        # As stop(): a sandboxed child's first process turns SIGTERM into killing everything;
        # without the sandbox the signal would reach the student's code, which may ignore it.
        number = signal.SIGTERM if self._status_fd is not None else signal.SIGKILL
        with contextlib.suppress(OSError):
            if isinstance(process, zygote.ForkedProcess):
                process.signal_now(number)
            else:
                process.send_signal(number)

    @staticmethod
    def _cancelled_outcome() -> Outcome:
        return Outcome("not_run", message="not run: grading was cancelled")

    def _not_run(self) -> Outcome:
        return Outcome("not_run", message=(
            f"not run: the submission's time limit ({self.limits.submission_seconds:g} s) was reached"))

    def _exchange(self, requests: Sequence[bytes], limits: Sequence[float], deadline: float = math.inf, *,
                  during_import: bool = False) -> list[Outcome]:
        """Write `requests` (as the pipe takes them) and read one answer per entry of `limits`,
        with the student's output meanwhile; stop early after an outcome that leaves the channel
        unusable. The import sends nothing and waits for one answer. Each call's limit counts
        from the arrival of the answer before it (this loop reads without pause)."""
        process = self._process
        assert process is not None and process.stdout and process.stderr and process.stdin
        selector = selectors.DefaultSelector()
        answers, prints, requests_fd = process.stdout.fileno(), process.stderr.fileno(), process.stdin.fileno()
        selector.register(answers, selectors.EVENT_READ)
        selector.register(prints, selectors.EVENT_READ)
        pending: memoryview | None = memoryview(b"".join(requests)) if requests else None
        if pending is not None:
            os.set_blocking(requests_fd, False)
            selector.register(requests_fd, selectors.EVENT_WRITE)
        buffer = bytearray()
        results: list[Outcome] = []
        arrived = time.perf_counter()
        try:
            started = arrived
            for index, seconds in enumerate(limits):
                if started >= deadline:
                    results.append(self._not_run())
                    return results
                limit = min(seconds, deadline - started)
                call_deadline = started + limit
                outcome: Outcome | None = None
                while outcome is None:
                    payload = framing.take_frame(buffer)
                    if payload is not None:
                        arrived = time.perf_counter()
                        if index == len(limits) - 1 and buffer:
                            outcome = Outcome("protocol",
                                              message="the process wrote unexpected data to the grader's channel")
                        else:
                            outcome = self._answer(payload, arrived - started, during_import)
                        break
                    length = framing.announced_length(buffer)
                    if length is not None and length > self.message_limit + (1 << 16):
                        outcome = Outcome("too_large", message=self._too_large())
                        break
                    remaining = call_deadline - time.perf_counter()
                    if remaining <= 0:
                        outcome = self._timeout(limit, during_import)
                        break
                    for key, _ in selector.select(remaining):
                        fd = key.fd
                        if fd == requests_fd and pending is not None:
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
                            outcome = self._died(during_import, time.perf_counter() - started)
                            break
                        buffer += data
                results.append(outcome)
                if outcome.status in RESTART_AFTER:
                    return results
                started = arrived  # the child took the next request as it sent this answer (decoding it is ours)
            return results
        finally:
            selector.close()

    def _timeout(self, limit: float, during_import: bool) -> Outcome:
        what = "importing the module" if during_import else "the call"
        text = f"exceeded the time limit ({limit:g} s)"
        return Outcome("timeout", message=f"{text} while {what}" if during_import else text, seconds=limit)

    def _too_large(self) -> str:
        return f"output too large (more than {self.limits.message_mb:g} MB)"

    def _memory(self, during_import: bool) -> str:
        text = f"exceeded the memory limit ({sandbox.memory_text(self.limits)})"
        return f"{text} while importing the module" if during_import else text

    def _answer(self, payload: bytes, seconds: float, during_import: bool = False) -> Outcome:
        if self._decode:
            from grader.boundary import wire

            try:
                message = wire.unpack(payload)
            except wire.WireError as error:
                return _unreadable(error, seconds)
        else:  # read only what the answer says; its value is decoded later (Outcome.decoded)
            try:
                message = framing.read_json(payload)[0]["body"]
            except framing.FrameError as error:
                return _unreadable(error, seconds)
            if message.get("op") == "result":
                return Outcome("ok", seconds=seconds, payload=payload)
        op = message.get("op")
        if op in ("ready", "result"):
            return Outcome("ok", value=message.get("value"), seconds=seconds)
        if op == "missing":
            name = cap(str(message.get("function")), 200)
            return Outcome("missing", message=f"the submission does not define {name}()", seconds=seconds)
        if op == "too_large":
            return Outcome("too_large", message=self._too_large(), seconds=seconds)
        if op == "memory" or (op == "import_error" and message.get("kind") == "memory"):
            return Outcome("memory", message=self._memory(during_import), seconds=seconds)
        text = cap(str(message.get("message", "")))  # the child's words: bounded here, whatever it sent
        kinds: dict[str, Status] = {"exception": "exception", "exited": "exited",
                                    "unsupported": "unsupported", "import_error": "import_failed"}
        return Outcome(kinds.get(str(op), "protocol"), message=text or f"unexpected answer {op!r}",
                       seconds=seconds)

    def _died(self, during_import: bool, seconds: float) -> Outcome:
        process = self._process
        assert process is not None
        try:
            code = process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            return Outcome("protocol", message="the process closed the grader's channel", seconds=seconds)
        self._read_status()
        maxrss = 0
        if self._exit is not None:  # the sandbox saw exactly how the student's process ended
            reported, kb = self._exit.get("code"), self._exit.get("maxrss_kb")
            code = reported if type(reported) is int and -256 < reported < 256 else code
            maxrss = kb * 1024 if type(kb) is int and 0 <= kb < 1 << 40 else 0
        subject = "the module" if during_import else "the function"
        if self.sandbox.get("error"):
            return Outcome("protocol", seconds=seconds,
                           message=f"the grader's sandbox could not be set up: {self.sandbox['error']}")
        if code < 0:
            name = _signal_name(-code)
            if -code == signal.SIGXCPU:
                cpu = self.limits.cpu_seconds or (self.limits.submission_seconds + self.limits.import_seconds)
                return Outcome("timeout", message=f"exceeded the time limit ({cpu:g} s of CPU time)", seconds=seconds)
            memory_signals = (signal.SIGKILL, signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT)
            if -code == signal.SIGKILL and self._cgroup is not None and self._cgroup.oom_kills() > self._oom_kills:
                return Outcome("memory", seconds=seconds, message=(
                    f"{self._memory(during_import)} for all of its processes together: the process was killed"))
            if -code in memory_signals and maxrss >= 0.5 * self.limits.memory_mb * 1024 * 1024:
                return Outcome("memory", message=f"{self._memory(during_import)}: the process was killed by {name}",
                               seconds=seconds)
            return Outcome("crashed", message=f"the process was killed by {name}", seconds=seconds)
        return Outcome("exited", message=f"{subject} ended the process (exit code {code})", seconds=seconds)
