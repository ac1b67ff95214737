"""The answers record (grader/batch/answers.py): what it keeps, its bounds, and reading back
files that may be anything."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from grader.batch import answers
from grader.batch.answers import AnswersError, parse, read, record, store
from grader.boundary import wire


def _report(*checks: tuple[str, bool, Any, str | None], ok: bool = True) -> Any:
    """A stand-in for a grading Report: what `record` reads of each CheckResult."""
    return SimpleNamespace(checks=[
        SimpleNamespace(case=SimpleNamespace(key=key), passed=passed, mistake=mistake,
                        outcome=SimpleNamespace(ok=ok, value=value))
        for key, passed, value, mistake in checks])


META = {"key": "alice", "fingerprint": "f" * 64, "submission_sha256": "s" * 64}


def test_a_record_keeps_every_returned_value_wrong_ones_first_and_reads_back_equal() -> None:
    vector = np.arange(6, dtype=np.int64).reshape(2, 3)
    report = _report(("1/a", True, 1.5, None), ("1/b#1", False, vector, "off by one"),
                     ("2/c", False, ("text", {"k": [1, None]}), None))
    back = parse(record(report, META))
    assert (back.key, back.fingerprint, back.submission_sha256) == ("alice", "f" * 64, "s" * 64)
    assert [a.case for a in back.answers] == ["1/b#1", "2/c", "1/a"]
    b, c, a = back.answers
    assert (b.passed, b.mistake, a.passed, a.mistake) == (False, "off by one", True, None)
    assert b.value.dtype == np.int64 and np.array_equal(b.value, vector)
    assert c.value == ("text", {"k": [1, None]}) and a.value == 1.5
    assert all(x.kept and x.note == "" for x in back.answers) and back.notes == ()
    # equal values, equal bytes: what clustering groups by before comparing
    again = parse(record(_report(("1/b#1", False, vector.copy(), None)), META))
    assert again.answers[0].encoded == b.encoded


def test_calls_that_returned_nothing_are_not_recorded() -> None:
    assert parse(record(_report(("1/a", False, None, None), ok=False), META)).answers == ()


def test_a_value_that_cannot_be_encoded_again_is_noted_not_raised() -> None:
    back = parse(record(_report(("1/odd", False, object(), None), ("1/fine", False, 1.0, None)), META))
    odd, fine = back.answers
    assert not odd.kept and odd.note.startswith("cannot be encoded: WireError: an object of type builtins.object")
    assert fine.kept and fine.value == 1.0


def test_an_answer_over_the_per_value_bound_is_cut_and_the_cut_is_said() -> None:
    big = np.zeros(answers.VALUE_BYTES // 8 + 1)  # one float more than fits
    back = parse(record(_report(("1/big", False, big, None), ("1/small", False, 2.0, None)), META))
    cut, small = back.answers
    assert not cut.kept and cut.value is None and "over 64 KB" in cut.note
    assert small.kept and small.value == 2.0
    assert back.notes == ("1 answer(s) larger than 64 KB not kept",)


def test_the_submission_budget_keeps_wrong_answers_before_right_ones() -> None:
    each = np.ones(answers.VALUE_BYTES // 8 - 64)  # just under the per-value bound
    size = len(wire.pack({"value": each}, 1 << 30)) - wire.FRAME_HEADER.size
    fits = answers.SUBMISSION_BYTES // size
    checks = [(f"1/right#{i}", True, each, None) for i in range(fits)]  # first in the rubric's order
    checks += [(f"2/wrong#{i}", False, each, None) for i in range(3)]
    back = parse(record(_report(*checks), META))
    kept = [a.case for a in back.answers if a.kept]
    assert len(kept) == fits and all(f"2/wrong#{i}" in kept for i in range(3))
    assert [a.note for a in back.answers if not a.kept] == ["over the 1.0 MB kept per submission"] * 3
    assert back.notes == ("3 answer(s) not kept: the submission's answers passed 1.0 MB",)


def _document(**changes: Any) -> dict[str, Any]:
    data = json.loads(record(_report(("1/a", False, 3.0, None), ("1/b", False, [1, 2], None)), META))
    data.update(changes)
    return data


@pytest.mark.parametrize("text, says", [
    ("[" * 100_000 + "]" * 100_000, "not JSON"),
    ("{\"format\": 1}", "not an answers record"),
    ("not json at all", "not JSON"),
    (json.dumps(_document(version=99)), "version 99"),
    (json.dumps(_document(cases={"1/a": 1})), "\"cases\" is not a list"),
    (json.dumps(_document(cases=[{"case": "x"}] * (answers.MAX_CASES + 1))), "at most 20000 cases"),
    (json.dumps(_document(cases=[{"case": "x" * 1000, "passed": False}])), "a case key is not a text"),
    (json.dumps(_document(cases=[{"case": "1/a", "passed": "no"}])), "\"passed\" is not true or false"),
    (json.dumps(_document(cases=[{"case": "1/a", "passed": False}] * 2)), "is there twice"),
    (json.dumps(_document(key=["alice"])), "\"key\" is not a text"),
    (json.dumps(_document(cut="everything")), "\"cut\" is not a short list"),
])
def test_a_file_that_is_no_answers_record_is_refused_in_one_line(text: str, says: str) -> None:
    with pytest.raises(AnswersError) as error:
        parse(text, source="alice.json")
    message = str(error.value)
    assert message.startswith("alice.json: ") and says in message and "\n" not in message


def _forged(payload: bytes) -> str:
    return base64.b64encode(payload).decode()


def test_an_unreadable_value_costs_only_that_value() -> None:
    good = json.loads(record(_report(("1/good", False, [1.0, 2.0], None)), META))["cases"][0]
    header = json.dumps({"body": {"value": {"$array": 0}}, "arrays": [["|O8", [2], 16]]}).encode()
    object_array = wire.JSON_HEADER.pack(len(header)) + header + bytes(16)
    short = json.dumps({"body": {"value": {"$array": 0}}, "arrays": [["<f8", [1000], 8000]]}).encode()
    truncated = wire.JSON_HEADER.pack(len(short)) + short + bytes(8)
    cases = [good, {"case": "1/b64", "passed": False, "value": "@@not base64@@"},
             {"case": "1/object", "passed": False, "value": _forged(object_array)},
             {"case": "1/truncated", "passed": False, "value": _forged(truncated)},
             {"case": "1/huge", "passed": False, "value": "A" * (answers.VALUE_BYTES * 2)},
             {"case": "1/cut", "passed": False, "cut": "over 64 KB"}]
    back = parse(json.dumps(_document(cases=cases)))
    by_case = {a.case: a for a in back.answers}
    assert by_case["1/good"].kept and by_case["1/good"].value == [1.0, 2.0]
    for case in ("1/b64", "1/object", "1/truncated"):
        assert not by_case[case].kept and by_case[case].note.startswith("its value is unreadable"), case
    assert by_case["1/huge"].note == "its value is larger than 64 KB: not read"
    assert by_case["1/cut"].note == "over 64 KB"
    assert back.notes == ("4 value(s) unreadable",)


def test_read_refuses_an_oversized_file_before_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "alice.json"
    with path.open("wb") as stream:
        stream.truncate(answers.FILE_BYTES + 1)
    with pytest.raises(AnswersError, match=r"^alice.json: 3.0 MB, more than the 3.0 MB an answers record may be"):
        read(path)
    with pytest.raises(AnswersError, match="cannot be read"):
        read(tmp_path / "nobody.json")


def test_store_writes_the_record_and_removes_a_stale_one(tmp_path: Path) -> None:
    text = record(_report(("1/a", False, 3.0, None)), META)
    store(tmp_path, "alice", text)
    assert read(answers.path_of(tmp_path, "alice")).answers[0].value == 3.0
    store(tmp_path, "alice", None)  # a rerun that graded nothing of it: no record of the old answers
    assert not answers.path_of(tmp_path, "alice").exists()
