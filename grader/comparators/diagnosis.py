"""What a wrong numeric answer looks like, when no declared mistake names it: the expected
array transposed, negated, off by a constant factor, shifted by one, flipped along an axis,
reshaped, or computed in float32. An explanation is named only when it holds within the check's
own tolerance; it describes the student's answer, never the expected values, so it is safe on
hidden checks too. Each candidate costs a pass over the arrays, and there are few.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from functools import partial

import numpy as np

MIN_SIZE = 2  # a single number is "off by a factor" of anything: no structure to name


def _close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> bool:
    return got.shape == want.shape and bool(np.all(np.abs(got - want) <= atol + rtol * np.abs(want)))


def _factor_text(factor: float) -> str:
    simple = Fraction(factor).limit_denominator(12)
    if simple != 0 and abs(float(simple) - factor) <= 1e-9 * max(1.0, abs(factor)):
        return f"{simple.numerator}" if simple.denominator == 1 else f"{simple.numerator}/{simple.denominator}"
    return f"{factor:.3g}"


def _candidates(got: np.ndarray, want: np.ndarray) -> Iterator[tuple[str, Callable[[], np.ndarray]]]:
    """(explanation, the student's answer undone by it), cheapest first."""
    if got.shape == want.shape:
        yield "the expected values with the opposite sign", lambda: -got
        if got.ndim == 2 and got.shape[0] == got.shape[1]:
            yield "the expected matrix transposed", lambda: got.T
        for axis in range(got.ndim):
            if got.shape[axis] >= MIN_SIZE:
                where = "" if got.ndim == 1 else f" along axis {axis}"
                yield f"the expected values in reverse order{where}", partial(np.flip, got, axis)
                for step in (1, -1):
                    side = "later" if step == 1 else "earlier"
                    yield f"the expected values moved one place {side}{where}", partial(np.roll, got, -step, axis)
    elif got.size == want.size:
        if got.ndim == 2 and got.T.shape == want.shape:
            yield "the expected matrix transposed", lambda: got.T
        yield f"the expected values, in shape {got.shape} instead of {want.shape}", lambda: got.reshape(want.shape)


FLOAT32_RTOL = 1e-4  # what float32 arithmetic keeps of a result after a solve or a few thousand steps


def float32_close(got: np.ndarray, want: np.ndarray, atol: float) -> bool:
    """Right to float32 precision: within FLOAT32_RTOL of the expected values."""
    return _close(got, want, FLOAT32_RTOL, atol)


def diagnose(got: np.ndarray, want: np.ndarray, rtol: float, atol: float, single: bool = False) -> str | None:
    """What the wrong answer `got` is, in terms of the expected `want`, or None. Both are finite
    float arrays (the comparator checked); `single`: the student returned float32 or float16."""
    with np.errstate(all="ignore"):
        if single and float32_close(got, want, atol):
            return ("your answer is right to float32 precision, but this check needs float64: compute in "
                    "float64 (numpy's default: avoid float32 arrays and .astype(np.float32))")
        if want.size < MIN_SIZE or not np.isfinite(want).all() or not np.any(want):
            return None
        for explanation, undo in _candidates(got, want):
            if _close(undo(), want, rtol, atol):
                return f"your answer is {explanation}"
        if got.shape != want.shape:
            return None
        factor = float(np.vdot(got.ravel(), want.ravel()) / np.vdot(want.ravel(), want.ravel()))
        if np.isfinite(factor) and factor != 0 and _close(got / factor, want, rtol, atol):
            return f"your answer is the expected values times {_factor_text(factor)}"
    return None
