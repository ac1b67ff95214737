"""Exact equality: ints, bools, strings after normalization, and nested lists/dicts of them.

Normalization: numpy arrays become nested lists, tuples count as lists, a float that is a
whole number equals that int (1234567.0 == 1234567), a bool never equals a number,
and strings are compared with surrounding and repeated white space removed and, unless
`case_sensitive`, without case. For a top-level list of equal length, the fraction of
credit is the share of items that match (the check decides whether partial credit counts).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from grader.comparators.base import CompareContext, SpecBase, Verdict, short, type_name


class ExactSpec(SpecBase):
    name: Literal["exact"] = "exact"
    case_sensitive: bool = False


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
            details = [f"item {i}: expected {short(want[i])}, received {short(got[i])}" for i in wrong[:5]]
        else:
            details = [f"items that differ: {', '.join(str(i) for i in wrong[:20])}"]
        return Verdict(fraction, f"{len(wrong)} of {len(want)} items differ\n" + "\n".join(details))
    if type(got) is not type(want) and not (isinstance(got, int | float) and isinstance(want, int | float)):
        return Verdict(0.0, f"expected a value of type {type_name(want)}, received {type_name(got)}")
    if ctx.reveal:
        return Verdict(0.0, f"expected {short(want)}, received {short(got)}")
    return Verdict(0.0, f"received {short(got)}, which is not the expected value")
