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
from fractions import Fraction
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
                out.append(" * ".join(word))
        else:
            out.append(number if number is not None else op)
        pos = match.end()
    if not out:
        raise UnreadableOrder("empty expression")
    return " ".join(out)


def expression_of(text: str, variable: str) -> str:
    """The checked, space-separated tokens inside O(...); raises UnreadableOrder."""
    if len(text) > _MAX_LENGTH:
        raise UnreadableOrder(f"longer than {_MAX_LENGTH} characters")
    match = _WRAPPER.match(text)
    expression = _tokens(match.group(1) if match else text, variable)
    _Constants(expression.split()).check()
    return expression


# -- constants small enough to compute ---------------------------------------------------------
# "O(9^9^9)" is a constant, but sympy would compute 9**387420489 to know it (minutes, gigabytes),
# and "t^(2^2^2^2^2)" makes an exponent of 19,729 digits that str() refuses. Before any reader
# sees the text, every constant power is bounded here, without evaluating anything large.

MAX_EXPONENT = 10_000  # of the variable: t^10000 is already far past any complexity asked about
MAX_CONSTANT_BITS = 4096  # of a constant power such as 2^64


class _Tokens:
    """A cursor over expression_of's tokens, for the recursive-descent readers below."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token


class _Constants(_Tokens):
    """A parse of the tokens that computes only small exact constants (None: not a constant)."""

    def check(self) -> None:
        try:
            self.expression()
            if self.pos != len(self.tokens):
                raise IndexError
        except (IndexError, ZeroDivisionError):
            raise UnreadableOrder("cannot read it as one expression") from None

    def expression(self) -> Fraction | None:
        value = self.term()
        while self.peek() in ("+", "-"):
            self.take()
            other = self.term()
            value = None if value is None or other is None else value + other
        return value

    def term(self) -> Fraction | None:
        value = self.unary()
        while self.peek() is not None and self.peek() not in ("+", "-", ")"):
            divide = self.peek() == "/"
            if self.peek() in ("*", "/"):
                self.take()
            other = self.unary()
            if value is None or other is None or (divide and other == 0):
                value = None
            else:
                value = value / other if divide else value * other
        return value

    def unary(self) -> Fraction | None:
        if self.peek() == "-":
            self.take()
            value = self.unary()
            return None if value is None else -value
        return self.power()

    def power(self) -> Fraction | None:
        base = self.atom()
        if self.peek() not in ("^", "**"):
            return base
        self.take()
        exponent = self.unary()  # right-associative: 9^9^9 is 9^(9^9)
        if exponent is None:
            return None  # 2^t: not a constant, and nothing is computed
        if abs(exponent) > MAX_EXPONENT:
            raise UnreadableOrder(f"an exponent over {MAX_EXPONENT} cannot be read")
        if base is None or exponent.denominator != 1 or base == 0:
            return None  # t^3, or a root: kept symbolic by the readers
        bits = max(abs(base.numerator).bit_length(), base.denominator.bit_length())
        if abs(base) != 1 and bits * abs(exponent) > MAX_CONSTANT_BITS:
            raise UnreadableOrder("a constant too large to compute")
        return base ** int(exponent)

    def atom(self) -> Fraction | None:
        token = self.take()
        if token == "(":
            value = self.expression()
            if self.take() != ")":
                raise IndexError
            return value
        if token in _FUNCTIONS or token == "log":
            self.atom() if self.peek() == "(" else self.power()
            return None
        if token[0].isdigit():
            return Fraction(token)
        if token.isalpha():
            return None
        raise IndexError


# -- the fast path: t^a (log t)^b without sympy ------------------------------------------------
# Nearly every answer is a product of powers of the variable and of its logarithm. Those are
# read here in microseconds; anything else (exp, a subtraction that might cancel, log log)
# goes to sympy, whose import alone costs a few hundred milliseconds.

Order = tuple[Fraction, Fraction]  # (a, b): grows as variable^a · log(variable)^b


class _NeedsSympy(Exception):
    pass


class _Reader(_Tokens):
    """Recursive descent over expression_of's tokens; atoms are ("const", value|None) or ("order", (a, b))."""

    def __init__(self, tokens: list[str], variable: str) -> None:
        super().__init__(tokens)
        self.variable = variable

    @staticmethod
    def order(item: tuple[str, Any]) -> Order:
        return item[1] if item[0] == "order" else (Fraction(0), Fraction(0))

    def expression(self) -> tuple[str, Any]:
        item = self.term()
        while self.peek() in ("+", "-"):
            if self.take() == "-":
                raise _NeedsSympy  # t - t cancels: let sympy decide
            other = self.term()
            if item[0] == "const" and other[0] == "const":
                both = None if item[1] is None or other[1] is None else item[1] + other[1]
                item = ("const", both)
            else:
                item = ("order", max(self.order(item), self.order(other)))
        return item

    def term(self) -> tuple[str, Any]:
        item = self.power()
        while self.peek() is not None and self.peek() not in ("+", "-", ")"):
            divide = self.peek() == "/"
            if self.peek() in ("*", "/"):
                self.take()
            other = self.power()
            item = self.combine(item, other, divide)
        return item

    def combine(self, a: tuple[str, Any], b: tuple[str, Any], divide: bool) -> tuple[str, Any]:
        if a[0] == "const" and b[0] == "const":
            if a[1] is None or b[1] is None or (divide and b[1] == 0):
                return ("const", None)
            return ("const", a[1] / b[1] if divide else a[1] * b[1])
        (a1, b1), (a2, b2) = self.order(a), self.order(b)
        return ("order", (a1 - a2, b1 - b2) if divide else (a1 + a2, b1 + b2))

    def power(self) -> tuple[str, Any]:
        base = self.atom()
        if self.peek() in ("^", "**"):
            self.take()
            exponent = self.power()
            if exponent[0] != "const" or exponent[1] is None:
                raise _NeedsSympy
            if base[0] == "const":
                return ("const", None)
            a, b = base[1]
            return ("order", (a * exponent[1], b * exponent[1]))
        return base

    def atom(self) -> tuple[str, Any]:
        token = self.take()
        if token == "(":
            item = self.expression()
            if self.take() != ")":
                raise _NeedsSympy
            return item
        if token in ("log", "sqrt"):
            inner = self.power() if self.peek() != "(" else self.atom()
            if token == "sqrt":
                return ("const", None) if inner[0] == "const" else ("order", tuple(x / 2 for x in inner[1]))
            if inner[0] == "const":
                return ("const", None)
            if inner[1][0] > 0:
                return ("order", (Fraction(0), Fraction(1)))
            raise _NeedsSympy  # log of a logarithm, or of something that does not grow
        if token == "exp":
            raise _NeedsSympy
        if token == self.variable:
            return ("order", (Fraction(1), Fraction(0)))
        if token[0].isdigit():
            return ("const", Fraction(token))
        if token.isalpha():
            return ("const", None)  # another letter: a constant with respect to the variable
        raise _NeedsSympy


@lru_cache(maxsize=1024)
def fast_order(expression_text: str, variable: str) -> Order | None:
    """(a, b) with growth variable^a · log(variable)^b, or None when sympy must decide."""
    reader = _Reader(expression_text.split(), variable)
    try:
        item = reader.expression()
        if reader.peek() is not None:
            return None
    except (_NeedsSympy, IndexError, ZeroDivisionError, ValueError):
        return None
    return reader.order(item)


def describe(order: Order, variable: str) -> str:
    a, b = order
    parts = [] if a == 0 else [variable if a == 1 else f"{variable}^{a}"]
    parts += [] if b == 0 else [f"log({variable})" if b == 1 else f"log({variable})^{b}"]
    return " ".join(parts) or "1"


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
