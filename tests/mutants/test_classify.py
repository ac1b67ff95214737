"""Classifying a graded mutant, the justification file, the declared-mistake self-check of
`grader validate`, and the tolerance calibration's distances: no child process."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from grader.assignment import load_assignment
from grader.errors import GraderError
from grader.mutants.calibrate import needed_rtol, suggest
from grader.mutants.classify import classify, same
from grader.mutants.justify import justification_path, load_justifications
from grader.mutants.model import Mutant
from grader.mutants.worker import CaseVerdict, Graded
from grader.validate import unrecognized_mistakes
from tests.support import TESTS

WEAK = TESTS / "fixtures" / "weak" / "rubrics"
MUTANT = Mutant("f:sign:3:4", "f", "sign flip", 3, "`-` → `+` in f, line 3", "def f(): ...", key="f:sign:a - b → a + b")
ANSWERS = {"1/a": 1.0, "1/b#1": np.array([1.0, 2.0])}


def verdict(case: str, passed: bool, visibility: str = "visible", mistake: str | None = None,
            points: float = 1.0) -> CaseVerdict:
    return CaseVerdict(case, case.split("#")[0], passed, mistake, visibility, points)


def graded(*verdicts: CaseVerdict, outputs: dict[str, object] | None = None) -> Graded:
    return Graded(verdicts, dict(ANSWERS) if outputs is None else outputs)


def test_killed_hidden_only_and_named() -> None:
    killed = classify(MUTANT, graded(verdict("1/a", False), verdict("1/b#1", False, "hidden")), ANSWERS, {})
    assert (killed.status, killed.killed_by, killed.hidden_only) == ("killed", ("1/a", "1/b"), False)
    hidden = classify(MUTANT, graded(verdict("1/a", True), verdict("1/b#1", False, "hidden")), ANSWERS, {})
    assert (hidden.status, hidden.killed_by) == ("hidden only", ("1/b",))
    named = classify(MUTANT, graded(verdict("1/a", False, mistake="no factor"), verdict("1/b#1", True)), ANSWERS, {})
    assert (named.status, named.named) == ("named", ("no factor",))


def test_a_survivor_differs_an_equivalent_does_not_and_feedback_only_checks_cost_nothing() -> None:
    passing = (verdict("1/a", True), verdict("1/b#1", True))
    assert classify(MUTANT, graded(*passing), ANSWERS, {}).status == "equivalent"
    other = {"1/a": 1.0 + 1e-9, "1/b#1": np.array([1.0, 2.0])}
    assert classify(MUTANT, graded(*passing, outputs=other), ANSWERS, {}).status == "survived"
    free = classify(MUTANT, graded(verdict("1/a", False, points=0), passing[1], outputs=other), ANSWERS, {})
    assert (free.status, free.killed_by) == ("survived", ("1/a",))
    missing = {"1/a": 1.0}  # one case raised (or timed out): no answer there
    assert classify(MUTANT, graded(*passing, outputs=missing), ANSWERS, {}).status == "survived"


def test_a_survivor_is_justified_by_its_id_its_key_or_its_function() -> None:
    other = {"1/a": 2.0, "1/b#1": np.array([1.0, 2.0])}
    passing = graded(verdict("1/a", True), outputs=other)
    for entry in (MUTANT.id, MUTANT.key, "f:*"):
        result = classify(MUTANT, passing, ANSWERS, {entry: "because"})
        assert (result.status, result.reason) == ("justified", "because")
    assert classify(MUTANT, passing, ANSWERS, {"g:*": "no"}).status == "survived"


def test_an_error_is_reported_as_such() -> None:
    result = classify(MUTANT, Graded(error="internal error: boom"), ANSWERS, {})
    assert (result.status, result.reason) == ("error", "internal error: boom")


def test_same_reads_structure_and_rounding() -> None:
    assert same([(1, "a"), 2.0], ((1, "a"), np.float64(2.0)))
    assert same(np.array([[1.0], [2.0]]), [1.0, 2.0])  # axes of length 1, as numeric reads them
    assert not same(1, True) and not same("A", "a") and not same([1.0], [1.0, 1.0])
    assert same(1.0, 1.0 + 1e-14) and not same(1.0, 1.0 + 1e-9)


def test_the_justification_file_beside_the_rubric(tmp_path: Path) -> None:
    assert justification_path(WEAK / "weak.yaml") == WEAK / "weak.mutants.yml"
    assert list(load_justifications(WEAK / "weak.mutants.yml")) == ["norm:f32:8:28"]
    assert load_justifications(tmp_path / "none.yaml") == {}
    bad = tmp_path / "bad.mutants.yml"
    bad.write_text("- a list\n")
    with pytest.raises(GraderError, match="must map mutant ids"):
        load_justifications(bad)
    bad.write_text("a: ok\nb: [unclosed\nc: d\n")
    with pytest.raises(GraderError) as raised:
        load_justifications(bad)
    assert str(raised.value).startswith(f"{bad}:3: YAML syntax error") and "\n" not in str(raised.value)


def test_validate_names_a_mistake_its_own_check_cannot_tell_apart() -> None:
    problems = unrecognized_mistakes(load_assignment(WEAK / "unnamed.yaml"))
    assert len(problems) == 1
    assert "3/three-numbers: the mistake 'rounded the other way' passes the check" in problems[0]
    assert problems[0].startswith(f"{WEAK / 'unnamed.yaml'}:")
    assert unrecognized_mistakes(load_assignment(WEAK / "weak.yaml")) == []  # its mistake is named


def test_needed_rtol_is_the_comparators_own_threshold() -> None:
    want, got = np.array([1.0, -2.0]), np.array([1.0, -2.0 * (1 + 3e-7)])
    rtol = needed_rtol(got, want, atol=0.0)
    assert rtol == pytest.approx(3e-7)
    assert np.allclose(got, want, rtol=rtol * 1.01, atol=0) and not np.allclose(got, want, rtol=rtol * 0.99, atol=0)
    assert needed_rtol(want + 1e-10, want, atol=1e-9) == 0.0
    assert math.isinf(needed_rtol([1.0, 2.0, 3.0], want, atol=0))
    assert suggest(1e-8, 1e-4) == pytest.approx(1e-6) and suggest(1e-4, 1e-8) is None
