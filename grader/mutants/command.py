"""`grader validate --mutants`: the mutation run and the tolerance calibration, printed as tables,
and written as JSON (`--json`) and as a page (`--report`)."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grader.mutants.calibrate import Calibration, Distance, calibrate
from grader.mutants.model import MutationRun
from grader.mutants.report import summary, terminal, to_json
from grader.mutants.run import run_mutants

if TYPE_CHECKING:
    from grader.assignment import Assignment


def _rtol(value: float | None) -> str:
    return "-" if value is None else "none" if math.isinf(value) else f"{value:.2g}"


def calibration_lines(calibrations: Sequence[Calibration], width: int | None = None) -> list[str]:
    from grader.table import columns

    rows = [(c.check, f"{c.rtol:g}", _rtol(c.legitimate.rtol if c.legitimate else None),
             _rtol(c.wrong.rtol if c.wrong else None), _rtol(c.suggestion), "; ".join(c.warnings) or "ok")
            for c in calibrations]
    head = ("numeric check", "rtol", "variants need", "nearest wrong needs", "suggested", "warnings")
    warnings = [f"{c.check}: {warning}" for c in calibrations for warning in c.warnings]
    return ["Tolerance calibration (each as the smallest rtol that accepts it, at the check's atol):",
            *columns(head, rows, width, caps={0: 44, 5: 40}), *warnings]


def calibration_json(calibrations: Sequence[Calibration]) -> list[dict[str, object]]:
    def distance(d: Distance | None) -> object:
        if d is None:
            return None
        return {"label": d.label, "case": d.case, "rtol": None if math.isinf(d.rtol) else d.rtol}

    return [{"check": c.check, "rtol": c.rtol, "atol": c.atol, "legitimate": distance(c.legitimate),
             "wrong": distance(c.wrong), "suggestion": c.suggestion, "warnings": list(c.warnings)}
            for c in calibrations]


def mutation_check(assignment: Assignment, *, jobs: int | None = None, only: Sequence[str] | None = None,
                   json_path: Path | None = None, report_path: Path | None = None) -> MutationRun:
    """Run, print, write; the run is returned (its holes decide the exit status)."""
    from grader.files import write_atomically
    from grader.mutants.page import page

    print(f"{assignment.rubric.assignment}: grading the reference's mutants...", file=sys.stderr, flush=True)
    run = run_mutants(assignment, jobs=jobs, only=only)
    calibrations = calibrate(assignment, run)
    for line in [*terminal(run), "", *calibration_lines(calibrations)]:
        print(line)
    if json_path is not None:
        data = {**to_json(run), "calibration": calibration_json(calibrations)}
        write_atomically(json_path, json.dumps(data, indent=1, ensure_ascii=False))
    if report_path is not None:
        write_atomically(report_path, page(assignment.rubric.assignment, run, calibrations))
    return run


__all__ = ["calibration_json", "calibration_lines", "mutation_check", "summary"]
