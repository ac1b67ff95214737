"""Gradescope's results.json, as pydantic models, and the report that fills it.

Follows Gradescope's autograder specification: a top-level `score` (here always the sum
of the tests), `execution_time` in seconds as a number, `output`, `visibility`,
`stdout_visibility` and `tests[]`. The same format is described as a JSON Schema in
schema/gradescope_results.schema.json; the tests validate every file we write against it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from grader.rubric import Visibility
from grader.text import cap, clean, map_strings

Status = Literal["passed", "failed"]
SCHEMA_PATH = Path(__file__).parent / "schema" / "gradescope_results.schema.json"


class TestResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    number: str
    score: float = 0.0
    max_score: float = 0.0
    # None: neither passed nor failed (a manual question, a total shown for information). Such a
    # test is written without score and max_score: Gradescope styles a 0/0 test as passed.
    status: Status | None = None
    output: str = ""
    visibility: Visibility = "visible"
    tags: list[str] = Field(default_factory=list)
    extra_data: dict[str, Any] = Field(default_factory=dict)


class Results(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: float
    execution_time: float
    output: str = ""
    # Plain text, said explicitly: Gradescope's default (simple_format) is sanitized HTML, in which
    # an import error's "<module>" or "if a<b" can vanish.
    output_format: Literal["text"] = "text"
    test_output_format: Literal["text"] = "text"
    visibility: Visibility = "visible"
    stdout_visibility: Visibility = "hidden"  # Gradescope's log of run_autograder, not the student's prints
    tests: list[TestResult] = Field(default_factory=list)
    leaderboard: list[dict[str, Any]] | None = None  # [{name, value, order}], when the rubric asks for one
    extra_data: dict[str, Any] = Field(default_factory=dict)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    def to_json(self) -> str:
        # pydantic's own serializer: the same text json.dumps(indent=2) gave, ~6x faster.
        neutral = {i: {"score", "max_score"} for i, test in enumerate(self.tests) if test.status is None}
        exclude = {"tests": neutral} if neutral else None
        return self.model_dump_json(exclude_none=True, exclude=exclude, indent=2) + "\n"


def missing_file_results(message: str, filename: str) -> Results:
    """The submission has no file to grade: a zero and a message the student can act on (it
    lists the submission's own file names: cleaned)."""
    text = clean(cap(f"{message}\nSubmit {filename} itself (or a zip or folder that holds it) and submit again.",
                     4000))
    return Results(
        score=0.0, execution_time=0.0, output=text,
        tests=[TestResult(name=f"The submission holds {filename}", number="0", score=0.0, max_score=0.0,
                          status="failed", output=text, visibility="visible", tags=["submission"])],
        extra_data={"submission_error": clean(cap(message, 4000))},
    )


def error_results(message: str, execution_time: float = 0.0) -> Results:
    """Results for a submission the grader itself failed on: a zero that instructors see. The
    message may quote the submission's own file names: cleaned and capped."""
    message = clean(cap(message, 4000))
    return Results(
        score=0.0,
        execution_time=execution_time,
        output="The autograder could not grade this submission. Course staff have been told; "
               "please contact them.",
        tests=[TestResult(
            name="Autograder error", number="0", score=0.0, max_score=0.0, status="failed",
            output=message, visibility="hidden", tags=["grader-error"],
        )],
        extra_data={"grader_error": message},
    )


# -- the size budget (limits.results_kb) ------------------------------------------------------

def size_of(results: Results) -> int:
    return len(results.to_json().encode("utf-8"))


def _capped(value: Any, limit: int) -> Any:
    return map_strings(value, lambda text: cap(text, limit))


def _cut(results: Results, limit: int, note: str) -> Results:
    tests = [t.model_copy(update={"output": cap(t.output, limit), "extra_data": _capped(t.extra_data, limit)})
             for t in results.tests]
    return results.model_copy(update={
        "output": f"{cap(results.output, limit)}\n{note}", "tests": tests,
        "extra_data": {**_capped(results.extra_data, limit), "results_cut": note}})


def fit(results: Results, budget: int) -> Results:
    """`results` within `budget` bytes of JSON, whatever the texts in it: the longest texts are cut
    first (halving one common length until everything fits); past that, only the scores are kept,
    and at the very last the total alone. Every cut is said in `output`."""
    size = size_of(results)
    if size <= budget:
        return results
    note = f"[Some texts were cut to keep these results under {budget // 1024} KB; they were {size // 1024} KB.]"
    texts = [results.output, *(t.output for t in results.tests), *_strings(results.extra_data)]
    limit = max((len(text) for text in texts), default=0) // 2
    while limit >= 100:
        candidate = _cut(results, limit, note)
        if size_of(candidate) <= budget:
            return candidate
        limit //= 2
    scores = [TestResult(name=cap(t.name, 200), number=cap(t.number, 20), score=t.score, max_score=t.max_score,
                         status=t.status, visibility=t.visibility) for t in results.tests]
    only_scores = Results(score=results.score, execution_time=results.execution_time, output=note,
                          visibility=results.visibility, stdout_visibility=results.stdout_visibility, tests=scores)
    if size_of(only_scores) <= budget:
        return only_scores
    return Results(score=results.score, execution_time=results.execution_time, output=note,
                   visibility=results.visibility, stdout_visibility=results.stdout_visibility)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
