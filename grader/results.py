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

Status = Literal["passed", "failed"]
SCHEMA_PATH = Path(__file__).parent / "schema" / "gradescope_results.schema.json"


class TestResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    number: str
    score: float
    max_score: float
    status: Status | None = None  # None for manual questions: neither passed nor failed
    output: str = ""
    visibility: Visibility = "visible"
    tags: list[str] = Field(default_factory=list)
    extra_data: dict[str, Any] = Field(default_factory=dict)


class Results(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: float
    execution_time: float
    output: str = ""
    visibility: Visibility = "visible"
    stdout_visibility: Visibility = "hidden"
    tests: list[TestResult] = Field(default_factory=list)
    extra_data: dict[str, Any] = Field(default_factory=dict)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    def to_json(self) -> str:
        # pydantic's own serializer: the same text json.dumps(indent=2) gave, ~6x faster.
        return self.model_dump_json(exclude_none=True, indent=2) + "\n"


def error_results(message: str, execution_time: float = 0.0) -> Results:
    """Results for a submission the grader itself failed on: a zero that instructors see."""
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
