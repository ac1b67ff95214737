"""The parent's side of the process boundary: start a child, send calls, enforce limits.

A `ChildSession` runs one submission. Each call waits at most its time limit; a call that
hangs, crashes, runs out of memory or ends the process fails with a message that says
which, and the next call gets a fresh child. The student's prints are captured (and
capped), never shown on the grader's own output.

The child is sandboxed (grader/sandbox/ decides how and applies it in the child): the session
holds a uid of its own when the grader is root, hands the child its plan, and reads on a
private status pipe (status.py) which protections held and how the student's process ended.
The submission file is vetted before anything runs (source.py). How a child starts is
launch.py's; the pipelined exchange is channel.py's; what an answer means is decided here.
Where the sandbox and the warm worker cannot exist (Windows, macOS), the same session runs the
child portably (portable.py): spawned, its pipes read by threads, not confined.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.boundary import channel, launch, pipes, portable, protocol, zygote
from grader.boundary.channel import Answer, Closed, Event, NotRun, OutputCapture, TimedOut, TooLarge, Trailing
from grader.boundary.environment import child_environment, signal_name
from grader.boundary.imports import Imports
from grader.boundary.outcome import RESTART_AFTER, Call, Outcome, Status, pack_call, unreadable
from grader.boundary.processes import ChildProcess
from grader.boundary.protocol import ChildConfig
from grader.boundary.source import read_submission
from grader.boundary.status import StatusPipe
from grader.sandbox import report as sandbox_report
from grader.sandbox.copies import copy_into
from grader.sandbox.host import enabled as sandbox_enabled
from grader.sandbox.report import SandboxReport
from grader.text import cap

if TYPE_CHECKING:
    from grader.rubric import Limits
    from grader.sandbox.resources import SessionSandbox

log = logging.getLogger("grader.boundary")

F_SETPIPE_SZ = 1031


class ChildSession:
    """One submission's child process, restarted after a call that killed it."""

    def __init__(self, submission: Path, module: str, limits: Limits, *, hide: Sequence[Path] = (),
                 warm: zygote.Zygote | None = None, decode: bool = True,
                 companions: Sequence[tuple[str, bytes]] = (), imports: Imports | None = None) -> None:
        """`hide`: folders the child must never see, besides the project's own (sandbox.view.hidden_paths).
        `warm`: the zygote to fork children from; by default the process's shared one if it has
        one (zygote.serving / start_shared), else each child is spawned. `decode=False`: answers'
        values stay raw until Outcome.decoded() (no numpy needed to run calls). `companions`: the
        submission's other files (helper modules, data), as (path relative to the file's folder,
        content), vetted by the caller (submission.companions); the child finds them beside it.
        `imports`: the third-party modules the child's code may import (none given: any)."""
        self.limits = limits
        self.module = module
        self.output = OutputCapture(limits.output_kb * 1024)
        self.sandbox: SandboxReport | None = None  # what the last child reported about its protections
        self._decode = decode
        self._cancelled = False
        self.portable = portable.active()
        self._launchers: list[launch.Launcher] = [launch.Spawn()] if self.portable else [
            launch.ZygoteFork(warm), launch.Spawn()]
        self._hide = tuple(hide)
        self._process: ChildProcess | None = None
        self._pipes: pipes.Pipes | None = None
        self._import_failure: Outcome | None = None
        self._status: StatusPipe | None = None
        # The student's working folder (the same path inside the sandbox), and a private one
        # of ours: the pristine copy of the file, and where the child mounts its new root.
        self._workdir = Path(tempfile.mkdtemp(prefix="grader-"))
        self._private = Path(tempfile.mkdtemp(prefix="grader-private-"))
        self._submission = self._workdir / submission.name
        self._source = self._private / "source.py"
        self._companions = [(name, self._private / "files" / name) for name, _ in companions]
        self._imports = imports
        self._sandbox: SessionSandbox | None = None
        try:
            data, problem = read_submission(submission, int(limits.source_mb * 1024 * 1024))
            if data is None:
                self._import_failure = Outcome("import_failed", message=problem or "cannot be read")
                return
            self._source.write_bytes(data)
            for (_, pristine), (_, content) in zip(self._companions, companions, strict=True):
                pristine.parent.mkdir(parents=True, exist_ok=True)
                pristine.write_bytes(content)
            if not self.portable:  # (the sandbox's modules need Linux: imported only where it runs)
                from grader.sandbox.resources import SessionSandbox

                self._sandbox = SessionSandbox(limits)
        except BaseException:
            self.close()
            raise

    @property
    def message_limit(self) -> int:
        return int(self.limits.message_mb * 1024 * 1024)

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> Outcome:
        """Start a child and import the submission; the outcome says whether it worked."""
        if self._import_failure is not None:
            return self._import_failure
        self._fresh_workdir()
        config: ChildConfig = {"submission": str(self._submission), "module": self.module,
                               "message_limit": self.message_limit}
        if self._imports is not None:
            config["allowed_modules"], config["declared"] = list(self._imports.allowed), list(self._imports.declared)
            config["installed"] = list(self._imports.installed)
        env = child_environment()
        env["HOME"] = env["TMPDIR"] = str(self._workdir)
        status_write = None
        if self._sandbox is not None and self._sandbox.enabled:
            self._status = StatusPipe()
            status_write = self._status.write_fd
            plan = self._sandbox.plan(self._workdir, self._submission, self._source, self._private / "root",
                                      self._hide, tuple((name, str(path)) for name, path in self._companions))
            config["status_fd"], config["parent"], config["sandbox"] = status_write, os.getpid(), plan.to_json()
        try:
            self._process = launch.start(config, env, str(self._workdir), status_write, self._launchers)
        finally:
            if self._status is not None:
                self._status.close_write()
        assert self._process.stderr is not None
        if not self.portable:  # fewer wake-ups when a submission floods its output (Linux's fcntl)
            import fcntl

            with contextlib.suppress(OSError):
                fcntl.fcntl(self._process.stderr.fileno(), F_SETPIPE_SZ, 1 << 20)
        self._pipes = pipes.watch(self._process, self.portable)
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

    def _fresh_workdir(self) -> None:
        """Only a copy of the submission in the working folder, whatever a previous child left."""
        for entry in os.scandir(self._workdir):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        # Its own folder, for when there is no private filesystem (the jail copies them again there).
        copy_into(str(self._workdir), [(self._submission.name, str(self._source)),
                                       *((name, str(path)) for name, path in self._companions)],
                  self._sandbox.uid if self._sandbox is not None else None)

    def stop(self) -> None:
        """End the child and everything it started (SIGTERM makes the sandbox's P0 kill all)."""
        process, self._process = self._process, None
        if process is None:
            return
        sandboxed = self._status is not None
        forced = False
        if sandboxed and process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                forced = True
        if (not sandboxed or forced) and hasattr(os, "killpg"):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # its own session: everything it started too
        elif not sandboxed:
            with contextlib.suppress(OSError):
                process.kill()
        process.wait()
        watched, self._pipes = self._pipes, None
        if watched is not None and self.portable:
            self._last_prints(watched)
        if watched is None or watched.close():
            for stream in (process.stdin, process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
        process.close()
        if self._status is not None:
            self._status.close()
            self._take_report()
            self._status = None
        if self._sandbox is not None and (forced or self.sandbox is None or not self.sandbox.pid_namespace):
            self._sandbox.sweep()
        if self._sandbox is not None and (self.sandbox is None or not self.sandbox.filesystem_isolated):
            # What it left in /tmp, /var/tmp, /dev/shm is not the next submission's to find.
            self._sandbox.sweep_files((self._workdir, self._private))

    def _last_prints(self, watched: pipes.Pipes) -> None:
        """What the child printed last and a reader thread had not passed on yet (portable mode: the
        answer's thread may overtake the prints' thread): kept until the prints' pipe ends, or is
        quiet for a moment (a process the student left behind may hold it open), half a second at most."""
        until = time.perf_counter() + 0.5
        while (left := until - time.perf_counter()) > 0:
            chunk = watched.next(min(left, 0.05))
            if chunk is None or chunk == (pipes.PRINTS, b""):
                return
            if chunk[0] == pipes.PRINTS:
                self.output.add(chunk[1])

    def close(self) -> None:
        self.stop()
        if self._sandbox is not None:  # stop() swept already unless a pid namespace made it needless
            self._sandbox.release()
        shutil.rmtree(self._workdir, ignore_errors=True)
        shutil.rmtree(self._private, ignore_errors=True)

    def _read_status(self) -> None:
        if self._status is not None:
            self._status.read()
            self._take_report()

    def _take_report(self) -> None:
        if self._status is not None and self._status.report is not None:
            self.sandbox = self._status.report

    @property
    def sandbox_weaknesses(self) -> list[str]:
        """The protections that did not hold for this submission (empty when all did)."""
        return sandbox_report.weaknesses(self._report_or_off())

    @property
    def sandbox_summary(self) -> str:
        """One line for instructors: the protections the submission ran under."""
        return sandbox_report.summary(self._report_or_off())

    def _report_or_off(self) -> SandboxReport | None:
        if self.portable:
            return SandboxReport.portable()
        if not sandbox_enabled():
            return SandboxReport.off()
        return self.sandbox

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
        number = signal.SIGTERM if self._status is not None else getattr(signal, "SIGKILL", signal.SIGTERM)
        with contextlib.suppress(OSError):
            process.signal_now(number)

    @staticmethod
    def _cancelled_outcome() -> Outcome:
        return Outcome("not_run", message="not run: grading was cancelled")

    def _not_run(self) -> Outcome:
        return Outcome("not_run", message=(
            f"not run: the submission's time limit ({self.limits.submission_seconds:g} s) was reached"))

    def _exchange(self, requests: Sequence[bytes], limits: Sequence[float], deadline: float = math.inf, *,
                  during_import: bool = False) -> list[Outcome]:
        """One outcome per entry of `limits` (fewer after one that leaves the channel unusable)."""
        assert self._process is not None and self._pipes is not None

        def interpret(event: Event) -> Outcome:
            if isinstance(event, Answer):
                return self._answer(event.payload, event.seconds, during_import)
            if isinstance(event, TimedOut):
                return self._timeout(event.limit, during_import)
            if isinstance(event, Closed):
                return self._died(during_import, event.seconds)
            if isinstance(event, TooLarge):
                return Outcome("too_large", message=self._too_large())
            if isinstance(event, Trailing):
                return Outcome("protocol", message="the process wrote unexpected data to the grader's channel")
            assert isinstance(event, NotRun)
            return self._not_run()

        return channel.exchange(self._pipes, requests, limits, deadline, self.message_limit, self.output,
                                interpret)

    def _timeout(self, limit: float, during_import: bool) -> Outcome:
        what = "importing the module" if during_import else "the call"
        text = f"exceeded the time limit ({limit:g} s)"
        return Outcome("timeout", message=f"{text} while {what}" if during_import else text, seconds=limit)

    def _too_large(self) -> str:
        return f"output too large (more than {self.limits.message_mb:g} MB)"

    def _memory(self, during_import: bool) -> str:
        from grader.sandbox.policy import memory_text

        text = f"exceeded the memory limit ({memory_text(self.limits)})"
        return f"{text} while importing the module" if during_import else text

    def _answer(self, payload: bytes, seconds: float, during_import: bool = False) -> Outcome:
        if self._decode:
            from grader.boundary import wire

            try:
                message = wire.unpack(payload)
            except wire.WireError as error:
                return unreadable(error, seconds)
        else:  # read only what the answer says; its value is decoded later (Outcome.decoded)
            try:
                message = protocol.read_json(payload)[0]["body"]
            except protocol.FrameError as error:
                return unreadable(error, seconds)
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
        maxrss = 0
        if self._status is not None:
            self._status.read()
            self._take_report()
            if self._status.exit is not None:  # the sandbox saw exactly how the student's process ended
                code, maxrss = self._status.exit.code, self._status.exit.maxrss_bytes
        subject = "the module" if during_import else "the function"
        if self.sandbox is not None and self.sandbox.error:
            return Outcome("protocol", seconds=seconds,
                           message=f"the grader's sandbox could not be set up: {self.sandbox.error}")
        if code < 0:
            name = signal_name(-code)
            if -code == getattr(signal, "SIGXCPU", None):
                cpu = self.limits.cpu_seconds or (self.limits.submission_seconds + self.limits.import_seconds)
                return Outcome("timeout", message=f"exceeded the time limit ({cpu:g} s of CPU time)", seconds=seconds)
            memory_signals = {getattr(signal, name, None) for name in ("SIGKILL", "SIGSEGV", "SIGBUS", "SIGABRT")}
            if -code == getattr(signal, "SIGKILL", None) and self._sandbox is not None and self._sandbox.oom_killed():
                return Outcome("memory", seconds=seconds, message=(
                    f"{self._memory(during_import)} for all of its processes together: the process was killed"))
            if -code in memory_signals and maxrss >= 0.5 * self.limits.memory_mb * 1024 * 1024:
                return Outcome("memory", message=f"{self._memory(during_import)}: the process was killed by {name}",
                               seconds=seconds)
            return Outcome("crashed", message=f"the process was killed by {name}", seconds=seconds)
        return Outcome("exited", message=f"{subject} ended the process (exit code {code})", seconds=seconds)
