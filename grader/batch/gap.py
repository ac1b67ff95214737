"""The visible→hidden gap, per question: the share of students who pass every visible check of
a question but fail one of its hidden checks. A large share means the visible checks do not
guide students to what the hidden ones test (an edge case, another shape, random inputs).
Made from the summaries alone, like the rest of the report."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from grader.batch.report import Layout, Summary


@dataclass(frozen=True)
class Gap:
    question: str
    name: str
    students: int  # scored students who pass every visible check of the question
    fail_hidden: int  # of them, those who fail a hidden check of it


def gaps(layout: Layout, summaries: list[Summary]) -> list[Gap]:
    """One row per question that has both visible and hidden checks."""
    out = []
    for question in layout.questions:
        keys = [key for key, (qid, _) in layout.checks.items() if qid == question.id]
        hidden = [key for key in keys if key in layout.hidden]
        visible = [key for key in keys if key not in layout.hidden]
        if not hidden or not visible:
            continue
        passing = [s for s in summaries if s.scored and not set(visible) & set(s.failed)]
        failing = [s for s in passing if set(hidden) & set(s.failed)]
        out.append(Gap(question.id, question.name, sum(s.weight for s in passing), sum(s.weight for s in failing)))
    return out


def gap_html(rows: list[Gap]) -> str:
    if not rows:
        return ""
    lines = ["<h2>Visible checks passed, hidden ones failed</h2>",
             '<p class="muted">Per question: of the students who pass every visible check, how many fail a hidden '
             "one. A large share: the visible checks do not lead students to what the hidden ones test.</p>",
             "<table><tr><th>question</th><th>pass every visible check</th><th>of them, fail a hidden one</th>"
             "<th>share</th></tr>"]
    for row in rows:
        share = f"{100 * row.fail_hidden / row.students:.0f}%" if row.students else "–"
        lines.append(f"<tr><td>{escape(row.question)} {escape(row.name)}</td><td class=\"n\">{row.students}</td>"
                     f'<td class="n">{row.fail_hidden}</td><td class="n">{share}</td></tr>')
    lines.append("</table>")
    return "\n".join(lines)
