"""What became of one mutant, from how its cases were judged and what it answered: killed (by
which checks), named (a known mistake recognized), killed only by hidden checks, equivalent (the
reference's own answers), justified, or a survivor: a hole in the rubric."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from grader.mutants.justify import entry_for
from grader.mutants.model import Mutant, MutantResult
from grader.mutants.worker import Graded

# Answers this close to the reference's are the same answer (rounding apart): far tighter than any
# check's tolerance, so a mutant called equivalent could never be told apart by a tighter one.
SAME_RTOL = 1e-12


def same(a: Any, b: Any) -> bool:
    """Whether two answers (plain data) are the same: structure, texts and ints exactly, floats to
    SAME_RTOL; a list and a tuple of the same items are the same, and so are arrays whose shapes
    differ only by axes of length 1 (as the numeric comparator reads them)."""
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, str | bool | None) or isinstance(b, str | bool | None):
        return type(a) is type(b) and a == b
    try:
        x, y = np.squeeze(np.asarray(a, dtype=float)), np.squeeze(np.asarray(b, dtype=float))
    except (TypeError, ValueError):
        return False
    if x.shape != y.shape:
        return False
    scale = float(np.max(np.abs(y), initial=0.0)) if y.size else 0.0
    with np.errstate(invalid="ignore"):
        return bool(np.all((x == y) | (np.abs(x - y) <= SAME_RTOL * max(scale, math.ulp(1.0)))))


def equivalent(outputs: dict[str, Any], answers: dict[str, Any]) -> bool:
    """The mutant answered every case the reference answers, with the reference's own answer."""
    return bool(answers) and all(key in outputs and same(outputs[key], answer) for key, answer in answers.items())


def classify(mutant: Mutant, graded: Graded, answers: dict[str, Any], justifications: dict[str, str]) -> MutantResult:
    """`answers`: the reference's answer on each case (of the function the student writes)."""
    if graded.error is not None or graded.outputs is None:
        return MutantResult(mutant, "error", (), (), {}, reason=graded.error or "not graded")
    failed = [v for v in graded.verdicts if not v.passed]
    killed_by = tuple(dict.fromkeys(v.check for v in failed))
    named = tuple(dict.fromkeys(v.mistake for v in failed if v.mistake))
    costly = [v for v in failed if v.points > 0]  # a feedback-only check tells, but costs nothing
    hidden_only = bool(costly) and all(v.visibility != "visible" for v in costly)
    if costly:
        status = "named" if named else "hidden only" if hidden_only else "killed"
        return MutantResult(mutant, status, killed_by, named, graded.outputs, hidden_only=hidden_only)
    if equivalent(graded.outputs, answers):
        return MutantResult(mutant, "equivalent", killed_by, named, graded.outputs)
    entry = entry_for(mutant, justifications)
    if entry is not None:
        return MutantResult(mutant, "justified", killed_by, named, graded.outputs, reason=justifications[entry])
    return MutantResult(mutant, "survived", killed_by, named, graded.outputs)
