"""A directed graph given as a list of (source, target) edges, scored by F1.

The expected value is one edge list, or (with `alternatives: true`) a list of accepted edge
lists; the score is the F1 of the received edge set against the closest accepted one, so
every accepted convention earns full marks. Node names are compared without case or
surrounding white space; duplicate edges count once.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from grader.comparators.base import Comparator, CompareContext, Form, SpecBase, Unmatchable, Verdict, dump, type_name

Edge = tuple[str, str]


class EdgeF1Spec(SpecBase):
    name: Literal["edge_f1"] = "edge_f1"
    alternatives: bool = Field(False, description=(
        "the reference returns a list of accepted graphs, and the received one is scored against the closest"))


def _edges(value: Any) -> set[Edge] | str:
    """The edge set, or a message saying why the value is not an edge list."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list | tuple):
        return f"expected a list of (source, target) pairs, received {type_name(value)}"
    edges: set[Edge] = set()
    for i, item in enumerate(value):
        if not (isinstance(item, list | tuple) and len(item) == 2 and all(isinstance(x, str) for x in item)):
            return f"item {i} is not a (source, target) pair of node names"
        edges.add((item[0].strip().casefold(), item[1].strip().casefold()))
    return edges


def _spelling(value: Any) -> dict[str, str]:
    """Each node's folded name -> the name as it was written (messages show the writer's own)."""
    items = value.tolist() if isinstance(value, np.ndarray) else value
    names: dict[str, str] = {}
    for item in items if isinstance(items, list | tuple) else ():
        for name in item if isinstance(item, list | tuple) else ():
            if isinstance(name, str):
                names.setdefault(name.strip().casefold(), name.strip())
    return names


def f1(got: set[Edge], want: set[Edge]) -> float:
    hits = len(got & want)
    if hits == 0:
        return 0.0
    precision, recall = hits / len(got), hits / len(want)
    return 2 * precision * recall / (precision + recall)


def compare(received: Any, expected: Any, spec: EdgeF1Spec, ctx: CompareContext) -> Verdict:
    candidates = list(expected) if spec.alternatives else [expected]
    accepted = []
    for candidate in candidates:
        edges = _edges(candidate)
        if isinstance(edges, str):
            raise ValueError(f"expected graph is malformed: {edges}")
        accepted.append(edges)
    got = _edges(received)
    if isinstance(got, str):
        return Verdict(0.0, got)
    best = max(accepted, key=lambda want: f1(got, want))
    score = f1(got, best)
    if score >= 1.0:
        return Verdict(1.0)
    missing, extra = sorted(best - got), sorted(got - best)
    theirs = _spelling(received)
    ours = _spelling(candidates[accepted.index(best)])
    lines = [f"F1 {score:.2f} against the closest accepted graph: "
             f"{len(missing)} edge(s) missing, {len(extra)} not expected"]
    if ctx.reveal:
        lines += [f"missing: {theirs.get(a, ours.get(a, a))} -> {theirs.get(b, ours.get(b, b))}" for a, b in missing]
    lines += [f"not expected: {theirs.get(a, a)} -> {theirs.get(b, b)}" for a, b in extra]
    return Verdict(score, "\n".join(lines))


class EdgeF1(Comparator[EdgeF1Spec]):
    name = "edge_f1"
    spec_type = EdgeF1Spec
    sealable = True

    compare = staticmethod(compare)

    def forms(self, spec: EdgeF1Spec, value: Any, *, accepted: bool) -> list[Form]:
        """The sorted set of normalized edges; with alternatives, one form per accepted graph."""
        values = list(value) if spec.alternatives else [value]
        return [(self.canonical(spec, item, {}), {}) for item in values]

    def canonical_text(self, spec: EdgeF1Spec, value: Any, form: dict[str, Any]) -> str:
        edges = _edges(value)
        if isinstance(edges, str):
            raise Unmatchable(edges)
        return dump(["edges", sorted(edges)])


COMPARATOR = EdgeF1()
