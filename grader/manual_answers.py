"""A manual question's answer as collected from the submission (Question.answer): the text its
function returned, cut to the rubric's length, or why there is none. Pure: the call ran in the
sandbox (grading.grade), this only reads its outcome."""

from __future__ import annotations

from dataclasses import dataclass

from grader.boundary.outcome import Outcome
from grader.text import cap, clean


@dataclass(frozen=True)
class Collected:
    text: str | None  # the answer, cleaned and cut to `chars`; None: nothing to read
    problem: str = ""  # why there is no text (the call failed, or it returned no text)
    cut: int = 0  # characters not kept


def collect_answer(outcome: Outcome | None, chars: int) -> Collected:
    if outcome is None:
        return Collected(None, "not collected: the grading stopped before this answer was asked for")
    if not outcome.ok:
        return Collected(None, cap(outcome.message, 500))
    value = outcome.value
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        value = "\n".join(value)  # a paragraph per item: still the student's text
    if not isinstance(value, str):
        return Collected(None, f"it returned {type(value).__name__}, not text (a str)")
    if not value.strip():
        return Collected(None, "it returned empty text")
    text = clean(value)
    if len(text) <= chars:
        return Collected(text)
    return Collected(text[:chars], cut=len(text) - chars)


def answer_text(answer: Collected) -> str:
    """What the student reads under the question."""
    if answer.text is None:
        return f"Your answer could not be collected for the graders: {answer.problem}"
    more = f"\n[... {answer.cut} more characters were not kept]" if answer.cut else ""
    return f"Your answer, as the graders will read it:\n{answer.text}{more}"
