"""A mutation run for people: the terminal's table and summary, and the JSON (`--json`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grader.mutants.model import STATUSES, MutantResult, MutationRun

# What each status means, for the table's legend and the report page.
MEANING = {
    "survived": "passes every check that carries points: a hole in the rubric",
    "hidden only": "killed, but only by hidden checks: the visible ones do not guide students there",
    "killed": "fails a check a student sees",
    "named": "recognized as a declared known mistake",
    "equivalent": "the reference's own answers on every case: not a hole",
    "justified": "survives, with a reason in the justification file",
    "error": "could not be graded (the grader's problem, not the mutant's)",
}
LISTED = ("survived", "hidden only", "justified", "error")  # one row each in the terminal


def counts(run: MutationRun) -> dict[str, int]:
    return {status: run.count(status) for status in STATUSES}


def summary(run: MutationRun) -> str:
    parts = ", ".join(f"{n} {status}" for status, n in counts(run).items() if n)
    return f"{len(run.results)} mutants: {parts or 'none'} ({run.seconds:.0f} s)"


def _caught(result: MutantResult) -> str:
    if result.status == "justified":
        return result.reason
    if result.status == "error":
        return result.reason
    if result.status == "survived" and result.killed_by:
        return "only feedback-only checks fail: " + ", ".join(result.killed_by)
    return ", ".join(result.killed_by)


def rows(results: Sequence[MutantResult], statuses: Sequence[str] = LISTED) -> list[tuple[str, ...]]:
    order = {status: i for i, status in enumerate(STATUSES)}
    chosen = sorted((r for r in results if r.status in statuses), key=lambda r: order[r.status])
    return [(r.status, r.mutant.id, r.mutant.description, _caught(r)) for r in chosen]


def by_function(run: MutationRun) -> list[tuple[str, ...]]:
    functions = list(dict.fromkeys(r.mutant.function for r in run.results))
    table = []
    for name in functions:
        mine = [r for r in run.results if r.mutant.function == name]
        table.append((name, str(len(mine)), *(str(sum(r.status == s for r in mine)) for s in STATUSES)))
    return table


def terminal(run: MutationRun, width: int | None = None) -> list[str]:
    """The lines `grader validate --mutants` prints."""
    from grader.table import columns

    out = columns(("function", "mutants", *STATUSES), by_function(run), width, caps={0: 28})
    listed = rows(run.results)
    if listed:
        out += ["", *columns(("status", "mutant", "change", "checks that fail, or why"), listed, width,
                             caps={1: 40, 2: 60})]
    out += [f"not mutated: {note}" for note in run.skipped]
    out += [f"justification not needed by any survivor: {key}" for key in run.unused_justifications]
    out.append(summary(run))
    return out


def _plain(value: Any) -> Any:
    """A returned value as JSON: arrays as lists, tuples as lists, NaN and inf as text."""
    import math

    import numpy as np

    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def to_json(run: MutationRun, *, outputs: bool = True) -> dict[str, Any]:
    """The run as data: every mutant, its status, the checks that failed, what it returned."""
    results = []
    for r in run.results:
        m = r.mutant
        entry: dict[str, Any] = {"id": m.id, "key": m.key, "function": m.function, "operator": m.operator,
                                 "line": m.line, "description": m.description, "status": r.status,
                                 "killed_by": list(r.killed_by), "named": list(r.named), "hidden_only": r.hidden_only,
                                 "reason": r.reason, "function_source": m.function_source}
        if outputs:
            entry["outputs"] = _plain(r.outputs)
        results.append(entry)
    return {"seconds": round(run.seconds, 3), "counts": counts(run), "skipped": list(run.skipped),
            "unused_justifications": list(run.unused_justifications), "mutants": results}
