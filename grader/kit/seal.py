"""The student kit: what a course hands out so students can check their work before submitting.

Two commands live here (their work is in kit_build.py and kit_check.py, imported only when
a command runs, so `grader check` starts fast):

    grader student-kit --assignment NAME --out DIR    write the template and the check bundle
    grader check FILE [--question ID] [--kit DIR]     run the visible checks, from the kit alone

This module also holds what both sides share: the bundle's file names, and "sealing", the
scheme that lets the kit confirm a fixed answer without carrying it.

Sealing
-------
A fixed-answer check (the same inputs for every student, see kit_build.is_fixed) does not
ship its expected value. It ships, per accepted answer, a tag

    master = PBKDF2-HMAC-SHA256(canonical text, salt, ITERATIONS)
    tag    = HMAC-SHA256(master, "tag")

with a random salt per check. The student's value is put in the same canonical text and
tagged; equal tags confirm the answer. The canonical text is the comparator's own
normalization, so what the comparator calls equal gets one text:

- exact: the value with arrays as lists, tuples as lists, whole floats as ints, strings with
  white space folded (and case, unless case-sensitive), each item tagged with its type;
- one_of: one tag per accepted synonym, in one_of.canonical form;
- big_o: the growth order: the leading term at infinity, constant factors dropped, as sympy
  prints it; a dict of orders, key by key;
- edge_f1: the sorted set of normalized edges; one tag per accepted graph;
- numeric: see `numeric_cells`: tolerance-aware cells that make the scheme sound.

A known mistake's output is sealed the same way, and its name and message are encrypted
with a key derived from the same master (XOR with a SHAKE-256 stream), so the message is
readable exactly when the student's answer is that mistake.

What this protects: the answer is never in the kit in clear, and reading it back needs a
guess per PBKDF2 evaluation. What it cannot protect: an answer with few possible values
(True or False, O(1) or O(t)) can be guessed, as it can with `grader check` itself.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
from pathlib import Path
from typing import Any

BUNDLE_FOLDER = "check"
MANIFEST = "bundle.json"
VALUES = "values.wire"
FORMAT = "numgrader-student-kit"
FORMAT_VERSION = 1
ITERATIONS = 100_000
# Cell width of the numeric scheme, in units of the comparator's tolerance (see numeric_cells).
GRID = 0.5
MAX_RTOL = 0.5


class Unmatchable(ValueError):
    """A received value that cannot equal any sealed answer; the message says why."""


# -- sealing -------------------------------------------------------------------------------


def _master(text: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", text.encode("utf-8"), salt, iterations)


def seal(text: str, salt: bytes, iterations: int = ITERATIONS) -> tuple[str, bytes]:
    """(tag, key) for a canonical text: the tag is stored, the key only ever derived."""
    master = _master(text, salt, iterations)
    tag = hmac.new(master, b"numgrader-kit tag", "sha256").hexdigest()
    key = hmac.new(master, b"numgrader-kit note", "sha256").digest()
    return tag, key


def _stream(key: bytes, label: str, size: int) -> bytes:
    return hashlib.shake_256(key + b"|" + label.encode()).digest(size)


def lock(key: bytes, label: str, text: str) -> str:
    """Encrypt `text` (hex out); `label` makes every (key, message) pair's stream distinct."""
    data = text.encode("utf-8")
    return bytes(a ^ b for a, b in zip(data, _stream(key, label, len(data)), strict=True)).hex()


def unlock(key: bytes, label: str, sealed: str) -> str:
    data = bytes.fromhex(sealed)
    return bytes(a ^ b for a, b in zip(data, _stream(key, label, len(data)), strict=True)).decode("utf-8")


def same_tag(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


# -- canonical forms -----------------------------------------------------------------------


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _exact_item(value: Any, case_sensitive: bool) -> Any:
    from grader.comparators.exact import normalize_text

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
        return ["list", [_exact_item(v, case_sensitive) for v in value]]
    if isinstance(value, dict):
        items = [[_exact_key(k), _exact_item(v, case_sensitive)] for k, v in value.items()]
        return ["dict", sorted(items, key=_dump)]
    raise Unmatchable(f"a value of type {type(value).__name__}")


def _exact_key(key: Any) -> Any:
    # Keys are compared as Python compares them (1 == 1.0 == True), text as it is.
    if isinstance(key, bool | int | float) and float(key).is_integer():
        return ["number", str(int(key))]
    return [type(key).__name__, repr(key)]


def exact_text(value: Any, case_sensitive: bool) -> str:
    from grader.comparators.exact import plain

    return _dump(["exact", _exact_item(plain(value), case_sensitive)])


def order_text(text: Any, variable: str) -> str:
    """The growth order of a big-O answer as a canonical text; raises Unmatchable."""
    from grader.comparators.base import short
    from grader.comparators.big_o import UnreadableOrder, order_of, same_growth

    if not isinstance(text, str):
        raise Unmatchable(f"expected a string such as 'O({variable})', received {type(text).__name__}")
    try:
        expression = order_of(text, variable)
    except UnreadableOrder as error:
        raise Unmatchable(f"{short(text)} is not a big-O expression in {variable}: {error}") from None
    lead = _leading(_leading(expression, variable), variable)
    # Never confirm what the comparator itself would not: the canonical form must have the
    # same growth as the answer (it always does, unless sympy cannot decide).
    if lead == 0 or not same_growth(expression, lead, variable):
        raise Unmatchable("")
    import sympy

    return sympy.srepr(lead)  # type: ignore[no-any-return]


def _leading(expression: Any, variable: str) -> Any:
    import sympy

    symbol = sympy.Symbol(variable, positive=True)
    expression = sympy.expand_log(sympy.expand(sympy.nsimplify(expression, rational=True)), force=True)
    if expression.is_zero:
        return sympy.Integer(0)
    lead = sympy.Order(expression, (symbol, sympy.oo)).expr
    lead = sympy.expand_log(sympy.expand(lead), force=True)
    if lead.is_Add:  # Order keeps some sums (t log t + t): keep the terms nothing outgrows
        terms = list(lead.args)
        lead = sympy.Add(*[a for a in terms if not any(
            b is not a and sympy.limit(a / b, symbol, sympy.oo) == 0 for b in terms)])
    return lead.as_independent(symbol, as_Add=False)[1]


def big_o_text(value: Any, variable: str, keys: list[str] | None) -> str:
    if keys is None:
        return _dump(["big_o", order_text(value, variable)])
    if not isinstance(value, dict):
        raise Unmatchable(f"expected a dict with keys {sorted(keys)}, received {type(value).__name__}")
    problems, orders = [], {}
    for key in keys:
        if key not in value:
            problems.append(f"{key}: missing")
            continue
        try:
            orders[key] = order_text(value[key], variable)
        except Unmatchable as error:
            problems.append(f"{key}: {error}" if str(error) else f"{key}: not a growth order")
    if problems:
        raise Unmatchable("\n".join(problems))
    return _dump(["big_o", orders])


def edges_text(value: Any) -> str:
    from grader.comparators.edge_f1 import _edges

    edges = _edges(value)
    if isinstance(edges, str):
        raise Unmatchable(edges)
    return _dump(["edges", sorted(edges)])


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
    import numpy as np

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
    import numpy as np

    from grader.comparators.numeric import _as_float_array

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
    return _dump(["numeric", list(compared.shape), cells])


def canonical_text(spec: Any, value: Any, form: dict[str, Any]) -> str:
    """The canonical text of one value under a comparator spec and a sealed form's parameters.

    `form` may hold "offset" and "shape" (numeric) or "keys" (a dict of big-O answers).
    Raises Unmatchable when the value cannot be equal to any answer of that form.
    """
    name = spec.name
    if name == "exact":
        return exact_text(value, spec.case_sensitive)
    if name == "one_of":
        from grader.comparators.one_of import canonical

        if not isinstance(value, str):
            raise Unmatchable(f"expected a string, received {type(value).__name__}")
        return _dump(["one_of", canonical(value)])
    if name == "big_o":
        return big_o_text(value, spec.variable, form.get("keys"))
    if name == "edge_f1":
        return edges_text(value)
    if name == "numeric":
        return numeric_text(value, spec.rtol, spec.atol, spec.shape == "squeeze", float(form["offset"]),
                            form.get("shape"))
    raise Unmatchable(f"the {name} comparator has no sealed form")


# -- the commands --------------------------------------------------------------------------


def _student_kit(args: argparse.Namespace) -> int:
    from grader.kit.build import build_kit

    warnings = build_kit(args.assignment, Path(args.out))
    for line in warnings:
        print(f"note: {line}")
    print(f"student kit written to {args.out}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from grader.kit.check import run_check

    return run_check(Path(args.submission), Path(args.kit) if args.kit else None, args.question, args.show_output)


def register(commands: Any) -> None:
    kit = commands.add_parser("student-kit", help="write the template and visible checks for students")
    kit.add_argument("--assignment", required=True, help="assignment name (rubrics/NAME.yaml) or rubric path")
    kit.add_argument("--out", required=True, help="folder to write the kit into")
    kit.set_defaults(run=_student_kit)

    check = commands.add_parser("check", help="run the visible checks of a student kit on your file")
    check.add_argument("submission", help="your .py file or .ipynb notebook (or the folder holding it)")
    check.add_argument("--question", help="only this question (e.g. 2.2 runs 2.2.1, 2.2.2, ...)")
    check.add_argument("--kit", help=f"the kit's folder (default: the one holding {BUNDLE_FOLDER}/ "
                                     "here, or beside your file)")
    check.add_argument("--show-output", action="store_true", help="print what your file printed")
    check.set_defaults(run=_check)
