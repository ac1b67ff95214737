"""Hostile submissions, round two: every path, byte, second and megabyte a submission controls
has a bound (docs/threat-model.md, "Bounds").

Every attack here goes through the CLI (`grader grade`, as Gradescope runs it) and each test
asserts the grade the work deserves, and that the grader exited 0 with valid results.json
within its size budget, in bounded time and memory (`bounded_grade`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import assert_valid_results
from tests.test_hostile import ROOT, RUBRIC

BOUNDS = Path(__file__).resolve().parent / "hostile" / "bounds"
RESULTS_BUDGET = 1024 * 1024  # the default limits.results_kb
GRADER_MB = 400  # the grader's own peak (it holds numpy, pydantic, sympy): far below the attacks' gigabytes

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox is Linux-only")

# Runs the console script's entry() in this interpreter and writes the grader's own peak RSS
# (KiB) to argv[1] when it exits: the grader's memory, not the child's.
_MEASURED = (
    "import atexit, resource, sys; out = sys.argv.pop(1); "
    "atexit.register(lambda: open(out, 'w').write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))); "
    "sys.argv[0] = 'grader'; from grader.cli import entry; entry()"
)


@dataclass(frozen=True)
class Graded:
    results: dict[str, Any]
    seconds: float
    grader_mb: float
    size: int
    stderr: str

    def test(self, function: str) -> dict[str, Any]:
        return next(t for t in self.results["tests"] if t.get("extra_data", {}).get("function") == function)


def bounded_grade(submission: Path, tmp_path: Path, results_schema: dict[str, Any], *, rubric: Path = RUBRIC,
                  seconds: float = 60, env: dict[str, str] | None = None, budget: int = RESULTS_BUDGET) -> Graded:
    """`grader grade SUBMISSION --json` in a process of its own; asserts exit 0, a valid results
    file within `budget` bytes, and the grader's time and memory bounds."""
    out = tmp_path / "out" / "results.json"
    rss = tmp_path / "out" / "rss"
    out.parent.mkdir(exist_ok=True)
    command = [sys.executable, "-c", _MEASURED, str(rss), "grade", str(submission), "--assignment", str(rubric),
               "--json", str(out), "--quiet"]
    started = time.perf_counter()
    process = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, cwd=tmp_path,
                             env={**os.environ, "PYTHONPATH": str(ROOT), "NUMGRADER_CACHE": "off", **(env or {})})
    elapsed = time.perf_counter() - started
    assert process.returncode == 0, process.stderr[-4000:]
    size = out.stat().st_size
    assert size <= budget, f"results.json is {size} bytes, over its budget of {budget}"
    results = assert_valid_results(out.read_text(encoding="utf-8"), results_schema)
    grader_mb = int(rss.read_text()) / 1024
    assert elapsed < seconds, f"grading took {elapsed:.1f} s"
    assert grader_mb < GRADER_MB, f"the grader's own peak was {grader_mb:.0f} MB"
    return Graded(results, elapsed, grader_mb, size, process.stderr)


# -- 7. values the wire cannot encode -------------------------------------------------------------

def test_values_the_wire_cannot_carry_fail_their_own_check_clearly(tmp_path: Path, results_schema: dict) -> None:
    graded = bounded_grade(BOUNDS / "unencodable.py", tmp_path, results_schema)
    assert graded.test("add")["score"] == 1  # a correct longdouble crosses as a float
    assert "returned a numpy complex128 value (only bool, int and float values)" in graded.test("mean")["output"]
    assert "returned an integer of more than 3,000 digits" in graded.test("secret")["output"]


def test_an_answer_whose_encoding_raises_fails_that_answer_only(tmp_path: Path, results_schema: dict) -> None:
    graded = bounded_grade(BOUNDS / "encoding_raises.py", tmp_path, results_schema)
    assert graded.test("add")["score"] == 1
    assert "could not be encoded (RuntimeError)" in graded.test("mean")["output"]
    assert "nested deeper than 32 levels" in graded.test("secret")["output"]
    assert "ended the process" not in json.dumps(graded.results)


# -- 6. time limits and the call plan -------------------------------------------------------------

def _rubric_with(tmp_path: Path, **limits: float) -> Path:
    from tests.test_hostile import variant

    variant(tmp_path, **limits)
    return tmp_path / "rubric" / "hostile.yaml"


def test_a_dropped_call_plan_costs_the_submission_no_time(tmp_path: Path, results_schema: dict) -> None:
    """The first run saves a call plan; the second starts the calls from it, sees a time-out it
    cannot trust (the machine was busy loading), and grades the ordinary way. Both runs must give
    every call its time, and the second may not take much longer than the first (the dropped run
    stops at its first untrusted outcome: the submission never gets twice its time)."""
    rubric = _rubric_with(tmp_path, submission_seconds=3.5)
    cache = tmp_path / "cache"
    env = {"NUMGRADER_CACHE": str(cache)}
    first = bounded_grade(BOUNDS / "slow_but_honest.py", tmp_path, results_schema, rubric=rubric, env=env)
    assert list(cache.glob("plan-*.json")), "the first run saved no call plan"
    second = bounded_grade(BOUNDS / "slow_but_honest.py", tmp_path, results_schema, rubric=rubric, env=env)
    for graded in (first, second):
        outcomes = {t["extra_data"]["function"]: t["extra_data"]["outcome"] for t in graded.results["tests"]
                    if "function" in t.get("extra_data", {})}
        assert outcomes == {"add": "timeout", "mean": "ok", "secret": "ok"}
        assert graded.results["score"] == 1
    assert second.seconds < first.seconds + 1.0 + 1.0  # the dropped run's one call limit, and some noise
