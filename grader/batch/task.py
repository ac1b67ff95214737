"""One submission's grading as a self-contained task.

The same `grade_task` runs in a local process pool, in threads, or on a Dask worker: it
grades with `grader.grading.grade` (so the student's code runs in a fresh child process,
exactly as `grader grade` does) and returns the results JSON, never raising for a
submission's sake. The assignment (rubric, reference, prepared cases) is loaded once per
worker process and kept, keyed by its fingerprint.

This module imports nothing heavy at import time: a pool worker sets its environment
before numpy is loaded.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from grader.boundary.environment import one_blas_thread

if TYPE_CHECKING:
    from grader.assignment import Assignment
    from grader.grading import Report

Files = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class AssignmentSpec:
    """How a worker gets the assignment: its rubric path, or the files themselves."""

    rubric_path: str
    fingerprint: str
    files: Files  # the rubric and its reference, relative to their common folder
    rubric_name: str  # the rubric's path among `files`


@dataclass(frozen=True)
class Task:
    key: str
    path: str  # where the submission is on the machine that found it
    meta: dict[str, Any]  # stored with the results (extra_data.batch)
    files: Files | None = None  # its content, for workers that cannot see `path`


@dataclass(frozen=True)
class Done:
    key: str
    text: str  # the results JSON, as it is written
    status: str  # graded / error / timeout
    seconds: float
    answers: str | None = None  # what it returned, case by case (answers.py), for staff; None: nothing graded


def fingerprint(rubric: Path, reference: Path) -> str:
    """What a stored result was graded against: the rubric, the reference, the grader's version."""
    from grader import __version__

    digest = hashlib.sha256(f"numgrader {__version__}\0".encode())
    for label, path in (("rubric", rubric), ("reference", reference)):
        data = path.read_bytes()
        digest.update(f"{label}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def make_spec(assignment: Assignment) -> AssignmentSpec:
    rubric, reference = assignment.loaded.path.resolve(), assignment.reference_path.resolve()
    common = Path(os.path.commonpath([rubric.parent, reference.parent]))
    files = tuple((str(p.relative_to(common)), p.read_bytes()) for p in (rubric, reference))
    return AssignmentSpec(str(rubric), fingerprint(rubric, reference), files, files[0][0])


# -- the assignment, once per process ----------------------------------------------------

_assignments: dict[str, Assignment] = {}
_lock = threading.Lock()


def remember(assignment: Assignment, spec: AssignmentSpec) -> None:
    """Use an assignment this process has already loaded (thread pools share the parent's)."""
    with _lock:
        _assignments[spec.fingerprint] = assignment


def assignment_for(spec: AssignmentSpec) -> Assignment:
    with _lock:
        assignment = _assignments.get(spec.fingerprint)
        if assignment is None:
            assignment = _assignments[spec.fingerprint] = _load(spec)
        return assignment


def _load(spec: AssignmentSpec) -> Assignment:
    from grader.assignment import load_assignment

    path = Path(spec.rubric_path)
    if path.is_file():  # a shared file system, or the same machine
        assignment = load_assignment(path)
        if fingerprint(path, assignment.reference_path) == spec.fingerprint:
            return assignment
    root = Path(tempfile.mkdtemp(prefix="grader-assignment-"))
    atexit.register(shutil.rmtree, root, True)
    for name, data in spec.files:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return load_assignment(root / spec.rubric_name)


# -- grading one submission ----------------------------------------------------------------


def status_of(report: Report) -> str:
    """`timeout` when a time limit cut the grading short (a call, the import, the whole);
    `import error` when the file could not be loaded (a syntax error, an exception at import)."""
    if report.import_error is not None:
        return "timeout" if report.import_cause == "timeout" else "import error"
    timed_out = any(c.outcome.status in ("timeout", "not_run") for c in report.checks)
    return "timeout" if timed_out else "graded"


def question_scores(report: Report) -> dict[str, float]:
    """Each autograded question's score, summed before rounding (the tests' scores are rounded)."""
    scores: dict[str, float] = {}
    for check in report.checks:
        scores[check.case.question.id] = scores.get(check.case.question.id, 0.0) + check.score
    return {question: round(score, 6) for question, score in scores.items()}


@contextlib.contextmanager
def _materialized(task: Task) -> Iterator[Path]:
    if task.files is None:
        yield Path(task.path)
        return
    with tempfile.TemporaryDirectory(prefix="grader-submission-") as folder:
        root = Path(folder)
        top = root / Path(task.path).name
        for name, data in task.files:
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if not top.exists() and not task.files:
            top.mkdir()
        yield top


def failure(task: Task, message: str, seconds: float = 0.0, *, final: bool, status: str = "grader error",
            filename: str | None = None) -> Done:
    """A row without a score: the grader could not grade this submission (`final`: a rerun keeps
    it). With `filename`, the submission has no file to grade: the student's own message."""
    from grader.results import error_results, missing_file_results

    results = missing_file_results(message, filename) if filename is not None else error_results(message)
    results.execution_time = round(seconds, 3)
    results.extra_data["batch"] = {**task.meta, "status": status, "final": final}
    return Done(task.key, results.to_json(), status, seconds)


def grade_task(task: Task, spec: AssignmentSpec) -> Done:
    """Grade one submission; a problem with it, or a bug in the grader, becomes an error row."""
    from grader.batch.answers import record
    from grader.boundary import zygote
    from grader.errors import GraderError, MissingFile
    from grader.grading import grade
    from grader.late import applied
    from grader.results import to_results
    from grader.text import cap, clean

    zygote.start_shared()  # idempotent: a Dask worker gets its warm worker on its first task
    started = time.perf_counter()
    try:
        assignment = assignment_for(spec)
        with _materialized(task) as path:
            try:
                expected = assignment.rubric.submission.filename
                if not path.exists():  # nothing handed in (a Gradescope export lists the student anyway)
                    raise MissingFile(f"your submission holds no files (expected {expected})")
                report = grade(assignment, path)
            except GraderError as error:  # as Gradescope says it: not a path of this machine
                raise type(error)(str(error).replace(str(path), "your submission")) from None
        results = applied(to_results(report), assignment.rubric.late, task.meta.get("submitted_at"),
                          task.meta.get("due"))
        status = status_of(report)
        answers = record(report, task.meta)
    except MissingFile as error:  # misnamed, or not handed in: the same message as on Gradescope
        return failure(task, str(error), time.perf_counter() - started, final=True, status="missing file",
                       filename=assignment.rubric.submission.filename)
    except GraderError as error:  # the submission itself cannot be graded (unreadable, ...)
        return failure(task, str(error), time.perf_counter() - started, final=True, status="error")
    except Exception as error:  # the grader's own failure: reported, retried by the next run
        message = f"internal error: {type(error).__name__}: {error}"
        return failure(task, message, time.perf_counter() - started, final=False)
    results.extra_data["batch"] = {**task.meta, "status": status, "final": True,
                                   "questions": question_scores(report)}
    if report.import_error is not None:
        results.extra_data["batch"]["import_error"] = clean(cap(report.import_error))
    return Done(task.key, results.to_json(), status, time.perf_counter() - started, answers)


# -- local process-pool workers --------------------------------------------------------------

_spec: AssignmentSpec | None = None
_in_task = False


class _Stop(BaseException):
    """Raised in a pool worker by SIGTERM: unwinds `grade`, so its child process is killed."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    if _in_task:
        raise _Stop
    os._exit(128 + signum)


def _watch_parent(parent: int) -> None:
    """A worker whose batch died (kill -9) stops too, after cleaning up its student process."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)


def init_worker(spec: AssignmentSpec, parent: int) -> None:
    """Process-pool initializer: signals, one BLAS thread, the assignment loaded up front (or
    inherited, in a worker forked from the batch)."""
    global _spec
    _spec = spec
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch decides what a Ctrl-C stops
    signal.signal(signal.SIGTERM, _on_sigterm)
    one_blas_thread(os.environ)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-parent").start()
    # A warm worker (a fresh interpreter that imported numpy, never the reference) forks each
    # student's child: started before the assignment is loaded, so it boots meanwhile. A
    # worker forked from the batch first forgets any warm worker the batch had.
    from multiprocessing import util

    from grader.boundary import zygote
    from grader.sandbox import cgroup

    zygote.forget_inherited()
    zygote.start_shared()
    # A forked worker ends with os._exit, without atexit: stop the warm worker (and wait for
    # it, so its CPU is this worker's) from multiprocessing's own exit hook, which both run.
    util.Finalize(None, zygote.stop_shared, exitpriority=10)
    util.Finalize(None, cgroup.remove_idle, exitpriority=9)  # after the warm worker: its children are gone
    with contextlib.suppress(Exception):  # a failure is reported by the first task instead
        assignment_for(spec)


def pool_task(task: Task, work: Callable[[Task, AssignmentSpec], Done] | None = None) -> Done:
    """One task in a pool worker: `work` (a module-level function, default grade_task) does it."""
    global _in_task
    assert _spec is not None, "init_worker was not run"
    _in_task = True
    try:
        return (work or grade_task)(task, _spec)
    except _Stop:
        os._exit(128 + signal.SIGTERM)
    finally:
        _in_task = False
