"""A class's wrong answers, clustered per check case: mistakes the rubric does not name yet.

Pure functions over typed data: the prepared cases of the assignment (assignment.py) and the
answers each submission returned (answers.py). Two wrong answers on one case are in one
cluster when they are equal by the check's own comparator, one student's answer judged
against the other's as if it were the expected value. Cases are keyed by their key, and a
randomized check's case key fixes its seed, so one cluster always holds answers to the very
same inputs.

Clustering is by leader: answers in the order of their submissions' keys, each joins the first
cluster whose first answer it equals (answers with the same encoded bytes are equal at once,
without a comparison). A comparator whose verdict does not read the expected value (a judge,
key terms) cannot say whether two answers agree: those checks are clustered by equal values
(numbers to numpy.allclose's defaults, the rest as `exact` compares them).

A mutant of the reference (grader.mutants) reproduces a cluster when its output on that case
equals the cluster's answer by the same rule (`match_mutants`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from grader import comparators
from grader.assignment import Case
from grader.batch.answers import Answers
from grader.comparators import CompareContext
from grader.comparators.base import short
from grader.comparators.exact import ExactSpec
from grader.comparators.numeric import NumericSpec
from grader.rubric import check_key
from grader.text import clean

SHOWN_CHARS = 160
MUTANTS_SHOWN = 5  # matching mutants kept per cluster
_BY_VALUE = {"judge", "key_terms"}  # comparators that do not read the expected value
_NUMERIC = NumericSpec(name="numeric")
_EXACT = ExactSpec(name="exact")


class MutantLike(Protocol):
    """What clustering reads of grader.mutants' Mutant."""

    @property
    def id(self) -> str: ...
    @property
    def function(self) -> str: ...
    @property
    def operator(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def description(self) -> str: ...
    @property
    def function_source(self) -> str: ...


class MutantResultLike(Protocol):
    """What clustering reads of grader.mutants' MutantResult: the mutant, its output per case key."""

    @property
    def mutant(self) -> MutantLike: ...
    @property
    def outputs(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class MutantMatch:
    """A mutant of the reference whose output on the cluster's case is the cluster's answer."""

    id: str
    function: str  # the reference function it mutates
    operator: str
    line: int
    description: str
    source: str  # the mutated function's source
    own: bool  # it mutates the check's own reference function: pasted renamed, it is the mistake


@dataclass(frozen=True)
class Cluster:
    """Submissions that gave one wrong answer to one case."""

    case: str  # the case's key, e.g. "1/random-vectors#2"
    check: str  # its check's key
    question: str  # the question's id
    check_name: str
    function: str  # the student function called
    reference: str  # the reference function the check's expected value comes from
    members: tuple[str, ...]  # submission keys, sorted
    value: Any = field(repr=False)  # the first member's answer
    shown: str  # a short, clean rendering of it
    known: str | None = None  # the known mistake the members were recognized as, if any
    hidden: bool = False  # the case is not visible to students
    random: bool = False  # its inputs come from a seeded generator
    mutants: tuple[MutantMatch, ...] = ()

    @property
    def size(self) -> int:
        return len(self.members)


def _numbers(value: Any) -> bool:
    if isinstance(value, bool | str | bytes | dict) or value is None:
        return False
    try:
        return bool(np.asarray(value, dtype=float).size)
    except (TypeError, ValueError, OverflowError):
        return False


def same(case: Case, received: Any, expected: Any) -> bool:
    """Whether two answers to `case` are one answer, by its check's comparator (see the module's
    docstring for comparators that do not read the expected value). Never raises."""
    spec = case.check.compare
    if spec.name in _BY_VALUE:
        spec = _NUMERIC if _numbers(received) and _numbers(expected) else _EXACT
    elif spec.name == "edge_f1" and spec.alternatives:
        expected = [expected]  # one answer is one accepted graph
    try:
        return comparators.compare(spec, received, expected, CompareContext(reveal=False, args=case.args)).passed
    except Exception:  # a value the comparator cannot read is equal to nothing
        return False


@dataclass
class _Forming:
    leader: Any
    encoded: bytes
    members: list[str]
    mistakes: Counter[str]


def _cluster_case(case: Case, wrong: list[tuple[str, Any, bytes, str | None]]) -> list[_Forming]:
    forming: list[_Forming] = []
    by_bytes: dict[bytes, _Forming] = {}
    for key, value, encoded, mistake in sorted(wrong, key=lambda w: w[0]):
        home = by_bytes.get(encoded) if encoded else None
        if home is None:
            home = next((f for f in forming if same(case, value, f.leader)), None)
        if home is None:
            home = _Forming(value, encoded, [], Counter())
            forming.append(home)
        if encoded:
            by_bytes.setdefault(encoded, home)
        home.members.append(key)
        if mistake:
            home.mistakes[mistake] += 1
    return forming


def cluster_answers(cases: Sequence[Case], records: Iterable[Answers], *, min_size: int = 2) -> list[Cluster]:
    """The clusters of at least `min_size` submissions, largest first (then in the rubric's order
    of cases). Only kept answers that failed count; cases the assignment no longer has are
    left out."""
    order = {case.key: i for i, case in enumerate(cases)}
    by_key = {case.key: case for case in cases}
    wrong: dict[str, list[tuple[str, Any, bytes, str | None]]] = {}
    for record in records:
        for answer in record.answers:
            if not answer.passed and answer.kept and answer.case in by_key:
                wrong.setdefault(answer.case, []).append((record.key, answer.value, answer.encoded, answer.mistake))
    clusters = []
    for key, answers in wrong.items():
        case = by_key[key]
        for forming in _cluster_case(case, answers):
            if len(forming.members) < min_size:
                continue
            known = forming.mistakes.most_common(1)[0][0] if forming.mistakes else None
            clusters.append(Cluster(
                case=key, check=check_key(case.question, case.check), question=case.question.id,
                check_name=case.check.name, function=case.function, reference=case.check.reference_function,
                members=tuple(forming.members), value=forming.leader, shown=clean(short(forming.leader, SHOWN_CHARS)),
                known=known, hidden=case.visibility != "visible", random=case.check.inputs.generator is not None))
    clusters.sort(key=lambda c: (-c.size, order[c.case], c.members))
    return clusters


def match_mutants(clusters: Sequence[Cluster], cases: Sequence[Case],
                  results: Iterable[MutantResultLike]) -> list[Cluster]:
    """`clusters`, each with the mutants that reproduce it: those of the check's own reference
    function first (they can be pasted as the mistake), then by id; at most MUTANTS_SHOWN."""
    by_key = {case.key: case for case in cases}
    runs = list(results)
    matched = []
    for cluster in clusters:
        case = by_key.get(cluster.case)
        found = []
        for run in runs:
            outputs = run.outputs
            if case is not None and cluster.case in outputs and same(case, outputs[cluster.case], cluster.value):
                m = run.mutant
                found.append(MutantMatch(str(m.id), m.function, m.operator, int(m.line), m.description,
                                         m.function_source, own=m.function == cluster.reference))
        found.sort(key=lambda m: (not m.own, m.id))
        matched.append(replace(cluster, mutants=tuple(found[:MUTANTS_SHOWN])))
    return matched
