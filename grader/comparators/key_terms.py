"""A short answer in words, judged by the key concept it names, not by its exact wording.

With the key term `overfit`, "Overfitting (high variance)", "it over-fits/memorizes", and "the
model overfits the data" all pass. Both the answer and the rubric's terms are normalized the
same way: lower case, every run of non-letters a break (so hyphens and slashes split words), a
few words that carry no meaning dropped, and each word reduced to its stem by the Snowball
English stemmer (overfitting, overfits -> overfit). A term matches when its stems appear
together, in order, in the answer's. The answer passes when it names one of `any_of` and none
of `none_of` (words that make it wrong: "underfitting", "not overfitting").
"""

from __future__ import annotations

import functools
import re
from typing import Any, Literal

from pydantic import Field

from grader.comparators.base import Comparator, CompareContext, SpecBase, Verdict, short, type_name

MAX_CHARS = 1000  # a short answer; a longer text is refused before any work on it
_WORDS = re.compile(r"[^\W\d_]+")  # letters only: "over-fitting" -> over, fitting
# English words that never carry the concept (negations are kept: "not X" must stay readable).
_FILLER = frozenset((
    "a", "an", "the", "it", "its", "this", "that", "these", "those", "is", "are", "be", "was", "were", "to",
    "of", "in", "on", "at", "by", "and", "or", "for", "which", "where", "as", "with", "there",
))


class KeyTermsSpec(SpecBase):
    name: Literal["key_terms"] = "key_terms"
    any_of: tuple[str, ...] = Field(min_length=1, description=(
        "the key terms: the answer passes when it names one of them (each a word or a short phrase, "
        "matched by stems: `edge` also matches \"Edges\" and the first word of \"edge-detection\")"))
    none_of: tuple[str, ...] = Field((), description=(
        "terms that make an answer wrong even beside a key term, e.g. `[underfit, not overfit]`"))


@functools.cache
def _stemmer() -> Any:
    """Snowball's English stemmer, loaded alone: the package's own __init__ imports the stemmers
    of all its 30 languages (~20 ms of every grade that judges a short answer). Its modules are
    loaded as a package of our own name whose __init__ is never run."""
    import importlib
    import importlib.util
    import sys
    import types

    name = "_numgrader_snowball"
    if name not in sys.modules:
        spec = importlib.util.find_spec("snowballstemmer")
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("snowballstemmer is not installed", name="snowballstemmer")
        package = types.ModuleType(name)
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules[name] = package
    return importlib.import_module(f"{name}.english_stemmer").EnglishStemmer()


def stems(text: str) -> tuple[str, ...]:
    """The normalized words of `text` (see the module docstring)."""
    words = [w for w in _WORDS.findall(text.casefold()) if w not in _FILLER]
    return tuple(_stemmer().stemWords(words))


def _names(answer: tuple[str, ...], term: tuple[str, ...]) -> bool:
    if not term:
        return False
    return any(answer[i:i + len(term)] == term for i in range(len(answer) - len(term) + 1))


def compare(received: Any, expected: Any, spec: KeyTermsSpec, ctx: CompareContext) -> Verdict:
    if not isinstance(received, str):
        return Verdict(0.0, f"expected a short answer in words (a string), received {type_name(received)}")
    if len(received) > MAX_CHARS:
        return Verdict(0.0, f"expected a short answer, received {len(received)} characters")
    answer = stems(received)
    if not answer:
        return Verdict(0.0, "the answer is empty (or holds no words)")
    wrong = [term for term in spec.none_of if _names(answer, stems(term))]
    if wrong:
        what = f"it mentions {wrong[0]!r}" if ctx.reveal else "it names something that makes it wrong"
        return Verdict(0.0, f"{short(received)} is not right: {what}")
    if any(_names(answer, stems(term)) for term in spec.any_of):
        return Verdict(1.0)
    return Verdict(0.0, f"{short(received)} does not name what was asked for")


class KeyTerms(Comparator[KeyTermsSpec]):
    """Not sealed: the kit cannot confirm an answer it would have to carry the terms of."""

    name = "key_terms"
    spec_type = KeyTermsSpec
    in_kit = False

    compare = staticmethod(compare)

    def kit_spec(self, spec: KeyTermsSpec) -> dict[str, Any]:
        return {**spec.model_dump(mode="json"), "any_of": ["(in the grader)"], "none_of": []}

    def answer_texts(self, spec: KeyTermsSpec, expected: Any) -> list[str]:
        return list(spec.any_of)

    def hint_passes(self, spec: KeyTermsSpec, expected: Any, hint: str) -> bool:
        return compare(hint, expected, spec, CompareContext()).passed


COMPARATOR = KeyTerms()
