"""Judging one case: what the child returned, against what the reference expects, in the
grader's own process and within the grader's time budget for it (limits.judge_seconds).

Also the text a student reads under a check (`feedback`): what was called, what was wrong,
the rubric's hint.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from grader import comparators
from grader.assignment import Case
from grader.authoring import Judge
from grader.boundary.outcome import Outcome
from grader.comparators import CompareContext, Verdict
from grader.comparators.base import short
from grader.rubric import Mistake
from grader.text import cap
from grader.time_budget import OverBudget, time_budget


@dataclass(frozen=True)
class CheckResult:
    """The judgement of one case."""

    case: Case
    score: float
    verdict: Verdict
    outcome: Outcome
    mistake: str | None = None
    judge_error: str | None = None  # the rubric's comparator or judge failed: for instructors
    failing_dependencies: tuple[str, ...] = ()  # functions of `check.depends_on` that fail checks of their own

    @property
    def passed(self) -> bool:
        return self.outcome.ok and self.verdict.passed


def _expected_for(case: Case) -> Any:
    """The reference's output, unless the check's judge declares it does not read it."""
    spec = case.check.compare
    return None if spec.name == "judge" and not spec.expected else case.expected_value()


def judge(case: Case, outcome: Outcome, judges: Mapping[str, Judge], seconds: float = 5.0,
          upstream: Outcome | None = None) -> CheckResult:
    """Score one case from what the child returned, in at most about `seconds` of the grader's
    time (limits.judge_seconds). `upstream`: the student's upstream call on the same inputs, for a
    case that carries errors forward (Case.upstream). Never raises."""
    if not outcome.ok:
        return CheckResult(case, 0.0, Verdict(0.0, cap(outcome.message)), outcome)
    if seconds <= 0:  # the submission's whole judging time is spent (JudgingClock)
        return CheckResult(case, 0.0, Verdict(0.0, "not judged: the grader's time for judging this submission "
                                                   "ran out"), outcome, judge_error="over the judging time budget")
    try:
        with time_budget(seconds):
            result = _judge(case, outcome, judges, upstream)
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

    def judge(self, case: Case, outcome: Outcome, judges: Mapping[str, Judge],
              upstream: Outcome | None = None) -> CheckResult:
        started = time.perf_counter()
        try:
            return judge(case, outcome, judges, min(self.per_case, self.left), upstream)
        finally:
            self.left -= time.perf_counter() - started


# Nobody is notified: the error goes into results.json for staff (results.py `_full_results`: the
# test's extra_data "judge_error", the results' extra_data "judge_errors", and a hidden test
# "Checks the rubric could not judge"), and `grader validate` reports it.
NOT_JUDGED = ("this check could not be judged (a problem in the course's grader, not in your answer); the error "
              "is in the results for course staff")


def has_nonfinite(value: Any) -> bool:
    """Whether `value` is numbers (a number, a list, an array) of which some are NaN or inf."""
    array = _numbers(value)
    return array is not None and not bool(np.isfinite(array).all())


def _numbers(value: Any) -> np.ndarray | None:
    if value is None or isinstance(value, str | bytes | dict):  # (numpy would read "nan" as NaN)
        return None
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return None


def nonfinite_pattern(received: Any, wrong: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """For a mistake declared `nonfinite`: both values with their NaN and inf set to 0, when the
    student's answer has NaN, inf and -inf exactly where the mistake's output has them (axes of
    length 1 aside, as `numeric` reads shapes); None when it does not. The comparator then judges
    the finite entries, by its own rules."""
    got, want = _numbers(received), _numbers(wrong)
    if got is None or want is None or np.squeeze(got).shape != np.squeeze(want).shape:
        return None
    for where in (np.isnan, np.isposinf, np.isneginf):
        if not np.array_equal(np.squeeze(where(got)), np.squeeze(where(want))):
            return None
    return np.where(np.isfinite(got), got, 0.0), np.where(np.isfinite(want), want, 0.0)


def _matches_mistake(spec: Mistake, received: Any, wrong: Any, case: Case, ctx: CompareContext) -> bool:
    """Whether the student's answer is this known mistake's output, by the check's comparator."""
    if spec.nonfinite and has_nonfinite(wrong):  # NaN never equals NaN: match the pattern instead
        pattern = nonfinite_pattern(received, wrong)
        if pattern is None:
            return False
        received, wrong = pattern
    try:
        return comparators.compare(case.check.compare, received, wrong, ctx).passed
    except Exception:
        return False


def _judge(case: Case, outcome: Outcome, judges: Mapping[str, Judge], upstream: Outcome | None) -> CheckResult:
    ctx = CompareContext(reveal=case.visibility == "visible", args=case.args, judges=judges)
    try:
        verdict = comparators.compare(case.check.compare, outcome.value, _expected_for(case), ctx)
    except Exception as error:  # a bug in the rubric or its judge must not cost a result
        text = f"{type(error).__name__}: {error}"
        return CheckResult(case, 0.0, Verdict(0.0, NOT_JUDGED), outcome, judge_error=text)
    mistake, credit = verdict.mistake, 0.0
    if not verdict.passed and mistake is None:
        for spec, (_, wrong_output) in zip(case.check.mistakes, case.mistakes, strict=True):
            if _matches_mistake(spec, outcome.value, wrong_output, case, ctx):
                mistake, credit = spec.name, spec.credit
                text = f"This looks like a known mistake: {spec.name}." + (f" {spec.message}" if spec.message else "")
                verdict = Verdict(verdict.fraction, text, spec.name)
                break
    if not verdict.passed and case.upstream is not None and upstream is not None and upstream.ok:
        carried = _carried_forward(case, outcome, upstream, ctx)
        if carried is not None and case.upstream.credit > credit:
            verdict, credit = carried, case.upstream.credit
    # Full marks, else the comparator's fraction where the check allows partial credit,
    # or a recognized mistake's (or a carried error's) declared credit, whichever is more.
    partial = verdict.fraction if case.check.partial else 0.0
    fraction = 1.0 if verdict.passed else max(partial, credit)
    return CheckResult(case, case.points * fraction, verdict, outcome, mistake)


def _carried_forward(case: Case, outcome: Outcome, upstream: Outcome, ctx: CompareContext) -> Verdict | None:
    """The verdict when the answer is right for the student's own upstream output, else None."""
    assert case.upstream is not None
    try:  # the reference on the student's value (plain data), within this case's judging budget
        expected = case.upstream.expected_for(upstream.value)
        matches = comparators.compare(case.check.compare, outcome.value, expected, ctx).passed
    except Exception:
        return None
    if not matches:
        return None
    credit = case.upstream.credit
    share = f"{credit:.0%} of the points" if credit < 1 else "full points"
    return Verdict(credit, f"Right for what your own {case.upstream.function}() returned on these inputs, which is "
                           f"not the expected value: error carried forward ({share}).")


def with_dependencies(results: list[CheckResult]) -> list[CheckResult]:
    """Each failed result marked with the functions it depends on (`depends_on`) that fail checks
    of their own: its feedback then says to fix those first."""
    failing = {r.case.function for r in results if not r.passed and r.case.points > 0}
    return [replace(r, failing_dependencies=tuple(n for n in r.case.check.depends_on if n in failing))
            if not r.passed and r.case.check.depends_on else r for r in results]


def call_text(case: Case) -> str:
    if not case.args:
        return f"{case.function}()"
    if case.visibility != "visible":
        return f"{case.function}({', '.join(case.args)}) on hidden inputs"
    shown = ", ".join(f"{name}={short(value, 120)}" for name, value in case.args.items())
    return f"{case.function}({shown})"


def dependency_text(name: str) -> str:
    """What a failed check says of a function it uses (`depends_on`) that fails its own checks."""
    return f"This uses your {name}(), which fails its own checks: fix it first."


def feedback(result: CheckResult) -> str:
    """The text a student reads under a check."""
    case = result.case
    if result.passed:  # (a message here says how: an error carried forward)
        return f"Passed. {result.verdict.message}" if result.verdict.message else "Passed."
    lines = [f"Call: {call_text(case)}"]
    if result.verdict.message:
        lines.append(result.verdict.message)
    lines += [dependency_text(name) for name in result.failing_dependencies]
    if case.check.feedback:
        lines.append(f"Hint: {case.check.feedback.strip()}")
    return "\n".join(lines)
