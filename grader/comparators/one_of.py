"""One of an accepted set of answers: case- and white-space-insensitive synonyms.

The accepted set is the rubric's `accepted` list plus the reference's answer when it is a
string. Trailing punctuation and a leading article ("the", "a", "an") are ignored.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from grader.comparators.base import (
    CannotSeal,
    Comparator,
    CompareContext,
    Form,
    SpecBase,
    Unmatchable,
    Verdict,
    dump,
    short,
    type_name,
)
from grader.comparators.exact import normalize_text


class OneOfSpec(SpecBase):
    name: Literal["one_of"] = "one_of"
    accepted: tuple[str, ...] = Field((), description=(
        "the accepted answers, besides the reference's own when it returns a string"))


_ARTICLE = re.compile(r"^(the|a|an)\s+")


def canonical(text: str) -> str:
    folded = normalize_text(text).strip(" .!;:,")
    return _ARTICLE.sub("", folded)


def compare(received: Any, expected: Any, spec: OneOfSpec, ctx: CompareContext) -> Verdict:
    accepted = list(spec.accepted) + ([expected] if isinstance(expected, str) else [])
    if not accepted:
        raise ValueError("one_of has no accepted answers")
    if not isinstance(received, str):
        return Verdict(0.0, f"expected a string, received {type_name(received)}")
    if canonical(received) in {canonical(a) for a in accepted}:
        return Verdict(1.0)
    if ctx.reveal:
        return Verdict(0.0, f"{short(received)} is not one of the accepted answers")
    return Verdict(0.0, "not an accepted answer")


class OneOf(Comparator[OneOfSpec]):
    name = "one_of"
    spec_type = OneOfSpec
    sealable = True

    compare = staticmethod(compare)

    def forms(self, spec: OneOfSpec, value: Any, *, accepted: bool) -> list[Form]:
        """One form per accepted synonym (for an expected answer); a mistake's output is one string."""
        values = list(dict.fromkeys((list(spec.accepted) if accepted else [])
                                    + ([value] if isinstance(value, str) else [])))
        if not values:
            raise CannotSeal("one_of without accepted answers")
        return [(self.canonical(spec, item, {}), {}) for item in values]

    def canonical_text(self, spec: OneOfSpec, value: Any, form: dict[str, Any]) -> str:
        if not isinstance(value, str):
            raise Unmatchable(f"expected a string, received {type(value).__name__}")
        return dump(["one_of", canonical(value)])

    def answer_texts(self, spec: OneOfSpec, expected: Any) -> list[str]:
        return [canonical(t) for t in (*spec.accepted, *([expected] if isinstance(expected, str) else []))]

    def kit_spec(self, spec: OneOfSpec) -> dict[str, Any]:
        return {**spec.model_dump(mode="json"), "accepted": []}  # the accepted answers are sealed, never listed


COMPARATOR = OneOf()
