"""What every comparator shares: the verdict it returns, the context it may read, and the
interface (`Comparator`) each implements."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from grader.authoring import Judge


class SpecBase(BaseModel):
    """Options of one comparator, as written under `compare:` in a rubric."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


@dataclass(frozen=True)
class Verdict:
    """How much of a check's credit a received value earns, and why.

    `fraction` is in [0, 1]; 1 means fully correct. `message` says what was wrong
    (empty when correct); it must not reveal expected values unless the context allows.
    """

    fraction: float
    message: str = ""
    mistake: str | None = None  # the name of a known mistake the value was recognized as

    @property
    def passed(self) -> bool:
        return self.fraction >= 1.0


@dataclass(frozen=True)
class CompareContext:
    """What a comparator may know besides the two values.

    `reveal` is False for checks a student must not see the answer of (hidden ones):
    messages then describe shapes, positions and sizes of errors, never expected values.
    `judges` maps names to judge functions from the reference module (only `judge` uses them).
    """

    reveal: bool = True
    args: Mapping[str, Any] = field(default_factory=dict)
    judges: Mapping[str, Judge] = field(default_factory=dict)


def short(value: Any, limit: int = 200) -> str:
    """A one-line, bounded rendering of a value for feedback (arrays shown as lists)."""
    if isinstance(value, np.ndarray):
        value = value.tolist() if value.size <= 64 else f"<array of shape {value.shape}>"
    text = value if isinstance(value, str) and value.startswith("<array") else " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def type_name(value: Any) -> str:
    return type(value).__name__


# -- the interface every comparator implements ------------------------------------------------

SpecT = TypeVar("SpecT", bound=SpecBase)
Form = tuple[str, dict[str, Any]]  # (canonical text, the form's parameters: offset, shape, keys)


class Unmatchable(ValueError):
    """A received value that cannot equal any sealed answer; the message says why."""


class CannotSeal(Exception):
    """An expected answer that cannot be sealed soundly: the check is left to grading."""


def dump(value: Any) -> str:
    """The one JSON spelling of a canonical form (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Comparator(Generic[SpecT]):
    """One comparator: how a received value is judged, and how the student kit confirms a fixed
    answer without carrying it (grader/kit/seal.py explains the sealing).

    A new comparator is one module with a `*Spec` (its options, `name` its discriminator), a
    subclass of this, and `COMPARATOR = TheClass()`; comparators/__init__.py lists it. The kit
    asks only this interface: a comparator that does not override `forms` and
    `canonical_text` is simply not sealed (its fixed answers are judged when submitted).
    """

    name: ClassVar[str]
    spec_type: ClassVar[type[SpecBase]]
    sealable: ClassVar[bool] = False  # `forms` and `canonical_text` are overridden
    in_kit: ClassVar[bool] = True  # the kit can judge it from carried values (a judge's code is not carried)

    def compare(self, received: Any, expected: Any, spec: SpecT, ctx: CompareContext) -> Verdict:
        """Judge `received` against `expected`. Raises only for a bad expected value or judge."""
        raise NotImplementedError

    def forms(self, spec: SpecT, value: Any, *, accepted: bool) -> list[Form]:
        """Kit build: every canonical form of `value` this comparator would accept. `accepted`:
        `value` is the expected answer (add the rubric's synonyms), not a mistake's output.
        Raises CannotSeal when no sound form exists."""
        raise CannotSeal(f"comparator {self.name} is not sealed")

    def canonical_text(self, spec: SpecT, value: Any, form: dict[str, Any]) -> str:
        """Kit check: the canonical text of a student's value under a sealed form's parameters;
        equal texts mean the comparator would pass it. Raises Unmatchable."""
        raise Unmatchable(f"the {self.name} comparator has no sealed form")

    def sealed_facts(self, spec: SpecT, expected: Any) -> dict[str, Any]:
        """What the kit may say about a sealed answer without giving it away (exact: its type)."""
        return {}

    def shape_problem(self, facts: dict[str, Any], received: Any) -> str:
        """What compare would say about a value of the wrong kind, from `sealed_facts` alone."""
        return ""

    def answer_texts(self, spec: SpecT, expected: Any) -> list[str]:
        """Texts that would give the answer away if a hint contained them."""
        return []

    def hint_passes(self, spec: SpecT, expected: Any, hint: str) -> bool:
        """Whether the hint, given as the answer, would pass (then it gives the answer away)."""
        return False

    def kit_spec(self, spec: SpecT) -> dict[str, Any]:
        """The options as written into the student kit (nothing secret: no accepted answers)."""
        return spec.model_dump(mode="json")

    def canonical(self, spec: SpecT, value: Any, params: dict[str, Any]) -> str:
        """canonical_text for a value the builder seals: CannotSeal instead of Unmatchable."""
        try:
            return self.canonical_text(spec, value, params)
        except Unmatchable as error:
            raise CannotSeal(f"the expected value has no canonical form ({error})") from None
