"""The report's line about clusters.html (docs/clusters.md): a link once the page exists, else how
to write it. `grader clusters` writes the page after the report: it turns the line into the link."""

from __future__ import annotations

from pathlib import Path

from grader.files import write_atomically

_MARK = '<p class="muted" id="clusters">'
_ABSENT = (f"{_MARK}Shared wrong answers and pairs to look at: <code>grader clusters OUTDIR --assignment NAME</code> "
           "(or <code>grader batch … --clusters</code>) writes clusters.html.</p>")
_PRESENT = f'{_MARK}<a href="clusters.html">Shared wrong answers and pairs to look at</a> (clusters.html).</p>'


def clusters_line(out: Path) -> str:
    return _PRESENT if (out / "clusters.html").is_file() else _ABSENT


def link_clusters(out: Path) -> None:
    """After clusters.html is written: the report links it (a report without the line is left as it is)."""
    report = out / "report.html"
    try:
        text = report.read_text(encoding="utf-8")
    except OSError:
        return
    if _ABSENT in text:
        write_atomically(report, text.replace(_ABSENT, _PRESENT, 1))
