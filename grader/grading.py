"""Cases → sandboxed calls → verdicts: grading one submission, with the one driver (`execute`)
that `grade`, the student kit's `check`, `validate` and the Gradescope self-test all run.

The child computes, the parent judges: the boundary returns plain data, and every comparison
happens here (judging.py), against expected values the child never saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from grader.assignment import Assignment, Case
from grader.boundary.imports import Imports
from grader.boundary.outcome import Call, Outcome
from grader.boundary.session import ChildSession
from grader.environment import installed_folders, resolve
from grader.judging import CheckResult, JudgingClock, feedback, judge, with_dependencies
from grader.notebook import prepared
from grader.rubric import Limits, Rubric, Submission, Visibility
from grader.sandbox.report import SandboxReport
from grader.sandbox.seal import seal
from grader.submission import Companions, companions, locate

if TYPE_CHECKING:
    from grader.boundary.prefetch import Prefetch

__all__ = ["CheckResult", "Execution", "Report", "execute", "execution_order", "feedback", "grade", "judge",
           "planned_calls"]


# Visible checks run first: a submission that remembers a hidden input can then never
# show it in a visible check's message (one child serves all of a submission's checks).
_RUN_ORDER = {"visible": 0, "after_published": 1, "after_due_date": 2, "hidden": 3}


def execution_order(cases: Sequence[Case]) -> list[Case]:
    return sorted(cases, key=lambda case: _RUN_ORDER[case.visibility])


def planned_calls(cases: Sequence[Case], limits: Limits) -> list[Call]:
    """The requests of `cases` (packed once per case), each with its time limit; one group per
    visibility class, so that a submission never sees a later class's inputs early."""
    calls = []
    for case in cases:
        seconds, group = case.check.call_seconds or limits.call_seconds, _RUN_ORDER[case.visibility]
        calls.append(Call(case.function, case.request, seconds, group))
        if case.upstream is not None:  # error carried forward: the student's own upstream output, right after
            calls.append(Call(case.upstream.function, case.upstream.request, seconds, group))
    return calls


@dataclass
class Execution:
    """What running one submission's calls left, besides each call's outcome."""

    submission: Path  # the file that ran (found in what was handed in)
    notes: list[str] = field(default_factory=list)  # e.g. what was dropped from a notebook
    import_error: str | None = None
    import_cause: str | None = None  # what ended a failed import: "timeout", "memory", ... (Outcome.cause)
    student_output: str = ""
    student_output_shown: str = ""  # what `shown` may see of it: nothing a later group's call printed
    output_cut: int = 0  # bytes of the submission's output not kept
    sandbox: SandboxReport | None = None  # the protections the child reported
    sandbox_summary: str = ""
    sandbox_weak: bool = False  # a protection did not hold (or the sandbox was off)
    files: Companions = field(default_factory=Companions)  # the submission's other files: used, left out


@dataclass
class Report(Execution):
    """Everything about one graded submission, before it becomes results.json: what running it
    left, and each check's judgement."""

    assignment: Assignment = field(kw_only=True)
    checks: list[CheckResult] = field(default_factory=list, kw_only=True)
    answers: dict[str, Outcome] = field(default_factory=dict, kw_only=True)  # manual question id -> its call
    seconds: float = field(default=0.0, kw_only=True)

    @property
    def score(self) -> float:
        """The checks' scores, each to the millionth as results.json writes it, added up: the
        results' score exactly."""
        return round(sum(round(c.score, 6) for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.case.points for c in self.checks), 6)


def execute(submission: Path, spec: Submission, limits: Limits, cases: Sequence[Case],
            each: Callable[[Case, Outcome, Outcome | None], None], *, shown: Visibility = "hidden",
            early: Prefetch | None = None, into: Execution | None = None, beside: bool | None = None,
            leave_out: Sequence[str] = (), imports: Imports | None = None) -> Execution:
    """Run `cases` on the submission, in execution order, and hand each case's outcome to `each`
    as it comes (a visibility group at a time), with its upstream call's outcome when the case
    carries errors forward (Case.upstream; else None). One child serves them all, restarted only after
    a call kills it. A notebook is converted to a module first (grader.notebook); messages that
    name a line of that module are mapped back to the notebook's cell and line. `early`: the
    same calls already started from a saved plan (prefetch.py), used only when they are exactly
    the calls prepared here. `into`: the record to fill in (a Report), else a new one.

    The files beside the graded one (helper modules, data) go into the child's folder too when a
    folder was handed in, or when `beside` says so (a student's own folder, `grader check`);
    `leave_out`: names at the top of that folder that are not the student's (the kit's own).
    `imports`: the third-party modules the student's code may import (the rubric's environment)."""
    ran = into if into is not None else Execution(locate(submission, spec.filename))
    path = ran.submission
    if beside if beside is not None else submission.is_dir():
        ran.files = companions(path, limits.file_mb << 20, limits.disk_mb << 19, leave_out)
    ordered = execution_order(cases)
    with prepared(path, spec.filename) as program:
        ran.notes += program.notes
        if program.error is not None:  # not a notebook that can run: like a syntax error
            ran.import_error = program.error
            failed = Outcome("import_failed", message=program.error)
            for case in ordered:
                each(case, failed, None)
            return ran
        calls = planned_calls(ordered, limits)
        first: Outcome | None = None
        stream: Iterator[Outcome] = iter(())
        if early is not None and not ran.files.files and early.take(program.path, spec, limits, calls, imports):
            session, first, stream = early.session, early.first, iter(early.outcomes)
        else:
            if early is not None:
                early.close()
            session = ChildSession(program.path, spec.module_name, limits, companions=ran.files.files, imports=imports)
        with session:
            if first is None:
                # The submission's time counts from its own child's start: never from a call
                # plan's run that was dropped (whose child stopped at its first untrusted outcome).
                deadline = time.perf_counter() + limits.submission_seconds
                first, stream = session.start(), session.run(calls, deadline)
            first = program.outcome(first)
            if not first.ok:
                ran.import_error, ran.import_cause = first.message, first.cause
            for case in ordered:
                outcome = program.outcome(next(stream).decoded())
                upstream = program.outcome(next(stream).decoded()) if case.upstream is not None else None
                each(case, outcome, upstream)
            if next(stream, None) is not None:
                raise RuntimeError("more outcomes than calls")
            ran.student_output = session.output.text()
            ran.student_output_shown = session.output.text(before_group=_RUN_ORDER[shown] + 1)
            ran.output_cut = session.output.total - len(session.output.kept)
            ran.sandbox = session.sandbox
            ran.sandbox_summary = session.sandbox_summary
            ran.sandbox_weak = bool(session.sandbox_weaknesses)
    return ran


def imports_of(rubric: Rubric) -> Imports:
    """What the rubric's environment lets the student's code import (grader/environment.py)."""
    environment = resolve(tuple(rubric.environment.packages))
    return Imports(environment.modules, environment.declared, installed_folders())


def grade(assignment: Assignment, submission: Path, on_check: Callable[[Report], None] | None = None,
          early: Prefetch | None = None) -> Report:
    """Grade one submission (`execute` with the rubric's cases, judged as they come).

    `on_check` is called after each check is judged (a supervisor keeps a fallback result up to
    date with it; checks are judged a visibility group at a time, once all of its answers are in).
    """
    rubric = assignment.rubric
    # The rubric and the reference's folder: by mode alone out of the sandbox uid's reach.
    seal([assignment.loaded.path, assignment.reference_path.parent])
    started = time.perf_counter()
    judges = assignment.judges()
    clock = JudgingClock(rubric.limits.judge_seconds, rubric.limits.submission_seconds)
    report = Report(locate(submission, rubric.submission.filename), assignment=assignment)

    collected = {case.key for case in assignment.answers}

    def each(case: Case, outcome: Outcome, upstream: Outcome | None) -> None:
        if case.key in collected:  # a manual question's answer: kept for the graders, never judged
            report.answers[case.question.id] = outcome
            return
        report.checks.append(clock.judge(case, outcome, judges, upstream))
        if on_check is not None:
            on_check(report)

    execute(submission, rubric.submission, rubric.limits, assignment.calls, each,
            shown=rubric.stdout_visibility, early=early, into=report, imports=imports_of(rubric))
    position = {case.key: i for i, case in enumerate(assignment.cases)}
    report.checks.sort(key=lambda result: position[result.case.key])  # back to the rubric's order
    report.checks[:] = with_dependencies(report.checks)
    report.seconds = time.perf_counter() - started
    return report
