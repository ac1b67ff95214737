"""A judge function from the reference module decides: for properties, not fixed answers.

The rubric names it (`compare: {name: judge, function: judge_sgd_one_step}`); it is called
as `function(received, expected, args, **options)` in the grader's process, on plain data
only, and returns a fraction of credit, or (fraction, message).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field

from grader.comparators.base import CompareContext, SpecBase, Verdict


class JudgeSpec(SpecBase):
    name: Literal["judge"] = "judge"
    function: str
    options: dict[str, Any] = Field(default_factory=dict)


def compare(received: Any, expected: Any, spec: JudgeSpec, ctx: CompareContext) -> Verdict:
    judge = ctx.judges[spec.function]
    outcome = judge(received, expected, dict(ctx.args), **spec.options)
    fraction, message = outcome if isinstance(outcome, tuple) else (outcome, "")
    fraction = float(fraction)
    if not math.isfinite(fraction) or not 0.0 <= fraction <= 1.0:
        raise ValueError(f"judge {spec.function} returned {fraction!r}, not a fraction in [0, 1]")
    return Verdict(fraction, str(message))
