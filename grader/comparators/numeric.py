"""Numeric closeness, as numpy.allclose, with feedback about the worst entry.

Shape rule: both sides are read as float arrays; unless `shape: exact` is asked for,
axes of length 1 are removed from both first, so (d,), (d, 1) and (1, d) match, and a
scalar matches [x]. NaN and inf in the received value never pass.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from grader.comparators.base import CompareContext, SpecBase, Verdict, type_name


class NumericSpec(SpecBase):
    name: Literal["numeric"] = "numeric"
    rtol: float = 1e-6
    atol: float = 1e-9
    shape: Literal["squeeze", "exact"] = "squeeze"


def _as_float_array(value: Any) -> np.ndarray | None:
    if value is None or isinstance(value, str | dict):
        return None
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return None
    return array


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _rounded(x: float) -> str:
    # Two significant digits: enough to tell a student how far off, too few to recover the answer.
    return f"{x:.2g}"


def compare(received: Any, expected: Any, spec: NumericSpec, ctx: CompareContext) -> Verdict:
    want = _as_float_array(expected)
    if want is None:
        raise ValueError(f"expected value is not numeric: {type_name(expected)}")
    got = _as_float_array(received)
    if got is None:
        return Verdict(0.0, f"expected a number or an array of numbers, received {type_name(received)}")
    if spec.shape == "squeeze":
        got_cmp, want_cmp = np.squeeze(got), np.squeeze(want)
    else:
        got_cmp, want_cmp = got, want
    if got_cmp.shape != want_cmp.shape:
        return Verdict(0.0, f"expected shape {want.shape}, received shape {got.shape}")
    bad = ~np.isfinite(got_cmp)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(got_cmp[index]) else "inf"
        return Verdict(0.0, f"received {kind} at index {index}; NaN and inf never pass")
    if got_cmp.size == 0:
        return Verdict(1.0)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        abs_err = np.abs(got_cmp - want_cmp)
        # numpy.allclose's test, written out: received is finite here, so where the expected
        # value is finite too this is exactly allclose; otherwise allclose itself decides.
        if np.isfinite(want_cmp).all():
            if (abs_err <= spec.atol + spec.rtol * np.abs(want_cmp)).all():
                return Verdict(1.0)
        elif np.allclose(got_cmp, want_cmp, rtol=spec.rtol, atol=spec.atol):
            return Verdict(1.0)
        rel_err = abs_err / np.maximum(np.abs(want_cmp), np.finfo(float).tiny)
        worst = np.unravel_index(int(np.argmax(abs_err - spec.rtol * np.abs(want_cmp))), abs_err.shape)
        n_bad = int(np.sum(~(abs_err <= spec.atol + spec.rtol * np.abs(want_cmp)) | ~np.isfinite(want_cmp)))
    where = f" at index {tuple(int(i) for i in worst)}" if got_cmp.ndim else ""
    lines = [f"{n_bad} of {got_cmp.size} entries differ beyond rtol={spec.rtol:g}, atol={spec.atol:g}"]
    if ctx.reveal:
        lines.append(
            f"worst entry{where}: received {_fmt(float(got_cmp[worst]))}, "
            f"expected {_fmt(float(want_cmp[worst]))}"
        )
        lines.append(
            f"largest absolute error {_fmt(float(abs_err.max()))}, "
            f"largest relative error {_fmt(float(rel_err.max()))}"
        )
    else:
        lines.append(
            f"worst entry{where}; largest absolute error about {_rounded(float(abs_err.max()))}, "
            f"largest relative error about {_rounded(float(rel_err.max()))}"
        )
    return Verdict(0.0, "\n".join(lines))
