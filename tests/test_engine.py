"""The engine end to end on the tiny assignment: scores, messages, limits, the process boundary."""

from __future__ import annotations

import io
import json
import pickle
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from grader.assignment import load_assignment
from grader.boundary import wire
from grader.boundary.outcome import Call, pack_call
from grader.boundary.session import ChildSession
from grader.grading import grade
from grader.results import to_results
from grader.rubric import Limits

from .conftest import ROOT, TINY, assert_valid_results

CORRECT = (TINY / "submissions" / "correct.py").read_text()


def submit(tmp_path: Path, source: str, name: str = "tiny.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def by_key(report) -> dict[str, object]:
    return {r.case.key: r for r in report.checks}


def fast_tiny(tmp_path: Path, **limits: float):
    """The tiny assignment with shorter limits, for tests that wait for a time-out."""
    text = (TINY / "rubrics" / "tiny.yaml").read_text()
    for key, value in limits.items():
        text = text.replace(f"  {key}: ", f"  {key}: {value}  # ", 1)
    rubric = tmp_path / "rubric" / "tiny.yaml"
    rubric.parent.mkdir()
    rubric.write_text(text.replace("submission:\n", f"reference: {TINY / 'reference' / 'tiny.py'}\nsubmission:\n"))
    return load_assignment(rubric)


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
                          str(TINY / "rubrics" / "tiny.yaml"), "--json", str(out)], capture_output=True, text=True)
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


class Boom:
    def __reduce__(self):
        return (Path.touch, (Path("/tmp/grader-unpickled-marker"),))


def test_parent_never_unpickles_even_a_forged_message():
    marker = Path("/tmp/grader-unpickled-marker")
    marker.unlink(missing_ok=True)
    buffer = io.BytesIO()
    np.save(buffer, np.array([Boom()], dtype=object), allow_pickle=True)
    forged_json = json.dumps({"body": {"op": "result", "value": {"$array": 0}}, "blobs": [len(buffer.getvalue())]})
    payload = wire.JSON_HEADER.pack(len(forged_json)) + forged_json.encode() + buffer.getvalue()
    with pytest.raises(wire.WireError):
        wire.unpack(payload)
    # the same bytes announced as an array of objects, or of any dtype outside bool/int/float
    for dtype in ("|O", "|O8", "<c16", "|V8", "<U1", "|S4", "<M8[s]"):
        header = json.dumps({"body": {"op": "result", "value": {"$array": 0}},
                             "arrays": [[dtype, [1], len(buffer.getvalue())]]})
        with pytest.raises(wire.WireError):
            wire.unpack(wire.JSON_HEADER.pack(len(header)) + header.encode() + buffer.getvalue())
    raw_pickle = pickle.dumps(Boom())
    with pytest.raises(wire.WireError):
        wire.unpack(wire.JSON_HEADER.pack(len(raw_pickle)) + raw_pickle)
    assert not marker.exists()


def test_wire_round_trip_keeps_types():
    value = {"a": [1, 2.5, None, True, "x", (1, 2)], 3: np.arange(6).reshape(2, 3), "f": float("nan"),
             "b": np.array([True, False]), "s": np.float32(1.5)}
    frame = wire.pack({"op": "result", "value": value}, 1 << 20)
    back = wire.unpack(frame[wire.FRAME_HEADER.size:])["value"]
    assert back["a"] == [1, 2.5, None, True, "x", (1, 2)]
    assert isinstance(back["a"][5], tuple)
    np.testing.assert_array_equal(back[3], np.arange(6).reshape(2, 3))
    assert back["b"].dtype == bool and back["s"] == 1.5 and np.isnan(back["f"])


def test_wire_refuses_what_may_not_cross():
    for value in (object(), np.array(["a"]), np.array([1 + 2j]), {1, 2}, [1, object()], b"bytes"):
        with pytest.raises(wire.WireError):
            wire.pack({"value": value}, 1 << 20)
    with pytest.raises(wire.TooLarge):
        wire.pack({"value": np.zeros(1000)}, 4000)
    deep: list = []
    for _ in range(40):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.pack({"value": deep}, 1 << 20)


def test_missing_submission_file_is_exit_2(tmp_path):
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp_path / "nope.py"),
                          "--assignment", str(TINY / "rubrics" / "tiny.yaml")], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip() == f"grader: no such file: {tmp_path / 'nope.py'}"


def test_folder_submission_and_name_resolution(tmp_path):
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "reference").mkdir()
    (tmp_path / "rubrics" / "tiny.yaml").write_text((TINY / "rubrics" / "tiny.yaml").read_text())
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


def test_engine_has_no_assignment_knowledge():
    words = re.compile(r"\b(hw2|conv2d|sgd|52444644|52,444,644|eta|min_norm|laplacian)\b", re.IGNORECASE)
    for path in (ROOT / "grader").rglob("*"):
        if path.suffix in (".py", ".json"):
            found = words.findall(path.read_text())
            assert not found, f"{path.name} mentions {found}"


def test_submission_folder_rules(tmp_path):
    from grader.errors import GraderError
    from grader.submission import locate

    upload = tmp_path / "upload"
    (upload / "__MACOSX" / "hw").mkdir(parents=True)
    (upload / "__MACOSX" / "hw" / "tiny.py").write_text("litter")
    (upload / ".DS_Store").write_text("")
    (upload / "hw").mkdir()
    (upload / "hw" / "tiny.py").write_text(CORRECT)
    assert locate(upload, "tiny.py") == upload / "hw" / "tiny.py"  # one folder down, litter ignored
    (upload / "tiny.py").write_text(CORRECT)
    assert locate(upload, "tiny.py") == upload / "tiny.py"  # the top wins
    other = tmp_path / "other"
    (other / "a").mkdir(parents=True)
    (other / "a" / "solution.py").write_text("")
    with pytest.raises(GraderError, match=r"expected tiny.py; found: a/solution.py\)"):
        locate(other, "tiny.py")


def test_wire_rejects_inconsistent_array_headers():
    good = wire.pack({"value": np.arange(6, dtype=np.int64).reshape(2, 3)}, 1 << 20)[wire.FRAME_HEADER.size:]
    assert wire.unpack(good)["value"].shape == (2, 3)
    (length,) = wire.JSON_HEADER.unpack_from(good)
    header = json.loads(good[wire.JSON_HEADER.size:wire.JSON_HEADER.size + length])
    data = good[wire.JSON_HEADER.size + length:]
    for spec in (["<i8", [3, 3], 48], ["<i8", [2, 3], 72], ["<i8", [-1], 48], ["<i8", "2,3", 48], ["<i8", [2, 3]]):
        forged = json.dumps({**header, "arrays": [spec]}).encode()
        with pytest.raises(wire.WireError):
            wire.unpack(wire.JSON_HEADER.pack(len(forged)) + forged + data)
    received = wire.unpack(good)["value"]
    received[0, 0] = 99  # an array of its own, not a read-only view of the message


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


PIPELINED = """
import os, time
TOKEN = os.urandom(8).hex()  # a new value in every fresh child
def token():
    return TOKEN
def hang():
    time.sleep(30)
def boom():
    os.kill(os.getpid(), 11)
"""


def test_pipelined_calls_keep_their_own_limits_and_restart_after_a_failure(tmp_path: Path) -> None:
    source = tmp_path / "piped.py"
    source.write_text(PIPELINED)
    names = ("token", "hang", "token", "boom", "token", "token")
    calls = [Call(name, pack_call(name, []), 1.0) for name in names]  # one group: written at once
    started = time.perf_counter()
    with ChildSession(source, "piped", Limits(call_seconds=1)) as session:
        outcomes = list(session.run(calls, started + 60))
    assert [o.status for o in outcomes] == ["ok", "timeout", "ok", "crashed", "ok", "ok"]
    tokens = [o.value for o in outcomes if o.ok]
    assert len(set(tokens[:3])) == 3 and tokens[2] == tokens[3]  # fresh after each failure, then kept
    assert time.perf_counter() - started < 8  # the hang cost its 1 s limit, not 30 s


def test_calls_after_the_submission_deadline_are_not_run(tmp_path: Path) -> None:
    source = tmp_path / "piped.py"
    source.write_text(PIPELINED)
    calls = [Call(name, pack_call(name, []), 10.0) for name in ("token", "hang", "token")]
    with ChildSession(source, "piped", Limits(call_seconds=10, submission_seconds=1.5)) as session:
        started = time.perf_counter()
        outcomes = list(session.run(calls, started + 1.5))
        elapsed = time.perf_counter() - started
    assert [o.status for o in outcomes] == ["ok", "timeout", "not_run"]
    assert outcomes[1].message.startswith("exceeded the time limit (1.") and elapsed < 5
    assert outcomes[2].message == "not run: the submission's time limit (1.5 s) was reached"


def test_raw_answers_are_decoded_later(tmp_path: Path) -> None:
    source = tmp_path / "arrays.py"
    source.write_text("import numpy as np\ndef ramp(n):\n    return np.arange(n, dtype=float)\n")
    with ChildSession(source, "arrays", Limits(), decode=False) as session:
        (raw,) = session.run([Call("ramp", pack_call("ramp", [4]), 5.0)], time.perf_counter() + 30)
    assert raw.ok and raw.value is None and raw.payload is not None
    assert np.array_equal(raw.decoded().value, [0.0, 1.0, 2.0, 3.0])


def test_answers_a_child_forges_never_crash_the_grader():
    """Student-controlled bytes that numpy or Python reject in ways other than WireError (a
    dtype of 3 bytes, a tuple holding a list as a dict key) are an unreadable answer."""
    forged = [
        ({"op": "result", "value": {"$array": 0}}, [["<f3", [1], 3]], b"\0\0\0"),
        ({"op": "result", "value": {"$dict": [[{"$tuple": [[1]]}, 1]]}}, [], b""),
        ({"op": "result", "value": {"$array": 0}}, [["<b2", [1], 2]], b"\0\0"),
    ]
    for body, arrays, data in forged:
        header = json.dumps({"body": body, "arrays": arrays})
        with pytest.raises(wire.WireError):
            wire.unpack(wire.JSON_HEADER.pack(len(header)) + header.encode() + data)


def test_a_slow_judge_does_not_lengthen_the_next_calls_limit(tmp_path: Path) -> None:
    """The calls of a group run back to back in the child: each one's limit counts from the
    previous answer, not from when the grader, busy judging, asks for the next outcome."""
    source = tmp_path / "timed.py"
    source.write_text("import time\ndef quick():\n    return 1\ndef slow(seconds):\n    time.sleep(seconds)\n"
                      "    return 2\n")
    calls = [Call("quick", pack_call("quick", []), 1.0), Call("slow", pack_call("slow", [1.6]), 1.0),
             Call("slow", pack_call("slow", [0.2]), 1.0)]
    seen = []
    with ChildSession(source, "timed", Limits(call_seconds=1)) as session:
        for outcome in session.run(calls, time.perf_counter() + 60):
            seen.append(outcome.status)
            time.sleep(1.0)  # judging that takes a second
    assert seen == ["ok", "timeout", "ok"]


def test_a_deeply_nested_answer_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    """json.loads raises RecursionError on 100,000 nested brackets: the child's answer is
    unreadable (a fresh child for the next call), never an exception in the grader."""
    source = tmp_path / "nested.py"
    source.write_text(
        "import json, os, struct\n"
        "def deep():\n"
        "    text = ('{\"body\": {\"op\": \"result\", \"value\": ' + '[' * 100000 + ']' * 100000"
        " + '}, \"arrays\": []}').encode()\n"
        "    payload = struct.pack('>I', len(text)) + text\n"
        "    os.write(1, struct.pack('>Q', len(payload)) + payload)\n"
        "    import time; time.sleep(30)\n"
        "def fine():\n"
        "    return 7\n")
    for decode in (True, False):
        calls = [Call("deep", pack_call("deep", []), 5.0), Call("fine", pack_call("fine", []), 5.0)]
        with ChildSession(source, "nested", Limits(call_seconds=5), decode=decode) as session:
            deep, fine = session.run(calls, time.perf_counter() + 60)
        assert deep.status == "protocol" and "malformed message" in deep.message
        assert fine.decoded().value == 7


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
    rubric = (TINY / "rubrics" / "tiny.yaml").read_text().replace("\nquestions:", "\nstdout_visibility: visible\n"
                                                                    "questions:", 1)
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "reference").mkdir()
    (tmp_path / "rubrics" / "tiny.yaml").write_text(rubric)
    (tmp_path / "reference" / "tiny.py").write_text((TINY / "reference" / "tiny.py").read_text())
    assignment = load_assignment(tmp_path / "rubrics" / "tiny.yaml")
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


def _tiny_with(tmp_path: Path, extra: str) -> Path:
    rubric = (TINY / "rubrics" / "tiny.yaml").read_text().replace("\nquestions:", f"\n{extra}\nquestions:", 1)
    (tmp_path / "rubrics").mkdir(exist_ok=True)
    (tmp_path / "reference").mkdir(exist_ok=True)
    (tmp_path / "rubrics" / "tiny.yaml").write_text(rubric)
    (tmp_path / "reference" / "tiny.py").write_text((TINY / "reference" / "tiny.py").read_text())
    return tmp_path / "rubrics" / "tiny.yaml"


def test_a_leaderboard_column_is_a_visible_checks_returned_number(tmp_path, results_schema):
    path = _tiny_with(tmp_path, "leaderboard:\n  - {name: dot product, check: 1/fixed-vectors, order: asc}")
    report = grade(load_assignment(path), TINY / "submissions" / "correct.py")
    data = assert_valid_results(to_results(report), results_schema)
    returned = next(r.outcome.value for r in report.checks if r.case.key == "1/fixed-vectors")
    assert data["leaderboard"] == [{"name": "dot product", "value": float(returned), "order": "asc"}]
    assert float(returned) == 1 * 4 + 2 * 5 + 3 * 6


@pytest.mark.parametrize(("entry", "message"), [
    ("{name: x, check: 1/random-vectors}", "is hidden: a leaderboard is public"),
    ("{name: x, check: 9/nothing}", "no check '9/nothing'"),
])
def test_a_leaderboard_entry_must_name_a_visible_check(entry, message, tmp_path):
    from grader.errors import RubricError

    path = _tiny_with(tmp_path, f"leaderboard:\n  - {entry}")
    with pytest.raises(RubricError, match=message) as raised:
        load_assignment(path)
    assert raised.value.line is not None  # the line of the entry
