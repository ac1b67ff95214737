"""`grader validate`: the rubric, its reference and its example submissions agree.

Checks that the reference scores full marks on every autograded check and that every
example submission scores what its manifest (`expected.yaml` beside it) declares, failing
exactly the checks it lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from grader.assignment import Assignment
from grader.environment import grader_requirements, reference_imports_outside
from grader.grading import Report, grade
from grader.rubric import check_key


class Example(BaseModel):
    """What one example submission is declared to score."""

    model_config = ConfigDict(extra="forbid")

    score: float
    description: str = ""
    fails: list[str] | None = Field(None, description="check keys it fails (without #case)")
    mistakes: list[str] = Field(default_factory=list, description="known mistakes it must trigger")


def load_manifest(path: Path) -> dict[str, Example]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        return {str(name): Example.model_validate(entry) for name, entry in data.items()}
    except (ValidationError, AttributeError) as error:
        raise ValueError(f"{path}: {error}") from None


def failed_checks(report: Report) -> set[str]:
    return {check_key(r.case.question, r.case.check) for r in report.checks if not r.passed}


def _problems_of_example(name: str, example: Example, report: Report) -> list[str]:
    problems = []
    if abs(report.score - example.score) > 1e-6:
        problems.append(f"{name}: scores {report.score:g}, declared {example.score:g}")
    failed = failed_checks(report)
    if example.fails is not None and failed != set(example.fails):
        extra, missing = sorted(failed - set(example.fails)), sorted(set(example.fails) - failed)
        if extra:
            problems.append(f"{name}: also fails {', '.join(extra)}")
        if missing:
            problems.append(f"{name}: passes {', '.join(missing)}, declared as failing")
    seen = {r.mistake for r in report.checks if r.mistake}
    for mistake in example.mistakes:
        if mistake not in seen:
            problems.append(f"{name}: the mistake {mistake!r} was not recognized")
    return problems


def examples_folder(assignment: Assignment) -> Path:
    path: Path = assignment.loaded.path.parent.parent / "submissions_example" / assignment.rubric.assignment
    return path


def validate(assignment: Assignment, examples: Path | None = None) -> list[str]:
    """Every inconsistency found, one line each; empty when all agree."""
    problems: list[str] = []
    installed = [*grader_requirements(), *assignment.rubric.environment.packages]
    for name in reference_imports_outside(assignment.reference_path, installed):
        problems.append(f"the reference {assignment.reference_path.name} imports {name}, which neither the grader nor "
                        "the rubric's environment.packages installs: on Gradescope it would not load")
    reference_report = grade(assignment, assignment.reference_path)
    for result in reference_report.checks:
        if not result.passed:
            problems.append(f"reference fails {result.case.key}: {result.verdict.message or result.outcome.message}")
        if result.judge_error:
            problems.append(f"{result.case.key}: judge error {result.judge_error}")
    folder = examples or examples_folder(assignment)
    manifest_path = folder / "expected.yaml"
    if not manifest_path.is_file():
        return [*problems, f"no example manifest at {manifest_path}"]
    try:
        manifest = load_manifest(manifest_path)
    except ValueError as error:
        return [*problems, str(error)]
    for name, example in manifest.items():
        path = folder / name
        if not path.exists():
            problems.append(f"{name}: listed in {manifest_path} but missing")
            continue
        problems += _problems_of_example(name, example, grade(assignment, path))
    listed: set[Any] = set(manifest)
    for path in sorted(folder.glob("*.py")):
        if path.name not in listed:
            problems.append(f"{path.name}: not declared in {manifest_path}")
    return problems
