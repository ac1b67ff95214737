"""Per-student extensions for a batch (`grader batch ... --extensions FILE.csv`): a CSV with a
student column (`id`, `sid` or `email`, as the source names students) and a `due` column (ISO 8601
with its time zone). A group's deadline is the latest of its members'. Checked before anything
is graded: a bad row is one message with its line."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from grader.batch.source import Item
from grader.errors import GraderError
from grader.files import read_small_text
from grader.rubric_policies import parse_time

MAX_BYTES = 4 << 20
STUDENT_COLUMNS = ("id", "sid", "email")


def read_extensions(path: Path) -> dict[str, datetime]:
    """Student id or e-mail (lower case) → their own due date."""
    text = read_small_text(path, MAX_BYTES, "the extensions sheet")
    rows = csv.DictReader(io.StringIO(text))
    header = rows.fieldnames or []
    who = [name for name in STUDENT_COLUMNS if name in header]
    if "due" not in header or not who:
        raise GraderError(f"{path}:1: needs a `due` column and one of {', '.join(STUDENT_COLUMNS)}")
    out: dict[str, datetime] = {}
    first: dict[str, int] = {}  # student -> the line that gave their due date
    for line, row in enumerate(rows, start=2):
        students = [str(row.get(name) or "").strip().lower() for name in who]
        if not any(students) and not str(row.get("due") or "").strip():
            continue
        try:
            due = parse_time(str(row.get("due") or "").strip())
        except ValueError as error:
            raise GraderError(f"{path}:{line}: due: {error}") from None
        if not any(students):
            raise GraderError(f"{path}:{line}: no student ({', '.join(who)}) for this due date")
        for student in filter(None, students):
            if student in first:
                raise GraderError(f"{path}:{line}: {student} has a due date on line {first[student]} already")
            out[student], first[student] = due, line
    return out


def unused_extensions(extensions: dict[str, datetime], items: list[Item]) -> list[str]:
    """A line for the extensions that match no student of the batch (a typo costs someone their
    extension), or none."""
    known = {name.lower() for item in items for student in item.students for name in (student.id, student.email)
             if name}
    unused = sorted(set(extensions) - known)
    if not unused:
        return []
    shown = ", ".join(unused[:10]) + (" ..." if len(unused) > 10 else "")
    return [f"extensions for no student of this batch (check their id or e-mail): {shown}"]


def own_due(item: Item, extensions: dict[str, datetime]) -> str | None:
    """The submission's own deadline: the latest of the metadata's and its students' extensions."""
    found = [parse_time(item.due)] if item.due else []
    for student in item.students:
        for name in (student.id, student.email):
            if name and name.lower() in extensions:
                found.append(extensions[name.lower()])
    return max(found).isoformat() if found else None
