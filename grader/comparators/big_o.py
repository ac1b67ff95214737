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

from grader.comparators.base import CompareContext, SpecBase, Verdict, short, type_name


class BigOSpec(SpecBase):
    name: Literal["big_o"] = "big_o"
    variable: str = "n"


_WRAPPER = re.compile(r"^\s*(?:big[\s-]*)?(?:o|θ|theta|Θ)\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)
_TOKEN = re.compile(r"\s*(?:(\d{1,6}(?:\.\d{1,6})?)|([A-Za-z]+)|(\*\*|[-+*/^()]))")
_FUNCTIONS = {"log", "ln", "exp", "sqrt"}
_MAX_LENGTH = 80


class UnreadableOrder(ValueError):
    """The text is not a growth order this comparator can read."""


def _tokens(text: str, variable: str) -> str:
    """Check every token and return a normalized expression text."""
    text = text.replace("·", "*").replace("×", "*").replace("²", "^2").replace("³", "^3")
    out: list[str] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise UnreadableOrder(f"cannot read {text[pos:pos + 10]!r}")
        number, word, op = match.groups()
        if word is not None:
            lower = word.lower()
            if lower in _FUNCTIONS:
                out.append("log" if lower == "ln" else lower)
            elif word == variable or len(word) == 1:
                out.append(word)
            else:
                # "td" is t*d written without a sign: split short runs that hold the variable.
                if len(variable) != 1 or variable not in word or len(word) > 4:
                    raise UnreadableOrder(f"unknown name {word!r}")
                out.append("*".join(word))
        else:
            out.append(number if number is not None else op)
        pos = match.end()
    if not out:
        raise UnreadableOrder("empty expression")
    return " ".join(out)


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

    if len(text) > _MAX_LENGTH:
        raise UnreadableOrder(f"longer than {_MAX_LENGTH} characters")
    match = _WRAPPER.match(text)
    inner = match.group(1) if match else text
    expression_text = _tokens(inner, variable)
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
    want = order_of(expected, spec.variable)
    try:
        got = order_of(received, spec.variable)
    except UnreadableOrder as error:
        return f"{short(received)} is not a big-O expression in {spec.variable}: {error}"
    if same_growth(got, want, spec.variable):
        return ""
    if reveal:
        return f"{short(received)} grows as {got} in {spec.variable}, expected {want}"
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
