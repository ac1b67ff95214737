"""A signal for a person to look at: pairs of submissions that share rare wrong answers where
answers are hard to share by chance.

Only clusters (clusters.py) count whose case the students could not see worked out: hidden
cases, or cases with inputs from a seeded generator. On a visible case with fixed inputs,
students see the inputs, the expected value and their own answer, and compare them with each
other as they are allowed to; a shared wrong answer there says little. Clusters of a known
mistake (the rubric foresaw it, so it is a natural one) and of placeholder answers (None,
zeros, an empty container: an unfinished function) do not count either.

Each shared wrong answer counts 1 / (cluster size - 1): two submissions alone on an answer
share 1, three share 0.5 per pair, and a mistake half the class makes weighs almost nothing.
Answers to several cases of one function usually come from one bug, so a pair's weight for a
function is its largest over that function's cases; a pair's score is the sum over functions.
Clusters of more than RARE_MAX submissions are not rare (a pair's share would be under 1/20)
and are left out, which also keeps the pairs counted few. Pairs scoring more than the
threshold are listed. A high score means "these two submissions
went wrong the same unusual way several times", which a shared source, a study group or a
common misreading of the handout can all explain: it is never a finding by itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (light at import: `grader batch --help` reads DEFAULT_THRESHOLD)
    from grader.batch.clusters import Cluster

DEFAULT_THRESHOLD = 2.0
RARE_MAX = 21  # submissions in a cluster that still counts as rare


@dataclass(frozen=True)
class Shared:
    function: str
    case: str
    size: int  # of the cluster
    weight: float
    shown: str


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    score: float
    shared: tuple[Shared, ...]  # one per function: the rarest answer they share on it


def placeholder(value: Any) -> bool:
    """None, an empty container or text, or numbers that are all zero: what an unfinished
    function returns, not a computed answer."""
    if value is None:
        return True
    if isinstance(value, str | list | tuple | dict) and not value:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, bool):
        return False
    import numpy as np

    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return False
    return array.size == 0 or not bool(np.any(array))


def counts(cluster: Cluster) -> bool:
    """Whether a cluster is evidence at all (see the module's docstring)."""
    return (cluster.hidden or cluster.random) and cluster.known is None and not placeholder(cluster.value)


def pairs(clusters: Iterable[Cluster], *, threshold: float = DEFAULT_THRESHOLD) -> list[Pair]:
    """The pairs whose score is above `threshold`, highest first."""
    best: dict[tuple[str, str], dict[str, Shared]] = {}
    for cluster in clusters:
        if not 2 <= cluster.size <= RARE_MAX or not counts(cluster):
            continue
        weight = 1.0 / (cluster.size - 1)
        for first, second in combinations(sorted(set(cluster.members)), 2):
            functions = best.setdefault((first, second), {})
            held = functions.get(cluster.function)
            if held is None or weight > held.weight:
                functions[cluster.function] = Shared(cluster.function, cluster.case, cluster.size, weight,
                                                     cluster.shown)
    found = []
    for (first, second), functions in best.items():
        score = sum(s.weight for s in functions.values())
        if score > threshold:
            shared = tuple(sorted(functions.values(), key=lambda s: (-s.weight, s.function)))
            found.append(Pair(first, second, round(score, 6), shared))
    found.sort(key=lambda p: (-p.score, p.first, p.second))
    return found
