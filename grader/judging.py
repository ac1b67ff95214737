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

from grader import comparators
from grader.assignment import Case
from grader.authoring import Judge
from grader.boundary.outcome import Outcome
from grader.comparators import CompareContext, Verdict
from grader.comparators.base import short
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


def _judge(case: Case, outcome: Outcome, judges: Mapping[str, Judge], upstream: Outcome | None) -> CheckResult:
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


def feedback(result: CheckResult) -> str:
    """The text a student reads under a check."""
    case = result.case
    if result.passed:  # (a message here says how: an error carried forward)
        return f"Passed. {result.verdict.message}" if result.verdict.message else "Passed."
    lines = [f"Call: {call_text(case)}"]
    if result.verdict.message:
        lines.append(result.verdict.message)
    for name in result.failing_dependencies:
        lines.append(f"This uses your {name}(), which fails its own checks: fix it first.")
    if case.check.feedback:
        lines.append(f"Hint: {case.check.feedback.strip()}")
    return "\n".join(lines)
