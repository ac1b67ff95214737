"""The worker: grades the container's submission inside the budgets and hands its results.json
to the supervisor; before grading it leaves the fallback the supervisor writes if it dies."""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.errors import GraderError
from grader.files import write_atomically
from grader.gradescope.budgets import container_memory_mb, fit_to_gradescope, memory_budget
from grader.gradescope.container import AutograderPaths, read_submission_metadata
from grader.gradescope.memory import peak_rss_mb

if TYPE_CHECKING:
    from collections.abc import Sequence

    from grader.assignment import Assignment
    from grader.judging import CheckResult
    from grader.results import Results


# What the student reads in a check the run could not reach.
NOT_RUN_REASON = "the autograder stopped before this check; why is recorded in these results for course staff"
_PLACEHOLDER = "(filled in by the supervisor)"


def not_run_results(assignment: Assignment, submission: Path, done: Sequence[CheckResult] = ()) -> Results:
    """The supervisor's fallback: the checks `done` so far, every other check listed as not run,
    plus a hidden grader-error test."""
    from grader.boundary.outcome import Outcome
    from grader.grading import Report
    from grader.judging import judge
    from grader.results import error_results, to_results

    report = Report(submission, assignment=assignment)
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


def _grade_here(paths: AutograderPaths, name: str | None, container_mb: int, grading_deadline: float,
                work_dir: Path | None, info: dict[str, Any]) -> Results:
    from grader.assignment import load_assignment
    from grader.files import write_atomically
    from grader.grading import Report, grade
    from grader.late import applied
    from grader.results import to_results
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

    # The folder, not the file: its helper modules and data go with it, as in `grader grade FOLDER`.
    report = grade(fitted, paths.submission, on_check=keep_fallback_current)
    meta = read_submission_metadata(paths.metadata)  # the late policy's times: Gradescope's, extensions too
    results = applied(to_results(report), assignment.rubric.late, meta.get("created_at"), meta.get("own_due_date"),
                      meta.get("due_date"))
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
    info["peak_rss_mb"] = peak_rss_mb()
    results.extra_data["gradescope"] = read_submission_metadata(paths.metadata)
    results.extra_data["autograder"] = info
    write_atomically(out, results.to_json())
    return results
