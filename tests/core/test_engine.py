"""The engine end to end on the tiny assignment: scores, messages, limits, results.

(The process boundary's own tests are in tests/boundary/: test_session.py, test_wire.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.grading import grade
from grader.results import to_results
from tests.support import TINY, TINY_RUBRIC, assert_valid_results, tiny_variant, with_limits

pytestmark = pytest.mark.child  # every test here grades, in a child process

CORRECT = (TINY / "submissions" / "correct.py").read_text()


def submit(tmp_path: Path, source: str, name: str = "tiny.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def by_key(report) -> dict[str, object]:
    return {r.case.key: r for r in report.checks}


def fast_tiny(tmp_path: Path, **limits: float):
    """The tiny assignment with shorter limits, for tests that wait for a time-out."""
    return load_assignment(with_limits(TINY_RUBRIC, tmp_path, **limits))


def test_correct_submission_gets_full_marks(tiny, results_schema):
    report = grade(tiny, TINY / "submissions" / "correct.py")
    assert report.import_error is None
    assert [r.case.key for r in report.checks if not r.passed] == []
    assert report.score == report.max_score == 4.5
    data = assert_valid_results(to_results(report), results_schema)
    assert data["score"] == 4.5


def test_wrong_submission_loses_exactly_its_checks(tiny):
    report = grade(tiny, TINY / "submissions" / "off_by_one.py")
    failed = {k for k, r in by_key(report).items() if not r.passed}
    assert failed == {"1/fixed-vectors", "1/random-vectors#1", "1/random-vectors#2", "2/unit-length",
                      "2/same-direction", "3/colour", "3/count"}
    results = by_key(report)
    assert results["1/random-vectors#1"].mistake == "off-by-one loop"
    assert results["3/count"].verdict.message == "the submission does not define count_words()"
    assert "has length" in results["2/unit-length"].verdict.message


def test_results_follow_gradescope_format(tiny, results_schema):
    data = assert_valid_results(to_results(grade(tiny, TINY / "submissions" / "off_by_one.py")), results_schema)
    assert isinstance(data["execution_time"], float)
    assert data["score"] == sum(t.get("score", 0.0) for t in data["tests"])  # neutral tests have none
    for test in data["tests"]:
        if "total" in test["tags"]:  # the total with hidden checks: a test of its own (number 0)
            continue
        assert test["number"] in {"1", "2", "3", "4"}
        if "manual" in test["tags"]:
            continue
        assert test["tags"][:2] == [test["extra_data"]["function"], test["number"]]
    hidden = [t for t in data["tests"] if t["visibility"] == "hidden"]
    assert len(hidden) == 2 and all("mistake:off-by-one loop" in t["tags"] for t in hidden)
    feedback_only = next(t for t in data["tests"] if t["extra_data"]["check"] == "3/count")
    assert feedback_only["max_score"] == 0 and feedback_only["status"] == "failed"


def test_manual_questions_are_listed_not_scored(tiny):
    data = json.loads(to_results(grade(tiny, TINY / "submissions" / "correct.py")).to_json())
    manual = [t for t in data["tests"] if "manual" in t["tags"]]
    assert len(manual) == 1
    # Neither passed nor failed: no status, and no 0/0 score (which Gradescope would show as passed).
    assert "status" not in manual[0] and "score" not in manual[0] and "max_score" not in manual[0]
    assert "graded by hand (2 points)" in manual[0]["output"]
    assert "Graded by course staff, not included above: 4 (2 points)" in data["output"]


def test_grading_is_deterministic(tiny):
    def strip(data: dict) -> dict:
        data.pop("execution_time")
        return data

    first = json.loads(to_results(grade(tiny, TINY / "submissions" / "off_by_one.py")).to_json())
    second = json.loads(to_results(grade(tiny, TINY / "submissions" / "off_by_one.py")).to_json())
    assert strip(first) == strip(second)


def test_hidden_feedback_does_not_show_inputs_or_expected_values(tiny):
    report = grade(tiny, TINY / "submissions" / "off_by_one.py")
    results = to_results(report)
    for test, case_result in zip(results.tests, report.checks, strict=False):
        if case_result.case.visibility == "hidden":
            assert "on hidden inputs" in test.output
            assert f"{case_result.case.expected_value():.4}" not in test.output


def test_syntax_error_gives_zero_with_the_line_and_exit_0(tmp_path, results_schema):
    path = submit(tmp_path, "import numpy\n\ndef dot(a, b)\n    return 1\n")
    out = tmp_path / "results.json"
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(path), "--assignment",
                          str(TINY_RUBRIC), "--json", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    data = assert_valid_results(out.read_text(), results_schema)
    assert data["score"] == 0
    assert "SyntaxError" in data["output"] and "line 3" in data["output"]
    scored = [t for t in data["tests"] if "function" in t.get("extra_data", {})]  # the checks
    # The reason is written once, at the top; each check points there.
    assert all(t["score"] == 0 and "could not be loaded" in t["output"] and "line 3" not in t["output"]
               for t in scored)


def test_import_time_infinite_loop_ends_with_time_limit_message(tmp_path):
    assignment = fast_tiny(tmp_path, import_seconds=1)
    started = time.perf_counter()
    report = grade(assignment, submit(tmp_path, "while True:\n    pass\n"))
    elapsed = time.perf_counter() - started
    assert report.import_error == "exceeded the time limit (1 s) while importing the module"
    assert report.score == 0
    assert elapsed < 5  # one import attempt, not one per check


def test_hanging_and_exiting_calls_fail_alone(tmp_path):
    source = CORRECT.replace("def colour():", "def colour():\n    while True:\n        pass\n\n\ndef _unused():")
    source = source.replace("def count_words(text):", "def count_words(text):\n    import os\n    os._exit(0)")
    assignment = fast_tiny(tmp_path, call_seconds=1)
    results = by_key(grade(assignment, submit(tmp_path, source)))
    assert results["3/colour"].verdict.message == "exceeded the time limit (1 s)"
    assert results["3/count"].verdict.message == "the function ended the process (exit code 0)"
    assert all(r.passed for k, r in results.items() if k not in {"3/colour", "3/count"})


def test_exceptions_name_their_type_and_line(tmp_path, tiny):
    source = CORRECT.replace("def colour():\n", "def colour():\n    raise KeyError('no colour')\n")
    result = by_key(grade(tiny, submit(tmp_path, source)))["3/colour"]
    assert result.verdict.message.startswith("raised KeyError: 'no colour' (line ")
    assert "in colour)" in result.verdict.message


def test_always_true_eq_cannot_pass(tmp_path, tiny):
    source = CORRECT + textwrap.dedent("""
        class Anything:
            def __eq__(self, other):
                return True
            __hash__ = object.__hash__

        class SneakyFloat(float):
            def __eq__(self, other):
                return True

        class SneakyArray(np.ndarray):
            def __eq__(self, other):
                return True

        def dot(a, b):
            return Anything()

        def colour():
            return SneakyFloat(0.0)

        def normalize(v):
            return np.zeros(len(v)).view(SneakyArray)
    """)
    results = by_key(grade(tiny, submit(tmp_path, source)))
    assert not results["1/fixed-vectors"].passed
    assert "returned an object of type tiny.Anything" in results["1/fixed-vectors"].verdict.message
    assert not results["3/colour"].passed
    # the array subclass crosses as a plain array and is judged on its values
    assert not results["2/same-direction"].passed
    assert "entries differ" in results["2/same-direction"].verdict.message


def test_monkeypatching_numpy_or_math_cannot_change_a_verdict(tmp_path, tiny):
    source = textwrap.dedent("""
        import math
        import numpy as np
        np.allclose = lambda *a, **k: True
        np.isclose = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        math.isclose = lambda *a, **k: True
        np.ndarray.__eq__ = lambda *a: True

        def dot(a, b):
            return 0.0

        def normalize(v):
            return [0.0] * len(v)

        def colour():
            return "green"
    """)
    report = grade(tiny, submit(tmp_path, source))
    assert report.score == 0
    assert all(not r.passed for r in report.checks)


def test_object_arrays_and_pickles_never_cross(tmp_path, tiny):
    source = CORRECT.replace("def normalize(v):", "def normalize(v):\n    return np.array([object()])\n\n\ndef _x(v):")
    result = by_key(grade(tiny, submit(tmp_path, source)))["2/same-direction"]
    assert "dtype object" in result.verdict.message


def test_missing_submission_file_is_exit_2(tmp_path):
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp_path / "nope.py"),
                          "--assignment", str(TINY_RUBRIC)], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip() == f"grader: no such file: {tmp_path / 'nope.py'}"


def test_folder_submission_and_name_resolution(tmp_path):
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "reference").mkdir()
    (tmp_path / "rubrics" / "tiny.yaml").write_text(TINY_RUBRIC.read_text())
    (tmp_path / "reference" / "tiny.py").write_text((TINY / "reference" / "tiny.py").read_text())
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "tiny.py").write_text(CORRECT)
    out = tmp_path / "r.json"
    run = subprocess.run([sys.executable, "-m", "grader", "grade", "student", "--assignment", "tiny",
                          "--json", str(out)], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(out.read_text())["score"] == 4.5
    assert "Total: 4.5 / 4.5" in run.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("")
    # The student's to fix, not the grader's: a zero with the message, and the results are written.
    run = subprocess.run([sys.executable, "-m", "grader", "grade", "empty", "--assignment", "tiny", "--json",
                          str(out)], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0 and "has no tiny.py (expected tiny.py; found: notes.txt)" in run.stderr
    assert json.loads(out.read_text())["score"] == 0
    assert "has no tiny.py" in json.loads(out.read_text())["output"]
    run = subprocess.run([sys.executable, "-m", "grader", "grade", "nowhere", "--assignment", "tiny"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2 and "no such file: nowhere" in run.stderr  # a mistyped path is a usage error


def test_a_judge_that_does_not_read_the_expected_value_never_computes_it(tmp_path):
    (tmp_path / "reference").mkdir()
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "reference" / "slow.py").write_text(textwrap.dedent("""
        CALLS = []

        def solve(n):
            CALLS.append(n)  # stands for an expensive reference, e.g. an iterative optimizer
            return n * 2

        def judge_even(received, expected, args):
            return (1.0, "") if received % 2 == 0 else (0.0, "odd")
    """))
    (tmp_path / "rubrics" / "slow.yaml").write_text(textwrap.dedent("""
        assignment: slow
        submission: {filename: slow.py}
        questions:
          - id: "1"
            name: Even
            checks:
              - {name: lazy, function: solve, inputs: {literal: {n: 3}},
                 compare: {name: judge, function: judge_even, expected: false}, points: 1}
              - {name: eager, function: solve, inputs: {literal: {n: 4}},
                 compare: {name: judge, function: judge_even}, points: 1}
    """))
    assignment = load_assignment(tmp_path / "rubrics" / "slow.yaml")
    report = grade(assignment, submit(tmp_path, "def solve(n):\n    return 2 * n\n", "slow.py"))
    assert report.score == 2
    assert assignment.reference.CALLS == [4]  # only the judge that reads `expected` got it


# -- results that render as Gradescope means them -------------------------------------------------

def test_results_say_their_format_and_never_show_a_note_or_manual_row_as_passed(tiny, results_schema):
    data = assert_valid_results(to_results(grade(tiny, TINY / "submissions" / "off_by_one.py")), results_schema)
    assert data["output_format"] == "text" and data["test_output_format"] == "text"
    for test in data["tests"]:
        # Gradescope styles a test "passed" when score == max_score and no status says otherwise.
        if test.get("score") == test.get("max_score") and "score" in test:
            assert "status" in test, test["name"]
        if "status" not in test:
            assert "score" not in test and "max_score" not in test, test["name"]


def test_the_summary_line_counts_only_the_checks_its_reader_sees(tiny):
    report = grade(tiny, TINY / "submissions" / "off_by_one.py")
    data = json.loads(to_results(report).to_json())
    visible = [r for r in report.checks if r.case.visibility == "visible"]
    assert len(visible) < len(report.checks)  # the fixture has hidden checks
    line = f"Visible checks: {sum(r.score for r in visible):g} / {sum(r.case.points for r in visible):g}."
    assert data["output"].startswith(line)
    assert f"{report.score:g} / {report.max_score:g}" not in data["output"]  # the total is no oracle
    total = next(t for t in data["tests"] if "total" in t["tags"])
    assert total["visibility"] == "after_due_date"
    assert total["output"] == f"Autograded score: {report.score:g} / {report.max_score:g}."


def test_what_the_code_printed_is_a_test_without_what_hidden_checks_printed(tmp_path):
    assignment = load_assignment(tiny_variant(tmp_path, stdout_visibility="visible"))
    calls = {visibility: sum(c.function == "dot" and c.visibility == visibility for c in assignment.cases)
             for visibility in ("visible", "hidden")}
    assert calls["visible"] >= 1 and calls["hidden"] >= 1  # dot runs in visible and in hidden checks
    source = CORRECT.replace("def dot(", "def _dot(") + \
        "\n\ndef dot(*args):\n    print('PRINTED dot', args)\n    return _dot(*args)\n"
    submission = tmp_path / "tiny.py"
    submission.write_text(source)
    data = json.loads(to_results(grade(assignment, submission)).to_json())
    printed = next(t for t in data["tests"] if "stdout" in t["tags"])
    assert printed["visibility"] == "visible" and "status" not in printed
    # Only what the visible calls printed: a hidden call's arguments never reach the student.
    assert printed["output"].count("PRINTED dot") == calls["visible"]
    assert data["extra_data"]["student_output"].count("PRINTED dot") == calls["visible"] + calls["hidden"]


def test_a_leaderboard_column_is_a_visible_checks_returned_number(tmp_path, results_schema):
    path = tiny_variant(tmp_path, leaderboard=[{"name": "dot product", "check": "1/fixed-vectors", "order": "asc"}])
    report = grade(load_assignment(path), TINY / "submissions" / "correct.py")
    data = assert_valid_results(to_results(report), results_schema)
    returned = next(r.outcome.value for r in report.checks if r.case.key == "1/fixed-vectors")
    assert data["leaderboard"] == [{"name": "dot product", "value": float(returned), "order": "asc"}]
    assert float(returned) == 1 * 4 + 2 * 5 + 3 * 6


