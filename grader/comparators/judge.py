"""A judge function from the reference module decides: for properties, not fixed answers.

The rubric names it (`compare: {name: judge, function: judge_sgd_one_step}`); it is called
as `function(received, expected, args, **options)` in the grader's process, on plain data
only, and returns a fraction of credit, (fraction, message), or (fraction, message, mistake)
where `mistake` names a known mistake it recognized (or is None).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field

from grader.comparators.base import Comparator, CompareContext, SpecBase, Verdict


class JudgeSpec(SpecBase):
    name: Literal["judge"] = "judge"
    function: str = Field(description=(
        "the judge: a function of the reference module, called as `function(received, expected, args, **options)` "
        "(grader/authoring.py: Judge)"))
    options: dict[str, Any] = Field(default_factory=dict, description="keyword arguments passed to the judge")
    expected: bool = Field(True, description=(
        "whether the judge reads the reference's output; with `false` the judge gets null and grading need not "
        "compute that output (for a slow reference, e.g. an iterative optimizer)"))


def compare(received: Any, expected: Any, spec: JudgeSpec, ctx: CompareContext) -> Verdict:
    judge = ctx.judges[spec.function]
    outcome = judge(received, expected, dict(ctx.args), **spec.options)
    parts = outcome if isinstance(outcome, tuple) else (outcome,)
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"judge {spec.function} returned {len(parts)} values, expected 1 to 3")
    fraction = float(parts[0])
    message = str(parts[1]) if len(parts) > 1 else ""
    mistake = str(parts[2]) if len(parts) > 2 and parts[2] is not None else None
    if not math.isfinite(fraction) or not 0.0 <= fraction <= 1.0:
        raise ValueError(f"judge {spec.function} returned {fraction!r}, not a fraction in [0, 1]")
    return Verdict(fraction, message, mistake)


class Judge(Comparator[JudgeSpec]):
    """The course's own code decides; the kit does not carry it, so it is never sealed."""

    name = "judge"
    spec_type = JudgeSpec
    in_kit = False

    compare = staticmethod(compare)

    def kit_spec(self, spec: JudgeSpec) -> dict[str, Any]:
        return {**spec.model_dump(mode="json"), "function": "", "options": {}}


COMPARATOR = Judge()
