"""What a wrong numeric answer looks like, when no declared mistake names it: the expected
array transposed, negated, off by a constant factor, shifted by one, flipped along an axis,
reshaped, computed in float32, or computed along the wrong axis of an input (a sum, mean, norm,
softmax... of X over its rows where the check wants its columns). An explanation is named only
when it holds within the check's own tolerance; it describes the student's answer, never the
expected values, so it is safe on hidden checks too. Each candidate costs a pass over the
arrays, and there are few.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction
from functools import partial
from typing import Any

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


def _softmax(a: np.ndarray, axis: int | None) -> np.ndarray:
    shifted = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return np.asarray(shifted / np.sum(shifted, axis=axis, keepdims=True))


def _norm(a: np.ndarray, axis: int | None, keepdims: bool = False) -> np.ndarray:
    return np.asarray(np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims)))


Along = Callable[[np.ndarray, "int | None"], np.ndarray]


def _reduce(numpy_function: Callable[..., Any]) -> Along:
    return lambda a, axis: np.asarray(numpy_function(a, axis=axis))


# What is computed "along an axis": reductions (the axis disappears) and operations that keep the
# shape but depend on the axis (normalizing, softmax, running sums).
REDUCTIONS: tuple[tuple[str, Along], ...] = (
    ("the sum of {x}", _reduce(np.sum)),
    ("the mean of {x}", _reduce(np.mean)),
    ("the maximum of {x}", _reduce(np.max)),
    ("the minimum of {x}", _reduce(np.min)),
    ("the standard deviation of {x}", _reduce(np.std)),
    ("the variance of {x}", _reduce(np.var)),
    ("the norm of {x}", lambda a, axis: _norm(a, axis)),
)
ALONG: tuple[tuple[str, Along], ...] = (
    ("the softmax of {x}", _softmax),
    ("{x} divided by its sum", lambda a, axis: a / np.sum(a, axis=axis, keepdims=True)),
    ("{x} divided by its norm", lambda a, axis: a / _norm(a, axis, keepdims=True)),
    ("{x} minus its mean", lambda a, axis: a - np.mean(a, axis=axis, keepdims=True)),
    ("{x} standardized",
     lambda a, axis: (a - np.mean(a, axis=axis, keepdims=True)) / np.std(a, axis=axis, keepdims=True)),
    ("the running sum of {x}", lambda a, axis: np.cumsum(a, axis=axis) if axis is not None else np.cumsum(a)),
)
MAX_INPUT = 1 << 16  # entries of an input worth trying: the rubric's inputs are small, and this runs per wrong answer


def _axis_text(axis: int | None) -> str:
    return "over all of its entries" if axis is None else f"along axis {axis}"


def _inputs(args: Mapping[str, object]) -> Iterator[tuple[str, np.ndarray]]:
    for name, value in args.items():
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            continue
        if 2 <= array.ndim <= 3 and array.size <= MAX_INPUT and np.isfinite(array).all():
            yield name, array


def _same(computed: np.ndarray, answer: np.ndarray, rtol: float, atol: float) -> bool:
    """`answer` is `computed`, whichever way its entries are shaped (a kept dimension, a column)."""
    return computed.size == answer.size and _close(computed.reshape(answer.shape), answer, rtol, atol)


def wrong_axis(got: np.ndarray, want: np.ndarray, args: Mapping[str, object], rtol: float, atol: float) -> str | None:
    """"the mean of X along axis 1, where the check wants axis 0": an input's reduction (or
    axis-dependent operation) that gives the expected answer along one axis and the student's
    along another."""
    for name, array in _inputs(args):
        axes: list[int | None] = [*range(array.ndim), None]
        for what, along in REDUCTIONS + ALONG:
            results = {axis: along(array, axis) for axis in axes}
            right = [axis for axis, value in results.items() if _same(value, want, rtol, atol)]
            if not right:
                continue
            for axis, value in results.items():
                if axis not in right and _same(value, got, rtol, atol):
                    return (f"your answer is {what.format(x=name)} {_axis_text(axis)}, where the check computes it "
                            f"{_axis_text(right[0])}")
    return None


FLOAT32_RTOL = 1e-4  # what float32 arithmetic keeps of a result after a solve or a few thousand steps


def float32_close(got: np.ndarray, want: np.ndarray, atol: float) -> bool:
    """Right to float32 precision: within FLOAT32_RTOL of the expected values."""
    return _close(got, want, FLOAT32_RTOL, atol)


def diagnose(got: np.ndarray, want: np.ndarray, rtol: float, atol: float, single: bool = False,
             args: Mapping[str, object] | None = None) -> str | None:
    """What the wrong answer `got` is, in terms of the expected `want` (and the call's `args`), or
    None. Both are finite float arrays (the comparator checked); `single`: the student returned
    float32 or float16."""
    with np.errstate(all="ignore"):
        if single and float32_close(got, want, atol):
            return ("your answer is right to float32 precision, but this check needs float64: compute in "
                    "float64 (numpy's default: avoid float32 arrays and .astype(np.float32))")
        if want.size < MIN_SIZE or not np.isfinite(want).all() or not np.any(want):
            return None
        for explanation, undo in _candidates(got, want):
            if _close(undo(), want, rtol, atol):
                return f"your answer is {explanation}"
        if args and (found := wrong_axis(got, want, args, rtol, atol)) is not None:
            return found
        if got.shape != want.shape:
            return None
        factor = float(np.vdot(got.ravel(), want.ravel()) / np.vdot(want.ravel(), want.ravel()))
        if np.isfinite(factor) and factor != 0 and _close(got / factor, want, rtol, atol):
            return f"your answer is the expected values times {_factor_text(factor)}"
    return None
