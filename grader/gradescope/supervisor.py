"""Gradescope: grade inside the autograder container, and the budgets that keep it inside Gradescope's limits.

`grader gradescope build` writes the zip to upload (gradescope_build.py). In the container,
Gradescope runs `setup.sh` once (it ends with `grader gradescope selftest`), then
`run_autograder` for every submission, which calls `grader gradescope run`: read
/autograder/submission and /autograder/submission_metadata.json, write
/autograder/results/results.json. The root is /autograder, or `--root`, or the environment
variable GRADER_AUTOGRADER_ROOT (the tests run it in a temporary tree laid out the same way).

Never lose a result. `run` is a small supervisor (its own code uses the standard library only:
about 20 MB) that starts the grading in a worker process and waits for it, at most until the
run's deadline:
  - the worker grades and hands its results.json to the supervisor, which writes it into place;
  - a grader bug in the worker becomes `error_results`: a zero with a hidden test for instructors;
  - a worker that crashes, is killed (out of memory) or hangs past the deadline is replaced by
    the fallback the worker prepared after loading the rubric: every check listed as not run, and
    a hidden test saying what happened and the end of the worker's log;
  - `run_autograder` wraps `run` in coreutils `timeout` and writes static results if even the
    supervisor failed.

Budgets, from Gradescope's documented defaults (768 MB of memory per container, a 10 minute
overall time-out, both raised in the assignment's Autograder Settings; pass the new values to
the build as --memory-mb and --timeout):
  memory  the container holds the grader (GRADER_BASE_MB, plus MESSAGE_COPIES times the largest
          value a call may return, `limits.message_mb`) and the child, whose limit is the rubric's
          `limits.memory_mb`, capped to what is left. The container's own cgroup limit, when it
          is lower than the configured one, wins.
  time    the worker starts no check after `TimeBudget.grading_window` (the rubric's
          `submission_seconds` is capped to fit, so the checks left are recorded as not run);
          the supervisor stops the worker at `stop_after`; run_autograder's `timeout` stops the
          supervisor at `shell_after`; Gradescope's own time-out comes last.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.errors import GraderError
from grader.files import write_atomically

if TYPE_CHECKING:
    from collections.abc import Sequence

    from grader.assignment import Assignment
    from grader.grading import CheckResult
    from grader.results import Results
    from grader.rubric import Limits

DEFAULT_ROOT = Path("/autograder")
ROOT_VARIABLE = "GRADER_AUTOGRADER_ROOT"

# Gradescope's documented defaults (docs: "Troubleshooting"): 768 MB per container, 10 minutes.
GRADESCOPE_MEMORY_MB = 768
GRADESCOPE_TIMEOUT_S = 600.0

# The grader's own processes: the supervisor (~11 MB) and the worker with numpy, sympy, pydantic,
# the rubric, the reference and its cases (~85 MB peak for the course's second homework, Python 3.11); the rest
# is headroom (page tables, the shell, a larger rubric). The worker reports its peak in extra_data.
GRADER_BASE_MB = 128
# While the parent reads a returned value it holds it about four times over (the read buffer, the
# frame, its copy and the decoded value): measured 3.8x for a 60 MB array.
MESSAGE_COPIES = 4
# The least a child that imports numpy is given (it maps ~140 MB of address space on its own).
MIN_CHILD_MB = 256

# What the student reads in a check the run could not reach.
NOT_RUN_REASON = "the autograder stopped before this check; course staff have been told"
_PLACEHOLDER = "(filled in by the supervisor)"


# -- budgets ---------------------------------------------------------------------------------


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


@dataclass(frozen=True)
class TimeBudget:
    """Deadlines within Gradescope's overall time-out, in seconds from the start of the run."""

    timeout: float = GRADESCOPE_TIMEOUT_S

    @property
    def shell_after(self) -> float:
        """run_autograder's `timeout` ends the supervisor (600 s: at 590 s)."""
        return self.timeout - _clamp(0.02 * self.timeout, 1, 10)

    @property
    def stop_after(self) -> float:
        """The supervisor stops the worker and writes the fallback (600 s: at 540 s)."""
        return self.timeout - _clamp(0.10 * self.timeout, 2, 60)

    @property
    def grading_window(self) -> float:
        """The worker starts no check after this (600 s: 520 s), leaving time to write results."""
        return self.stop_after - _clamp(0.05 * self.timeout, 1, 20)


@dataclass(frozen=True)
class MemoryBudget:
    """How the container's memory is shared between the grader and the child."""

    container_mb: int
    grader_mb: int
    child_mb: int
    requested_mb: int  # the rubric's limits.memory_mb

    @property
    def capped(self) -> bool:
        return self.child_mb < self.requested_mb

    @property
    def needed_mb(self) -> int:
        """The container memory that would keep the rubric's own child limit."""
        return self.grader_mb + self.requested_mb

    def describe(self) -> str:
        text = (f"container {self.container_mb} MB: grader {self.grader_mb} MB "
                f"+ child limit {self.child_mb} MB = {self.grader_mb + self.child_mb} MB")
        if self.capped:
            text += f" (the rubric asks {self.requested_mb} MB: capped)"
        return text


def memory_budget(limits: Limits, container_mb: int) -> MemoryBudget:
    """The child's memory limit that fits the container beside the grader; raises if none does."""
    grader_mb = GRADER_BASE_MB + math.ceil(MESSAGE_COPIES * limits.message_mb)
    room = container_mb - grader_mb
    if room < MIN_CHILD_MB:
        raise GraderError(
            f"a {container_mb} MB container leaves the child {room} MB after the grader's {grader_mb} MB "
            f"({GRADER_BASE_MB} MB + {MESSAGE_COPIES} x limits.message_mb = {limits.message_mb:g} MB); "
            f"it needs at least {MIN_CHILD_MB} MB: lower limits.message_mb in the rubric, or raise the "
            f"container's memory in Gradescope's Autograder Settings and pass it as --memory-mb")
    return MemoryBudget(container_mb, grader_mb, min(limits.memory_mb, room), limits.memory_mb)


def cgroup_memory_limit_mb(proc_cgroup: Path = Path("/proc/self/cgroup"),
                           mount: Path = Path("/sys/fs/cgroup")) -> int | None:
    """This process's cgroup memory limit in MB (the lowest on its path), or None if unlimited/unknown."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        lines = []
    candidates: list[Path] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        relative = Path(path.lstrip("/"))
        if hierarchy == "0" and controllers == "":  # cgroup v2
            base, name = mount, "memory.max"
        elif "memory" in controllers.split(","):  # cgroup v1
            base, name = mount / "memory", "memory.limit_in_bytes"
        else:
            continue
        for folder in (relative, *relative.parents):
            candidates.append(base / folder / name)
    candidates += [mount / "memory.max", mount / "memory" / "memory.limit_in_bytes"]
    limits = []
    for candidate in candidates:
        try:
            text = candidate.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 50:  # v1 writes a huge number for "no limit"
            limits.append(int(text) // (1024 * 1024))
    return min(limits) if limits else None


def container_memory_mb(configured: int) -> int:
    """The memory to plan for: the configured container size, or the cgroup's limit if lower."""
    detected = cgroup_memory_limit_mb()
    return configured if detected is None else min(configured, detected)


def fit_to_gradescope(assignment: Assignment, memory: MemoryBudget, seconds_left: float) -> Assignment:
    """The assignment with its child memory limit and submission time capped to the run's budgets.

    grade() stops starting calls at `submission_seconds`; a call that restarts the child may then
    still spend `import_seconds`, so that much is kept in reserve.
    """
    limits = assignment.rubric.limits
    # Whole seconds (what students read in "not run: the time limit (N s) was reached"), at least one.
    available = seconds_left - limits.import_seconds
    seconds = limits.submission_seconds if available >= limits.submission_seconds else max(math.floor(available), 1)
    fitted = limits.model_copy(update={"memory_mb": memory.child_mb, "submission_seconds": seconds})
    rubric = assignment.rubric.model_copy(update={"limits": fitted})
    return dataclasses.replace(assignment, loaded=dataclasses.replace(assignment.loaded, rubric=rubric))


# -- the container's layout ------------------------------------------------------------------


@dataclass(frozen=True)
class AutograderPaths:
    """Gradescope's layout under the root: source/, submission/, results/, submission_metadata.json."""

    root: Path

    @classmethod
    def resolve(cls, option: str | None) -> AutograderPaths:
        return cls(Path(option or os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT).absolute())

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def submission(self) -> Path:
        return self.root / "submission"

    @property
    def results(self) -> Path:
        return self.root / "results" / "results.json"

    @property
    def metadata(self) -> Path:
        return self.root / "submission_metadata.json"

    def rubric(self, name: str | None) -> Path:
        """source/rubrics/NAME.yaml; without a name, the only rubric there is."""
        folder = self.source / "rubrics"
        if name:
            path = folder / f"{name}.yaml"
            if not path.is_file():
                raise GraderError(f"no rubric {path}")
            return path
        found = sorted(folder.glob("*.yaml"))
        if len(found) != 1:
            raise GraderError(f"expected one rubric in {folder}, found {len(found)}: pass --assignment")
        return found[0]


def read_submission_metadata(path: Path) -> dict[str, Any]:
    """What is worth keeping of Gradescope's submission_metadata.json; never raises.

    Kept: the submission's id and time, the assignment's ids and due dates, the submitters' ids
    (not their names or e-mails) and how many submissions came before. A missing file gives {};
    a malformed one gives what could be read and a `metadata_problems` list.
    """
    if not path.exists():
        return {}
    problems: list[str] = []
    kept: dict[str, Any] = {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return {"metadata_problems": [f"unreadable: {type(error).__name__}: {str(error)[:200]}"]}
    if not isinstance(data, dict):
        return {"metadata_problems": [f"not a JSON object but {type(data).__name__}"]}

    def take(source: dict[str, Any], key: str, target: str, kinds: tuple[type, ...]) -> None:
        value = source.get(key)
        if value is None:
            return
        if isinstance(value, kinds) and not isinstance(value, bool):
            kept[target] = value
        else:
            problems.append(f"{key}: unexpected {type(value).__name__}")

    take(data, "id", "submission_id", (int, str))
    take(data, "created_at", "created_at", (str,))
    assignment = data.get("assignment")
    if isinstance(assignment, dict):
        for key, target in (("id", "assignment_id"), ("course_id", "course_id")):
            take(assignment, key, target, (int, str))
        for key in ("title", "due_date", "late_due_date"):
            take(assignment, key, key, (str,))
    elif assignment is not None:
        problems.append("assignment: not an object")
    users = data.get("users")
    own_due: list[str] = []  # each submitter's own due date (an extension), when Gradescope gives one
    if isinstance(users, list):
        for user in users:
            mine = user.get("assignment") if isinstance(user, dict) else None
            if isinstance(mine, dict) and isinstance(mine.get("due_date"), str):
                own_due.append(mine["due_date"])
        ids = [u.get("id") for u in users if isinstance(u, dict)]
        kept["user_ids"] = [i for i in ids if isinstance(i, int | str) and not isinstance(i, bool)]
        if len(kept["user_ids"]) != len(users):
            problems.append("users: some entries have no id")
    elif users is not None:
        problems.append("users: not a list")
    previous = data.get("previous_submissions")
    if isinstance(previous, list):
        kept["previous_submissions"] = len(previous)
    created, due = kept.get("created_at"), kept.get("due_date")
    if isinstance(created, str) and (own_due or isinstance(due, str)):
        try:
            # Late against the submitters' own due dates (extensions), the latest of a group's;
            # the assignment's only when Gradescope gives none per user.
            deadline = max(datetime.fromisoformat(d) for d in (own_due or [str(due)]))
            kept["late"] = datetime.fromisoformat(created) > deadline
            if own_due:
                kept["own_due_date"] = deadline.isoformat()
        except (ValueError, TypeError) as error:  # TypeError: one has a time zone, the other not
            problems.append(f"dates: {error}")
    if problems:
        kept["metadata_problems"] = problems
    return kept


# -- results that are not a grading report ---------------------------------------------------


def minimal_error_results(message: str) -> dict[str, Any]:
    """error_results(message) as plain data, for the supervisor (which never imports pydantic)."""
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output": "The autograder could not grade this submission. Course staff have been told; "
                  "please contact them.",
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [{
            "name": "Autograder error", "number": "0", "score": 0.0, "max_score": 0.0, "status": "failed",
            "output": message, "visibility": "hidden", "tags": ["grader-error"], "extra_data": {},
        }],
        "extra_data": {"grader_error": message},
    }


def not_run_results(assignment: Assignment, submission: Path, done: Sequence[CheckResult] = ()) -> Results:
    """The supervisor's fallback: the checks `done` so far, every other check listed as not run,
    plus a hidden grader-error test."""
    from grader.boundary.outcome import Outcome
    from grader.grading import Report, judge, to_results
    from grader.results import error_results

    report = Report(assignment, submission)
    outcome = Outcome("not_run", message=f"not run: {NOT_RUN_REASON}")
    finished = {result.case.key: result for result in done}
    report.checks = [finished.get(case.key) or judge(case, outcome, {}) for case in assignment.cases]
    results = to_results(report)
    error = error_results(_PLACEHOLDER)
    results.output = f"{error.output}\n{results.output}"
    results.tests += error.tests
    results.extra_data.update(error.extra_data)
    results.extra_data["not_run"] = [case.key for case in assignment.cases if case.key not in finished]
    return results


# -- the worker ------------------------------------------------------------------------------


def _peak_rss_mb() -> int:
    """This program's peak resident memory in MB.

    VmHWM, not ru_maxrss: on Linux ru_maxrss also counts what the launching process had
    resident when it forked this one (pytest's hundred MB, say).
    """
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)  # kB on Linux


def _grade_here(paths: AutograderPaths, name: str | None, container_mb: int, grading_deadline: float,
                work_dir: Path | None, info: dict[str, Any]) -> Results:
    from grader.assignment import load_assignment
    from grader.files import write_atomically
    from grader.grading import Report, grade, to_results
    from grader.submission import locate

    assignment = load_assignment(paths.rubric(name))
    if work_dir is not None:
        write_atomically(work_dir / "fallback.json", not_run_results(assignment, paths.submission).to_json())
    memory = memory_budget(assignment.rubric.limits, container_memory_mb(container_mb))
    fitted = fit_to_gradescope(assignment, memory, grading_deadline - time.time())
    limits = fitted.rubric.limits
    info.update(container_memory_mb=memory.container_mb, grader_memory_mb=memory.grader_mb,
                child_memory_mb=memory.child_mb, rubric_memory_mb=memory.requested_mb,
                submission_seconds=round(limits.submission_seconds, 3),
                rubric_submission_seconds=assignment.rubric.limits.submission_seconds)
    filename = assignment.rubric.submission.filename
    try:
        path = locate(paths.submission, filename)
    except GraderError as error:
        from grader.results import missing_file_results

        return missing_file_results(str(error).replace(str(paths.submission), "your submission"), filename)
    info["graded_file"] = str(path.relative_to(paths.submission)) if path.is_relative_to(paths.submission) \
        else str(path)
    def keep_fallback_current(partial: Report) -> None:
        # A crash or hang from here on still keeps the checks already scored.
        if work_dir is not None:
            write_atomically(work_dir / "fallback.json",
                             not_run_results(assignment, paths.submission, partial.checks).to_json())

    report = grade(fitted, path, on_check=keep_fallback_current)
    results = to_results(report)
    not_run = [r.case.key for r in report.checks if r.outcome.status == "not_run"]
    if not_run:
        info["not_run"] = not_run
        capped = limits.submission_seconds < assignment.rubric.limits.submission_seconds
        why = "the autograder's time on Gradescope ran out" if capped else \
            f"the submission's time limit ({limits.submission_seconds:g} s) was reached"
        results.output += f"\n{len(not_run)} check(s) were not run: {why}."
    return results


def work(paths: AutograderPaths, name: str | None, container_mb: int, grading_deadline: float,
         out: Path, work_dir: Path | None = None) -> Results:
    """Grade the container's submission and write the results to `out`; a grader bug becomes error_results."""
    from grader import __version__
    from grader.results import error_results

    started = time.perf_counter()
    info: dict[str, Any] = {"grader_version": __version__}
    try:
        results = _grade_here(paths, name, container_mb, grading_deadline, work_dir, info)
    except GraderError as error:  # a rubric or set-up problem: instructors must fix it
        results = error_results(str(error), time.perf_counter() - started)
    except Exception as error:
        message = f"internal error, please report it: {type(error).__name__}: {error}\n\n{traceback.format_exc()}"
        results = error_results(message, time.perf_counter() - started)
    info["peak_rss_mb"] = _peak_rss_mb()
    results.extra_data["gradescope"] = read_submission_metadata(paths.metadata)
    results.extra_data["autograder"] = info
    write_atomically(out, results.to_json())
    return results


# -- the supervisor --------------------------------------------------------------------------


class _Terminated(Exception):
    """SIGTERM (run_autograder's `timeout`) reached the supervisor."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated(signum)


def _become_subreaper() -> None:
    """Adopt the worker's orphans (a double-forked child), so they can be found and stopped."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER (Linux)


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (Linux); empty where there is no /proc."""
    parents: dict[int, int] = {}
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()  # the name may hold spaces and brackets
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _stop_descendants(keep: set[int]) -> None:
    """SIGKILL every process below this one that was not there before the worker started, and reap them."""
    for _ in range(10):
        left = _descendants(os.getpid()) - keep
        if not left:
            return
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for _ in range(50):  # our own children (the worker, adopted orphans) are reaped here
            waiting = False
            for pid in left:
                try:
                    done, _status = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:  # not our child, or reaped already
                    continue
                waiting = waiting or done == 0
            if not waiting:
                break
            time.sleep(0.01)


def _exit_problem(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        return f"the grader was killed by {name}{hint}"
    return f"the grader exited with status {code} without results"


def _accept(path: Path) -> str | None:
    """The worker's results, if they are there and look like results, with the supervisor's peak memory."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not (isinstance(data, dict) and isinstance(data.get("score"), int | float)
            and isinstance(data.get("tests"), list) and isinstance(data.get("extra_data"), dict)):
        return None
    info = data["extra_data"].get("autograder")
    if isinstance(info, dict):
        info["supervisor_peak_rss_mb"] = _peak_rss_mb()
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def fallback_results(work_dir: Path, problem: str, metadata: dict[str, Any]) -> str:
    """The worker's prepared not-run results (or minimal ones), with what happened filled in."""
    data: Any = None
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError):
        data = json.loads((work_dir / "fallback.json").read_text(encoding="utf-8"))
    usable = isinstance(data, dict) and isinstance(data.get("tests"), list) and isinstance(data.get("extra_data"), dict)
    if not usable:
        data = minimal_error_results(problem)
    for test in data["tests"]:
        if isinstance(test, dict) and "grader-error" in test.get("tags", []):
            test["output"] = problem
    data["extra_data"]["grader_error"] = problem
    data["extra_data"]["gradescope"] = metadata
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _log_tail(log: Path, limit: int = 4000) -> str:
    try:
        data = log.read_bytes()
    except OSError:
        return ""
    text = data[-limit:].decode("utf-8", errors="replace")
    return ("..." if len(data) > limit else "") + text


def _run_worker(paths: AutograderPaths, name: str | None, budget: TimeBudget, memory_mb: int,
                work_dir: Path, started: float, keep: set[int]) -> str | None:
    """Start the worker and wait for it until the budget's stop; what went wrong, or None."""
    deadline = time.time() + budget.grading_window - (time.monotonic() - started)
    command = [sys.executable, "-m", "grader", "gradescope", "run", "--root", str(paths.root),
               "--timeout", repr(budget.timeout), "--memory-mb", str(memory_mb),
               "--worker-dir", str(work_dir), "--grading-deadline", repr(deadline)]
    if name:
        command += ["--assignment", name]
    with open(work_dir / "worker.log", "wb") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   cwd=work_dir, start_new_session=True)
        try:
            code = process.wait(max(0.0, budget.stop_after - (time.monotonic() - started)))
            return None if code == 0 else _exit_problem(code)
        except subprocess.TimeoutExpired:
            return (f"the grader did not finish within {budget.stop_after:g} s of the run "
                    f"(Gradescope's time-out: {budget.timeout:g} s) and was stopped")
        except _Terminated:
            return "the grader was stopped by SIGTERM (run_autograder's time-out?)"
        finally:
            _stop_descendants(keep)
            process.wait()


def supervise(paths: AutograderPaths, name: str | None, timeout: float, memory_mb: int) -> int:
    """Run the worker until the deadline; always leave a valid results.json. Exit 0 when it is written."""
    started = time.monotonic()
    written = False
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        paths.results.parent.mkdir(parents=True, exist_ok=True)
        paths.results.unlink(missing_ok=True)  # only this run's results may be left there
        keep = _descendants(os.getpid())
        _become_subreaper()
        with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as folder:
            work_dir = Path(folder)
            problem = _run_worker(paths, name, TimeBudget(timeout), memory_mb, work_dir, started, keep)
            sys.stdout.write(_log_tail(work_dir / "worker.log", 100_000))
            text = None if problem else _accept(work_dir / "results.json")
            if text is None:
                problem = problem or "the grader wrote no readable results"
                tail = _log_tail(work_dir / "worker.log")
                message = f"{problem}.\n\nThe end of its log:\n{tail}" if tail else f"{problem}."
                text = fallback_results(work_dir, message, read_submission_metadata(paths.metadata))
                print(f"grader gradescope run: {problem}; wrote the fallback results", file=sys.stderr)
            write_atomically(paths.results, text)
            written = True
    except BaseException as error:  # the last guard in Python: results, whatever happened here
        if written:
            return 0
        message = f"the autograder's supervisor failed: {type(error).__name__}: {error}"
        try:
            write_atomically(paths.results, json.dumps(minimal_error_results(message), indent=2) + "\n")
        except BaseException:
            return 2
        print(f"grader gradescope run: {message}", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


# -- the commands ----------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    paths = AutograderPaths.resolve(args.root)
    if args.worker_dir is None:
        return supervise(paths, args.assignment, args.timeout, args.memory_mb)
    from grader.sandbox.seal import seal

    # The answer key and the results, by mode alone out of the sandbox uid's reach (setup.sh sealed
    # the source once already; every run makes sure again).
    seal([paths.source, paths.results.parent])
    work_dir = Path(args.worker_dir)
    results = work(paths, args.assignment, args.memory_mb, args.grading_deadline, work_dir / "results.json",
                   work_dir)
    print(f"{args.assignment or 'assignment'}: {results.score:g} / {results.max_score:g} "
          f"in {results.execution_time:g} s")
    return 0


def _selftest(args: argparse.Namespace) -> int:
    from grader.assignment import load_assignment
    from grader.grading import grade

    paths = AutograderPaths.resolve(args.root)
    assignment = load_assignment(paths.rubric(args.assignment))
    memory = memory_budget(assignment.rubric.limits, container_memory_mb(args.memory_mb))
    fitted = fit_to_gradescope(assignment, memory, TimeBudget(args.timeout).grading_window)
    here = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="grader-selftest-") as folder:
        os.chdir(folder)  # as `run` does: the sandbox hides the grader's working directory from the child
        try:
            report = grade(fitted, assignment.reference_path)
        finally:
            os.chdir(here)
    failed = [r for r in report.checks if not r.passed]
    for result in failed:
        print(f"  {result.case.key}: {result.verdict.message or result.outcome.message}")
    name = assignment.rubric.assignment
    if failed:
        print(f"selftest: the reference fails {len(failed)} check(s) of {name} here", file=sys.stderr)
        return 1
    print(f"selftest: the reference passes all {len(report.checks)} checks of {name} "
          f"in {report.seconds:.2f} s; memory: {memory.describe()}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from grader.gradescope.build import main

    return main(args)


def _add_budget_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=GRADESCOPE_TIMEOUT_S,
                        help=f"Gradescope's overall time-out in seconds (default {GRADESCOPE_TIMEOUT_S:g})")
    parser.add_argument("--memory-mb", type=int, default=GRADESCOPE_MEMORY_MB,
                        help=f"Gradescope's container memory in MB (default {GRADESCOPE_MEMORY_MB})")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gradescope = commands.add_parser("gradescope", help="build a Gradescope autograder, or run inside one")
    actions = gradescope.add_subparsers(dest="gradescope_command", required=True)

    build = actions.add_parser("build", help="write the autograder zip to upload to Gradescope")
    build.add_argument("--assignment", required=True, help="assignment name (rubrics/NAME.yaml) or rubric path")
    build.add_argument("--out", default="autograder.zip", help="the zip to write (default autograder.zip)")
    _add_budget_options(build)
    build.set_defaults(run=_build)

    root_help = f"the autograder's root (default ${ROOT_VARIABLE}, else {DEFAULT_ROOT})"
    run = actions.add_parser("run", help="grade /autograder/submission into /autograder/results/results.json")
    run.add_argument("--root", help=root_help)
    run.add_argument("--assignment", help="rubric name in ROOT/source/rubrics (default: the only one)")
    _add_budget_options(run)
    run.add_argument("--worker-dir", help=argparse.SUPPRESS)
    run.add_argument("--grading-deadline", type=float, default=math.inf, help=argparse.SUPPRESS)
    run.set_defaults(run=_run)

    selftest = actions.add_parser("selftest", help="grade the reference in this container: it must pass")
    selftest.add_argument("--root", help=root_help)
    selftest.add_argument("--assignment", help="rubric name in ROOT/source/rubrics (default: the only one)")
    _add_budget_options(selftest)
    selftest.set_defaults(run=_selftest)
