"""Numeric closeness, as numpy.allclose, with feedback about the worst entry.

Shape rule: both sides are read as float arrays; unless `shape: exact` is asked for,
axes of length 1 are removed from both first, so (d,), (d, 1) and (1, d) match, and a
scalar matches [x]. NaN and inf in the received value never pass.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
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
    type_name,
)
from grader.comparators.diagnosis import diagnose, float32_close


class NumericSpec(SpecBase):
    name: Literal["numeric"] = "numeric"
    rtol: float = Field(1e-6, description="relative tolerance, as in `numpy.allclose`")
    atol: float = Field(1e-9, description="absolute tolerance, as in `numpy.allclose`")
    shape: Literal["squeeze", "exact"] = Field("squeeze", description=(
        "`squeeze`: axes of length 1 are removed from both sides before shapes are compared; "
        "`exact`: shapes must be equal as they are"))
    float32: bool = Field(False, description=(
        "an answer returned in float32 (or float16) passes when it is right to float32 precision "
        "(relative error 1e-4), whatever `rtol` says; without it, such an answer is told it needs float64"))


def _as_float_array(value: Any) -> np.ndarray | None:
    if value is None or isinstance(value, str | dict):
        return None
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return None
    return array


def _single_precision(value: Any) -> bool:
    """Whether the student returned float32 or float16 numbers (an array, a scalar, or a list of them)."""
    if isinstance(value, np.ndarray | np.floating):
        return value.dtype in (np.float32, np.float16)
    if isinstance(value, list | tuple) and value:
        return all(_single_precision(item) for item in value)
    return False


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
        found = diagnose(got_cmp, want_cmp, spec.rtol, spec.atol, args=ctx.args) if np.isfinite(got_cmp).all() else None
        text = f"expected shape {want.shape}, received shape {got.shape}"
        return Verdict(0.0, f"{text}: {found}" if found else text)
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
        single = _single_precision(received)
        if single and spec.float32 and np.isfinite(want_cmp).all() and float32_close(got_cmp, want_cmp, spec.atol):
            return Verdict(1.0)
        rel_err = abs_err / np.maximum(np.abs(want_cmp), np.finfo(float).tiny)
        worst = np.unravel_index(int(np.argmax(abs_err - spec.rtol * np.abs(want_cmp))), abs_err.shape)
        n_bad = int(np.sum(~(abs_err <= spec.atol + spec.rtol * np.abs(want_cmp)) | ~np.isfinite(want_cmp)))
    where = f" at index {tuple(int(i) for i in worst)}" if got_cmp.ndim else ""
    lines = [f"{n_bad} of {got_cmp.size} entries differ beyond rtol={spec.rtol:g}, atol={spec.atol:g}"]
    found = diagnose(got_cmp, want_cmp, spec.rtol, spec.atol, single, ctx.args) if np.isfinite(want_cmp).all() else None
    if found:
        lines.insert(0, found[0].upper() + found[1:] + ".")
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


# -- the student kit's sealed form ---------------------------------------------------------------

# Cell width of the sealed form, in units of the comparator's tolerance (see numeric_cells).
GRID = 0.5
MAX_RTOL = 0.5


def numeric_cells(values: Any, rtol: float, atol: float) -> tuple[list[float | None], bool]:
    """Each entry's coordinate u in units of the comparator's tolerance, and whether u is exact.

    np.allclose passes |g - w| <= atol + rtol·|w| = τ(w). The coordinate
        u(x) = sign(x) · log(1 + |x|·rtol/atol) / rtol     (x / atol when rtol = 0,
                                                           log|x| / rtol when atol = 0)
    has u'(x) = 1/τ(x): the tolerance is one unit everywhere. Values are sealed as the cells
    floor((u - offset) / GRID). Sound: equal cells mean |u(g) - u(w)| < GRID, and since
    τ(x) <= τ(w) + rtol·|g - w| between w and g, |g - w| < GRID·τ(w) / (1 - GRID·rtol),
    which is at most τ(w) for rtol <= 1 (MAX_RTOL = 0.5 keeps a margin): a confirmed value
    always passes the comparator. Complete: the builder picks the offset in the widest gap
    between the expected entries' positions in their cells, so every expected entry is at
    least `margin` (half that gap, >= GRID / (2·entries)) from a cell edge; a value within
    `margin` of the answer in u (a quarter of the tolerance, less for large arrays) lands in
    the same cells and is always confirmed. Between that and the tolerance the kit may say
    "not confirmed" where grading passes; beyond the tolerance it never confirms.
    With atol = 0 the sign and zero-ness are kept beside u; with rtol = atol = 0 the values
    themselves are compared (None marks "compare exactly").
    """
    array = np.asarray(values, dtype=float).ravel()
    if rtol == 0 and atol == 0:
        return [None] * array.size, True
    with np.errstate(divide="ignore", invalid="ignore"):
        if atol == 0:
            u = np.log(np.abs(array)) / rtol
        elif rtol == 0:
            u = array / atol
        else:
            u = np.sign(array) * np.log1p(np.abs(array) * (rtol / atol)) / rtol
    return [float(x) if math.isfinite(x) else None for x in u], False


def numeric_offset(values: Any, rtol: float, atol: float) -> tuple[float, float]:
    """(offset, margin): the offset that keeps the expected entries farthest from cell edges."""
    coordinates, exact = numeric_cells(values, rtol, atol)
    positions = sorted({float(u % GRID) for u in coordinates if u is not None})
    if exact or not positions:
        return GRID / 2, GRID / 2
    gaps = [(positions[(i + 1) % len(positions)] - p) % GRID or GRID for i, p in enumerate(positions)]
    widest = max(range(len(gaps)), key=gaps.__getitem__)
    return float((positions[widest] + gaps[widest] / 2) % GRID), gaps[widest] / 2


def numeric_text(value: Any, rtol: float, atol: float, squeeze: bool, offset: float,
                 shape: list[int] | None = None) -> str:
    """The canonical text of a numeric value at one offset; raises Unmatchable."""
    array = _as_float_array(value)
    if array is None:
        raise Unmatchable(f"expected a number or an array of numbers, received {type(value).__name__}")
    compared = np.squeeze(array) if squeeze else array
    if shape is not None and list(compared.shape) != shape:
        raise Unmatchable(f"expected shape {tuple(shape)}, received shape {array.shape}")
    bad = ~np.isfinite(compared)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(compared[index]) else "inf"
        raise Unmatchable(f"received {kind} at index {index}; NaN and inf never pass")
    coordinates, exact = numeric_cells(compared, rtol, atol)
    flat = compared.ravel()
    cells: list[Any] = []
    for x, u in zip(flat.tolist(), coordinates, strict=True):
        if exact:
            cells.append(repr(x + 0.0))  # -0.0 == 0.0
        elif u is None:  # atol = 0: only zero equals zero
            cells.append("zero")
        else:
            cell = math.floor((u - offset) / GRID)
            cells.append(cell if atol > 0 else f"{'-' if x < 0 else '+'}{cell}")
    return dump(["numeric", list(compared.shape), cells])


class Numeric(Comparator[NumericSpec]):
    name = "numeric"
    spec_type = NumericSpec
    sealable = True

    compare = staticmethod(compare)

    def forms(self, spec: NumericSpec, value: Any, *, accepted: bool) -> list[Form]:
        if spec.rtol > MAX_RTOL:
            raise CannotSeal(f"rtol {spec.rtol:g} is above {MAX_RTOL:g}")
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise CannotSeal("the expected value is not numeric") from None
        if not np.all(np.isfinite(array)):
            raise CannotSeal("the expected value is not finite")
        offset, _ = numeric_offset(array, spec.rtol, spec.atol)
        params: dict[str, Any] = {
            "offset": offset, "shape": list(np.squeeze(array).shape if spec.shape == "squeeze" else array.shape)}
        return [(self.canonical(spec, value, params), params)]

    def canonical_text(self, spec: NumericSpec, value: Any, form: dict[str, Any]) -> str:
        return numeric_text(value, spec.rtol, spec.atol, spec.shape == "squeeze", float(form["offset"]),
                            form.get("shape"))


COMPARATOR = Numeric()
