"""Exact equality: ints, bools, strings after normalization, and nested lists/dicts of them.

Normalization: numpy arrays become nested lists, tuples count as lists, a float that is a
whole number equals that int (1234567.0 == 1234567), a bool never equals a number,
and strings are compared with surrounding and repeated white space removed and, unless
`case_sensitive`, without case. For a top-level list of equal length, the fraction of
credit is the share of items that match (the check decides whether partial credit counts).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import Field

from grader.comparators.base import (
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


class ExactSpec(SpecBase):
    name: Literal["exact"] = "exact"
    case_sensitive: bool = Field(False, description=(
        "compare strings with their case (white space is folded either way)"))
    labels: str | None = Field(None, description=(
        "the call argument whose items name a list answer's items in the feedback of a visible check "
        "(`labels: layers` gives \"row 7 (fc-1024)\"); hidden checks never show their inputs"))


def normalize_text(text: str, case_sensitive: bool = False) -> str:
    folded = " ".join(text.split())
    return folded if case_sensitive else folded.casefold()


def plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def equal(a: Any, b: Any, case_sensitive: bool) -> bool:
    """Exact equality under the normalization in the module docstring."""
    return _equal_plain(plain(a), plain(b), case_sensitive)


def _equal_plain(a: Any, b: Any, case_sensitive: bool) -> bool:
    """`equal` of two values already made plain (normalized once, not at every level)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return bool(a == b)
    if isinstance(a, str) and isinstance(b, str):
        return normalize_text(a, case_sensitive) == normalize_text(b, case_sensitive)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal_plain(x, y, case_sensitive) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal_plain(a[k], b[k], case_sensitive) for k in a)
    return a is None and b is None


def compare(received: Any, expected: Any, spec: ExactSpec, ctx: CompareContext) -> Verdict:
    got, want = plain(received), plain(expected)
    if _equal_plain(got, want, spec.case_sensitive):
        return Verdict(1.0)
    if isinstance(want, list) and isinstance(got, list):
        if len(got) != len(want):
            return Verdict(0.0, f"expected {len(want)} items, received {len(got)}")
        wrong = [i for i, (g, w) in enumerate(zip(got, want, strict=True))
                 if not _equal_plain(g, w, spec.case_sensitive)]
        fraction = 1.0 - len(wrong) / len(want)
        if ctx.reveal:
            names = ctx.args.get(spec.labels) if spec.labels else None
            named = isinstance(names, list | tuple) and len(names) == len(want)

            def which(i: int) -> str:
                if not named or names is None:
                    return f"item {i}"
                label = names[i] if isinstance(names[i], str) else short(names[i], 40)
                return f"row {i + 1} ({label[:40]})"

            details = [f"{which(i)}: expected {short(want[i])}, received {short(got[i])}" for i in wrong[:5]]
        else:
            details = [f"items that differ: {', '.join(str(i) for i in wrong[:20])}"]
        return Verdict(fraction, f"{len(wrong)} of {len(want)} items differ\n" + "\n".join(details))
    if type(got) is not type(want) and not (isinstance(got, int | float) and isinstance(want, int | float)):
        return Verdict(0.0, f"expected a value of type {type_name(want)}, received {type_name(got)}")
    if ctx.reveal:
        return Verdict(0.0, f"expected {short(want)}, received {short(got)}")
    return Verdict(0.0, f"received {short(got)}, which is not the expected value")


# -- the student kit's sealed form ---------------------------------------------------------------


def _item(value: Any, case_sensitive: bool) -> Any:
    """The value as the comparator sees it: arrays and tuples as lists, whole floats as ints,
    strings folded, each item tagged with its type (a bool never equals a number)."""
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, int):
        return ["number", str(value)]
    if isinstance(value, float):
        if math.isnan(value):
            raise Unmatchable("")
        if value.is_integer():
            return ["number", str(int(value))]
        return ["number", repr(value)]
    if isinstance(value, str):
        return ["text", normalize_text(value, case_sensitive)]
    if value is None:
        return ["none"]
    if isinstance(value, list):
        return ["list", [_item(v, case_sensitive) for v in value]]
    if isinstance(value, dict):
        items = [[_key(k), _item(v, case_sensitive)] for k, v in value.items()]
        return ["dict", sorted(items, key=dump)]
    raise Unmatchable(f"a value of type {type(value).__name__}")


def _key(key: Any) -> Any:
    # Keys are compared as Python compares them (1 == 1.0 == True), text as it is.
    if isinstance(key, bool | int | float) and float(key).is_integer():
        return ["number", str(int(key))]
    return [type(key).__name__, repr(key)]


def exact_text(value: Any, case_sensitive: bool) -> str:
    return dump(["exact", _item(plain(value), case_sensitive)])


def _leaves(value: Any, texts: list[str]) -> None:
    """Numbers of three digits or more (in their usual spellings) and texts: what a hint must not say."""
    if isinstance(value, bool):
        return
    if isinstance(value, int | float) and float(value).is_integer() and abs(value) >= 100:
        number = int(value)
        texts.extend([str(number), f"{number:,}", f"{number:_}", f"{number:,}".replace(",", " ")])
    elif isinstance(value, str) and len(value.strip()) >= 2:
        texts.append(value)
    elif isinstance(value, list):
        for item in value:
            _leaves(item, texts)
    elif isinstance(value, dict):
        for item in value.values():
            _leaves(item, texts)


class Exact(Comparator[ExactSpec]):
    name = "exact"
    spec_type = ExactSpec
    sealable = True

    compare = staticmethod(compare)

    def forms(self, spec: ExactSpec, value: Any, *, accepted: bool) -> list[Form]:
        return [(self.canonical(spec, value, {}), {})]

    def canonical_text(self, spec: ExactSpec, value: Any, form: dict[str, Any]) -> str:
        return exact_text(value, spec.case_sensitive)

    def sealed_facts(self, spec: ExactSpec, expected: Any) -> dict[str, Any]:
        answer = plain(expected)
        facts: dict[str, Any] = {"type": type(answer).__name__}
        if isinstance(answer, list):
            facts["length"] = len(answer)
        return facts

    def shape_problem(self, facts: dict[str, Any], received: Any) -> str:
        got, want_type = plain(received), facts.get("type")
        if want_type == "list" and isinstance(got, list) and "length" in facts and len(got) != facts["length"]:
            return f"expected {facts['length']} items, received {len(got)}"
        numbers = {"int", "float"}
        if want_type and type(got).__name__ != want_type and not (
                type(got).__name__ in numbers and want_type in numbers and not isinstance(got, bool)):
            return f"expected a value of type {want_type}, received {type(got).__name__}"
        return ""

    def answer_texts(self, spec: ExactSpec, expected: Any) -> list[str]:
        texts: list[str] = []
        _leaves(plain(expected), texts)
        return texts


COMPARATOR = Exact()
