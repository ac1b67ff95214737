"""The rubric: what is checked, how, for how many points, and who may see it.

A rubric is YAML validated into these pydantic models; every field has a description, from
which docs/rubric.md is written (scripts/rubric_docs.py). Loading never raises a traceback
at a user: `load_rubric` turns every problem into a RubricError naming the file, the line
and what is wrong.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from grader.comparators import NAMES as COMPARATOR_NAMES
from grader.comparators import ComparatorSpec
from grader.errors import RubricError
from grader.rubric_messages import field_names, unclosed_bracket
from grader.rubric_model import Model
from grader.rubric_policies import LatePolicy, Limits
from grader.text import points

if TYPE_CHECKING:  # PyYAML is imported where a rubric is read: a call plan keeps a rubric's data
    import yaml

Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]

__all__ = ["LatePolicy", "Limits", "Model"]  # (with the models below: a rubric's parts, importable from here)


class Submission(Model):
    """What the student hands in."""

    filename: str = Field(
        description="the file graded, e.g. homework.py (a name, not a path); found at the top of the submission "
                    "or one folder down, and a Jupyter notebook of the same stem (`.ipynb`) is taken when it is absent")
    module: str | None = Field(
        None, description="the module name it is imported as; default: `filename` without its extension")

    @field_validator("filename")
    @classmethod
    def _one_name(cls, value: str) -> str:
        # A name only: a folder in it would be walked without the no-link rule of safe_open.
        if not value or "/" in value or "\\" in value or value in (".", ".."):
            raise ValueError(f"{value!r} must be a file name, without folders")
        return value

    @property
    def module_name(self) -> str:
        return self.module or Path(self.filename).stem


class Inputs(Model):
    """The arguments of one call: literal values, or made by a generator in the reference.

    Values are passed positionally, in the order written (or returned by the generator).
    `seeds` turns one check into one case per seed, sharing the check's points.
    """

    literal: dict[str, Any] | None = Field(
        None, description="the call's arguments by name, passed positionally in the order written (`{}`: no "
                          "arguments); give exactly one of `literal` and `generator`")
    arrays: bool = Field(
        False, description="turn `literal` lists of numbers (nested too) into numpy arrays: int64 if all are ints "
        "(labels, indices), float64 if any is a float (write `1.0`), bool if all are booleans; others stay lists")
    generator: str | None = Field(
        None, description="a reference-module function `name(rng, **kwargs) -> dict` whose values are the call's "
                          "arguments in order; `rng` is `numpy.random.default_rng(seed)`")
    seed: int | None = Field(
        None, description="the generator's seed (a generator without `seed` or `seeds` gets seed 0); with a "
                          "generator only")
    seeds: list[int] | None = Field(
        None, description="one case per seed, sharing the check's points equally; not empty, not with `seed`, "
                          "with a generator only")
    kwargs: dict[str, Any] = Field(
        default_factory=dict, description="keyword arguments passed to the generator (with a generator only)")

    @model_validator(mode="after")
    def _one_source(self) -> Inputs:
        if (self.literal is None) == (self.generator is None):
            raise ValueError("give exactly one of `literal` or `generator`")
        if self.generator is not None:
            if self.seed is not None and self.seeds is not None:
                raise ValueError("give `seed` or `seeds`, not both")
            if self.seeds is not None and not self.seeds:
                raise ValueError("`seeds` is empty")
        elif self.seed is not None or self.seeds is not None or self.kwargs:
            raise ValueError("`seed`, `seeds` and `kwargs` go with a generator, not with `literal`")
        return self

    @property
    def seed_list(self) -> list[int | None]:
        """One case per seed; a generator without a seed gets seed 0 (still deterministic)."""
        if self.seeds is not None:
            return list(self.seeds)
        return [self.seed if self.seed is not None or self.generator is None else 0]


class Mistake(Model):
    """A known wrong answer, computed by a reference function on the same inputs."""

    name: str = Field(description='short name, e.g. "sign-flipped derivative"')
    function: str = Field(
        description="reference-module function with the student's signature giving the wrong answer; the mistake "
                    "is recognized when the student's output matches it (by the check's comparator), not the answer")
    message: str = Field("", description="what to tell the student when it is recognized")
    credit: float = Field(
        0.0, ge=0, le=1, description="fraction of the check's points it earns when recognized (with `partial`, the "
                                     "larger of this and the comparator's fraction)")
    nonfinite: bool = Field(
        False, description="its output may hold NaN or inf (a log(0)): then an answer with NaN, inf and -inf at "
        "exactly its places, and other entries matching by the check's comparator, is recognized; without it a NaN "
        "never matches, so such a mistake is never named (`grader validate` says so)")


class CarryForward(Model):
    """Error carried forward: an answer that is right for the student's own (wrong) upstream output
    earns credit. The student's `function` is called on this check's inputs too (those it takes,
    by name), and `reference(<its output>, **this check's inputs)` gives what this check's function
    should then return."""

    function: str = Field(description="the student's upstream function, one of `depends_on` (e.g. `gd_step`)")
    reference: str = Field(
        description="reference-module function: `reference(upstream_output, **inputs)` is the expected answer "
                    "for that upstream output")
    credit: float = Field(
        1.0, ge=0, le=1, description="fraction of the check's points for an answer right for the student's own "
                                     "upstream output (when it is not right outright)")


class Check(Model):
    """One call of one student function on each input case, judged by one comparator."""

    name: str = Field(
        description="the check's name, unique in its question; with the question's id it makes the check's key, "
                    "e.g. \"3.2/handout-table\" (lower case, runs of other characters as `-`)")
    function: str = Field(
        description="the student function called (and, unless `reference` or `expected` is given, the reference "
                    "function of the same name)")
    inputs: Inputs = Field(
        default_factory=lambda: Inputs(literal={}), description="the call's arguments; none given: a call with no "
                                                                 "arguments")
    reference: str | None = Field(
        None, description="the reference function giving the expected value; default: `function`")
    expected: Any = Field(
        None, description="a literal expected value instead of a reference call (given, even as null, no reference "
                          "function is called)")
    compare: ComparatorSpec = Field(
        description="the comparator that judges the returned value: its name (`compare: numeric`), or a mapping "
                    "of its `name` and options; an unknown name is an error that lists the known ones")
    points: float = Field(
        0.0, ge=0, description="the check's points, shared equally by its cases; 0 makes a feedback-only check")
    partial: bool = Field(
        False, description="award the comparator's fraction of the points (F1 of a graph, share of right rows, "
                           "...); without it only a full pass scores")
    visibility: Visibility | None = Field(
        None, description="Gradescope's visibility of this check; default: the rubric's `visibility`. Only `visible` "
                          "checks show inputs and expected values in their feedback, and they run first")
    feedback: str = Field("", description="a hint shown when the check is not fully passed")
    mistakes: list[Mistake] = Field(
        default_factory=list, description="known wrong answers, recognized and named in the feedback")
    call_seconds: float | None = Field(
        None, gt=0, description="this check's own time limit for one call; default: `limits.call_seconds`")
    depends_on: list[str] = Field(
        default_factory=list, description="other student functions this one is expected to call (e.g. "
        "`[gd_step]`): when this check fails and one of them fails its own checks, the feedback says so "
        "(\"this uses your gd_step, which fails its own checks: fix it first\")")
    carry_forward: CarryForward | None = Field(
        None, description="judge this check also against the student's own upstream output (error carried "
                          "forward), so that one mistake upstream is not paid for twice")

    @field_validator("compare", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = {"name": value}
        if isinstance(value, dict) and value.get("name") not in COMPARATOR_NAMES:
            raise ValueError(
                f"unknown comparator {value.get('name')!r}; known: {', '.join(COMPARATOR_NAMES)}"
            )
        return value

    @property
    def reference_function(self) -> str:
        return self.reference or self.function


class Answer(Model):
    """Where a manual question's answer is in the submission: a function that returns it (text),
    called in the sandbox like a check's function, so that graders get every answer on one sheet."""

    function: str = Field(description="the student function that returns the answer, called with no arguments "
                                      "(e.g. `realistic_problem`); its text goes on the graders' sheet")
    chars: int = Field(4000, ge=1, le=100_000, description="longest answer kept; a longer one is cut, and the "
                                                           "sheet says by how much")


class Question(Model):
    """A question of the handout: autograded by its checks, or graded by a person."""

    id: str = Field(
        description='the handout\'s number, e.g. "2.2.3" (a YAML number is taken as its text); unique in the rubric')
    name: str = Field(description="the question's title, shown with each of its checks")
    points: float | None = Field(
        None, ge=0, description="the handout's points for it: when given, its checks' points must add up to it; "
                                "required for a manual question")
    manual: bool = Field(
        False, description="graded by a person (free text, drawings): it has no checks, and the results list it as "
                           "manual, never as an autograded zero")
    description: str = Field("", description="text shown in the results with a manual question")
    answer: Answer | None = Field(
        None, description="for a manual question: the function whose returned text is the student's answer, "
                          "collected for the graders (batch `manual.csv` and `manual.html`)")
    checks: list[Check] = Field(
        default_factory=list, description="its autograded checks: at least one, and none for a manual question")

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.manual:
            if self.checks:
                raise ValueError(f"question {self.id} is manual and cannot have checks")
            if self.points is None:
                raise ValueError(f"manual question {self.id} needs `points`")
        elif self.answer is not None:
            raise ValueError(f"question {self.id} is autograded: only a manual question has an `answer`")
        elif not self.checks:
            raise ValueError(f"question {self.id} has no checks (mark it `manual: true`?)")
        elif self.points is not None:
            total = sum(c.points for c in self.checks)
            if abs(total - self.points) > 1e-9:
                raise ValueError(
                    f"question {self.id} is worth {points(self.points)} but its checks add up to {total:g}"
                )
        return self


class LeaderboardEntry(Model):
    """One column of Gradescope's leaderboard: the number a visible check's call returned."""

    name: str = Field(description="the column's title")
    check: str = Field(
        description='the check whose returned value is shown, by key: "question id/check-name"; it must be a '
                    'visible check, since a leaderboard is public')
    order: Literal["asc", "desc"] = Field("desc", description="which end of the column ranks first")


_REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._ -]*\])?\s*([<>=!~][<>=!~ 0-9A-Za-z.*,+-]*)?$")


class Environment(Model):
    """The third-party packages a submission may import: installed wherever grading happens, and
    the only ones the student's code can import in every mode (their own files and the standard
    library besides)."""

    packages: list[str] = Field(
        default_factory=lambda: ["numpy"], description="requirements as pip reads them (`numpy`, `scipy>=1.10`); "
        "what each needs comes with it. Importing anything else fails with a message that lists these")

    @field_validator("packages")
    @classmethod
    def _requirements(cls, packages: list[str]) -> list[str]:
        for package in packages:
            if not _REQUIREMENT.match(package.strip()):
                raise ValueError(f"{package!r} is not a requirement such as `scipy` or `scipy>=1.10`")
        return [package.strip() for package in packages]


class Rubric(Model):
    assignment: str = Field(description="the assignment's name, as in rubrics/NAME.yaml: `reference` and `template` "
                                         "default to files of that name")
    title: str = Field("", description="the assignment's title, shown in the student kit and the batch report")
    submission: Submission = Field(description="what the student hands in")
    reference: str | None = Field(
        None, description="reference module, relative to the rubric; default: `../reference/<assignment>.py`")
    template: str | None = Field(
        None, description="the students' template, relative to the rubric; default: `../templates/<assignment>.py`")
    limits: Limits = Field(default_factory=Limits, description="resource limits of the submission's child process")
    visibility: Visibility = Field("visible", description="default visibility of checks (Gradescope's values)")
    stdout_visibility: Visibility = Field(
        "hidden", description="who sees what the submission printed (a test of its own; shown to students, it "
                              "holds only what was printed before any check they cannot see ran)")
    totals_visibility: Visibility = Field(
        "after_due_date", description="who sees the total that includes hidden checks (the summary line counts "
                                      "the checks its reader can see)")
    leaderboard: list[LeaderboardEntry] = Field(
        default_factory=list, description="optional leaderboard columns, each a visible check's returned number")
    environment: Environment = Field(
        default_factory=Environment, description="the student's environment: the packages their code may import")
    late: LatePolicy | None = Field(
        None, description="the late policy, applied on Gradescope and in a batch and explained in the feedback; "
                          "none: lateness costs nothing here")
    questions: list[Question] = Field(description="the handout's questions, in order; their ids are unique")

    @model_validator(mode="after")
    def _unique_ids(self) -> Rubric:
        seen: set[str] = set()
        for question in self.questions:
            if question.id in seen:
                raise ValueError(f"question id {question.id!r} appears twice")
            seen.add(question.id)
        return self

    def reference_path(self, rubric_path: Path) -> Path:
        relative = self.reference or f"../reference/{self.assignment}.py"
        return (rubric_path.parent / relative).resolve()

    def template_path(self, rubric_path: Path) -> Path:
        relative = self.template or f"../templates/{self.assignment}.py"
        return (rubric_path.parent / relative).resolve()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "check"


def check_key(question: Question, check: Check) -> str:
    """A check's stable id, e.g. "3.2/handout-table"; each case of a check with several seeds
    adds "#1", "#2", ... (assignment.prepare_cases)."""
    return f"{question.id}/{slug(check.name)}"


@dataclass(frozen=True)
class LoadedRubric:
    """A validated rubric, its file, and where each of its parts is written."""

    rubric: Rubric
    path: Path
    _root: yaml.Node | None
    data: Any = None  # the file's content as read, before validation (prefetch.py keeps a copy)

    def line_of(self, *loc: str | int) -> int | None:
        return line_of(self._root, loc)

    def error(self, loc: tuple[str | int, ...], message: str) -> RubricError:
        return RubricError(str(self.path), self.line_of(*loc), message)


def line_of(node: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """1-based line of the deepest YAML node that `loc` (a pydantic error path) reaches."""
    if node is None:
        return None
    import yaml

    line = node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
            if child is None and isinstance(part, str):
                # The key itself may be the culprit (an unknown field).
                key = next((k for k, _ in node.value if k.value == part), None)
                if key is not None:
                    return int(key.start_mark.line + 1)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _describe(error: Any) -> str:
    loc = ".".join(str(p) for p in error["loc"] if not (isinstance(p, str) and p in COMPARATOR_NAMES))
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        name = str(error["loc"][-1])
        close = difflib.get_close_matches(name, sorted(field_names(Rubric)), n=1, cutoff=0.6)
        if not close and len(name) >= 3:  # `grace` for `grace_minutes`: a field that begins with it
            close = sorted(f for f in field_names(Rubric) if f.startswith(f"{name}_"))[:1]
        message = f"unknown field {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
    return f"{loc}: {message}" if loc else message


def parse_rubric(text: str, path: Path) -> LoadedRubric:
    """Validate rubric text; raises RubricError with the file and line of the first problem."""
    import yaml

    # libyaml's C loader, where PyYAML was built with it, reads a rubric ten times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:  # one parse: the node tree (for line numbers), then the data built from it
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        opened = unclosed_bracket(text, mark.index) if mark is not None else None
        # The parser notices a problem where it stops: an unclosed bracket may have opened lines before.
        where = f" (the `{opened[0]}` opened on line {opened[1]} is not closed)" \
            if opened is not None and opened[1] != line else ""
        raise RubricError(str(path), line, f"YAML syntax error: {error.problem}{where}") from None
    except yaml.YAMLError as error:
        raise RubricError(str(path), None, f"YAML error: {error}") from None
    finally:
        loader.dispose()
    return validate_rubric(data, path, root)


def validate_rubric(data: Any, path: Path, root: yaml.Node | None = None) -> LoadedRubric:
    """Validate a rubric's data (as read from its file); `root`, the file's YAML nodes, gives
    messages their line numbers."""
    if not isinstance(data, dict):
        raise RubricError(str(path), 1, "a rubric is a mapping with `assignment`, `submission`, `questions`")
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p in COMPARATOR_NAMES))
        raise RubricError(str(path), line_of(root, loc), _describe(first)) from None
    return LoadedRubric(rubric, path, root, data)


def load_rubric(path: Path) -> LoadedRubric:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RubricError(str(path), None, f"cannot read the rubric: {error}") from None
    return parse_rubric(text, path)
