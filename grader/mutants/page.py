"""The mutation run as one HTML page (`grader validate --mutants --report PAGE.html`): the counts,
every mutant with its change and the checks that caught it, and the tolerance calibration."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from grader.mutants.calibrate import Calibration
from grader.mutants.model import STATUSES, MutationRun
from grader.mutants.report import MEANING, by_function, counts, summary

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.n { text-align: right; }
tr.survived td:first-child { background: #f8d0d0; } tr.hidden-only td:first-child { background: #fbe7c4; }
tr.justified td:first-child { background: #e4e4f8; } tr.error td:first-child { background: #ddd; }
tr.named td:first-child, tr.killed td:first-child { background: #d8f0d8; }
tr.equivalent td:first-child { background: #eee; }
details pre { background: #f7f7f7; padding: .5em; overflow-x: auto; }
"""


def _row(cells: Sequence[str], cls: str = "", numeric: Sequence[int] = ()) -> str:
    tds = "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(cells))
    return f'<tr class="{cls}">{tds}</tr>' if cls else f"<tr>{tds}</tr>"


def _table(head: Sequence[str], rows: Sequence[str]) -> str:
    return "<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>"


def _mutants(run: MutationRun) -> str:
    order = {status: i for i, status in enumerate(STATUSES)}
    rows = []
    for r in sorted(run.results, key=lambda r: (order[r.status], r.mutant.function, r.mutant.line)):
        m = r.mutant
        why = r.reason if r.status in ("justified", "error") else ", ".join(r.killed_by)
        if r.named:
            why += f" (named: {', '.join(r.named)})"
        code = f"<details><summary>{escape(m.description)}</summary><pre>{escape(m.function_source)}</pre></details>"
        rows.append(_row([escape(r.status), f"<code>{escape(m.id)}</code>", escape(m.operator), code, escape(why)],
                         r.status.replace(" ", "-")))
    return _table(("status", "mutant", "operator", "change (the mutated function)", "checks that fail, or why"), rows)


def _calibration(calibrations: Sequence[Calibration]) -> str:
    def shown(value: float | None) -> str:
        return "-" if value is None else "none" if math.isinf(value) else f"{value:.2g}"

    rows = [_row([escape(c.check), f"{c.rtol:g}", f"{c.atol:g}",
                  escape(f"{shown(c.legitimate.rtol)} ({c.legitimate.label})" if c.legitimate else "-"),
                  escape(f"{shown(c.wrong.rtol)} ({c.wrong.label}, {c.wrong.case})" if c.wrong else "-"),
                  shown(c.suggestion), escape("; ".join(c.warnings) or "ok")]) for c in calibrations]
    return _table(("numeric check", "rtol", "atol", "legitimate variants need", "nearest wrong answer needs",
                   "suggested rtol", "warnings"), rows)


def page(assignment: str, run: MutationRun, calibrations: Sequence[Calibration]) -> str:
    legend = "".join(f"<li><b>{escape(s)}</b> ({n}): {escape(MEANING[s])}</li>" for s, n in counts(run).items())
    functions = [_row([escape(cells[0]), *cells[1:]], numeric=range(1, len(cells))) for cells in by_function(run)]
    notes = "".join(f"<li>not mutated: {escape(n)}</li>" for n in run.skipped)
    notes += "".join(f"<li>justification not needed by any survivor: <code>{escape(k)}</code></li>"
                     for k in run.unused_justifications)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(assignment)}: mutants of the reference</title>
<style>{_STYLE}</style></head><body>
<h1>{escape(assignment)}: does every check catch a mistake?</h1>
<p>{escape(summary(run))}</p><ul>{legend}</ul>{f"<ul>{notes}</ul>" if notes else ""}
<h2>By function</h2>{_table(("function", "mutants", *STATUSES), functions)}
<h2>Every mutant</h2>{_mutants(run)}
<h2>Tolerance calibration</h2>
<p>Each distance is the smallest <code>rtol</code> that, with the check's <code>atol</code>, accepts the answer.
A check's rtol belongs above what its legitimate variants need (float32 round-trip, rounding-level
perturbation of the inputs, the reference's <code>VARIANTS</code>) and below its nearest wrong answer.</p>
{_calibration(calibrations)}
</body></html>
"""
