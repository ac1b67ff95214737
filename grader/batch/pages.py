"""One page per submission, linked from the batch report: what the student reads (the results'
summary and every check's feedback, as Gradescope would show them) and, marked as such, what only
course staff see (hidden checks before their time, the grader's notes, the code's own output,
the files used and left out). Made from the results JSON alone, like the report."""

from __future__ import annotations

from html import escape
from typing import Any

from grader.batch.report import STYLE, Summary, number, page_path, timeout_text

STAFF = {"hidden", "after_due_date", "after_published"}  # not shown to the student at once


def _test_row(test: dict[str, Any]) -> str:
    visibility = str(test.get("visibility", "visible"))
    score = (f"{number(test.get('score'))} / {number(test.get('max_score'))}" if test.get("max_score") else
             "manual" if test.get("extra_data", {}).get("manual") else "")
    status = str(test.get("status") or "")
    shown = "" if visibility not in STAFF else f' <span class="staff">{escape(visibility.replace("_", " "))}</span>'
    return (f'<tr class="{escape(status)}"><td>{escape(str(test.get("name", "")))}{shown}</td>'
            f'<td class="n">{escape(score)}</td><td>{escape(status)}</td>'
            f'<td><pre>{escape(str(test.get("output", "")))}</pre></td></tr>')


def student_page(summary: Summary, data: dict[str, Any], assignment: str) -> str:
    who = ", ".join(f"{st.name} ({st.id})" if st.name and st.id else st.name or st.id for st in summary.students)
    total = "no score" if summary.total is None else number(summary.total)
    extra = data.get("extra_data", {})
    out = [f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(summary.key)}: '
           f'{escape(assignment)}</title><style>{STYLE}pre{{white-space:pre-wrap;margin:0;font-size:13px}}'
           ".staff{background:#fde8e8;border-radius:4px;padding:0 4px;font-size:12px}</style></head><body>",
           '<p><a href="../report.html">← the class report</a></p>',
           f"<h1>{escape(who or summary.key)}</h1>",
           f'<p class="muted">Submission {escape(summary.key)} · status <b>{escape(summary.status)}</b> · '
           f"total {escape(total)}</p>"]
    if summary.status == "timeout":
        out.append(f"<p>{escape(timeout_text(summary))}.</p>")
    out += ["<h2>What the student reads</h2>", f"<pre>{escape(str(data.get('output', '')))}</pre>",
            "<table><tr><th>test</th><th>score</th><th>status</th><th>feedback</th></tr>",
            *(_test_row(test) for test in data.get("tests", [])), "</table>",
            '<h2>For course staff <span class="staff">not shown to the student</span></h2><ul>']
    if extra.get("grader_error"):
        out.append(f"<li>Grader error: <pre>{escape(str(extra['grader_error']))}</pre></li>")
    files = extra.get("files")
    if isinstance(files, dict):
        left = "; ".join(f"{f.get('name')} ({f.get('why')})" for f in files.get("left_out", []) if isinstance(f, dict))
        out.append(f"<li>Files used: {escape(', '.join(map(str, files.get('used', []))))}"
                   + (f"; left out: {escape(left)}" if left else "") + "</li>")
    sandbox = extra.get("sandbox")
    if isinstance(sandbox, dict) and sandbox.get("summary"):
        out.append(f"<li>{escape(str(sandbox['summary']))}</li>")
    if extra.get("judge_errors"):
        out.append(f"<li>Checks the rubric could not judge: <pre>{escape(str(extra['judge_errors']))}</pre></li>")
    printed = str(extra.get("student_output", ""))
    out.append(f"<li>What the code printed: <pre>{escape(printed) if printed.strip() else '(nothing)'}</pre></li>")
    out.append("</ul></body></html>\n")
    return "\n".join(out)


def roster_html(summaries: list[Summary]) -> str:
    """The report's list of every submission, linked to its page: each student is reachable, not
    only those in a list of failures."""
    rows = []
    for summary in summaries:
        who = ", ".join(st.name or st.id for st in summary.students) or summary.key
        rows.append(f'<tr><td><a href="{escape(page_path(summary.key))}">{escape(summary.key)}</a></td>'
                    f"<td>{escape(who)}</td><td>{escape(summary.status)}</td>"
                    f'<td class="n">{escape(number(summary.grade))}</td></tr>')
    return ("<details><summary><h2 style=\"display:inline\">Every submission</h2></summary>"
            "<table><tr><th>submission</th><th>students</th><th>status</th><th>total</th></tr>"
            + "".join(rows) + "</table></details>")
