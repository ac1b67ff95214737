"""The late policy (grader/late.py): periods, grace, cap, what the share is of, deadlines and
extensions, and the results it writes. Expected values are worked out here from the policy's
definition: started periods after the grace period, times the penalty, capped."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

import pytest

from grader import results as built
from grader.errors import RubricError
from grader.late import Deadline, applied, deadline_of, lateness, parse_time
from grader.rubric import LatePolicy
from tests.support import TINY_RUBRIC, rubric_variant

DUE = datetime(2026, 10, 1, 23, 59, tzinfo=timezone(timedelta(hours=-7)))


def results(earned: float = 3.0, possible: float = 4.0) -> built.Results:
    tests = [built.TestResult(name="a", number="1", score=earned, max_score=possible, status="failed")]
    return built.Results(score=built.total_of(tests), execution_time=0.0, output="Autograded score.", tests=tests)


@pytest.mark.parametrize(("after", "per", "grace", "periods"), [
    (timedelta(minutes=10), "day", 15, 0),  # within the grace period: on time
    (timedelta(minutes=16), "day", 15, 1),
    (timedelta(hours=24, minutes=15), "day", 15, 1),  # exactly one day after the grace period
    (timedelta(hours=24, minutes=16), "day", 15, 2),
    (timedelta(minutes=61), "hour", 0, 2),
])
def test_started_periods_after_the_grace_period_count(after: timedelta, per: str, grace: float, periods: int) -> None:
    policy = LatePolicy(penalty=0.1, per=per, grace_minutes=grace)
    late = lateness(policy, DUE + after, Deadline(DUE))
    length = timedelta(days=1) if per == "day" else timedelta(hours=1)
    assert periods == max(0, math.ceil((after - timedelta(minutes=grace)) / length))
    assert (late.periods if late else 0) == periods


def test_the_penalty_is_capped_and_never_takes_a_total_below_zero() -> None:
    policy = LatePolicy(penalty=0.3, max_penalty=0.5)
    late = lateness(policy, DUE + timedelta(days=3), Deadline(DUE))
    assert late is not None and late.fraction == 0.5  # 3 days x 30% = 90%, capped at 50%
    got = applied(results(3.0, 4.0), policy, (DUE + timedelta(days=3)).isoformat(), assignment_due=DUE.isoformat())
    assert got.score == 1.5 and got.tests[-1].score == -1.5 and got.tests[-1].tags == ["late"]
    of_possible = LatePolicy(penalty=0.3, of="possible")
    got = applied(results(1.0, 4.0), of_possible, (DUE + timedelta(days=3)).isoformat(), DUE.isoformat())
    assert got.score == 0.0  # 90% of 4 possible points is 3.6, but only 1 was earned


def test_an_extension_wins_over_the_assignments_due_date_and_the_rubrics() -> None:
    policy = LatePolicy(penalty=0.1, due="2026-09-01T00:00:00Z")
    assert deadline_of(policy) == Deadline(parse_time("2026-09-01T00:00:00+00:00"))
    assert deadline_of(policy, assignment=DUE.isoformat()) == Deadline(DUE)
    assert deadline_of(policy, DUE.isoformat(), "2026-09-01T00:00:00Z") == Deadline(DUE, extended=True)
    # Gradescope lists every user's own due date: the assignment's, unless extended
    assert deadline_of(policy, DUE.isoformat(), DUE.astimezone(timezone.utc).isoformat()) == Deadline(DUE)
    submitted = (DUE + timedelta(hours=2)).isoformat()
    extended = applied(results(), policy, submitted, own_due=(DUE + timedelta(days=1)).isoformat())
    assert extended.score == results().score and len(extended.tests) == 1
    late = applied(results(), policy, submitted, own_due=DUE.isoformat())
    assert "after your extended due date" in late.tests[-1].output and late.score == pytest.approx(2.7)


def test_no_time_no_penalty_and_an_unreadable_time_is_said_to_staff() -> None:
    policy = LatePolicy(penalty=0.1, due=DUE.isoformat())
    assert applied(results(), policy, None) == results()
    assert applied(results(), None, DUE.isoformat()) == results()
    got = applied(results(), policy, "yesterday")
    assert got.score == results().score and got.tests[-1].visibility == "hidden"
    assert "could not be read" in got.tests[-1].output
    with pytest.raises(ValueError, match="no time zone"):
        parse_time("2026-10-01T23:59:00")


def test_a_due_date_without_a_time_zone_is_a_rubric_error_with_its_line(tmp_path) -> None:
    from grader.rubric import load_rubric

    path = rubric_variant(TINY_RUBRIC, tmp_path / "tiny.yaml", late={"penalty": 0.1, "due": "2026-10-01 23:59"})
    with pytest.raises(RubricError, match=re.escape("late.due: '2026-10-01 23:59' has no time zone")):
        load_rubric(path)


def test_an_unquoted_due_date_is_read_as_written_and_a_date_alone_is_refused(tmp_path) -> None:
    from datetime import date

    from grader.rubric import load_rubric

    path = rubric_variant(TINY_RUBRIC, tmp_path / "tiny.yaml", late={"penalty": 0.1, "due": DUE})  # unquoted
    assert "due: 2026-10-01 23:59:00-07:00" in path.read_text()
    assert parse_time(load_rubric(path).rubric.late.due) == DUE
    path = rubric_variant(TINY_RUBRIC, tmp_path / "tiny.yaml", late={"penalty": 0.1, "due": date(2026, 10, 1)})
    with pytest.raises(RubricError, match=re.escape("late.due: 2026-10-01 is a date without a time")):
        load_rubric(path)

