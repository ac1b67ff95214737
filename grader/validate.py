"""`grader validate`: the rubric, its reference, its template and its example submissions agree.

Checks that the template defines every function the rubric calls, with the reference's
parameters (read with `ast`, never imported); that no known mistake is one that can never be
recognized, and that each is named by its own check; that the reference scores full marks on
every autograded check; and that every example submission scores what its manifest
(`expected.yaml` beside it) declares, failing exactly the checks it lists. Every problem is one
line, with a file and a line where there is one.
"""

from __future__ import annotations

import ast
import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from grader.assignment import Assignment
from grader.environment import grader_requirements, reference_imports_outside
from grader.grading import Report, grade
from grader.judging import CheckResult, has_nonfinite
from grader.rubric import check_key, line_of
from grader.text import cap

MESSAGE_CHARS = 200  # a check's message quoted in a problem line: enough to say why, on one line


class Example(BaseModel):
    """What one example submission is declared to score."""

    model_config = ConfigDict(extra="forbid")

    score: float = Field(description="the score it must get")
    description: str = ""
    fails: list[str] | None = Field(None, description="check keys it fails (without #case)")
    mistakes: list[str] = Field(default_factory=list, description="known mistakes it must trigger")


class ManifestError(ValueError):
    """An `expected.yaml` that cannot be read: one line per problem, each with its file and line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Manifest:
    """The example manifest, and where each of its parts is written."""

    path: Path
    examples: dict[str, Example]
    root: yaml.Node | None = None

    def at(self, *loc: str | int) -> str:
        """"file:line" of a part (an example's name, then its fields), for a message; of an
        example alone, the line of its name."""
        line = line_of(self.root, loc)
        if len(loc) == 1 and isinstance(self.root, yaml.MappingNode):
            line = next((key.start_mark.line + 1 for key, _ in self.root.value if key.value == loc[0]), line)
        return f"{self.path}:{line}" if line is not None else str(self.path)


def _one_line(text: str) -> str:
    return cap("; ".join(" ".join(line.split()) for line in text.splitlines() if line.strip()), MESSAGE_CHARS)


def _why(result: CheckResult) -> str:
    """Why a check failed, on one bounded line; for instructors, a judge's error rather than what
    the student is told about it."""
    if result.judge_error:
        return _one_line(f"judge error {result.judge_error}")
    return _one_line(result.verdict.message or result.outcome.message or "no message")


def _entry_problem(manifest: Manifest, name: str, error: Any) -> str:
    loc = (name, *error["loc"]) if error["type"] not in ("missing", "model_type") else (name,)
    if error["type"] == "extra_forbidden":
        what = f"unknown field {error['loc'][-1]!r}; fields are: {', '.join(Example.model_fields)}"
    elif error["type"] == "model_type":
        what = "must be a mapping with `score` (and `fails`, `mistakes`, `description`)"
    elif error["type"] == "missing":
        what = f"`{error['loc'][-1]}` is required"
    else:
        field = ".".join(str(part) for part in error["loc"])
        what = f"{field}: {str(error['msg']).removeprefix('Value error, ')}"
    return f"{manifest.at(*loc)}: {name}: {what}"


def read_manifest(path: Path) -> Manifest:
    """The manifest at `path`; raises ManifestError with every problem in it."""
    try:  # the node tree too, for line numbers (as the rubric's loader reads a rubric)
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(path.read_text(encoding="utf-8"))
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ManifestError([f"{where}: YAML syntax error: {error.problem}"]) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ManifestError([f"{path}: cannot read it: {error}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ManifestError([f"{path}:1: expected a mapping of example file names to what each scores"])
    manifest = Manifest(path, {}, root)
    problems: list[str] = []
    for name, entry in data.items():
        try:
            manifest.examples[str(name)] = Example.model_validate(entry)
        except ValidationError as error:
            problems += [_entry_problem(manifest, str(name), e) for e in error.errors()]
    if problems:
        raise ManifestError(problems)
    return manifest


def load_manifest(path: Path) -> dict[str, Example]:
    return read_manifest(path).examples


def _no_such(manifest: Manifest, loc: tuple[str | int, ...], what: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{manifest.at(*loc)}: {loc[0]}: no such {what} {name!r}{hint}; {what}s are: {', '.join(known)}"


def unknown_checks(manifest: Manifest, assignment: Assignment) -> list[str]:
    """Check keys the manifest names that the rubric does not have."""
    keys = [check_key(question, check) for question in assignment.rubric.questions for check in question.checks]
    return [_no_such(manifest, (name, "fails", index), "check", key, keys)
            for name, example in manifest.examples.items()
            for index, key in enumerate(example.fails or []) if key not in keys]


def mistake_names(assignment: Assignment, reports: list[Report]) -> list[str]:
    """The mistakes there are: the rubric's, and those its judges named in any of these reports."""
    declared = [m.name for question in assignment.rubric.questions for check in question.checks
                for m in check.mistakes]
    return list(dict.fromkeys([*declared, *(r.mistake for report in reports for r in report.checks if r.mistake)]))


def failed_checks(report: Report) -> set[str]:
    return {check_key(r.case.question, r.case.check) for r in report.checks if not r.passed}


def _failure(report: Report, key: str) -> str:
    """Why a check failed, on one bounded line: the message of its first failing case."""
    return _why(next(r for r in report.checks if not r.passed and check_key(r.case.question, r.case.check) == key))


def _problems_of_example(manifest: Manifest, name: str, report: Report, mistakes: list[str]) -> list[str]:
    """How the example's grading departs from its declaration. `mistakes`: every mistake name
    there is (mistake_names); a name outside it is reported as unknown, where it is written."""
    example, problems = manifest.examples[name], []
    if abs(report.score - example.score) > 1e-6:
        problems.append(f"{name}: scores {report.score:g}, declared {example.score:g}")
    failed = failed_checks(report)
    if example.fails is not None:
        checked = {check_key(r.case.question, r.case.check) for r in report.checks}
        for key in sorted(failed - set(example.fails)):
            problems.append(f"{name}: also fails {key}: {_failure(report, key)}")
        missing = sorted((set(example.fails) & checked) - failed)  # (unknown keys: unknown_checks)
        if missing:
            problems.append(f"{name}: passes {', '.join(missing)}, declared as failing")
    seen = {r.mistake for r in report.checks if r.mistake}
    for index, mistake in enumerate(example.mistakes):
        if mistake not in mistakes:
            problems.append(_no_such(manifest, (name, "mistakes", index), "mistake", mistake, mistakes))
        elif mistake not in seen:
            problems.append(f"{name}: the mistake {mistake!r} was not recognized")
    return problems


def examples_folder(assignment: Assignment) -> Path:
    path: Path = assignment.loaded.path.parent.parent / "submissions_example" / assignment.rubric.assignment
    return path


# -- the template ---------------------------------------------------------------------------------

Parameters = tuple[str, ...]  # written as in a def: "x", "*args", "*", "**kwargs", "/"


def _written(positional_only: list[str], positional: list[str], var: str | None, keyword_only: list[str],
             var_keyword: str | None) -> Parameters:
    marks = [f"*{var}"] if var else ["*"] if keyword_only else []
    return (*positional_only, *(["/"] if positional_only else []), *positional, *marks, *keyword_only,
            *([f"**{var_keyword}"] if var_keyword else []))


def _parameters_of_def(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Parameters:
    a = node.args
    return _written([p.arg for p in a.posonlyargs], [p.arg for p in a.args], a.vararg.arg if a.vararg else None,
                    [p.arg for p in a.kwonlyargs], a.kwarg.arg if a.kwarg else None)


def _parameters_of(function: Any) -> Parameters | None:
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return None
    kinds = inspect.Parameter

    def named(kind: Any) -> list[str]:
        return [p.name for p in parameters if p.kind == kind]

    var, var_keyword = named(kinds.VAR_POSITIONAL), named(kinds.VAR_KEYWORD)
    return _written(named(kinds.POSITIONAL_ONLY), named(kinds.POSITIONAL_OR_KEYWORD), var[0] if var else None,
                    named(kinds.KEYWORD_ONLY), var_keyword[0] if var_keyword else None)


def _expected_parameters(assignment: Assignment) -> dict[str, Parameters | None]:
    """Each student function the rubric calls, in order, with the parameters the reference's
    function has: the function of the same name, else the check's `reference` (None: neither);
    a manual question's answer function takes none."""
    wanted: dict[str, Parameters | None] = {}
    for question in assignment.rubric.questions:
        for check in question.checks:
            if wanted.get(check.function) is not None:
                continue
            same = getattr(assignment.reference, check.function, None)
            uses_reference = "expected" not in check.model_fields_set
            function = same if callable(same) else (
                getattr(assignment.reference, check.reference_function, None) if uses_reference else None)
            wanted[check.function] = _parameters_of(function) if callable(function) else None
        if question.answer is not None and question.answer.function not in wanted:
            wanted[question.answer.function] = ()  # a manual answer's function is called without arguments
    return wanted


def _template_source(path: Path) -> tuple[str, Callable[[int], str]]:
    """The template's Python source, and a function from a line of it to "file:line"; raises
    ValueError with the problem's line."""
    if path.suffix.lower() == ".ipynb":
        from grader.notebook import NotebookError, read_notebook

        try:
            converted = read_notebook(path)
        except NotebookError as error:
            raise ValueError(f"{path}: the template cannot be read: {error}") from None

        def where(line: int) -> str:
            cell = converted.locate(line)
            return f"{path}: cell {cell[0]}, line {cell[1]}" if cell else str(path)

        return converted.source, where
    try:
        return path.read_text(encoding="utf-8"), lambda line: f"{path}:{line}"
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: the template cannot be read: {error}") from None


def template_problems(assignment: Assignment) -> list[str]:
    """Where the template differs from what the rubric calls: a function missing or renamed, or
    other parameters than the reference's. The template is parsed, never imported."""
    loaded, rubric = assignment.loaded, assignment.rubric
    path = rubric.template_path(loaded.path)
    if not path.is_file():
        line = loaded.line_of("template") if rubric.template is not None else None
        at = f"{loaded.path}:{line}" if line is not None else str(loaded.path)
        return [f"{at}: the template {path} does not exist (rubric `template:`, default "
                f"../templates/{rubric.assignment}.py)"]
    try:
        source, where = _template_source(path)
        tree = ast.parse(source, filename=str(path))
    except ValueError as error:  # (SyntaxError is not one)
        return [str(error)]
    except SyntaxError as error:
        return [f"{where(error.lineno or 1)}: the template does not compile: {error.msg}"]
    defined = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    wanted = _expected_parameters(assignment)
    problems = []
    for name, parameters in wanted.items():
        node = defined.get(name)
        if node is None:
            spare = [other for other in defined if other not in wanted]
            close = difflib.get_close_matches(name, spare, n=1, cutoff=0.6)
            if close:
                problems.append(f"{where(defined[close[0]].lineno)}: the template defines {close[0]}(), but the "
                                f"rubric calls {name}()")
            else:
                problems.append(f"{path}: the template has no function {name}(), which the rubric calls")
            continue
        written = _parameters_of_def(node)
        if parameters is not None and written != parameters:
            problems.append(f"{where(node.lineno)}: the template's {name}({', '.join(written)}) has other "
                            f"parameters than the reference's {name}({', '.join(parameters)})")
    return problems


# -- the rubric's known mistakes ------------------------------------------------------------------

def mistake_problems(assignment: Assignment) -> list[str]:
    """Known mistakes whose output holds NaN or inf without `nonfinite: true`: never recognized."""
    loaded, problems, said = assignment.loaded, [], set()
    for case in assignment.cases:
        for index, (spec, (_, output)) in enumerate(zip(case.check.mistakes, case.mistakes, strict=True)):
            base = check_key(case.question, case.check)
            if spec.nonfinite or (base, spec.name) in said or not has_nonfinite(output):
                continue
            said.add((base, spec.name))
            qi = next(i for i, q in enumerate(loaded.rubric.questions) if q is case.question)
            ci = next(i for i, c in enumerate(case.question.checks) if c is case.check)
            line = loaded.line_of("questions", qi, "checks", ci, "mistakes", index)
            problems.append(f"{loaded.path}:{line}: {case.key}: the mistake {spec.name!r} returns NaN or inf, "
                            "which never matches an answer: declare it `nonfinite: true` to recognize it")
    return problems


def unrecognized_mistakes(assignment: Assignment) -> list[str]:
    """Known mistakes their own check does not name: each mistake's output (the reference's, computed
    when the cases were prepared: trusted) judged here as a student's answer. It must fail the check
    and be named as that mistake; one passing, or named as another, can never be told apart."""
    from grader.boundary.outcome import Outcome
    from grader.judging import judge

    loaded, judges, problems, said = assignment.loaded, assignment.judges(), [], set()
    for case in assignment.cases:
        base = check_key(case.question, case.check)
        for index, (spec, (_, output)) in enumerate(zip(case.check.mistakes, case.mistakes, strict=True)):
            if (base, spec.name) in said or (has_nonfinite(output) and not spec.nonfinite):  # (mistake_problems)
                continue
            result = judge(case, Outcome("ok", value=output), judges, assignment.rubric.limits.judge_seconds)
            if result.mistake == spec.name and not result.passed:
                continue
            said.add((base, spec.name))
            why = ("passes the check: its output is accepted as right" if result.passed
                   else f"is named {result.mistake!r} instead" if result.mistake
                   else f"is not recognized ({_why(result)})")
            qi = next(i for i, q in enumerate(loaded.rubric.questions) if q is case.question)
            ci = next(i for i, c in enumerate(case.question.checks) if c is case.check)
            line = loaded.line_of("questions", qi, "checks", ci, "mistakes", index)
            problems.append(f"{loaded.path}:{line}: {case.key}: the mistake {spec.name!r} {why}")
    return problems


def validate(assignment: Assignment, examples: Path | None = None) -> list[str]:
    """Every inconsistency found, one line each; empty when all agree."""
    problems = [*template_problems(assignment), *mistake_problems(assignment), *unrecognized_mistakes(assignment)]
    installed = [*grader_requirements(), *assignment.rubric.environment.packages]
    for name in reference_imports_outside(assignment.reference_path, installed):
        problems.append(f"the reference {assignment.reference_path.name} imports {name}, which neither the grader nor "
                        "the rubric's environment.packages installs: on Gradescope it would not load")
    reference_report = grade(assignment, assignment.reference_path)
    for result in reference_report.checks:
        if not result.passed or result.judge_error:
            problems.append(f"reference fails {result.case.key}: {_why(result)}")
    folder = examples or examples_folder(assignment)
    manifest_path = folder / "expected.yaml"
    if not manifest_path.is_file():
        return [*problems, f"no example manifest at {manifest_path}"]
    try:
        manifest = read_manifest(manifest_path)
    except ManifestError as error:
        return [*problems, *error.problems]
    problems += unknown_checks(manifest, assignment)
    reports: dict[str, Report] = {}
    for name in manifest.examples:
        path = folder / name
        if path.exists():
            reports[name] = grade(assignment, path)
        else:
            problems.append(f"{manifest.at(name)}: {name}: declared here, but there is no {path}")
    mistakes = mistake_names(assignment, [reference_report, *reports.values()])
    for name, report in reports.items():
        problems += _problems_of_example(manifest, name, report, mistakes)
    listed: set[Any] = set(manifest.examples)
    for path in sorted(folder.glob("*.py")):
        if path.name not in listed:
            problems.append(f"{path.name}: not declared in {manifest_path}")
    return problems
