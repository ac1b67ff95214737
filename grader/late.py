"""A rubric's late policy (Rubric.late) applied to one submission: how late it came against its
deadline (the student's own, with an extension, else the assignment's), what that costs, and the
test that says so in the results. Pure: the times come from the platform's metadata or the batch's
source, the results from results.to_results."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from grader.results import Results, TestResult, total_of
from grader.rubric import LatePolicy
from grader.rubric_policies import parse_time
from grader.text import points

_PERIOD = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class Deadline:
    due: datetime
    extended: bool = False  # the student's own due date (an extension), not the assignment's


@dataclass(frozen=True)
class Lateness:
    late_by: timedelta  # after the deadline (the grace period included)
    periods: int  # started hours or days after the grace period
    fraction: float  # of the base taken off (capped)
    deadline: Deadline


def lateness(policy: LatePolicy, submitted: datetime, deadline: Deadline) -> Lateness | None:
    """None when on time (or within the grace period)."""
    late_by = submitted - deadline.due
    over = late_by - timedelta(minutes=policy.grace_minutes)
    if over <= timedelta(0):
        return None
    periods = math.ceil(over / _PERIOD[policy.per])
    return Lateness(late_by, periods, min(policy.max_penalty, policy.penalty * periods), deadline)


def deduction(policy: LatePolicy, late: Lateness, earned: float, possible: float) -> float:
    """Points taken off: the fraction of the earned or the possible score, never below a zero total."""
    base = earned if policy.of == "earned" else possible
    return round(min(max(earned, 0.0), late.fraction * base), 6)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))
             if n]
    return " ".join(parts) or "less than a minute"


def explain(policy: LatePolicy, late: Lateness, taken: float) -> str:
    whose = "your extended due date" if late.deadline.extended else "the due date"
    rate = f"{policy.penalty * 100:g}% per {policy.per} late"
    cap = f", at most {policy.max_penalty * 100:g}%" if policy.max_penalty < 1 else ""
    grace = f" after a grace period of {policy.grace_minutes:g} minutes" if policy.grace_minutes else ""
    of = "of the autograded score earned" if policy.of == "earned" else "of the autograded points possible"
    return (f"Submitted {_duration(late.late_by)} after {whose} ({late.deadline.due.isoformat()}). Late policy: "
            f"{rate}{grace}{cap}, {of}: {late.periods} {policy.per}{'' if late.periods == 1 else 's'}, so "
            f"{late.fraction * 100:g}%: minus {points(taken)}.")


def with_penalty(results: Results, policy: LatePolicy, late: Lateness | None) -> Results:
    """The results with the penalty as a test of its own (a negative score, no max), so that the
    score stays the sum of the tests; unchanged when on time."""
    if late is None:
        return results
    possible = sum(t.max_score for t in results.tests if t.status is not None)
    taken = deduction(policy, late, results.score, possible)
    text = explain(policy, late, taken)
    test = TestResult(name="Late submission", number="0", score=-taken, max_score=0.0, status="failed", output=text,
                      visibility="visible", tags=["late"],
                      extra_data={"late": {"periods": late.periods, "fraction": late.fraction, "points": taken,
                                           "due": late.deadline.due.isoformat(), "extended": late.deadline.extended}})
    tests = [*results.tests, test]
    return results.model_copy(update={"tests": tests, "score": total_of(tests),
                                      "output": f"{results.output}\n{text}".strip()})


def deadline_of(policy: LatePolicy, own: str | None = None, assignment: str | None = None) -> Deadline | None:
    """The deadline that holds: the student's own due date (an extension), else the assignment's as
    the platform gives it, else the rubric's `due`. Raises ValueError for a time that cannot be read."""
    if own:  # (Gradescope gives each user's date, their extension or the assignment's own)
        mine = parse_time(own)
        usual = assignment or policy.due
        return Deadline(mine, extended=not usual or mine != parse_time(usual))
    if assignment:
        return Deadline(parse_time(assignment))
    return Deadline(parse_time(policy.due)) if policy.due else None


def applied(results: Results, policy: LatePolicy | None, submitted: str | None, own_due: str | None = None,
            assignment_due: str | None = None) -> Results:
    """`results` under the rubric's late policy, from the times the platform or the batch's source
    gives (text, ISO 8601). Without a policy or a submission time nothing changes; a time that
    cannot be read costs nothing and is said to staff in a hidden test."""
    if policy is None or not submitted:
        return results
    try:
        deadline = deadline_of(policy, own_due, assignment_due)
        late = lateness(policy, parse_time(submitted), deadline) if deadline is not None else None
    except (ValueError, TypeError) as error:
        note = TestResult(name="Late policy not applied", number="0", score=0.0, max_score=0.0, status="failed",
                          output=f"The submission's times could not be read ({error}); no late penalty was taken.",
                          visibility="hidden", tags=["late"])
        return results.model_copy(update={"tests": [*results.tests, note]})
    return with_penalty(results, policy, late)
