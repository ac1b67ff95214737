"""Reading a big-O answer's text, within bounds: the text inside O(...) (`expression_of`),
and the growth order of the everyday answers (polynomials times powers of logs) without sympy
(`fast_order`); anything else goes to sympy (big_o.order_of), after `_Constants` has bounded
every exponent and constant so that no text can make the grader compute for long."""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from typing import Any

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


# Answers in words whose meaning is exact, as the growth order they name.
_WORDED = {"constant": "1", "linear": "{v}", "quadratic": "{v}^2", "cubic": "{v}^3", "logarithmic": "log({v})",
           "linearithmic": "{v} log({v})", "loglinear": "{v} log({v})"}
# Words that say nothing about the order ("linear in t", "constant memory", "O of t").
_FILLER = {"in", "of", "time", "memory", "space", "complexity", "order", "the", "is", "it", "its", "a", "grows",
           "growth", "big", "o"}
_WORD = re.compile(r"[A-Za-z]+")


def answer_text(text: str, variable: str, aliases: tuple[str, ...] = ()) -> str:
    """A student's answer in the form the readers take: the variable matched whatever its case
    ("O(T)" for t) or its declared aliases, and an answer in words read when its meaning is
    exact ("constant", "linear in t"); other words get "write it as O(...)", never a silent zero."""
    if len(text) > _MAX_LENGTH:
        raise UnreadableOrder(f"longer than {_MAX_LENGTH} characters")
    names = {variable.lower(), *(alias.lower() for alias in aliases)}
    words = [w.lower() for w in _WORD.findall(text)]
    if words and not _WRAPPER.match(text) and any(
            w not in _FUNCTIONS and w not in names and len(w) > 2 for w in words):
        meaning = [w for w in re.split(r"[^a-z]+", text.lower().replace("log-linear", "loglinear"))
                   if w and w not in _FILLER and w not in names]
        if len(meaning) == 1 and meaning[0] in _WORDED:
            return f"O({_WORDED[meaning[0]].format(v=variable)})"
        raise UnreadableOrder(f"write it as O(...), for example O({variable}) or O({variable}^2)")

    def rename(match: re.Match[str]) -> str:
        word = match.group(0)
        if word.lower() in names:
            return variable
        if len(variable) == 1 and len(word) <= 4 and word.lower() not in _FUNCTIONS and variable in word.lower():
            return "".join(variable if ch.lower() == variable else ch for ch in word)  # "Td": t times d
        return word

    return _WORD.sub(rename, text)


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
