"""`run_mutants`: every mutant of the reference graded as a submission by the batch's process
pool (each in the sandbox's child, never in this process), then classified here."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from grader.mutants.classify import classify
from grader.mutants.generate import plan
from grader.mutants.justify import entry_for, justification_path, load_justifications
from grader.mutants.model import Mutant, MutationRun
from grader.mutants.worker import Graded, decode, grade_mutant

if TYPE_CHECKING:
    from grader.assignment import Assignment
    from grader.batch.task import Done, Task


def reference_answers(assignment: Assignment) -> dict[str, Any]:
    """The reference's answer on each case, from the function the student writes (which is not the
    check's `reference` when that differs, e.g. one graph where the check accepts several)."""
    answers: dict[str, Any] = {}
    for case in assignment.cases:
        check = case.check
        function = getattr(assignment.reference, check.function, None)
        if not callable(function):
            continue
        if check.reference_function == check.function and "expected" not in check.model_fields_set:
            answers[case.key] = case.expected_value()
            continue
        try:
            answers[case.key] = function(*copy.deepcopy(list(case.args.values())))
        except Exception:  # no answer: that case cannot tell a mutant equivalent
            continue
    return answers


def selected(mutants: Sequence[Mutant], only: Sequence[str] | None) -> list[Mutant]:
    """The mutants `only` names (by id, key or function); all without it."""
    if only is None:
        return list(mutants)
    wanted = set(only)
    return [m for m in mutants if wanted & {m.id, m.key, m.function}]


def grade_all(assignment: Assignment, mutants: Sequence[Mutant], jobs: int,
              tick: Callable[[], None] = lambda: None) -> dict[str, Graded]:
    """Each mutant graded as a submission, in parallel, by the batch's process pool."""
    from grader.batch.run import run_local
    from grader.batch.task import Task, make_spec

    spec = make_spec(assignment)
    filename = assignment.rubric.submission.filename
    tasks: list[Task] = [Task(m.id, f"{m.id}/{filename}", {"mutant": m.id}, ((filename, m.source.encode()),))
                         for m in mutants]
    graded: dict[str, Graded] = {}

    def on_done(done: Done) -> None:
        graded[done.key] = decode(done.text)

    run_local(tasks, spec, assignment, jobs=jobs, pool="process", on_done=on_done, tick=tick, work=grade_mutant)
    return graded


def run_mutants(assignment: Assignment, *, jobs: int | None = None, only: Sequence[str] | None = None,
                tick: Callable[[], None] = lambda: None) -> MutationRun:
    """Generate, grade and classify the mutants of the assignment's reference (`only`: those
    named, by id, key or function). Survivors listed in the justification file are justified."""
    from grader.batch.run import default_jobs

    started = time.perf_counter()
    made = plan(assignment)
    mutants = selected(made.mutants, only)
    justifications = load_justifications(justification_path(assignment.loaded.path))
    graded = grade_all(assignment, mutants, jobs or default_jobs(), tick)
    answers = reference_answers(assignment)
    results = tuple(classify(m, graded.get(m.id, Graded(error="not graded")), answers, justifications)
                    for m in mutants)
    used = {entry_for(r.mutant, justifications) for r in results if r.status == "justified"}
    unused = () if only is not None else tuple(k for k in justifications if k not in used)
    return MutationRun(results, time.perf_counter() - started, made.skipped, unused)
