"""Manual questions in a batch: a sheet for the graders (`manual.csv`: one row per submission,
an empty column per manual question), and their scores merged back (`--manual SCORES.csv`).

The merged scores are kept in OUTDIR/manual-scores.json, so a rerun keeps them; each is checked
against its question's points before anything is written, and a bad sheet is one message with
its line.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from grader.batch.report import Layout, Summary, number
from grader.errors import GraderError

KEPT = "manual-scores.json"
MAX_SHEET_BYTES = 8 << 20

Scores = dict[str, dict[str, float]]  # submission key -> manual question id -> score


def sheet_csv(layout: Layout, summaries: list[Summary], scores: Scores) -> str:
    """The graders' sheet: what was already merged is filled in."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["submission", "id", "name", *(q.id for q in layout.manual)])
    for summary in summaries:
        who = summary.students[0] if summary.students else None
        given = scores.get(summary.key, {})
        writer.writerow([summary.key, who.id if who else "", who.name if who else "",
                         *(number(given[q.id]) if q.id in given else "" for q in layout.manual)])
    return stream.getvalue()


def read_sheet(path: Path, layout: Layout, keys: set[str]) -> Scores:
    """The scores of a filled-in sheet (blank cells: not graded yet). Raises GraderError."""
    try:
        if path.stat().st_size > MAX_SHEET_BYTES:
            raise GraderError(f"{path}: larger than {MAX_SHEET_BYTES >> 20} MB; is it the manual scores sheet?")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise GraderError(f"{path}: cannot be read ({error})") from None
    rows = csv.reader(io.StringIO(text))
    header = next(rows, [])
    points = {q.id: q.points for q in layout.manual}
    if "submission" not in header:
        raise GraderError(f"{path}:1: needs a `submission` column (as in the batch's manual.csv)")
    unknown = [name for name in header if name not in ("submission", "id", "name") and name not in points]
    if unknown:
        raise GraderError(f"{path}:1: {', '.join(unknown)} is not a manual question of this rubric "
                          f"(manual: {', '.join(points) or 'none'})")
    out: Scores = {}
    for line, row in enumerate(rows, start=2):
        values = dict(zip(header, row, strict=False))
        key = values.get("submission", "").strip()
        if not key:
            continue
        if key not in keys:
            raise GraderError(f"{path}:{line}: no submission {key!r} in this batch")
        for qid, top in points.items():
            cell = values.get(qid, "").strip()
            if not cell:
                continue
            try:
                score = float(cell)
            except ValueError:
                raise GraderError(f"{path}:{line}: {qid}: {cell!r} is not a number") from None
            if not math.isfinite(score) or not 0 <= score <= top:
                raise GraderError(f"{path}:{line}: {qid}: {cell} is outside 0..{number(top)} (the question's points)")
            out.setdefault(key, {})[qid] = score
    return out


def kept(out: Path) -> Scores:
    try:
        data = json.loads((out / KEPT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): {str(q): float(s) for q, s in v.items()} for k, v in data.items() if isinstance(v, dict)}


def merged(old: Scores, new: Scores) -> Scores:
    out = {key: dict(value) for key, value in old.items()}
    for key, value in new.items():
        out.setdefault(key, {}).update(value)
    return out
