"""In a batch pool worker: one mutant graded as a submission (in the sandbox's child, as any
student's file), and what it answered on each case, as plain data for the parent to judge.

The mutant's code runs only in that child; this worker, like the batch's, only drives it.
"""

from __future__ import annotations

import base64
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.batch.task import AssignmentSpec, Done, Task

OUTPUTS_LIMIT = 256 << 20  # a mutant's answers on every case together


@dataclass(frozen=True)
class CaseVerdict:
    """How one case of a mutant was judged."""

    case: str  # the case's key
    check: str  # its check's key
    passed: bool
    mistake: str | None  # a known mistake recognized
    visibility: str
    points: float


@dataclass(frozen=True)
class Graded:
    """What grading one mutant left: each case's verdict, its answers, or why it could not be graded."""

    verdicts: tuple[CaseVerdict, ...] = ()
    outputs: dict[str, Any] | None = None
    import_error: str | None = None
    error: str | None = None  # the grader could not grade it


def _encode(outputs: dict[str, Any]) -> str:
    from grader.boundary import wire

    return base64.b64encode(wire.pack({"outputs": outputs}, OUTPUTS_LIMIT)).decode("ascii")


def decode(text: str) -> Graded:
    """A worker's answer (Done.text) back as a Graded; anything else is an error."""
    from grader.boundary import wire
    from grader.boundary.protocol import FRAME_HEADER

    try:
        data = json.loads(text)
        if "verdicts" not in data:
            error = data.get("error") or data.get("output") or "the worker gave no verdicts"
            return Graded(error=str(error))
        frame = base64.b64decode(data["outputs"])
        outputs = wire.unpack(frame[FRAME_HEADER.size:])["outputs"]
        verdicts = tuple(CaseVerdict(**v) for v in data["verdicts"])
    except (ValueError, TypeError, KeyError) as error:
        return Graded(error=f"unreadable answer from the worker: {type(error).__name__}: {error}")
    return Graded(verdicts, outputs, data.get("import_error"))


def grade_mutant(task: Task, spec: AssignmentSpec) -> Done:
    """Grade the mutant in `task.files` (its one file); never raises."""
    from grader.batch.task import Done, assignment_for
    from grader.grading import grade
    from grader.rubric import check_key

    started = time.perf_counter()
    try:
        assignment = assignment_for(spec)
        (name, data), = task.files or ()
        with tempfile.TemporaryDirectory(prefix="grader-mutant-") as folder:  # (private: mode 0700)
            path = Path(folder) / name
            path.write_bytes(data)
            report = grade(assignment, path)
        verdicts = [CaseVerdict(r.case.key, check_key(r.case.question, r.case.check), r.passed, r.mistake,
                                r.case.visibility, r.case.points).__dict__ for r in report.checks]
        outputs = {r.case.key: r.outcome.value for r in report.checks if r.outcome.ok}
        text = json.dumps({"verdicts": verdicts, "outputs": _encode(outputs), "import_error": report.import_error})
        return Done(task.key, text, "graded", time.perf_counter() - started)
    except Exception as error:  # the grader's own failure: this mutant is reported as an error
        text = json.dumps({"error": f"{type(error).__name__}: {error}"})
        return Done(task.key, text, "error", time.perf_counter() - started)
