"""A cluster of wrong answers as a known mistake to paste: a `mistakes:` item for the rubric,
and the reference function it names.

The function is a mutant of the reference that reproduces the cluster (its source, renamed),
or else a stub with the check's parameters for the instructor to fill in with the wrong formula.
Nothing a student returned is written into either: a snippet is pasted into the rubric and the
reference module, so it holds only the rubric's own names and the grader's words.
"""

from __future__ import annotations

import ast
import inspect
import json
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

from grader.assignment import Case
from grader.batch.clusters import Cluster, MutantMatch
from grader.judging import has_nonfinite
from grader.rubric import check_key


@dataclass(frozen=True)
class Snippet:
    function: str  # the new reference function's name
    items: tuple[tuple[str, str], ...]  # (check key, the `mistakes:` YAML to paste under that check)
    python: str  # the function, to paste into the reference module
    mutant: str | None = None  # the mutant it comes from, or None: a stub to write

    @property
    def yaml(self) -> str:
        return "\n".join(text for _, text in self.items)


def fresh_name(base: str, taken: set[str]) -> str:
    """`<base>_mistake_<n>` for the first n that names nothing in `taken` (which it joins)."""
    stem = base if base.isidentifier() else "answer"
    n = 1
    while f"{stem}_mistake_{n}" in taken:
        n += 1
    name = f"{stem}_mistake_{n}"
    taken.add(name)
    return name


def _parameters(case: Case, reference: ModuleType) -> str:
    """The mistake function's parameters: the reference function's, else the check's inputs'."""
    function = getattr(reference, case.check.reference_function, None)
    if callable(function):
        try:
            signature = inspect.signature(function)
            text = str(signature.replace(return_annotation=inspect.Signature.empty))
            ast.parse(f"def f{text}: pass")  # (a default whose repr is no Python: fall back)
            return text[1:-1]
        except (TypeError, ValueError, SyntaxError):
            pass
    names = list(case.args)
    if all(name.isidentifier() for name in names):
        return ", ".join(names)
    return ", ".join(f"arg{i + 1}" for i in range(len(names)))


def _renamed(source: str, name: str) -> str | None:
    """A mutant's function source with its def renamed (its own recursive calls too)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    defs = [node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    if len(defs) != 1:
        return None
    old = defs[0].name
    defs[0].name = name
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == old:
            node.id = name
    return ast.unparse(tree)


def _comment(text: str) -> str:
    return " ".join(text.split())[:200]


@dataclass(frozen=True)
class Group:
    """The clusters of one mistake: the same submissions, wrong on cases of one reference function
    (its checks' cases, each seed's). One reference function to write names it on every check."""

    function: str  # the reference function the checks' expected values come from
    members: tuple[str, ...]
    clusters: tuple[Cluster, ...]
    known: str | None  # the rubric's name for it, when every cluster was recognized as one
    snippet: Snippet | None = None  # None for a known mistake

    @property
    def size(self) -> int:
        return len(self.members)


def _mutant_of(group: list[Cluster]) -> tuple[str, MutantMatch] | None:
    """A mutant of the function that reproduces every cluster of the group, and its source renamed."""
    common = None
    for cluster in group:
        ids = {m.id for m in cluster.mutants if m.own}
        common = ids if common is None else common & ids
    chosen = next((m for m in group[0].mutants if m.own and m.id in (common or set())), None)
    return (chosen.source, chosen) if chosen is not None else None


# Comparators that decide a property, not equality with an expected value: a known mistake's
# output means nothing to them, so no `mistakes:` item is suggested under their checks.
_PROPERTY_COMPARATORS = frozenset({"judge", "key_terms"})


def snippet(group: list[Cluster], case: Case, reference: ModuleType, taken: set[str],
            by_property: frozenset[str] = frozenset()) -> Snippet:
    """The snippet of one group of clusters (`case`: one of its cases); `taken`: names already in
    use (the reference module's and earlier snippets'), which the new function's name joins;
    `by_property`: the keys of checks judged by a property (no item under them)."""
    first = group[0]
    name = fresh_name(first.reference, taken)
    where = f"{first.size} submissions gave it on {', '.join(c.case for c in group)}"
    python, source = None, None
    found = _mutant_of(group)
    if found is not None:
        renamed = _renamed(found[0], name)
        mutant = found[1]
        if renamed is not None:
            source = mutant.id
            python = (f"# Mutant {_comment(mutant.id)} of {mutant.function} (line {mutant.line} of the reference): "
                      f"{_comment(mutant.description)}\n# {_comment(where)}.\n{renamed}\n")
    if python is None:
        python = (f"def {name}({_parameters(case, reference)}):\n"
                  f"    # TODO: the wrong formula these students used ({_comment(where)}):\n"
                  f"    # compute what {first.reference} computes, with their mistake made.\n"
                  f"    raise NotImplementedError(\"{name}: write the wrong formula\")\n")
    items = []
    for check in dict.fromkeys(c.check for c in group):
        cluster = next(c for c in group if c.check == check)
        if check in by_property:
            items.append((check, f"# check {json.dumps(cluster.check_name)} ({check}) is judged by a property, not by "
                                 "an expected value: a known mistake cannot be named there (name it under a check "
                                 "that compares)\n"))
            continue
        lines = [
            f"# under check {json.dumps(cluster.check_name)} of question {json.dumps(cluster.question)} "
            f"({check}); if it has `mistakes:` already, add only the item",
            "mistakes:",
            f"  - name: {json.dumps(f'TODO name this mistake ({name})')}",
            f"    function: {name}",
            "    message: \"TODO what to tell a student who made it\"",
        ]
        if any(has_nonfinite(c.value) for c in group if c.check == check):
            lines.append("    nonfinite: true  # the answer holds NaN or inf")
        items.append((check, "\n".join(lines) + "\n"))
    return Snippet(name, tuple(items), python, source)


def groups(clusters: Iterable[Cluster], cases: Iterable[Case], reference: ModuleType) -> list[Group]:
    """The clusters grouped by mistake (same reference function, same submissions), largest
    first, each not yet named by the rubric with its snippet; function names are fresh in the
    reference module and among themselves."""
    by_key = {case.key: case for case in cases}
    by_property = frozenset(check_key(c.question, c.check) for c in by_key.values()
                            if c.check.compare.name in _PROPERTY_COMPARATORS)
    taken = set(dir(reference))
    gathered: dict[tuple[str, tuple[str, ...], str | None], list[Cluster]] = {}
    for cluster in clusters:
        gathered.setdefault((cluster.reference, cluster.members, cluster.known), []).append(cluster)
    made = []
    for (function, members, known), group in gathered.items():
        case = by_key.get(group[0].case)
        made_snippet = snippet(group, case, reference, taken, by_property) if known is None and case else None
        made.append(Group(function, members, tuple(group), known, made_snippet))
    made.sort(key=lambda g: (-g.size, -len(g.clusters)))
    return made
