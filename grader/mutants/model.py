"""The typed values of a mutation run, passed between its pure functions.

A mutant is the reference module with one small change in a function a check calls (or one it
calls): a plausible student mistake. Graded as a submission, it shows which checks catch it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# What became of one mutant; the order is the table's.
STATUSES = ("survived", "hidden only", "killed", "named", "equivalent", "justified", "error")


@dataclass(frozen=True)
class Mutant:
    id: str  # stable: function, operator, line and column (and a variant), e.g. "step:sign:88:14"
    function: str  # the reference function mutated
    operator: str  # e.g. "sign flip"
    line: int  # line in the reference module
    description: str  # e.g. "`-` → `+` in step, line 88"
    function_source: str  # the mutated function's source (def ...), pasteable into the reference
    key: str = ""  # the same mutant without line numbers: function, operator, code before → after
    source: str = field(default="", repr=False, compare=False)  # the whole mutated module


@dataclass(frozen=True)
class MutantResult:
    mutant: Mutant
    status: str  # one of STATUSES
    killed_by: tuple[str, ...]  # check keys that failed
    named: tuple[str, ...]  # declared mistakes recognized
    outputs: dict[str, Any]  # case key -> the value the mutant returned (plain data), where it returned
    hidden_only: bool = False  # killed, but by no visible check
    reason: str = ""  # a justified survivor's justification, or what went wrong (error)


@dataclass(frozen=True)
class MutationRun:
    results: tuple[MutantResult, ...]
    seconds: float
    skipped: tuple[str, ...] = ()  # functions not mutated, and why
    unused_justifications: tuple[str, ...] = ()  # entries of the justification file no survivor needed

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def holes(self) -> tuple[MutantResult, ...]:
        """Survivors nobody justified: the rubric's holes (a nonzero exit status)."""
        return tuple(r for r in self.results if r.status == "survived")
