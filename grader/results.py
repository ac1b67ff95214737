"""Gradescope's results.json, as pydantic models, and building them from a grading report
(`to_results`).

Follows Gradescope's autograder specification: a top-level `score` (here always the sum
of the tests), `execution_time` in seconds as a number, `output`, `visibility`,
`stdout_visibility` and `tests[]`. The same format is described as a JSON Schema in
schema/gradescope_results.schema.json; the tests validate every file we write against it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from grader.judging import call_text, feedback
from grader.manual_answers import answer_text, collect_answer
from grader.paths import PACKAGE_DIR
from grader.rubric import Visibility, check_key
from grader.text import cap, clean, clean_tree, map_strings, points

if TYPE_CHECKING:
    from grader.grading import Report

Status = Literal["passed", "failed"]
SCHEMA_PATH = PACKAGE_DIR / "schema" / "gradescope_results.schema.json"


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
        output="The autograder could not grade this submission: a problem in the grader, not in your work. "
               "The error is recorded in these results, where course staff can see it; please contact them.",
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


# -- a report's results ----------------------------------------------------------------------


def total_of(tests: list[TestResult]) -> float:
    """The results' score: exactly the sum of the tests' scores as written (each is rounded to
    the millionth, so their sum is rounded once more to drop the float's own error)."""
    return round(sum(test.score for test in tests), 6)


def _instructor_note(name: str, text: str, tag: str) -> TestResult:
    """A zero-point test only instructors see (Gradescope shows hidden tests to staff), marked
    failed: it reports a problem, and a 0/0 test without a status would show as passed."""
    return TestResult(name=name, number="0", score=0.0, max_score=0.0, status="failed", output=text,
                      visibility="hidden", tags=[tag])


# What a check says when the submission could not be imported: the reason is written once, at the top.
IMPORT_POINTER = "Not run: your file could not be loaded (the reason is at the top of these results)."


def to_results(report: Report) -> Results:
    """The Gradescope results of a report; manual questions are listed, not scored.

    Never raises, and always fits `limits.results_kb`: every text derived from the submission is
    cleaned (grader.text.clean), texts too long for the budget are cut (results.fit, which says
    so), and if building the full results fails, the scores already judged are still returned."""
    budget = report.assignment.rubric.limits.results_kb * 1024
    try:
        return fit(_full_results(report), budget)
    except Exception as error:  # a grader bug must not cost the checks already judged
        return fit(_scores_only(report, error), budget)


def _full_results(report: Report) -> Results:
    rubric = report.assignment.rubric
    tests: list[TestResult] = []
    for result in report.checks:
        case = result.case
        tags = [case.function, case.question.id] + ([f"mistake:{result.mistake}"] if result.mistake else [])
        extra: dict[str, Any] = {"check": case.key, "function": case.function, "outcome": result.outcome.status,
                                 "fraction": round(result.verdict.fraction, 6)}
        if result.mistake:
            extra["mistake"] = result.mistake
        if result.judge_error:
            extra["judge_error"] = clean(result.judge_error)
        not_loaded = result.outcome.status == "import_failed" and report.import_error is not None
        output = f"Call: {call_text(case)}\n{IMPORT_POINTER}" if not_loaded else feedback(result)
        tests.append(TestResult(
            name=f"{case.question.id} {case.question.name}: {case.name}",
            number=case.question.id,
            score=round(result.score, 6),
            max_score=round(case.points, 6),
            status="passed" if result.passed else "failed",
            output=clean(output),
            visibility=case.visibility,
            tags=tags,
            extra_data=extra,
        ))
    manual = [q for q in rubric.questions if q.manual]
    for question in manual:
        output = (f"This question is graded by hand ({points(question.points or 0.0)}), not by the autograder."
                  + (f"\n{question.description.strip()}" if question.description else ""))
        manual_extra: dict[str, Any] = {"manual": True, "points": question.points}
        if question.answer is not None:
            answer = collect_answer(report.answers.get(question.id), question.answer.chars)
            output += f"\n\n{answer_text(answer)}"
            manual_extra["answer"] = {"text": answer.text, "problem": answer.problem, "cut": answer.cut}
        tests.append(TestResult(
            name=f"{question.id} {question.name} (graded by course staff)",
            number=question.id, score=0.0, max_score=0.0, status=None, output=output,
            visibility="visible", tags=["manual", question.id], extra_data=manual_extra,
        ))
    visible = [r for r in report.checks if r.case.visibility == "visible"]
    if len(visible) == len(report.checks):
        summary = [f"Autograded score: {report.score:g} / {report.max_score:g}."]
    else:  # the total would tell a student how the hidden checks went: an oracle before the due date
        seen, seen_max = sum(r.score for r in visible), sum(r.case.points for r in visible)
        summary = [f"Visible checks: {seen:g} / {seen_max:g}. Hidden checks are scored too; "
                   "their results and the total are shown later."]
        tests.append(TestResult(
            name="Autograded total (visible and hidden checks)", number="0", status=None,
            output=f"Autograded score: {report.score:g} / {report.max_score:g}.",
            visibility=rubric.totals_visibility, tags=["total"]))
    if report.student_output_shown.strip():
        tests.append(TestResult(
            name="What your code printed", number="0", status=None, output=clean(report.student_output_shown),
            visibility=rubric.stdout_visibility, tags=["stdout"]))
    if report.import_error:
        summary.append(f"Your file could not be loaded, so every check failed: {cap(report.import_error, 4000)}")
    summary += report.notes
    left_out = report.files.left_out
    if left_out:
        shown = "; ".join(f"{name} ({why})" for name, why in left_out[:10]) + ("; ..." if len(left_out) > 10 else "")
        summary.append(f"Left out of your submission (your code cannot read them): {shown}.")
    if manual:
        listed = ", ".join(f"{q.id} ({points(q.points or 0.0)})" for q in manual)
        summary.append(f"Graded by course staff, not included above: {listed}.")
    judge_errors = [r.case.key for r in report.checks if r.judge_error]
    extra_data: dict[str, Any] = {"assignment": rubric.assignment, "student_output": clean(report.student_output)}
    if report.files.files or left_out:
        extra_data["files"] = clean_tree({"used": [report.submission.name, *report.files.names],
                                          "left_out": [{"name": name, "why": why} for name, why in left_out]})
    if report.import_error:  # what the table prints above its rows (every row points to it)
        extra_data["import_error"] = clean(cap(report.import_error, 4000))
    if report.output_cut:
        extra_data["student_output_cut_bytes"] = report.output_cut
    if report.sandbox_summary:
        held = report.sandbox.to_json() if report.sandbox is not None else {}
        extra_data["sandbox"] = clean_tree({**held, "summary": report.sandbox_summary})
        if report.sandbox_weak:
            tests.append(_instructor_note("Sandbox protections", clean(report.sandbox_summary), "sandbox"))
    if judge_errors:
        extra_data["judge_errors"] = {r.case.key: clean(r.judge_error) for r in report.checks if r.judge_error}
        details = "\n".join(f"{key}: {error}" for key, error in extra_data["judge_errors"].items())
        tests.append(_instructor_note("Checks the rubric could not judge", details, "judge-error"))
    results = Results(
        score=total_of(tests),
        execution_time=round(report.seconds, 3),
        output=clean("\n".join(summary)),
        visibility=rubric.visibility,
        tests=tests,
        leaderboard=_leaderboard(report) or None,
        extra_data=extra_data,
    )
    return results  # fit() serializes it to measure it: if that fails, to_results falls back to the scores


def _leaderboard(report: Report) -> list[dict[str, Any]]:
    """The rubric's leaderboard columns, from the first case of each named check: the finite real
    number the submission returned (a one-element array counts) when that check passed (a wrong
    answer never tops the board), else no entry for that column."""
    entries = []
    for entry in report.assignment.rubric.leaderboard:
        result = next((r for r in report.checks if check_key(r.case.question, r.case.check) == entry.check), None)
        value = result.outcome.value if result is not None and result.passed else None
        if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
            value = value.item()
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                number = float(value)  # an int of 400 digits does not fit a float
            except OverflowError:
                continue
            if math.isfinite(number):
                entries.append({"name": entry.name, "value": number, "order": entry.order})
    return entries


def _scores_only(report: Report, error: Exception) -> Results:
    """The scores of the checks judged, without their feedback (the full results failed to build)."""
    why = cap(clean(f"{type(error).__name__}: {error}"), 500)
    tests = [TestResult(name=f"{r.case.question.id} {r.case.question.name}: {r.case.name}",
                        number=r.case.question.id, score=round(r.score, 6), max_score=round(r.case.points, 6),
                        status="passed" if r.passed else "failed", visibility=r.case.visibility,
                        output="The feedback of this check could not be written; its score stands.",
                        extra_data={"check": r.case.key})
             for r in report.checks]
    rubric = report.assignment.rubric
    tests.append(_instructor_note("Results could not be built in full", why, "grader-error"))
    return Results(score=total_of(tests), execution_time=round(report.seconds, 3),
                   output="The scores below stand, but the grader could not write their feedback; "
                          "course staff can see why in a hidden test.",
                   visibility=rubric.visibility, tests=tests,
                   extra_data={"results_error": why})
