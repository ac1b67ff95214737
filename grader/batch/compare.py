"""Regrade preview: this batch's results against an earlier one's (`grader batch … --compare OLD`).

Per submission: the old and the new total, the checks that flipped (failed → passed, passed →
failed) and a status that changed; a decrease is flagged. Read from the two OUTDIRs' results
JSON only, so it previews a rubric fix before anyone sees a grade.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from pathlib import Path

from grader.batch.report import Summary, number, page_link, summarize
from grader.errors import GraderError

MAX_RESULTS_BYTES = 16 << 20  # an old results file larger than this is not one the grader wrote


@dataclass(frozen=True)
class Change:
    new: Summary
    old: Summary | None  # None: not in the old batch
    fixed: tuple[str, ...]  # checks failed before, passed now
    broken: tuple[str, ...]  # checks passed before, failed now

    @property
    def delta(self) -> float | None:
        if self.old is None or self.old.total is None or self.new.total is None:
            return None
        return round(self.new.total - self.old.total, 6)

    @property
    def decreased(self) -> bool:
        return (self.delta is not None and self.delta < 0) or bool(self.broken)

    @property
    def changed(self) -> bool:
        return (self.old is None or self.delta != 0 or bool(self.fixed or self.broken)
                or self.old.status != self.new.status)


def old_summaries(folder: Path) -> dict[str, Summary]:
    results = folder / "results"
    if not results.is_dir():
        raise GraderError(f"--compare {folder}: not a batch's output folder (it has no results/)")
    out = {}
    for path in sorted(results.glob("*.json")):
        if path.stat().st_size > MAX_RESULTS_BYTES:
            continue
        try:
            out[path.stem] = summarize(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, OSError, TypeError, AttributeError):
            continue  # not a results file: left out of the comparison
    return out


def changes(new: list[Summary], old: dict[str, Summary]) -> list[Change]:
    out = []
    for summary in new:
        before = old.get(summary.key)
        if before is None:
            out.append(Change(summary, None, (), ()))
            continue
        fixed = tuple(c for c in before.failed if c not in summary.failed)
        broken = tuple(c for c in summary.failed if c not in before.failed)
        out.append(Change(summary, before, fixed, broken))
    return out


def _total(summary: Summary | None) -> str:
    if summary is None:
        return "new"
    return number(summary.total) if summary.total is not None else summary.status


def lines(found: list[Change]) -> list[str]:
    """For the terminal: one line per submission whose grade moved, decreases first."""
    moved = sorted((c for c in found if c.changed), key=lambda c: (not c.decreased, c.new.key))
    out = [f"compared with the earlier batch: {len(moved)} of {len(found)} submissions changed"
           + (f", {sum(c.decreased for c in moved)} DECREASED" if any(c.decreased for c in moved) else "")]
    for change in moved:
        flips = ([f"now passes {', '.join(change.fixed)}"] if change.fixed else []) + (
            [f"now fails {', '.join(change.broken)}"] if change.broken else [])
        mark = "DECREASE " if change.decreased else ""
        out.append(f"  {mark}{change.new.key}: {_total(change.old)} -> {_total(change.new)}"
                   + (f" ({'; '.join(flips)})" if flips else ""))
    return out


def section_html(found: list[Change], old_folder: str) -> str:
    moved = sorted((c for c in found if c.changed), key=lambda c: (not c.decreased, c.new.key))
    out = [f"<h2>Changes since {escape(old_folder)}</h2>",
           f'<p class="muted">{len(moved)} of {len(found)} submissions changed; '
           f"{sum(c.decreased for c in moved)} decreased.</p>"]
    if moved:
        out.append('<table class="changes"><tr><th>submission</th><th>old</th><th>new</th><th>now passes</th>'
                   "<th>now fails</th></tr>")
        for c in moved:
            style = ' style="background:#fde8e8"' if c.decreased else ""
            out.append(f"<tr{style}><td>{page_link(c.new)}</td><td class=\"n\">{escape(_total(c.old))}</td>"
                       f"<td class=\"n\">{escape(_total(c.new))}</td><td>{escape(', '.join(c.fixed))}</td>"
                       f"<td>{escape(', '.join(c.broken))}</td></tr>")
        out.append("</table>")
    return "\n".join(out)
