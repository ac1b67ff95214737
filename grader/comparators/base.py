"""What every comparator shares: the verdict it returns and the context it may read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict


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
    judges: Mapping[str, Callable[..., Any]] = field(default_factory=dict)


def short(value: Any, limit: int = 200) -> str:
    """A one-line, bounded rendering of a value for feedback (arrays shown as lists)."""
    if isinstance(value, np.ndarray):
        value = value.tolist() if value.size <= 64 else f"<array of shape {value.shape}>"
    text = value if isinstance(value, str) and value.startswith("<array") else " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def type_name(value: Any) -> str:
    return type(value).__name__
