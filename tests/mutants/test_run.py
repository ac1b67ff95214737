"""A mutation run of the weak fixture (tests/fixtures/weak/): every mutant graded in the sandbox
by the batch's pool, then classified; and `grader validate --mutants` on it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.mutants import MutationRun, generate, run_mutants
from grader.mutants.calibrate import calibrate
from tests.support import ROOT, TESTS

WEAK = TESTS / "fixtures" / "weak" / "rubrics" / "weak.yaml"

pytestmark = pytest.mark.child


@pytest.fixture(scope="module")
def run() -> MutationRun:
    return run_mutants(load_assignment(WEAK), jobs=2)


def status(run: MutationRun, mutant: str) -> str:
    return next(r.status for r in run.results if r.mutant.id == mutant)


def test_every_mutant_is_graded_and_classified(run: MutationRun) -> None:
    assert [r.mutant.id for r in run.results] == [m.id for m in generate(load_assignment(WEAK))]
    assert {r.mutant.function for r in run.results} == {"norm", "dot", "total"}  # never `unused`
    assert run.count("error") == 0


def test_the_weak_check_lets_a_mutant_survive(run: MutationRun) -> None:
    hole = next(r for r in run.results if r.status == "survived")
    assert (hole.mutant.id, hole.mutant.key) == ("norm:op:9:32", "norm:op:v * v → v / v")
    assert hole.outputs["1/not-negative"] == pytest.approx(2 ** 0.5)  # sqrt(1/1 + 2/2), and still not negative
    assert [r.mutant.id for r in run.holes] == ["norm:op:9:32"]


def test_equivalent_named_hidden_only_and_justified(run: MutationRun) -> None:
    assert status(run, "dot:T:15:17:drop") == "equivalent"  # a 1-D array's .T is itself
    named = next(r for r in run.results if r.mutant.id == "total:range:21:13:stop-1")
    assert (named.status, named.named) == ("named", ("last entry left out",))
    hidden = next(r for r in run.results if r.mutant.id == "dot:f32:15:43")  # integers are exact in float32
    assert (hidden.status, hidden.killed_by) == ("hidden only", ("2/random-vectors",))
    justified = next(r for r in run.results if r.mutant.id == "norm:f32:8:28")
    assert justified.status == "justified" and justified.reason.startswith("float32 inputs only round")
    assert run.unused_justifications == ()


def test_calibration_sees_the_float32_variant_outside_a_tight_tolerance(run: MutationRun) -> None:
    by_check = {c.check: c for c in calibrate(load_assignment(WEAK), run)}
    tight = by_check["2/random-vectors"]
    assert tight.legitimate is not None and tight.legitimate.label == "float32 round-trip"
    assert any("float32 round-trip" in w and "outside the tolerance" in w for w in tight.warnings)
    # float32 mutants are a precision, not a mistake: the nearest wrong answer is the negated one,
    # which needs rtol |x - (-x)| / |x| = 2
    assert tight.wrong is not None and tight.wrong.label == "mutant dot:sign:15:11:negate"
    assert tight.wrong.rtol == pytest.approx(2.0) and tight.suggestion is not None
    assert tight.legitimate.rtol < tight.suggestion < tight.wrong.rtol


def test_the_command_exits_1_on_a_hole_and_writes_its_json_and_page(tmp_path: Path) -> None:
    out, page = tmp_path / "mutants.json", tmp_path / "mutants.html"
    done = subprocess.run([sys.executable, "-m", "grader", "validate", "--assignment", str(WEAK), "--mutants",
                           "--only", "norm:op:9:32,total:acc:22:8", "--json", str(out), "--report", str(page)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "norm:op:9:32" in done.stdout and "1 mutant(s) survive every check, unjustified" in done.stderr
    data = json.loads(out.read_text())
    assert {m["id"]: m["status"] for m in data["mutants"]} == {"norm:op:9:32": "survived", "total:acc:22:8": "killed"}
    assert "v / v" in next(m["function_source"] for m in data["mutants"] if m["id"] == "norm:op:9:32")
    assert "<h1>weak: does every check catch a mistake?</h1>" in page.read_text()
