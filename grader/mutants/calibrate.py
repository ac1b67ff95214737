"""Tolerance calibration of numeric checks: is each check's tolerance between the spread of
legitimate answers and the nearest wrong one?

Distances are in the comparator's own terms: the smallest `rtol` that, with the check's `atol`,
would accept an answer (`numpy.allclose`'s |g − w| <= atol + rtol·|w|, entry by entry).

Legitimate variants of the reference's answer, per case:
- its float32 round-trip (an answer right to float32 precision);
- the reference on its inputs perturbed at rounding level (relative 4·k·eps, k the largest input
  size): what another summation order, or another solver, rounds to, since those compute exactly
  the answer of inputs that close (backward stability);
- the reference module's own variants: a dict `VARIANTS = {"function": [other_function, ...]}`
  (e.g. lstsq or pinv beside solve).
Wrong answers: the declared mistakes' outputs, and the mutants' answers that differ from the
reference's by more than every legitimate variant does (float32 mutants aside: they are of the
float32 round-trip's kind, a precision rather than a mistake).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from grader.mutants.model import MutationRun

if TYPE_CHECKING:
    from grader.assignment import Assignment, Case

EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class Distance:
    label: str  # "float32 round-trip", "mistake 'no factor 2'", "mutant gd_step:sign:88:14", ...
    case: str  # the case's key
    rtol: float  # the smallest rtol that accepts it (inf: none does)


@dataclass(frozen=True)
class Calibration:
    check: str  # the check's key
    rtol: float
    atol: float
    legitimate: Distance | None  # the farthest legitimate variant
    wrong: Distance | None  # the nearest wrong answer
    suggestion: float | None  # an rtol between the two
    warnings: tuple[str, ...]


def needed_rtol(got: Any, want: Any, atol: float) -> float:
    """The smallest rtol under which `got` passes against `want` with `atol` (axes of length 1 aside)."""
    try:
        g, w = np.squeeze(np.asarray(got, dtype=float)), np.squeeze(np.asarray(want, dtype=float))
    except (TypeError, ValueError):
        return math.inf
    if g.shape != w.shape or not np.isfinite(g).all() or not np.isfinite(w).all():
        return math.inf
    excess = np.maximum(np.abs(g - w) - atol, 0.0)
    if not excess.any():
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(excess > 0, excess / np.abs(w), 0.0)
    return float(np.max(relative))


def _perturbed(args: dict[str, Any]) -> dict[str, Any]:
    """The arguments, every float in them moved at rounding level (4·k·eps relative, k the largest size)."""
    sizes = [np.size(v) for v in args.values() if isinstance(v, np.ndarray)]
    scale = 4 * max([*sizes, 1]) * EPS
    rng = np.random.default_rng(0)

    def move(value: Any) -> Any:
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            return value * (1 + scale * rng.uniform(-1, 1, size=value.shape))
        if type(value) is float:
            return value * (1 + scale * float(rng.uniform(-1, 1)))
        return value

    return {name: move(value) for name, value in copy.deepcopy(args).items()}


def legitimate(case: Case, reference: Any) -> Iterator[tuple[str, Any]]:
    """The legitimate variants of the reference's answer on this case."""
    expected = case.expected_value()
    try:
        yield "float32 round-trip", np.asarray(expected, dtype=np.float32).astype(float)
    except (TypeError, ValueError):
        return
    function: Callable[..., Any] | None = getattr(reference, case.check.reference_function, None)
    others = (getattr(reference, "VARIANTS", None) or {}).get(case.check.reference_function, [])
    for label, fn, args in [("rounding-level perturbation", function, _perturbed(case.args)),
                            *((f"variant {getattr(f, '__name__', f)}", f, case.args) for f in others)]:
        if callable(fn):
            try:
                yield label, fn(*copy.deepcopy(list(args.values())))
            except Exception:  # a variant that fails on these inputs tells nothing
                continue


def _round(value: float) -> float:
    """The nearest of 1, 2 and 5 times a power of ten, in log terms: a tolerance people write."""
    exponent = math.floor(math.log10(value))
    return min((m * 10.0**e for e in (exponent, exponent + 1) for m in (1, 2, 5)),
               key=lambda c: abs(math.log(c) - math.log(value)))


def suggest(legit: float, wrong: float) -> float | None:
    """An rtol between the two (their geometric mean, rounded), or None when none fits (or nothing
    wrong is comparable: a shape apart, or no wrong answer known)."""
    if not wrong > legit or wrong == 0 or math.isinf(legit) or math.isinf(wrong):
        return None
    low = max(legit, 100 * EPS)
    if low >= wrong:
        return None
    value = _round(math.sqrt(low * wrong))
    return value if low < value < wrong else math.sqrt(low * wrong)


def calibrate_check(cases: list[Case], reference: Any, run: MutationRun | None) -> Calibration:
    check = cases[0].check
    spec = check.compare
    rtol, atol = float(spec.rtol), float(spec.atol)  # type: ignore[union-attr]
    key = cases[0].key.split("#")[0]
    farthest: Distance | None = None
    nearest: Distance | None = None
    for case in cases:
        expected = case.expected_value()
        spread = [Distance(label, case.key, needed_rtol(v, expected, atol)) for label, v in legitimate(case, reference)]
        here = max(spread, key=lambda d: d.rtol, default=None)
        if here is not None and (farthest is None or here.rtol > farthest.rtol):
            farthest = here
        floor = here.rtol if here is not None else 0.0
        # Declared mistakes always count; a mutant only where it differs by more than rounding does.
        wrong = [Distance(f"mistake {name!r}", case.key, needed_rtol(output, expected, atol))
                 for name, output in case.mistakes]
        for result in run.results if run is not None else ():
            if result.status != "equivalent" and result.mutant.operator != "float32" and case.key in result.outputs:
                distance = needed_rtol(result.outputs[case.key], expected, atol)
                if distance > floor:
                    wrong.append(Distance(f"mutant {result.mutant.id}", case.key, distance))
        closest = min(wrong, key=lambda d: d.rtol, default=None)
        if closest is not None and (nearest is None or closest.rtol < nearest.rtol):
            nearest = closest
    warnings = []
    if nearest is not None and nearest.rtol <= rtol:
        warnings.append(f"{nearest.label} on {nearest.case} is within the tolerance: rtol {rtol:g} accepts it "
                        f"(it needs {nearest.rtol:.2g})")
    if farthest is not None and farthest.rtol > rtol:
        warnings.append(f"the {farthest.label} on {farthest.case} is outside the tolerance: it needs rtol "
                        f"{farthest.rtol:.2g}, the check has {rtol:g}")
    suggestion = suggest(farthest.rtol if farthest else 0.0, nearest.rtol if nearest else math.inf)
    if farthest is not None and nearest is not None and nearest.rtol <= farthest.rtol:
        warnings.append("no tolerance separates the legitimate variants from the nearest wrong answer")
    return Calibration(key, rtol, atol, farthest, nearest, suggestion, tuple(warnings))


def calibrate(assignment: Assignment, run: MutationRun | None = None) -> list[Calibration]:
    """One calibration for each check compared by `numeric`, in the rubric's order."""
    groups: dict[int, list[Case]] = {}
    for case in assignment.cases:
        if case.check.compare.name == "numeric":
            groups.setdefault(id(case.check), []).append(case)
    return [calibrate_check(cases, assignment.reference, run) for cases in groups.values()]
