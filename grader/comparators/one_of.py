"""One of an accepted set of answers: case- and white-space-insensitive synonyms.

The accepted set is the rubric's `accepted` list plus the reference's answer when it is a
string. Trailing punctuation and a leading article ("the", "a", "an") are ignored.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from grader.comparators.base import CompareContext, SpecBase, Verdict, short, type_name
from grader.comparators.exact import normalize_text


class OneOfSpec(SpecBase):
    name: Literal["one_of"] = "one_of"
    accepted: tuple[str, ...] = ()


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
