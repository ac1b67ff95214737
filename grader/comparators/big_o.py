"""Big-O answers compared as growth orders in one variable, not as strings.

" o( 1 ) " equals O(1) and "O(2*t + 3)" equals O(t): the text inside O(...) is parsed into
an expression and compared as orders at variable → ∞ (the ratio's limit is finite and
non-zero). Other single letters are
constants. Only digits, the variable, letters, `log ln exp sqrt`, + - * / ^ ( ) and
white space are read: the text never reaches an evaluator unchecked. A dict of such
answers is compared key by key, each key an equal share of the credit.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal

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
from grader.comparators.orders import UnreadableOrder, answer_text, describe, expression_of, fast_order


class BigOSpec(SpecBase):
    name: Literal["big_o"] = "big_o"
    variable: str = Field("n", description=(
        "the variable the growth order is in, e.g. `t` (matched whatever its case: `O(T)` is `O(t)`); "
        "other single letters are constants"))
    aliases: tuple[str, ...] = Field((), description=(
        "other names a student may give the variable, e.g. `[iterations, steps]` (matched whatever their case)"))


@lru_cache(maxsize=1024)
def order_of(text: str, variable: str) -> Any:
    """The expression inside a big-O answer, e.g. order_of("O(2t+3)", "t") == 2*t + 3."""
    import sympy
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )

    expression_text = expression_of(text, variable)
    namespace: dict[str, Any] = {}
    exec("from sympy import *", namespace)  # a fixed import, not the student's text
    symbol = sympy.Symbol(variable, positive=True)
    letters = {ch: sympy.Symbol(ch, positive=True) for ch in set(re.findall(r"\b[A-Za-z]\b", expression_text))}
    letters[variable] = symbol
    transformations = (*standard_transformations, implicit_multiplication_application, convert_xor)
    try:
        expression = parse_expr(expression_text, local_dict=letters, global_dict=namespace,
                                transformations=transformations)
    except Exception as error:  # sympy raises many kinds for malformed input
        raise UnreadableOrder(f"cannot read {expression_text!r} ({type(error).__name__})") from error
    if not isinstance(expression, sympy.Expr) or expression.free_symbols - set(letters.values()):
        raise UnreadableOrder(f"cannot read {expression_text!r}")
    return expression


@lru_cache(maxsize=1024)
def same_growth(a: Any, b: Any, variable: str) -> bool:
    """The same order: a/b tends to a finite, non-zero limit as variable → ∞.

    This is sympy's O(a) == O(b) at ∞, decided by the limit because Order's printed forms
    are not canonical (O(t log t) comes back as O(t log(1/t))).
    """
    import sympy

    ratio = sympy.limit(a / b, sympy.Symbol(variable, positive=True), sympy.oo)
    return bool(ratio.is_finite and not ratio.is_zero)


def _one(received: Any, expected: str, spec: BigOSpec, reveal: bool) -> str:
    """Empty when `received` has the expected order, else what is wrong."""
    if not isinstance(received, str):
        return f"expected a string such as 'O({spec.variable})', received {type_name(received)}"
    try:
        received = answer_text(received, spec.variable, spec.aliases)
        fast_got = fast_order(expression_of(received, spec.variable), spec.variable)
    except UnreadableOrder as error:
        return f"{short(received)} is not a big-O expression in {spec.variable}: {error}"
    fast_want = fast_order(expression_of(expected, spec.variable), spec.variable)
    if fast_got is not None and fast_want is not None:
        if fast_got == fast_want:
            return ""
        got_text, want_text = describe(fast_got, spec.variable), describe(fast_want, spec.variable)
    else:
        want = order_of(expected, spec.variable)
        try:
            got = order_of(received, spec.variable)
        except UnreadableOrder as error:
            return f"{short(received)} is not a big-O expression in {spec.variable}: {error}"
        if same_growth(got, want, spec.variable):
            return ""
        got_text, want_text = str(got), str(want)
    if reveal:
        return f"{short(received)} grows as {got_text} in {spec.variable}, expected {want_text}"
    return f"{short(received)} is not the expected growth order in {spec.variable}"


def compare(received: Any, expected: Any, spec: BigOSpec, ctx: CompareContext) -> Verdict:
    if isinstance(expected, dict):
        if not isinstance(received, dict):
            return Verdict(0.0, f"expected a dict with keys {sorted(expected)}, received {type_name(received)}")
        problems = []
        for key, want in expected.items():
            message = _one(received[key], want, spec, ctx.reveal) if key in received else "missing"
            if message:
                problems.append(f"{key}: {message}")
        fraction = 1.0 - len(problems) / len(expected)
        return Verdict(fraction, "\n".join(problems))
    message = _one(received, expected, spec, ctx.reveal)
    return Verdict(0.0 if message else 1.0, message)


# -- the student kit's sealed form ---------------------------------------------------------------


def order_text(text: Any, variable: str, aliases: tuple[str, ...] = ()) -> str:
    """The growth order of a big-O answer as a canonical text; raises Unmatchable."""
    if not isinstance(text, str):
        raise Unmatchable(f"expected a string such as 'O({variable})', received {type(text).__name__}")
    try:
        expression = order_of(answer_text(text, variable, aliases), variable)
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


def big_o_text(value: Any, variable: str, keys: list[str] | None, aliases: tuple[str, ...] = ()) -> str:
    if keys is None:
        return dump(["big_o", order_text(value, variable, aliases)])
    if not isinstance(value, dict):
        raise Unmatchable(f"expected a dict with keys {sorted(keys)}, received {type(value).__name__}")
    problems, orders = [], {}
    for key in keys:
        if key not in value:
            problems.append(f"{key}: missing")
            continue
        try:
            orders[key] = order_text(value[key], variable, aliases)
        except Unmatchable as error:
            problems.append(f"{key}: {error}" if str(error) else f"{key}: not a growth order")
    if problems:
        raise Unmatchable("\n".join(problems))
    return dump(["big_o", orders])


class BigO(Comparator[BigOSpec]):
    name = "big_o"
    spec_type = BigOSpec
    sealable = True

    compare = staticmethod(compare)

    def forms(self, spec: BigOSpec, value: Any, *, accepted: bool) -> list[Form]:
        """The growth order (the leading term at infinity, constant factors dropped, as sympy
        prints it); a dict of orders, key by key."""
        params: dict[str, Any] = {"keys": sorted(value)} if isinstance(value, dict) else {}
        return [(self.canonical(spec, value, params), params)]

    def canonical_text(self, spec: BigOSpec, value: Any, form: dict[str, Any]) -> str:
        return big_o_text(value, spec.variable, form.get("keys"), spec.aliases)

    def answer_texts(self, spec: BigOSpec, expected: Any) -> list[str]:
        return [str(v) for v in (expected.values() if isinstance(expected, dict) else [expected])]


COMPARATOR = BigO()
