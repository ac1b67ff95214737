"""Comparators: judge a received value against the expected one, in the grader's process.

Each comparator is a module with a pydantic `*Spec` (its options, discriminated by `name`)
and a `compare(received, expected, spec, ctx) -> Verdict` function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from grader.comparators import big_o, edge_f1, exact, judge, numeric, one_of
from grader.comparators.base import CompareContext, Verdict

ComparatorSpec = Annotated[
    numeric.NumericSpec | exact.ExactSpec | one_of.OneOfSpec | big_o.BigOSpec
    | edge_f1.EdgeF1Spec | judge.JudgeSpec,
    Field(discriminator="name"),
]

_COMPARE: dict[str, Callable[..., Verdict]] = {
    "numeric": numeric.compare,
    "exact": exact.compare,
    "one_of": one_of.compare,
    "big_o": big_o.compare,
    "edge_f1": edge_f1.compare,
    "judge": judge.compare,
}

NAMES = tuple(_COMPARE)


def compare(spec: Any, received: Any, expected: Any, ctx: CompareContext) -> Verdict:
    """Run the comparator `spec` names. Raises only for a bad expected value or judge."""
    return _COMPARE[spec.name](received, expected, spec, ctx)


__all__ = ["NAMES", "ComparatorSpec", "CompareContext", "Verdict", "compare"]
