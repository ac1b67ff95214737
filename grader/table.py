"""The terminal's tables: one renderer (`columns`) for the grader's results and the kit's checks."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence

from grader.results import Results, TestResult
from grader.text import clean


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def columns(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int | None = None,
            caps: Mapping[int, int] | None = None) -> list[str]:
    """`rows` under `headers`, ruled above and below; column i at most caps[i] wide, the last
    column taking what is left of the terminal's width (at least 20), every cell clipped to fit."""
    width = width or shutil.get_terminal_size((120, 24)).columns
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    for index, cap in (caps or {}).items():
        widths[index] = min(widths[index], cap)
    widths[-1] = max(20, width - sum(widths[:-1]) - 2 * (len(widths) - 1))
    rule = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(), rule]
    out += ["  ".join(_clip(c, w).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    out.append(rule)
    return out


def number(value: float) -> str:
    """A score as results.json holds it: rounded to the millionth, no trailing zeros (5.721011,
    not 5.72: the table and the gradebook show the same number)."""
    text = f"{round(value, 6):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _whole(test: TestResult) -> list[str]:
    """A test's whole message, under its number and name (for the lines below the table)."""
    name = clean(test.name if test.name.startswith(f"{test.number} ") else f"{test.number} {test.name}")
    return ["", f"{name}:", *(f"    {line}" if line else "" for line in clean(test.output).splitlines())]


def render(results: Results, title: str = "", width: int | None = None, whole: bool = False) -> str:
    """Question, check, score/max, whether it passed, and the first line of its message; with
    `whole`, below the table every message of a test that did not pass, whole."""
    rows = []
    for test in results.tests:
        if test.status is not None:
            score = f"{number(test.score)}/{number(test.max_score)}"
        else:  # neither passed nor failed: a manual question, or a row shown for information
            score = "manual" if "manual" in test.tags else "info"
        mark = {"passed": "ok", "failed": "FAIL", None: "--"}[test.status]
        lines = [line for line in clean(test.output).splitlines() if line and not line.startswith("Call:")]
        message = "" if test.status == "passed" else (lines[0] if lines else "")
        # "1.2 Question name: check name" -> the check name; the Q column already says which question
        check = clean(test.name).removeprefix(f"{test.number} ").split(": ", 1)[-1]
        rows.append((clean(test.number), check, score, mark, message))
    out = [clean(title)] if title else []
    loaded = results.extra_data.get("import_error")
    if isinstance(loaded, str) and loaded:  # the reason every row says "Not run: ... at the top"
        out += ["Your file could not be loaded, so no check ran:",
                *(f"    {line}" for line in clean(loaded).splitlines()), ""]
    out += columns(("Q", "check", "score", "ok?", "message"), rows, width, caps={1: 48})
    out.append(f"Total: {number(results.score)} / {number(results.max_score)} autograded points")
    if whole:
        out += [line for test in results.tests if test.status != "passed" and test.output.strip()
                for line in _whole(test)]
    return "\n".join(out)
