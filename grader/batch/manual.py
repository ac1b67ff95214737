"""Manual questions in a batch: a sheet for the graders (`manual.csv`: one row per submission,
an empty column per manual question, and the student's answer beside it where the rubric says
where it is; `manual.html`: the same answers to read), and their scores merged back
(`--manual SCORES.csv`).

The merged scores are kept in OUTDIR/manual-scores.json, so a rerun keeps them; each is checked
against its question's points before anything is written, and a bad sheet is one message with
its line.
"""

from __future__ import annotations

import csv
import io
import json
import math
from html import escape
from pathlib import Path
from urllib.parse import quote

from grader.batch.report import STYLE, Layout, Summary, number
from grader.errors import GraderError
from grader.files import read_small_text

KEPT = "manual-scores.json"
MAX_SHEET_BYTES = 8 << 20

Scores = dict[str, dict[str, float]]  # submission key -> manual question id -> score


def sheet_csv(layout: Layout, summaries: list[Summary], scores: Scores) -> str:
    """The graders' sheet: what was already merged is filled in."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["submission", "id", "name", *(q.id for q in layout.manual),
                     *(answer_column(qid) for qid in layout.answered)])
    for summary in summaries:
        who = summary.students[0] if summary.students else None
        given = scores.get(summary.key, {})
        writer.writerow([summary.key, who.id if who else "", who.name if who else "",
                         *(number(given[q.id]) if q.id in given else "" for q in layout.manual),
                         *(summary.answers.get(qid, "") for qid in layout.answered)])
    return stream.getvalue()


def answer_column(question_id: str) -> str:
    return f"{question_id} answer"


def sheet_html(layout: Layout, summaries: list[Summary], scores: Scores) -> str:
    """The answers to read, a question at a time: who, what they wrote, the score merged so far
    (scores are entered in manual.csv; this page is for reading)."""
    out = [f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Manual questions: '
           f'{escape(layout.assignment)}</title><style>{STYLE}pre{{white-space:pre-wrap;margin:0;font-size:13px}}'
           '</style></head><body><p><a href="report.html">← the class report</a></p>',
           f"<h1>Manual questions: {escape(layout.title or layout.assignment)}</h1>",
           "<p>Enter scores in <code>manual.csv</code> (one column per question, within its points), then run "
           "<code>grader batch … --manual manual.csv</code>: they are merged into <code>grades.csv</code> and the "
           "report.</p>"]
    for question in layout.manual:
        out.append(f"<h2>{escape(question.id)} {escape(question.name)} ({escape(number(question.points))} "
                   "points)</h2>")
        if question.id not in layout.answered:
            out.append('<p class="muted">The rubric does not say where this answer is (a question\'s '
                       "<code>answer: {function: …}</code>): read it in each submission.</p>")
            continue
        out.append("<table><tr><th>submission</th><th>student</th><th>answer</th><th>score</th></tr>")
        for summary in summaries:
            who = ", ".join(st.name or st.id for st in summary.students)
            given = scores.get(summary.key, {}).get(question.id)
            out.append(f'<tr><td><a href="students/{quote(summary.key)}.html">{escape(summary.key)}</a></td>'
                       f"<td>{escape(who)}</td><td><pre>{escape(summary.answers.get(question.id, ''))}</pre></td>"
                       f'<td class="n">{escape(number(given))}</td></tr>')
        out.append("</table>")
    out.append("</body></html>\n")
    return "\n".join(out)


def read_sheet(path: Path, layout: Layout, keys: set[str]) -> Scores:
    """The scores of a filled-in sheet (blank cells: not graded yet). Raises GraderError."""
    text = read_small_text(path, MAX_SHEET_BYTES, "the manual scores sheet")
    rows = csv.reader(io.StringIO(text))
    header = next(rows, [])
    points = {q.id: q.points for q in layout.manual}
    if "submission" not in header:
        raise GraderError(f"{path}:1: needs a `submission` column (as in the batch's manual.csv)")
    answers = {answer_column(qid) for qid in points}  # the sheet's own columns of answers: read, not scored
    unknown = [name for name in header
               if name not in ("submission", "id", "name") and name not in points and name not in answers]
    if unknown:
        raise GraderError(f"{path}:1: {', '.join(unknown)} is not a manual question of this rubric "
                          f"(manual: {', '.join(points) or 'none'})")
    out: Scores = {}
    first: dict[str, int] = {}  # submission -> its row's line
    for line, row in enumerate(rows, start=2):
        values = dict(zip(header, row, strict=False))
        key = values.get("submission", "").strip()
        if not key:
            continue
        if key not in keys:
            raise GraderError(f"{path}:{line}: no submission {key!r} in this batch")
        if key in first:  # which of two scores is meant cannot be guessed
            raise GraderError(f"{path}:{line}: submission {key!r} has a row on line {first[key]} already")
        first[key] = line
        if len(row) > len(header):
            raise GraderError(f"{path}:{line}: {len(row)} cells, but the header names {len(header)} columns")
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
