"""Comparators: judge a received value against the expected one, in the grader's process.

Each comparator is one module: a pydantic `*Spec` (its options, discriminated by `name`) and a
`Comparator` (base.py) with its compare and the student kit's canonical and sealed forms,
exported as `COMPARATOR`. A new comparator is one such module, listed below twice: its spec in
the rubric's union, its comparator in the registry (a test checks the two agree).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from grader.comparators import big_o, edge_f1, exact, judge, key_terms, numeric, one_of
from grader.comparators.base import Comparator, CompareContext, Verdict

ComparatorSpec = Annotated[
    numeric.NumericSpec | exact.ExactSpec | one_of.OneOfSpec | big_o.BigOSpec
    | edge_f1.EdgeF1Spec | key_terms.KeyTermsSpec | judge.JudgeSpec,
    Field(discriminator="name"),
]

COMPARATORS: dict[str, Comparator[Any]] = {
    module.COMPARATOR.name: module.COMPARATOR for module in (numeric, exact, one_of, big_o, edge_f1, key_terms, judge)
}

NAMES = tuple(COMPARATORS)


def of(spec: Any) -> Comparator[Any]:
    """The comparator a spec names."""
    return COMPARATORS[spec.name]


def compare(spec: Any, received: Any, expected: Any, ctx: CompareContext) -> Verdict:
    """Run the comparator `spec` names. Raises only for a bad expected value or judge."""
    return of(spec).compare(received, expected, spec, ctx)


__all__ = ["COMPARATORS", "NAMES", "Comparator", "ComparatorSpec", "CompareContext", "Verdict", "compare", "of"]
