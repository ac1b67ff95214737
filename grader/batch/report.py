"""The batch's gradebook (`grades.csv`) and report (`report.html`), made from results JSON only.

Both are regenerated from the per-submission results present in OUTDIR, so they can be
rebuilt at any time (after a Ctrl-C, after a crash) and always agree with those files.
The report is one self-contained HTML file: charts are inline SVG, no script, no network.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import quote

from grader import table
from grader.batch.source import Student
from grader.rubric import Rubric, check_key
from grader.text import points

# Every row has one: graded (as far as it ran), the file could not be loaded, a time limit cut it
# short, no file to grade, the submission could not be graded, the grader itself failed.
STATUSES = ("graded", "import error", "timeout", "missing file", "error", "grader error")
UNSCORED = frozenset({"missing file", "error", "grader error"})  # no total: not a zero, a row to look at
BAR = "#3b6ea5"  # the charts' bar colour; the screenshot test looks for it


@dataclass(frozen=True)
class Question:
    id: str
    name: str
    points: float


@dataclass(frozen=True)
class Layout:
    """What the gradebook and the report need to know of the assignment."""

    assignment: str
    title: str
    questions: tuple[Question, ...]  # autograded questions, in rubric order
    checks: dict[str, tuple[str, str]]  # check key (without #case) → (question id, check name)
    mistakes: tuple[str, ...]  # the rubric's declared mistakes, in order
    manual: tuple[Question, ...] = ()
    answered: tuple[str, ...] = ()  # manual questions whose answers the batch collects (Question.answer)
    late: bool = False  # the rubric has a late policy: grades.csv has a column of penalties
    hidden: frozenset[str] = frozenset()  # check keys a student does not see at once (not `visible`)

    @property
    def max_total(self) -> float:
        return sum(q.points for q in self.questions)


def layout_of(rubric: Rubric) -> Layout:
    """The gradebook's columns: the rubric's alone (no reference, no cases: `grader batch` can
    start its workers before it loads anything heavy)."""
    points: dict[str, float] = {}
    checks: dict[str, tuple[str, str]] = {}
    mistakes: list[str] = []
    for question in rubric.questions:
        for check in question.checks:
            points[question.id] = points.get(question.id, 0.0) + check.points
            checks.setdefault(check_key(question, check), (question.id, check.name))
            mistakes += [m.name for m in check.mistakes if m.name not in mistakes]
    questions = tuple(Question(q.id, q.name, points.get(q.id, 0.0)) for q in rubric.questions if not q.manual)
    manual = tuple(Question(q.id, q.name, q.points or 0.0) for q in rubric.questions if q.manual)
    answered = tuple(q.id for q in rubric.questions if q.manual and q.answer is not None)
    hidden = frozenset(check_key(q, c) for q in rubric.questions for c in q.checks
                       if (c.visibility or rubric.visibility) != "visible")
    return Layout(rubric.assignment, rubric.title, questions, checks, tuple(mistakes), manual, answered,
                  rubric.late is not None, hidden)


@dataclass
class Summary:
    """One submission's row material, read back from its results JSON."""

    key: str
    students: tuple[Student, ...]
    status: str
    total: float | None  # None: not scored (UNSCORED)
    questions: dict[str, float] = field(default_factory=dict)  # empty for an error
    failed: tuple[str, ...] = ()  # check keys (without #case) not fully passed
    mistakes: tuple[str, ...] = ()  # names of the recognized mistakes
    message: str = ""
    timeouts: tuple[tuple[str, int], ...] = ()  # (function, calls that hit their time limit)
    fingerprint: str = ""  # what it was graded against (rubric, reference, grader version)
    manual: dict[str, float] = field(default_factory=dict)  # manual question id -> the graders' score (manual.py)
    answers: dict[str, str] = field(default_factory=dict)  # manual question id -> the answer collected, or why none
    late: float = 0.0  # points the late policy took off (already out of `total`)

    @property
    def grade(self) -> float | None:
        """The total with the manual scores merged so far."""
        return None if self.total is None else round(self.total + sum(self.manual.values()), 6)

    @property
    def scored(self) -> bool:
        return self.status not in UNSCORED

    @property
    def weight(self) -> int:
        """How many students this submission counts for."""
        return max(1, len(self.students))


def summarize(data: dict[str, Any]) -> Summary:
    batch = data.get("extra_data", {}).get("batch", {})
    students = tuple(Student(s.get("id", ""), s.get("name", ""), s.get("email", "")) for s in batch.get("students", []))
    status = batch.get("status", "graded")
    questions: dict[str, float] = {}
    failed: list[str] = []
    mistakes: list[str] = []
    timeouts: Counter[str] = Counter()
    answers: dict[str, str] = {}
    late = 0.0
    for test in data.get("tests", []):
        extra = test.get("extra_data", {})
        if "late" in test.get("tags", []):
            late = -float(test.get("score") or 0.0)
        answer = extra.get("answer")
        if extra.get("manual") and isinstance(answer, dict):
            text = answer.get("text")
            answers[str(test.get("number", ""))] = (str(text) if text is not None
                                                    else f"[no answer: {answer.get('problem', '')}]")
        check = str(extra.get("check", "")).split("#")[0]
        if not check:  # manual questions, notes for instructors, the grader's own error
            continue
        if extra.get("outcome") == "timeout":
            timeouts[str(extra.get("function", "?"))] += 1
        questions[test["number"]] = questions.get(test["number"], 0.0) + float(test["score"])
        if test.get("status") == "failed" and check not in failed:
            failed.append(check)
        mistake = extra.get("mistake")
        if mistake and mistake not in mistakes:
            mistakes.append(mistake)
    stored = batch.get("questions")
    if isinstance(stored, dict):  # summed before rounding: exact where the tests' sum is not
        questions = {str(k): float(v) for k, v in stored.items()}
    extra = data.get("extra_data", {})
    message = str(extra.get("grader_error") or extra.get("submission_error") or batch.get("import_error") or "")
    total = float(data.get("score", 0.0)) if status not in UNSCORED else None
    return Summary(str(batch.get("key", "")), students, status, total, questions, tuple(failed), tuple(mistakes),
                   message, tuple(sorted(timeouts.items(), key=lambda kv: (-kv[1], kv[0]))),
                   str(batch.get("fingerprint", "")), answers=answers, late=late)


def number(value: float | None) -> str:
    """A score as the gradebook writes it: as results.json and the table do; blank for none."""
    return "" if value is None else table.number(value)


# -- grades.csv ------------------------------------------------------------------------------


def csv_header(layout: Layout) -> list[str]:
    return ["id", "name", "email", "submission", *(q.id for q in layout.questions), *(q.id for q in layout.manual),
            *(["late penalty"] if layout.late else []), "total", "status"]


def csv_rows(layout: Layout, summaries: list[Summary]) -> list[list[str]]:
    """One row per student (a group submission gives each of its students the same row)."""
    rows = []
    for summary in summaries:
        scores = [number(summary.questions.get(q.id, 0.0)) if summary.scored else "" for q in layout.questions]
        manual = [number(summary.manual[q.id]) if q.id in summary.manual else "" for q in layout.manual]
        late = [number(-summary.late) if summary.late else ""] if layout.late else []
        for student in summary.students or (Student(""),):
            rows.append([student.id, student.name, student.email, summary.key, *scores, *manual, *late,
                         number(summary.grade), summary.status])
    return rows


def grades_csv(layout: Layout, summaries: list[Summary]) -> str:
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(csv_header(layout))
    writer.writerows(csv_rows(layout, summaries))
    return stream.getvalue()


# -- charts ----------------------------------------------------------------------------------


def histogram(values: list[tuple[float, int]], top: float, bins: int) -> list[int]:
    """Weighted counts in `bins` equal bins over [0, top]; full marks fall in the last one."""
    counts = [0] * bins
    width = top / bins if top > 0 else 1.0
    for value, weight in values:
        counts[min(bins - 1, max(0, int(value / width + 1e-9)))] += weight
    return counts


def bin_count(top: float, most: int) -> int:
    """The most bins (at most `most`) of a round width that tile [0, top] exactly."""
    for width in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 250, 500, 1000):
        n = top / width
        if abs(n - round(n)) < 1e-6 and 1 <= round(n) <= most:
            return round(n)
    return most


def x_ticks(top: float, steps: int = 8) -> list[float]:
    """Round tick values from 0 to `top` (at most `steps` steps), and `top` itself."""
    if top <= 0:
        return [0.0]
    step = next((w for w in (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 250, 500)
                 if top / w <= steps), top / 4)
    ticks = [round(i * step, 9) for i in range(int(top / step + 1e-9) + 1)]
    if top - ticks[-1] > step / 4:
        ticks.append(top)
    elif top - ticks[-1] > 1e-9:
        ticks[-1] = top
    return ticks


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top / step <= 5:
            return step
    return max(1, top // 5)


def histogram_svg(name: str, label: str, counts: list[int], top: float, *, width: int = 640,
                  height: int = 240, x_label: str = "score") -> str:
    """A histogram as inline SVG: one bar per bin over [0, top], count axis with grid lines."""
    left, right, top_pad, bottom = 44, 16, 16, 46
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    highest = max([*counts, 1])
    step = _nice_step(highest)
    y_max = max(step, -(-highest // step) * step)
    bins = max(1, len(counts))
    slot = plot_w / bins
    bin_width = top / bins if top > 0 else 1.0
    base = top_pad + plot_h
    parts = [f'<svg class="chart" data-chart="{escape(name)}" role="img" aria-label="{escape(label)}" '
             f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(label)}</title>']
    for tick in range(0, y_max + 1, step):
        y = base - plot_h * tick / y_max
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>'
                     f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    for i, count in enumerate(counts):
        if not count:
            continue
        h = plot_h * count / y_max
        x, y = left + i * slot + 1, base - h
        low, high = number(i * bin_width), number((i + 1) * bin_width)
        span = f"{low} to {high}" + (" (full marks included)" if i == bins - 1 else "")
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(slot - 2, 1):.1f}" '
                     f'height="{h:.1f}" fill="{BAR}"><title>{escape(span)}: {count}</title></rect>')
        parts.append(f'<text class="count" x="{x + slot / 2 - 1:.1f}" y="{y - 3:.1f}" '
                     f'text-anchor="middle">{count}</text>')
    for value in x_ticks(top, 8 if width >= 800 else 5):
        x = left + plot_w * (value / top if top > 0 else 0)
        parts.append(f'<line class="axis" x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 4}"/>'
                     f'<text class="tick" x="{x:.1f}" y="{base + 16}" text-anchor="middle">{number(value)}</text>')
    parts.append(f'<line class="axis" x1="{left}" y1="{base}" x2="{width - right}" y2="{base}"/>')
    parts.append(f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{height - 8}" '
                 f'text-anchor="middle">{escape(x_label)}</text></svg>')
    return "".join(parts)


# -- report.html -----------------------------------------------------------------------------

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;
max-width:1120px;padding:0 16px;color:#1f2933;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #d9e2ec}
.muted{color:#627d98}.partial{background:#fff4ce;border:1px solid #e0c36a;padding:8px 12px;border-radius:6px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:14px 0}.card{border:1px solid #d9e2ec;border-radius:8px;
padding:8px 14px;min-width:110px}.card b{display:block;font-size:22px}
.grid2{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:8px 20px}
figure{margin:0}svg.chart{max-width:100%;height:auto;display:block}figcaption{font-weight:600;margin:6px 0 2px}
svg.chart .grid{stroke:#e4e7eb}svg.chart .axis{stroke:#52606d}svg.chart text{fill:#3e4c59;font-size:11px}
svg.chart .axis-label{fill:#627d98}svg.chart .count{font-size:10px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e4e7eb;
vertical-align:top}th{background:#f5f7fa}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.meter{background:#e4e7eb;border-radius:3px;height:10px;width:160px}.meter span{display:block;height:10px;
border-radius:3px;background:""" + BAR + "}"


def _meter(fraction: float) -> str:
    return f'<div class="meter"><span style="width:{max(0.0, min(1.0, fraction)) * 100:.1f}%"></span></div>'


def _students(count: int) -> str:
    return f"{count} student{'s' if count != 1 else ''}"


def page_link(summary: Summary, text: str | None = None) -> str:
    """A link to the submission's own page (pages.py), named by its students."""
    label = text or ", ".join(st.name or st.id for st in summary.students if st.name or st.id) or summary.key
    return f'<a href="{escape(page_path(summary.key))}">{escape(label)}</a>'


def page_path(key: str) -> str:
    return f"students/{quote(key, safe='')}.html"


def _who(summaries: list[Summary]) -> str:
    """The students, linked to their pages, folded under a count."""
    links = ", ".join(page_link(s) for s in summaries)
    return f"<details><summary>who</summary>{links}</details>" if summaries else ""


def _run_line(summaries: list[Summary], generated: str) -> str:
    prints = sorted({s.fingerprint[:12] for s in summaries if s.fingerprint})
    graded_against = (f"graded against rubric fingerprint {', '.join(prints)}" if len(prints) == 1 else
                      f"graded against {len(prints)} different rubric fingerprints ({', '.join(prints)}): "
                      "rerun with --force to grade all against the current one" if prints else "")
    return "; ".join(part for part in (f"report written {generated}" if generated else "", graded_against) if part)


def timeout_text(summary: Summary) -> str:
    """Which functions hit their time limit, and how often."""
    if not summary.timeouts:
        return "a time limit was reached (the import, or the whole submission's); the checks not run score 0"
    calls = ", ".join(f"{name}() {count} time{'s' if count != 1 else ''}" for name, count in summary.timeouts)
    return f"time limit reached by {calls}; those checks score 0"


def report_html(layout: Layout, summaries: list[Summary], *, expected: int | None = None, generated: str = "",
                sections: tuple[str, ...] = ()) -> str:
    """The batch report. `expected`: how many submissions the batch has (to flag a partial one);
    `generated`: when (a date, shown with the rubric fingerprints the results were graded against)."""
    scored = [s for s in summaries if s.scored]
    students = sum(s.weight for s in summaries)
    scored_students = sum(s.weight for s in scored)
    by_status: Counter[str] = Counter()
    for s in summaries:
        by_status[s.status] += s.weight
    totals = [(s.total or 0.0, s.weight) for s in scored]
    flat = [t for t, w in totals for _ in range(w)]
    title = f"{layout.assignment}: batch report"
    out = [f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
           f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head><body>',
           f"<h1>{escape(layout.title or layout.assignment)}</h1>",
           f'<p class="muted">Batch report for <b>{escape(layout.assignment)}</b>: {len(summaries)} submission(s), '
           f"{_students(students)}. Autograded points: {number(layout.max_total)}.</p>",
           f'<p class="muted">{escape(_run_line(summaries, generated))}</p>']
    if expected is not None and len(summaries) < expected:
        out.append(f'<p class="partial">Partial: {len(summaries)} of {expected} submissions are graded. '
                   "Run the same command again to grade the rest.</p>")
    cards = [("students", str(students))] + [(status, str(by_status.get(status, 0))) for status in STATUSES
                                             if status == "graded" or by_status.get(status)]
    if flat:
        cards += [("mean", number(round(statistics.fmean(flat), 2))),
                  ("median", number(round(statistics.median(flat), 2)))]
    out.append('<div class="cards">' + "".join(f'<div class="card"><b>{escape(v)}</b>{escape(k)}</div>'
                                               for k, v in cards) + "</div>")
    left_out = [f"{by_status[status]} {status}" for status in STATUSES if status in UNSCORED and by_status.get(status)]
    if flat:
        out.append(f'<p class="muted">Mean and median over the {_students(scored_students)} with a score'
                   + (f"; left out, without a score: {', '.join(left_out)}" if left_out else "") + ".</p>")

    out.append("<h2>Total score</h2>")
    if totals:
        top = layout.max_total
        out.append(histogram_svg("total", f"Distribution of the total score (out of {number(top)})",
                                 histogram(totals, top, bin_count(top, 30)), top, width=960, height=280,
                                 x_label=f"total score (out of {number(top)}); bars count students"))
    else:
        out.append('<p class="muted">No graded submission yet.</p>')

    out.append("<h2>Questions</h2><div class=\"grid2\">")
    for q in layout.questions:
        caption = f"{q.id} {q.name} ({number(q.points)} point{'s' if q.points != 1 else ''})"
        if q.points <= 0:
            out.append(f'<figure><figcaption>{escape(caption)}</figcaption><p class="muted">Feedback only: '
                       "no points.</p></figure>")
            continue
        values = [(s.questions.get(q.id, 0.0), s.weight) for s in scored]
        chart = (histogram_svg(f"question-{q.id}", f"Distribution of question {q.id}",
                               histogram(values, q.points, bin_count(q.points, 10)), q.points, width=480, height=200,
                               x_label=f"points (out of {number(q.points)})")
                 if values else '<p class="muted">No graded submission yet.</p>')
        out.append(f"<figure><figcaption>{escape(caption)}</figcaption>{chart}</figure>")
    out.append("</div>")
    if layout.manual:
        listed = ", ".join(f"{q.id} {q.name} ({points(q.points)})" for q in layout.manual)
        out.append(f'<p class="muted">Graded by course staff, not here: {escape(listed)} (the answers and the '
                   'sheet to score them: <a href="manual.html">manual.html</a>, manual.csv).</p>')

    failed: Counter[str] = Counter()
    failing: dict[str, list[Summary]] = {}
    for s in scored:
        for check in s.failed:
            failed[check] += s.weight
            failing.setdefault(check, []).append(s)
    out.append("<h2>Checks failed most often</h2>")
    if failed:
        out.append('<table class="failed"><tr><th>check</th><th>question</th><th>students</th>'
                   "<th>share</th><th></th><th></th></tr>")
        for check, count in sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))[:25]:
            question, name = layout.checks.get(check, (check.split("/")[0], check))
            share = count / max(1, scored_students)
            out.append(f"<tr><td>{escape(name)} <span class=\"muted\">({escape(check)})</span></td>"
                       f"<td>{escape(question)}</td><td class=\"n\">{count}</td>"
                       f"<td class=\"n\">{share:.0%}</td><td>{_meter(share)}</td><td>{_who(failing[check])}</td></tr>")
        out.append("</table>")
    else:
        out.append('<p class="muted">No check failed.</p>')

    seen: Counter[str] = Counter()
    making: dict[str, list[Summary]] = {}
    for s in scored:
        for mistake in s.mistakes:
            seen[mistake] += s.weight
            making.setdefault(mistake, []).append(s)
    names = list(layout.mistakes) + sorted(m for m in seen if m not in layout.mistakes)
    out.append("<h2>Known mistakes recognized</h2>")
    if names:
        out.append('<table class="mistakes"><tr><th>mistake</th><th>students</th><th>share</th><th></th>'
                   "<th></th></tr>")
        for name in sorted(names, key=lambda m: (-seen.get(m, 0), names.index(m))):
            count = seen.get(name, 0)
            share = count / max(1, scored_students)
            out.append(f"<tr><td>{escape(name)}: {_students(count)}</td><td class=\"n\">{count}</td>"
                       f"<td class=\"n\">{share:.0%}</td><td>{_meter(share)}</td>"
                       f"<td>{_who(making.get(name, []))}</td></tr>")
        out.append("</table>")
    else:
        out.append('<p class="muted">The rubric declares no known mistakes.</p>')

    problems = [s for s in summaries if s.status != "graded"]
    if problems:
        out.append("<h2>Not graded in full</h2><table class=\"problems\"><tr><th>submission</th><th>students</th>"
                   "<th>status</th><th>message</th></tr>")
        for s in sorted(problems, key=lambda s: (STATUSES.index(s.status) if s.status in STATUSES else 99, s.key)):
            message = timeout_text(s) if s.status == "timeout" else s.message
            out.append(f"<tr><td>{page_link(s, s.key)}</td><td>{page_link(s)}</td><td>{escape(s.status)}</td>"
                       f"<td>{escape(message.splitlines()[0] if message else '')}</td></tr>")
        out.append("</table>")
    out += sections
    out.append("</body></html>\n")
    return "\n".join(out)
