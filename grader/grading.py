"""Cases → sandboxed calls → verdicts → scored results: grading one submission.

The child computes, the parent judges: the runner returns plain data, and every
comparison happens here, against expected values the child never saw.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grader import comparators
from grader.assignment import Assignment, Case
from grader.boundary.outcome import Call, Outcome
from grader.boundary.session import ChildSession
from grader.comparators import CompareContext, Verdict
from grader.comparators.base import short
from grader.notebook import prepared
from grader.results import Results, TestResult, fit
from grader.rubric import Limits, check_key
from grader.sandbox.report import SandboxReport
from grader.sandbox.seal import seal
from grader.submission import locate
from grader.text import cap, clean, clean_tree
from grader.time_budget import OverBudget, time_budget

if TYPE_CHECKING:
    from grader.boundary.prefetch import Prefetch


@dataclass(frozen=True)
class CheckResult:
    """The judgement of one case."""

    case: Case
    score: float
    verdict: Verdict
    outcome: Outcome
    mistake: str | None = None
    judge_error: str | None = None  # the rubric's comparator or judge failed: for instructors

    @property
    def passed(self) -> bool:
        return self.outcome.ok and self.verdict.passed


@dataclass
class Report:
    """Everything about one graded submission, before it becomes results.json."""

    assignment: Assignment
    submission: Path
    checks: list[CheckResult] = field(default_factory=list)
    import_error: str | None = None
    student_output: str = ""
    student_output_shown: str = ""  # what stdout_visibility's readers may see of it (no hidden call's prints)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # e.g. what was dropped from a notebook
    sandbox: SandboxReport | None = None  # the protections the child reported
    sandbox_summary: str = ""
    sandbox_weak: bool = False  # a protection did not hold (or the sandbox was off)
    import_cause: str | None = None  # what ended a failed import: "timeout", "memory", ... (Outcome.cause)
    output_cut: int = 0  # bytes of the submission's output not kept

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.case.points for c in self.checks)


def _expected_for(case: Case) -> Any:
    """The reference's output, unless the check's judge declares it does not read it."""
    spec = case.check.compare
    return None if spec.name == "judge" and not spec.expected else case.expected_value()


def judge(case: Case, outcome: Outcome, judges: dict[str, Any], seconds: float = 5.0) -> CheckResult:
    """Score one case from what the child returned, in at most about `seconds` of the grader's
    time (limits.judge_seconds). Never raises."""
    if not outcome.ok:
        return CheckResult(case, 0.0, Verdict(0.0, cap(outcome.message)), outcome)
    if seconds <= 0:  # the submission's whole judging time is spent (JudgingClock)
        return CheckResult(case, 0.0, Verdict(0.0, "not judged: the grader's time for judging this submission "
                                                   "ran out"), outcome, judge_error="over the judging time budget")
    try:
        with time_budget(seconds):
            result = _judge(case, outcome, judges)
    except OverBudget:
        message = (f"your answer could not be read: judging it took longer than the grader allows "
                   f"({seconds:g} s)")
        return CheckResult(case, 0.0, Verdict(0.0, message), outcome, judge_error="over the judging time budget")
    return replace(result, verdict=replace(result.verdict, message=cap(result.verdict.message)),
                   judge_error=None if result.judge_error is None else cap(result.judge_error))


@dataclass
class JudgingClock:
    """The grader's time for judging one submission: `judge_seconds` a case, and `submission_seconds`
    for all of its cases together (N slow answers must not cost N budgets)."""

    per_case: float
    left: float

    def judge(self, case: Case, outcome: Outcome, judges: dict[str, Any]) -> CheckResult:
        started = time.perf_counter()
        try:
            return judge(case, outcome, judges, min(self.per_case, self.left))
        finally:
            self.left -= time.perf_counter() - started


def _judge(case: Case, outcome: Outcome, judges: dict[str, Any]) -> CheckResult:
    ctx = CompareContext(reveal=case.visibility == "visible", args=case.args, judges=judges)
    try:
        verdict = comparators.compare(case.check.compare, outcome.value, _expected_for(case), ctx)
    except Exception as error:  # a bug in the rubric or its judge must not cost a result
        text = f"{type(error).__name__}: {error}"
        return CheckResult(case, 0.0, Verdict(0.0, "this check could not be judged; course staff have been told"),
                           outcome, judge_error=text)
    mistake, credit = verdict.mistake, 0.0
    if not verdict.passed and mistake is None:
        for spec, wrong_output in zip(case.check.mistakes, case.mistakes, strict=True):
            try:
                matches = comparators.compare(case.check.compare, outcome.value, wrong_output[1], ctx).passed
            except Exception:
                matches = False
            if matches:
                mistake, credit = spec.name, spec.credit
                text = f"This looks like a known mistake: {spec.name}." + (f" {spec.message}" if spec.message else "")
                verdict = Verdict(verdict.fraction, text, spec.name)
                break
    # Full marks, else the comparator's fraction where the check allows partial credit,
    # or a recognized mistake's declared credit, whichever is more.
    partial = verdict.fraction if case.check.partial else 0.0
    fraction = 1.0 if verdict.passed else max(partial, credit)
    return CheckResult(case, case.points * fraction, verdict, outcome, mistake)


# Visible checks run first: a submission that remembers a hidden input can then never
# show it in a visible check's message (one child serves all of a submission's checks).
_RUN_ORDER = {"visible": 0, "after_published": 1, "after_due_date": 2, "hidden": 3}


def execution_order(cases: Sequence[Case]) -> list[Case]:
    return sorted(cases, key=lambda case: _RUN_ORDER[case.visibility])


def planned_calls(cases: Sequence[Case], limits: Limits) -> list[Call]:
    """The requests of `cases` (packed once per case), each with its time limit; one group per
    visibility class, so that a submission never sees a later class's inputs early."""
    return [Call(case.function, case.request, case.check.call_seconds or limits.call_seconds,
                 _RUN_ORDER[case.visibility]) for case in cases]


def outcomes(session: ChildSession, cases: Sequence[Case], limits: Limits, deadline: float,
             translate: Callable[[Outcome], Outcome] = lambda outcome: outcome) -> Iterator[Outcome]:
    """Each case's outcome, in order; the cases left when the submission's time is up are not run."""
    for outcome in session.run(planned_calls(cases, limits), deadline):
        yield translate(outcome)


def grade(assignment: Assignment, submission: Path, on_check: Callable[[Report], None] | None = None,
          early: Prefetch | None = None) -> Report:
    """Grade one submission: one child process, restarted only after a call kills it.

    A notebook is converted to a module first (grader.notebook); messages that name a line
    of that module are mapped back to the notebook's cell and line. `on_check` is called
    after each check is judged (a supervisor keeps a fallback result up to date with it;
    checks are judged a visibility group at a time, once all of its answers are in). `early`: the
    same calls already started from a saved plan (prefetch.py); used only when they are
    exactly the calls prepared here.
    """
    rubric = assignment.rubric
    # The rubric and the reference's folder: by mode alone out of the sandbox uid's reach.
    seal([assignment.loaded.path, assignment.reference_path.parent])
    path = locate(submission, rubric.submission.filename)
    report = Report(assignment, path)
    started = time.perf_counter()
    judges = assignment.judges()
    clock = JudgingClock(rubric.limits.judge_seconds, rubric.limits.submission_seconds)
    with prepared(path, rubric.submission.filename) as program:
        report.notes += program.notes
        if program.error is not None:  # not a notebook that can run: like a syntax error
            report.import_error = program.error
            failed = Outcome("import_failed", message=program.error)
            report.checks += [clock.judge(case, failed, judges) for case in assignment.cases]
            report.seconds = time.perf_counter() - started
            return report
        cases = execution_order(assignment.cases)
        calls = planned_calls(cases, rubric.limits)
        first: Outcome | None = None
        stream: Iterator[Outcome] = iter(())
        if early is not None and early.take(program.path, rubric, calls):
            session, first, stream = early.session, early.first, iter(early.outcomes)
        else:
            session = ChildSession(program.path, rubric.submission.module_name, rubric.limits)
        with session:
            if first is None:
                # The submission's time counts from its own child's start: never from a call
                # plan's run that was dropped (whose child stopped at its first untrusted outcome).
                deadline = time.perf_counter() + rubric.limits.submission_seconds
                first, stream = session.start(), session.run(calls, deadline)
            first = program.outcome(first)
            if not first.ok:
                report.import_error, report.import_cause = first.message, first.cause
            for case, outcome in zip(cases, stream, strict=True):
                report.checks.append(clock.judge(case, program.outcome(outcome.decoded()), judges))
                if on_check is not None:
                    on_check(report)
            report.student_output = session.output.text()
            report.student_output_shown = session.output.text(before_group=_RUN_ORDER[rubric.stdout_visibility] + 1)
            report.output_cut = session.output.total - len(session.output.kept)
            report.sandbox = session.sandbox
            report.sandbox_summary = session.sandbox_summary
            report.sandbox_weak = bool(session.sandbox_weaknesses)
    position = {case.key: i for i, case in enumerate(assignment.cases)}
    report.checks.sort(key=lambda result: position[result.case.key])  # back to the rubric's order
    report.seconds = time.perf_counter() - started
    return report


def _call_text(case: Case) -> str:
    if not case.args:
        return f"{case.function}()"
    if case.visibility != "visible":
        return f"{case.function}({', '.join(case.args)}) on hidden inputs"
    shown = ", ".join(f"{name}={short(value, 120)}" for name, value in case.args.items())
    return f"{case.function}({shown})"


def feedback(result: CheckResult) -> str:
    """The text a student reads under a check."""
    case = result.case
    if result.passed:
        return "Passed."
    lines = [f"Call: {_call_text(case)}"]
    if result.verdict.message:
        lines.append(result.verdict.message)
    if case.check.feedback:
        lines.append(f"Hint: {case.check.feedback.strip()}")
    return "\n".join(lines)


def _instructor_note(name: str, text: str, tag: str) -> TestResult:
    """A zero-point test only instructors see (Gradescope shows hidden tests to staff), marked
    failed: it reports a problem, and a 0/0 test without a status would show as passed."""
    return TestResult(name=name, number="0", score=0.0, max_score=0.0, status="failed", output=text,
                      visibility="hidden", tags=[tag])


# What a check says when the submission could not be imported: the reason is written once, at the top.
IMPORT_POINTER = "Not run: your file could not be loaded (the reason is at the top of these results)."


def to_results(report: Report) -> Results:
    """The Gradescope results of a report; manual questions are listed, not scored.

    Never raises, and always fits `limits.results_kb`: every text derived from the submission is
    cleaned (grader.text.clean), texts too long for the budget are cut (results.fit, which says
    so), and if building the full results fails, the scores already judged are still returned."""
    budget = report.assignment.rubric.limits.results_kb * 1024
    try:
        return fit(_full_results(report), budget)
    except Exception as error:  # a grader bug must not cost the checks already judged
        return fit(_scores_only(report, error), budget)


def _full_results(report: Report) -> Results:
    rubric = report.assignment.rubric
    tests: list[TestResult] = []
    for result in report.checks:
        case = result.case
        tags = [case.function, case.question.id] + ([f"mistake:{result.mistake}"] if result.mistake else [])
        extra: dict[str, Any] = {"check": case.key, "function": case.function, "outcome": result.outcome.status,
                                 "fraction": round(result.verdict.fraction, 6)}
        if result.mistake:
            extra["mistake"] = result.mistake
        if result.judge_error:
            extra["judge_error"] = clean(result.judge_error)
        not_loaded = result.outcome.status == "import_failed" and report.import_error is not None
        output = f"Call: {_call_text(case)}\n{IMPORT_POINTER}" if not_loaded else feedback(result)
        tests.append(TestResult(
            name=f"{case.question.id} {case.question.name}: {case.name}",
            number=case.question.id,
            score=round(result.score, 6),
            max_score=round(case.points, 6),
            status="passed" if result.passed else "failed",
            output=clean(output),
            visibility=case.visibility,
            tags=tags,
            extra_data=extra,
        ))
    manual = [q for q in rubric.questions if q.manual]
    for question in manual:
        tests.append(TestResult(
            name=f"{question.id} {question.name} (graded by course staff)",
            number=question.id, score=0.0, max_score=0.0, status=None,
            output=f"This question is graded by hand ({question.points:g} points), not by the autograder."
                   + (f"\n{question.description.strip()}" if question.description else ""),
            visibility="visible", tags=["manual", question.id],
            extra_data={"manual": True, "points": question.points},
        ))
    visible = [r for r in report.checks if r.case.visibility == "visible"]
    if len(visible) == len(report.checks):
        summary = [f"Autograded score: {report.score:g} / {report.max_score:g}."]
    else:  # the total would tell a student how the hidden checks went: an oracle before the due date
        seen, seen_max = sum(r.score for r in visible), sum(r.case.points for r in visible)
        summary = [f"Visible checks: {seen:g} / {seen_max:g}. Hidden checks are scored too; "
                   "their results and the total are shown later."]
        tests.append(TestResult(
            name="Autograded total (visible and hidden checks)", number="0", status=None,
            output=f"Autograded score: {report.score:g} / {report.max_score:g}.",
            visibility=rubric.totals_visibility, tags=["total"]))
    if report.student_output_shown.strip():
        tests.append(TestResult(
            name="What your code printed", number="0", status=None, output=clean(report.student_output_shown),
            visibility=rubric.stdout_visibility, tags=["stdout"]))
    if report.import_error:
        summary.append(f"Your file could not be loaded, so every check failed: {cap(report.import_error, 4000)}")
    summary += report.notes
    if manual:
        listed = ", ".join(f"{q.id} ({q.points:g} points)" for q in manual)
        summary.append(f"Graded by course staff, not included above: {listed}.")
    judge_errors = [r.case.key for r in report.checks if r.judge_error]
    extra_data: dict[str, Any] = {"assignment": rubric.assignment, "student_output": clean(report.student_output)}
    if report.output_cut:
        extra_data["student_output_cut_bytes"] = report.output_cut
    if report.sandbox_summary:
        held = report.sandbox.to_json() if report.sandbox is not None else {}
        extra_data["sandbox"] = clean_tree({**held, "summary": report.sandbox_summary})
        if report.sandbox_weak:
            tests.append(_instructor_note("Sandbox protections", clean(report.sandbox_summary), "sandbox"))
    if judge_errors:
        extra_data["judge_errors"] = {r.case.key: clean(r.judge_error) for r in report.checks if r.judge_error}
        details = "\n".join(f"{key}: {error}" for key, error in extra_data["judge_errors"].items())
        tests.append(_instructor_note("Checks the rubric could not judge", details, "judge-error"))
    results = Results(
        score=round(report.score, 6),
        execution_time=round(report.seconds, 3),
        output=clean("\n".join(summary)),
        visibility=rubric.visibility,
        tests=tests,
        leaderboard=_leaderboard(report) or None,
        extra_data=extra_data,
    )
    return results  # fit() serializes it to measure it: if that fails, to_results falls back to the scores


def _leaderboard(report: Report) -> list[dict[str, Any]]:
    """The rubric's leaderboard columns, from the first case of each named check: the finite real
    number the submission returned (a one-element array counts) when that check passed (a wrong
    answer never tops the board), else no entry for that column."""
    entries = []
    for entry in report.assignment.rubric.leaderboard:
        result = next((r for r in report.checks if check_key(r.case.question, r.case.check) == entry.check), None)
        value = result.outcome.value if result is not None and result.passed else None
        if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
            value = value.item()
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                number = float(value)  # an int of 400 digits does not fit a float
            except OverflowError:
                continue
            if math.isfinite(number):
                entries.append({"name": entry.name, "value": number, "order": entry.order})
    return entries


def _scores_only(report: Report, error: Exception) -> Results:
    """The scores of the checks judged, without their feedback (the full results failed to build)."""
    why = cap(clean(f"{type(error).__name__}: {error}"), 500)
    tests = [TestResult(name=f"{r.case.question.id} {r.case.question.name}: {r.case.name}",
                        number=r.case.question.id, score=round(r.score, 6), max_score=round(r.case.points, 6),
                        status="passed" if r.passed else "failed", visibility=r.case.visibility,
                        output="The feedback of this check could not be written; its score stands.",
                        extra_data={"check": r.case.key})
             for r in report.checks]
    rubric = report.assignment.rubric
    tests.append(_instructor_note("Results could not be built in full", why, "grader-error"))
    return Results(score=round(sum(t.score for t in tests), 6), execution_time=round(report.seconds, 3),
                   output="The scores below stand, but the grader could not write their feedback; "
                          "course staff can see why in a hidden test.",
                   visibility=rubric.visibility, tests=tests,
                   extra_data={"results_error": why})
