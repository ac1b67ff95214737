"""What each submission returned, case by case: kept for staff after a batch (OUTDIR/answers/).

The results say whether an answer was right; this record keeps the answer itself, so that a
class's wrong answers can be compared after the run (clusters.py). It is built by the worker
that graded the submission (`record`), carried back in `Done.answers`, and written by the
batch next to the results, as out of the students' reach as they are.

The values are plain data in wire.py's encoding (JSON plus raw array bytes, never pickle),
base64'd into one JSON file:

    {"format": "numgrader-answers", "version": 1, "key": ..., "fingerprint": ...,
     "submission_sha256": ..., "cases": [{"case": "1/random-vectors#2", "passed": false,
     "mistake": null, "value": "<base64>"}, ...], "cut": [...]}

Wrong answers come first, then right ones, while the submission's budget lasts
(`SUBMISSION_BYTES`); an answer over `VALUE_BYTES` is not kept, and the record says so
(`"cut"` on the case, and a line in `"cut"`). Reading one back (`read`) checks every field and
bound again: the values came from student code, and their sizes are the student's choice.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.grading import Report

FORMAT = "numgrader-answers"
VERSION = 1
VALUE_BYTES = 64 << 10  # one answer, as wire.pack encodes it
SUBMISSION_BYTES = 1 << 20  # all of a submission's answers together
FILE_BYTES = 3 << 20  # a file larger than this is not read (base64 and JSON around the budget)
MAX_CASES = 20_000
TEXT_CHARS = 300  # a case key, a mistake's name, a note
FOLDER = "answers"


@dataclass(frozen=True)
class Answer:
    """One case of one submission: whether it passed, the known mistake it was recognized as,
    and the value returned (when `kept`; else `note` says why not)."""

    case: str
    passed: bool
    mistake: str | None
    value: Any = None
    kept: bool = True
    note: str = ""
    encoded: bytes = b""  # the value as wire.pack wrote it: equal bytes, equal values


@dataclass(frozen=True)
class Answers:
    key: str
    fingerprint: str
    submission_sha256: str
    answers: tuple[Answer, ...]
    notes: tuple[str, ...] = ()  # what was cut when recording, or is unreadable now


class AnswersError(ValueError):
    """An answers file that cannot be used; the message says why, in one line."""


def path_of(out: Path, key: str) -> Path:
    return out / FOLDER / f"{key}.json"


def store(out: Path, key: str, text: str | None) -> None:
    """Write a submission's record (atomically, as its results), or remove a stale one when
    this run graded nothing of it (`text` None: an error row)."""
    from grader.files import write_atomically

    if text is None:
        path_of(out, key).unlink(missing_ok=True)
    else:
        write_atomically(path_of(out, key), text)


# -- recording (in the worker that graded) ---------------------------------------------------


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1 << 20 else f"{n / (1 << 20):.1f} MB"


def record(report: Report, meta: Mapping[str, Any]) -> str:
    """The answers record of a graded submission, as JSON text: every returned value, wrong
    ones first, within VALUE_BYTES each and SUBMISSION_BYTES in all."""
    from grader.boundary import wire

    results = [r for r in report.checks if r.outcome.ok]
    results.sort(key=lambda r: r.passed)  # (stable: the rubric's order within each)
    left, cases, large, over = SUBMISSION_BYTES, [], 0, 0
    for result in results:
        entry: dict[str, Any] = {"case": result.case.key, "passed": result.passed, "mistake": result.mistake}
        try:
            packed = wire.pack({"value": result.outcome.value}, VALUE_BYTES + 16)
        except wire.TooLarge:
            packed = None
            entry["cut"] = f"over {_size(VALUE_BYTES)}"
            large += 1
        except Exception as error:  # (it crossed once: it should encode again; a record never costs a result)
            packed = None
            entry["cut"] = f"cannot be encoded: {type(error).__name__}: {error}"[:TEXT_CHARS]
        if packed is not None:
            payload = packed[wire.FRAME_HEADER.size:]
            if len(payload) > left:
                entry["cut"] = f"over the {_size(SUBMISSION_BYTES)} kept per submission"
                over += 1
            else:
                left -= len(payload)
                entry["value"] = base64.b64encode(payload).decode("ascii")
        cases.append(entry)
    cut = []
    if large:
        cut.append(f"{large} answer(s) larger than {_size(VALUE_BYTES)} not kept")
    if over:
        cut.append(f"{over} answer(s) not kept: the submission's answers passed {_size(SUBMISSION_BYTES)}")
    document = {"format": FORMAT, "version": VERSION, "key": meta.get("key", ""),
                "fingerprint": meta.get("fingerprint", ""), "submission_sha256": meta.get("submission_sha256", ""),
                "cases": cases, "cut": cut}
    return json.dumps(document, separators=(",", ":"))


# -- reading back (in the parent, after the batch) --------------------------------------------


def _text(value: Any, what: str, *, optional: bool = False) -> str:
    if optional and value is None:
        return ""
    if type(value) is not str or len(value) > TEXT_CHARS:
        raise AnswersError(f"{what} is not a text of at most {TEXT_CHARS} characters")
    return value


def _value(entry: dict[str, Any]) -> tuple[Any, bytes, str]:
    """The decoded value of a case entry, its encoded bytes, and why it is missing ('' if not)."""
    from grader.boundary import wire

    if "value" not in entry:
        return None, b"", _text(entry.get("cut", "not kept"), "a case's cut note") or "not kept"
    text = entry["value"]
    if type(text) is not str or len(text) > (VALUE_BYTES + 16) * 4 // 3 + 4:
        return None, b"", f"its value is larger than {_size(VALUE_BYTES)}: not read"
    try:
        payload = base64.b64decode(text, validate=True)
        return wire.unpack(payload).get("value"), payload, ""
    except (binascii.Error, ValueError) as error:  # (wire.WireError is a ValueError)
        return None, b"", f"its value is unreadable: {error}"[:TEXT_CHARS]


def parse(text: str | bytes, *, source: str = "answers") -> Answers:
    """An answers record from its JSON text; raises AnswersError for a file that is not one. A
    single unreadable value costs only that value (its note says why)."""
    if len(text) > FILE_BYTES:
        raise AnswersError(f"{source}: {_size(len(text))}, more than the {_size(FILE_BYTES)} an answers "
                           "record may be: not read")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise AnswersError(f"{source}: not JSON ({type(error).__name__})") from None
    if type(data) is not dict or data.get("format") != FORMAT:
        raise AnswersError(f"{source}: not an answers record (no \"format\": \"{FORMAT}\")")
    if data.get("version") != VERSION:
        raise AnswersError(f"{source}: answers record version {data.get('version')!r}; this grader reads {VERSION}")
    cases, cut = data.get("cases"), data.get("cut", [])
    if type(cases) is not list or len(cases) > MAX_CASES:
        raise AnswersError(f"{source}: \"cases\" is not a list of at most {MAX_CASES} cases")
    if type(cut) is not list or len(cut) > 10:
        raise AnswersError(f"{source}: \"cut\" is not a short list of notes")
    try:
        notes = [_text(note, "a note") for note in cut]
        answers, seen, budget = [], set(), FILE_BYTES
        for entry in cases:
            if type(entry) is not dict:
                raise AnswersError("a case is not a mapping")
            case = _text(entry.get("case"), "a case key")
            if case in seen:
                raise AnswersError(f"case {case!r} is there twice")
            seen.add(case)
            if type(entry.get("passed")) is not bool:
                raise AnswersError(f"case {case!r}: \"passed\" is not true or false")
            mistake = _text(entry.get("mistake"), "a mistake's name", optional=True) or None
            value, encoded, note = _value(entry)
            budget -= len(encoded)
            if budget < 0:  # (cannot happen within FILE_BYTES; a bound all the same)
                raise AnswersError("its values add up to more than the file")
            answers.append(Answer(case, entry["passed"], mistake, value, not note, note, encoded))
        header = [_text(data.get(name), f"\"{name}\"") for name in ("key", "fingerprint", "submission_sha256")]
    except AnswersError as error:
        raise AnswersError(f"{source}: {error}") from None
    unreadable = sum(1 for a in answers if a.note.startswith("its value"))
    if unreadable:
        notes.append(f"{unreadable} value(s) unreadable")
    return Answers(header[0], header[1], header[2], tuple(answers), tuple(notes))


def read(path: Path) -> Answers:
    """The answers record at `path`; raises AnswersError (one line) when it cannot be used."""
    try:
        size = path.stat().st_size
        if size > FILE_BYTES:
            raise AnswersError(f"{path.name}: {_size(size)}, more than the {_size(FILE_BYTES)} an answers "
                               "record may be: not read")
        with path.open("rb") as stream:
            data = stream.read(FILE_BYTES + 1)
    except OSError as error:
        raise AnswersError(f"{path.name}: cannot be read: {error.strerror or error}") from None
    return parse(data, source=path.name)
