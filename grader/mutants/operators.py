"""Mutation operators for numeric code: each a small function from one AST node (and where it
is) to the mutations it suggests there, as `Site`s. They only describe; source.py applies them.

The operators are the mistakes students make in numeric homework: a sign, an operand order, a
constant, a count off by one (n − 1 for n), a dropped term or bias, a transpose, an axis, an
off-by-one, an accumulation, float32.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Context:
    """Where a node is: what an operator needs to know beyond the node itself."""

    numpy: str | None = None  # the name the module imports numpy as ("np"): float32 mutations need it
    in_loop: bool = False  # inside a for or while loop's body
    numeric_return: bool = False  # the function's answer is numbers (a numeric check calls it)


@dataclass(frozen=True)
class Site:
    """One mutation: `node` (in the function's own tree) becomes `new`."""

    node: ast.AST
    new: ast.AST
    operator: str  # e.g. "sign flip"
    tag: str  # the operator in a mutant's id, e.g. "sign"
    what: str  # the change for people, e.g. "`-` → `+`"
    variant: str = ""  # tells apart several mutations of one node by one operator


Operator = Callable[[ast.AST, Context], Iterator[Site]]

_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Pow: "**",
            ast.MatMult: "@"}


def code(node: ast.AST, limit: int = 48) -> str:
    """A node's code for a description, cut short."""
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _symbol(op: ast.operator) -> str:
    return _SYMBOLS.get(type(op), type(op).__name__)


def _number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _plus(node: ast.expr, amount: int) -> ast.expr:
    """`node + 1` or `node - 1`, folded when node is a number."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return ast.Constant(node.value + amount)
    return ast.BinOp(node, ast.Add() if amount > 0 else ast.Sub(), ast.Constant(abs(amount)))


def _not_a_number(node: ast.AST) -> bool:
    """An expression that is surely no number: negating or casting it makes no sense."""
    containers = ast.Tuple | ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.JoinedStr
    return isinstance(node, containers | ast.Compare | ast.BoolOp) or (
        isinstance(node, ast.Constant) and type(node.value) not in (int, float))


# -- signs and operators ----------------------------------------------------------------------

def sign_flip(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """`-x` → `x`; `+` ↔ `-` (also `+=` ↔ `-=`); a returned value negated."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield Site(node, node.operand, "sign flip", "sign", f"`{code(node)}` → `{code(node.operand)}`", "unminus")
    if isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ast.Add | ast.Sub):
        op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
        new: ast.AST = (ast.BinOp(node.left, op, node.right) if isinstance(node, ast.BinOp)
                        else ast.AugAssign(node.target, op, node.value))
        suffix = "=" if isinstance(node, ast.AugAssign) else ""
        yield Site(node, new, "sign flip", "sign", f"`{_symbol(node.op)}{suffix}` → `{_symbol(op)}{suffix}`")
    if isinstance(node, ast.Return) and node.value is not None and ctx.numeric_return and not _not_a_number(node.value):
        yield Site(node.value, ast.UnaryOp(ast.USub(), node.value), "sign flip", "sign",
                   f"returns `-({code(node.value, 32)})`", "negate")


def swapped_operands(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """`a - b` → `b - a`, `a / b` → `b / a`."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub | ast.Div | ast.FloorDiv):
        new = ast.BinOp(node.right, node.op, node.left)
        yield Site(node, new, "swapped operands", "swap", f"`{code(node, 32)}` → `{code(new, 32)}`")


_SWAPPED_OPERATORS: dict[type, tuple[type, ...]] = {
    ast.Mult: (ast.Div,), ast.Div: (ast.Mult,), ast.FloorDiv: (ast.Div,), ast.Pow: (ast.Mult,)}


def arithmetic(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """`*` ↔ `/`, `//` → `/`, `**` → `*` (in expressions and in `*=`, `/=`)."""
    if isinstance(node, ast.BinOp | ast.AugAssign):
        for kind in _SWAPPED_OPERATORS.get(type(node.op), ()):
            op = kind()
            new: ast.AST = (ast.BinOp(node.left, op, node.right) if isinstance(node, ast.BinOp)
                            else ast.AugAssign(node.target, op, node.value))
            yield Site(node, new, "arithmetic operator", "op", f"`{_symbol(node.op)}` → `{_symbol(op)}`")


# -- constants --------------------------------------------------------------------------------

def _replacements(value: int | float) -> list[int | float]:
    """2 → 1, 1 → 2 and 0, 0 → 1, any other n → n − 1 (the `x ± 1` patterns become `x`, `x ± 2`)."""
    kind = type(value)
    if value == 0:
        return [kind(1)]
    if value == 1:
        return [kind(2), kind(0)]
    if value == 2:
        return [kind(1)]
    return [value - 1]


def constants(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """A number changed (2 → 1, 1 → 2, 0 ↔ 1, n → n − 1); True ↔ False."""
    if not isinstance(node, ast.Constant):
        return
    if type(node.value) is bool:
        yield Site(node, ast.Constant(not node.value), "boolean flip", "bool", f"`{node.value}` → `{not node.value}`")
    elif isinstance(node.value, int | float):
        for value in _replacements(node.value):
            yield Site(node, ast.Constant(value), "constant", "const", f"`{node.value!r}` → `{value!r}`", f"{value!r}")


_COUNT_NAMES = re.compile(r"^(n|m|N|M|k|count|size|total|num_\w+|n_\w+)$")


def _a_count(node: ast.AST) -> bool:
    """An expression that counts things: `len(x)`, `x.size`, `x.shape[0]`, or a name like `n`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
        return True
    if isinstance(node, ast.Attribute) and node.attr == "size":
        return True
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
        return True
    return isinstance(node, ast.Name) and bool(_COUNT_NAMES.match(node.id))


def count_off_by_one(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """A division by a count off by one: `/ len(x)` → `/ (len(x) - 1)` (the sample variance's n − 1
    where the population's n is asked, or the other way), and `/ (n - 1)` → `/ n`."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.FloorDiv)):
        return
    right = node.right
    if _a_count(right):
        for amount, variant in ((-1, "minus"), (1, "plus")):
            yield Site(node, ast.BinOp(node.left, node.op, _plus(right, amount)), "count off by one", "count",
                       f"`/ {code(right)}` → `/ ({code(_plus(right, amount))})`", variant)
    elif (isinstance(right, ast.BinOp) and isinstance(right.op, ast.Add | ast.Sub) and _a_count(right.left)
          and isinstance(right.right, ast.Constant) and right.right.value == 1):
        yield Site(node, ast.BinOp(node.left, node.op, right.left), "count off by one", "count",
                   f"`/ ({code(right)})` → `/ {code(right.left)}`", "exact")


# -- dropped terms ----------------------------------------------------------------------------

_BIAS = re.compile(r"^(b|b\d|bias(es)?|b_\w+|\w+_bias|intercept|offset)$", re.IGNORECASE)


def _names_a_bias(node: ast.AST) -> bool:
    return any((isinstance(n, ast.Name) and _BIAS.match(n.id)) or (isinstance(n, ast.Attribute) and _BIAS.match(n.attr))
               or (isinstance(n, ast.keyword) and n.arg is not None and _BIAS.match(n.arg)) for n in ast.walk(node))


def _dropped(node: ast.BinOp) -> Iterator[tuple[str, ast.expr, ast.expr]]:
    """(side kept, what is kept, what is dropped) for a sum or a difference."""
    yield "left", node.left, node.right
    if isinstance(node.op, ast.Add):
        yield "right", node.right, node.left


def missing_bias(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """`w @ x + b` → `w @ x`: a dropped addend that names a bias (b, bias, intercept, ...)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for side, kept, dropped in _dropped(node):
            if _names_a_bias(dropped) and not _names_a_bias(kept):
                yield Site(node, kept, "missing bias", "bias", f"dropped the bias `+ {code(dropped, 32)}`", side)


def dropped_term(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """`a + b` → `a` and `b`; `a - b` → `a`."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        for side, kept, dropped in _dropped(node):
            yield Site(node, kept, "dropped term", "term", f"dropped `{code(dropped, 32)}` of `{code(node, 40)}`", side)


# -- numpy: transposes, axes, float32 ---------------------------------------------------------

def transpose(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """`.T` removed; `.T` added to an operand of `@`."""
    if isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.ctx, ast.Load):
        yield Site(node, node.value, "transpose", "T", f"`{code(node)}` → `{code(node.value)}`", "drop")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        for side in ("left", "right"):
            operand = getattr(node, side)
            if not (isinstance(operand, ast.Attribute) and operand.attr == "T"):
                new = ast.Attribute(operand, "T", ast.Load())
                yield Site(operand, new, "transpose", "T", f"`{code(operand)}` → `{code(new)}`", "add")


def axis(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """`axis=0` ↔ `axis=1` (and `axis=-1` → `axis=0`)."""
    if isinstance(node, ast.keyword) and node.arg == "axis":
        value = node.value
        number: int | None = None
        if isinstance(value, ast.Constant) and type(value.value) is int:
            number = value.value
        elif (isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub)
              and isinstance(value.operand, ast.Constant) and type(value.operand.value) is int):
            number = -value.operand.value
        if number is not None:
            changed = 0 if number != 0 else 1
            yield Site(value, ast.Constant(changed), "axis", "axis", f"`axis={number}` → `axis={changed}`")


def _float_type(node: ast.AST) -> bool:
    """`float`, `np.float64`, `"float64"`: what a dtype says when it means double precision."""
    return ((isinstance(node, ast.Name) and node.id in ("float", "float64"))
            or (isinstance(node, ast.Attribute) and node.attr in ("float64", "double", "float_"))
            or (isinstance(node, ast.Constant) and node.value in ("float", "float64", "f8", "double")))


def float32(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """float64 → float32: a `dtype=` or `.astype(...)`, and a numeric answer returned as float32."""
    if ctx.numpy is None:
        return
    single = ast.Attribute(ast.Name(ctx.numpy, ast.Load()), "float32", ast.Load())
    if isinstance(node, ast.keyword) and node.arg == "dtype" and _float_type(node.value):
        yield Site(node.value, single, "float32", "f32", f"`dtype={code(node.value)}` → `dtype={ctx.numpy}.float32`")
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "astype"
            and node.args and _float_type(node.args[0])):
        yield Site(node.args[0], single, "float32", "f32", f"`astype({code(node.args[0])})` → `astype(float32)`")
    if isinstance(node, ast.Return) and node.value is not None and ctx.numeric_return and not _not_a_number(node.value):
        wrapped = ast.Call(ast.Attribute(ast.Call(ast.Attribute(ast.Name(ctx.numpy, ast.Load()), "asarray", ast.Load()),
                                                  [node.value], []), "astype", ast.Load()), [single], [])
        yield Site(node.value, wrapped, "float32", "f32", "the answer returned as float32", "return")


# -- loops, ranges, slices, padding -----------------------------------------------------------

def ranges(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """Off by one in `range(...)`: its stop ± 1, its start + 1."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and node.args):
        return
    if len(node.args) > 3 or any(isinstance(a, ast.Starred) for a in node.args):
        return
    stop = 0 if len(node.args) == 1 else 1
    changes = [(stop, 1, "stop+1"), (stop, -1, "stop-1")] + ([(0, 1, "start+1")] if len(node.args) > 1 else [])
    for index, amount, variant in changes:
        args = list(node.args)
        args[index] = _plus(args[index], amount)
        new = ast.Call(node.func, args, node.keywords)
        yield Site(node, new, "range off by one", "range", f"`{code(node, 32)}` → `{code(new, 32)}`", variant)


def slices(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """Off by one in a slice: each bound written ± 1."""
    if not isinstance(node, ast.Slice):
        return
    for bound in ("lower", "upper"):
        value = getattr(node, bound)
        if value is None:
            continue
        for amount in (1, -1):
            new = _plus(value, amount)
            yield Site(value, new, "slice off by one", "slice", f"slice bound `{code(value)}` → `{code(new)}`",
                       f"{bound}{amount:+d}")


def padding(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """`np.pad` widths ± 1 (each number in its pad_width)."""
    if not isinstance(node, ast.Call):
        return
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name != "pad":
        return
    keyword = next((k.value for k in node.keywords if k.arg == "pad_width"), None)
    widths = node.args[1] if len(node.args) > 1 else keyword
    if widths is None:
        return
    for number in ast.walk(widths):
        if isinstance(number, ast.Constant) and type(number.value) is int:
            for amount in (1, -1):
                if number.value + amount >= 0:
                    yield Site(number, ast.Constant(number.value + amount), "padding off by one", "pad",
                               f"pad width `{number.value}` → `{number.value + amount}`", f"{amount:+d}")


def accumulation(node: ast.AST, ctx: Context) -> Iterator[Site]:
    """`+=` → `=` inside a loop: the sum forgets what it held."""
    if ctx.in_loop and isinstance(node, ast.AugAssign):
        new = ast.Assign([node.target], node.value, lineno=0)
        yield Site(node, new, "accumulation lost", "acc", f"`{_symbol(node.op)}=` → `=` in a loop")


# The order matters only where two operators make the same code: the first one's name is kept.
OPERATORS: tuple[Operator, ...] = (sign_flip, swapped_operands, arithmetic, constants, count_off_by_one,
                                   missing_bias, dropped_term, transpose, axis, float32, ranges, slices, padding,
                                   accumulation)
