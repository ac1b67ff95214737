"""A readable table of results for the terminal: question, check, score/max, message."""

from __future__ import annotations

import shutil

from grader.results import Results


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def render(results: Results, title: str = "", width: int | None = None) -> str:
    width = width or shutil.get_terminal_size((120, 24)).columns
    rows = []
    for test in results.tests:
        if test.status is not None:
            score = f"{test.score:.3g}/{test.max_score:.3g}"
        else:  # neither passed nor failed: a manual question, or a row shown for information
            score = "manual" if "manual" in test.tags else "info"
        mark = {"passed": "ok", "failed": "FAIL", None: "--"}[test.status]
        lines = [line for line in test.output.splitlines() if line and not line.startswith("Call:")]
        message = "" if test.status == "passed" else (lines[0] if lines else "")
        # "1.2 Question name: check name" -> the check name; the Q column already says which question
        check = test.name.removeprefix(f"{test.number} ").split(": ", 1)[-1]
        rows.append((test.number, check, score, mark, message))
    headers = ("Q", "check", "score", "ok?", "message")
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    widths[1] = min(widths[1], 48)
    fixed = sum(widths[:4]) + 2 * 4
    widths[4] = max(20, width - fixed)
    out = []
    if title:
        out.append(title)
    out.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    out.append("  ".join("-" * w for w in widths))
    for row in rows:
        out.append("  ".join(_clip(c, w).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    out.append("  ".join("-" * w for w in widths))
    out.append(f"Total: {results.score:.4g} / {results.max_score:.4g} autograded points")
    return "\n".join(out)
