"""An assignment: a validated rubric, its reference module, and the cases they make.

Only the grader's parent process imports the reference. Cases are prepared here once,
in the parent: the inputs (literal, or from a seeded generator), the reference's expected
output, and the output of each declared known mistake.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.authoring import Generator, Judge
from grader.boundary.outcome import pack_call
from grader.errors import RubricError
from grader.rubric import (
    Check,
    LoadedRubric,
    Question,
    Rubric,
    Visibility,
    check_key,
    load_rubric,
    slug,
    validate_rubric,
)

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Upstream:
    """Error carried forward (Check.carry_forward): the student's upstream call on a case's inputs,
    run beside the case's own call, and the expected answer for whatever it returns."""

    function: str
    request: bytes
    expected_for: Callable[[Any], Any] = field(repr=False, compare=False)  # upstream output -> expected value
    credit: float = 1.0


@dataclass(frozen=True)
class Case:
    """One check on one input case: everything the grader needs to run and judge it."""

    key: str  # stable id, e.g. "3.2/handout-table" or "3.2/random-architectures#2"
    question: Question
    check: Check
    name: str
    args: dict[str, Any]
    expected: Any
    mistakes: tuple[tuple[str, Any], ...]  # (mistake name, its output on these args)
    points: float
    visibility: Visibility
    deferred: Callable[[], Any] | None = field(default=None, repr=False, compare=False)
    seed: int | None = None  # the generator's seed for these inputs (None: literal inputs, or no seed)
    upstream: Upstream | None = None

    @property
    def function(self) -> str:
        return self.check.function

    @functools.cached_property
    def request(self) -> bytes:
        """The call's request frame, packed once: a batch sends the same bytes to every child."""
        return pack_call(self.function, list(self.args.values()))

    def expected_value(self) -> Any:
        """The reference's output. A check judged by a judge alone computes it on first use:
        judges seldom need it, and a reference that iterates (an optimizer) is the slowest part of
        loading an assignment."""
        if self.deferred is not None:
            object.__setattr__(self, "expected", self.deferred())
            object.__setattr__(self, "deferred", None)
        return self.expected


@dataclass(frozen=True)
class Assignment:
    loaded: LoadedRubric
    reference_path: Path
    reference: ModuleType
    cases: tuple[Case, ...]
    answers: tuple[Case, ...] = ()  # manual questions' answers to collect (Question.answer): called, never judged

    @property
    def rubric(self) -> Rubric:
        return self.loaded.rubric

    @property
    def calls(self) -> tuple[Case, ...]:
        """Every case whose call a grading runs: the checks, then the answers collected."""
        return self.cases + self.answers

    def judges(self) -> dict[str, Judge]:
        names = {c.check.compare.function for c in self.cases if c.check.compare.name == "judge"}
        return {name: getattr(self.reference, name) for name in names}


def import_reference(path: Path, rubric_path: Path) -> ModuleType:
    if not path.is_file():
        raise RubricError(str(rubric_path), None, f"reference module {path} does not exist")
    name = f"_grader_reference_{slug(path.stem).replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise RubricError(str(path), None, "cannot be imported as a module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise RubricError(str(path), error.lineno, f"SyntaxError: {error.msg}") from None
    except Exception as error:
        raise RubricError(str(path), None, f"importing the reference raised {type(error).__name__}: {error}") from None
    return module


def _function(reference: ModuleType, name: str, loaded: LoadedRubric, loc: Loc, what: str) -> Callable[..., Any]:
    function = getattr(reference, name, None)
    if not callable(function):
        raise loaded.error(loc, f"{what} {name!r} is not a function of the reference module")
    return function  # type: ignore[no-any-return]


# The numpy kind a `literal` list keeps (arrays: true): ints stay ints, since labels and indices
# must index with them; any float makes the whole array float.
_ARRAY_KINDS = {"b": np.bool_, "i": np.int64, "f": np.float64}


def _as_arrays(value: Any) -> Any:
    """A `literal` list of numbers (nested lists too) as a numpy array of its own kind: int64 when
    every number is an int, float64 when any is a float, bool when all are bools. A ragged list,
    or one holding anything else (text, None, an int beyond int64), stays a list."""
    if not isinstance(value, list) or not value:
        return value
    try:
        array = np.asarray(value)
    except (ValueError, OverflowError):
        return value
    kind = _ARRAY_KINDS.get(array.dtype.kind)
    return value if kind is None else array.astype(kind, copy=False)


def _inputs(
    check: Check, seed: int | None, reference: ModuleType, loaded: LoadedRubric, loc: Loc
) -> dict[str, Any]:
    inputs = check.inputs
    if inputs.literal is not None:
        args = copy.deepcopy(inputs.literal)
        return {k: _as_arrays(v) for k, v in args.items()} if inputs.arrays else args
    assert inputs.generator is not None
    generator: Generator = _function(reference, inputs.generator, loaded, (*loc, "inputs", "generator"), "generator")
    try:
        args = generator(np.random.default_rng(seed), **inputs.kwargs)
    except Exception as error:
        message = f"generator {inputs.generator} raised {type(error).__name__}: {error}"
        raise loaded.error((*loc, "inputs"), message) from None
    if not isinstance(args, dict):
        raise loaded.error((*loc, "inputs"), f"generator {inputs.generator} must return a dict of arguments")
    return args


def _run_reference(function: Callable[..., Any], args: dict[str, Any], loaded: LoadedRubric, loc: Loc) -> Any:
    try:
        return function(*copy.deepcopy(list(args.values())))
    except Exception as error:
        name = getattr(function, "__name__", "reference")
        raise loaded.error(loc, f"reference {name} raised {type(error).__name__}: {error}") from None


def _carried(reference: ModuleType, check: Check, loaded: LoadedRubric,
             loc: Loc) -> tuple[Callable[..., Any], list[str], Callable[..., Any]] | None:
    """For a check that carries errors forward: the reference's upstream function (to call the
    student's by its parameters), those parameters, and the reference giving the expected answer."""
    carry = check.carry_forward
    if carry is None:
        return None
    here = (*loc, "carry_forward")
    if carry.function not in check.depends_on:
        raise loaded.error((*here, "function"), f"{carry.function!r} must be one of this check's depends_on "
                           f"({', '.join(check.depends_on) or 'none given'})")
    upstream = _function(reference, carry.function, loaded, (*here, "function"), "upstream function")
    parameters = list(inspect.signature(upstream).parameters)
    return upstream, parameters, _function(reference, carry.reference, loaded, (*here, "reference"), "reference")


def _upstream(carried: tuple[Callable[..., Any], list[str], Callable[..., Any]] | None, check: Check,
              args: dict[str, Any], loaded: LoadedRubric, loc: Loc) -> Upstream | None:
    if carried is None or check.carry_forward is None:
        return None
    _, parameters, expected_from = carried
    missing = [name for name in parameters if name not in args]
    if missing:
        raise loaded.error((*loc, "carry_forward", "function"), f"{check.carry_forward.function} takes "
                           f"{', '.join(missing)}, which this check's inputs do not have (inputs: {', '.join(args)})")

    def expected_for(output: Any) -> Any:
        return expected_from(output, **copy.deepcopy(args))

    return Upstream(check.carry_forward.function, pack_call(check.carry_forward.function,
                                                            [args[name] for name in parameters]),
                    expected_for, check.carry_forward.credit)


def prepare_cases(loaded: LoadedRubric, reference: ModuleType) -> tuple[Case, ...]:
    rubric = loaded.rubric
    cases: list[Case] = []
    keys: set[str] = set()
    checked = {check.function for question in rubric.questions for check in question.checks}
    for qi, question in enumerate(rubric.questions):
        for ci, check in enumerate(question.checks):
            loc: Loc = ("questions", qi, "checks", ci)
            for di, name in enumerate(check.depends_on):
                if name not in checked or name == check.function:
                    raise loaded.error((*loc, "depends_on", di), f"{name!r} is not another function the rubric "
                                       f"checks (checked: {', '.join(sorted(checked))})")
            if check.compare.name == "judge":
                _function(reference, check.compare.function, loaded, (*loc, "compare", "function"), "judge")
            seeds = check.inputs.seed_list
            base = check_key(question, check)
            if base in keys:
                raise loaded.error((*loc, "name"), f"two checks of question {question.id} are named {check.name!r}")
            keys.add(base)
            mistake_functions = [
                (m.name, _function(reference, m.function, loaded, (*loc, "mistakes", mi, "function"), "mistake"))
                for mi, m in enumerate(check.mistakes)
            ]
            uses_reference = "expected" not in check.model_fields_set
            reference_loc = (*loc, "function" if check.reference is None else "reference")
            reference_function = (
                _function(reference, check.reference_function, loaded, reference_loc, "reference function")
                if uses_reference else None
            )
            lazy = check.compare.name == "judge" and not check.mistakes and reference_function is not None
            carried = _carried(reference, check, loaded, loc)
            shares = split_points(check.points, len(seeds))
            for si, seed in enumerate(seeds):
                args = _inputs(check, seed, reference, loaded, loc)
                upstream = _upstream(carried, check, args, loaded, loc)
                deferred = (functools.partial(_run_reference, reference_function, args, loaded, loc)
                            if lazy and reference_function is not None else None)
                expected = (None if deferred is not None
                            else _run_reference(reference_function, args, loaded, loc) if reference_function is not None
                            else copy.deepcopy(check.expected))
                mistakes = tuple((name, _run_reference(fn, args, loaded, loc)) for name, fn in mistake_functions)
                several = len(seeds) > 1
                cases.append(Case(
                    key=f"{base}#{si + 1}" if several else base,
                    question=question,
                    check=check,
                    name=f"{check.name} (case {si + 1} of {len(seeds)})" if several else check.name,
                    args=args,
                    expected=expected,
                    mistakes=mistakes,
                    points=shares[si],
                    visibility=check.visibility or rubric.visibility,
                    deferred=deferred,
                    seed=seed,
                    upstream=upstream,
                ))
    for index, entry in enumerate(rubric.leaderboard):  # a public column: only a visible check's own value
        first = next((c for c in cases if check_key(c.question, c.check) == entry.check), None)
        if first is None:
            raise loaded.error(("leaderboard", index, "check"), f"no check {entry.check!r} (keys: "
                               f"{', '.join(sorted(keys))})")
        if first.visibility != "visible":
            raise loaded.error(("leaderboard", index, "check"), f"check {entry.check!r} is {first.visibility}: "
                               "a leaderboard is public, so only a visible check may feed it")
    return tuple(cases)


POINT_DIGITS = 6  # results.json writes points to the millionth


def split_points(points: float, parts: int) -> list[float]:
    """`points` in `parts` shares that, written to POINT_DIGITS decimals, add up to exactly
    `points` as written (0.25 in 3: 0.083333, 0.083333, 0.083334): the rounded scores of a
    check's cases sum to the check's points, and a perfect submission's to the total."""
    unit = 10**POINT_DIGITS
    whole = round(points * unit)
    base, extra = divmod(whole, parts)
    return [(base + (1 if index >= parts - extra else 0)) / unit for index in range(parts)]


def load_assignment(rubric_path: Path, data: Any = None) -> Assignment:
    """The assignment of a rubric file. `data`: that file's content as read before (a call plan
    keeps it, prefetch.py), to skip reading the YAML again; should anything be wrong with it,
    the file is read after all, so that messages name their lines."""
    if data is not None:
        try:
            return _assemble(validate_rubric(data, rubric_path), rubric_path)
        except RubricError:
            pass
    return _assemble(load_rubric(rubric_path), rubric_path)


def answer_cases(rubric: Rubric) -> tuple[Case, ...]:
    """One call per manual question that says where its answer is (Question.answer): no inputs,
    nothing expected. They run last, with the hidden checks, so that they cannot change anything
    a graded check sees."""
    cases = []
    for question in rubric.questions:
        if question.answer is None:
            continue
        check = Check(name="answer", function=question.answer.function, compare={"name": "exact"})
        cases.append(Case(key=f"{question.id}/answer", question=question, check=check, name="answer", args={},
                          expected=None, mistakes=(), points=0.0, visibility="hidden"))
    return tuple(cases)


def _assemble(loaded: LoadedRubric, rubric_path: Path) -> Assignment:
    reference_path = loaded.rubric.reference_path(rubric_path)
    reference = import_reference(reference_path, rubric_path)
    return Assignment(loaded, reference_path, reference, prepare_cases(loaded, reference),
                      answer_cases(loaded.rubric))
