"""The `grader gradescope` commands: build (the zip), run (in the container), selftest."""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

from grader.gradescope.budgets import (
    GRADESCOPE_MEMORY_MB,
    GRADESCOPE_TIMEOUT_S,
    TimeBudget,
    container_memory_mb,
    fit_to_gradescope,
    memory_budget,
)
from grader.gradescope.container import DEFAULT_ROOT, ROOT_VARIABLE, AutograderPaths


def _run(args: argparse.Namespace) -> int:
    paths = AutograderPaths.resolve(args.root)
    if args.worker_dir is None:  # the supervisor: nothing heavy is imported in this process
        from grader.gradescope.supervisor import supervise

        return supervise(paths, args.assignment, args.timeout, args.memory_mb)
    from grader.gradescope.worker import work
    from grader.sandbox.seal import seal

    # The answer key and the results, by mode alone out of the sandbox uid's reach (setup.sh sealed
    # the source once already; every run makes sure again).
    seal([paths.source, paths.results.parent])
    work_dir = Path(args.worker_dir)
    results = work(paths, args.assignment, args.memory_mb, args.grading_deadline, work_dir / "results.json",
                   work_dir)
    print(f"{args.assignment or 'assignment'}: {results.score:g} / {results.max_score:g} "
          f"in {results.execution_time:g} s")
    return 0


def _selftest(args: argparse.Namespace) -> int:
    from grader.assignment import load_assignment
    from grader.grading import grade

    paths = AutograderPaths.resolve(args.root)
    assignment = load_assignment(paths.rubric(args.assignment))
    memory = memory_budget(assignment.rubric.limits, container_memory_mb(args.memory_mb))
    fitted = fit_to_gradescope(assignment, memory, TimeBudget(args.timeout).grading_window)
    here = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="grader-selftest-") as folder:
        os.chdir(folder)  # as `run` does: the sandbox hides the grader's working directory from the child
        try:
            report = grade(fitted, assignment.reference_path)
        finally:
            os.chdir(here)
    failed = [r for r in report.checks if not r.passed]
    for result in failed:
        print(f"  {result.case.key}: {result.verdict.message or result.outcome.message}")
    name = assignment.rubric.assignment
    if failed:
        print(f"selftest: the reference fails {len(failed)} check(s) of {name} here", file=sys.stderr)
        return 1
    print(f"selftest: the reference passes all {len(report.checks)} checks of {name} "
          f"in {report.seconds:.2f} s; memory: {memory.describe()}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from grader.gradescope.build import main

    return main(args)


def _add_budget_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=GRADESCOPE_TIMEOUT_S,
                        help=f"Gradescope's overall time-out in seconds (default {GRADESCOPE_TIMEOUT_S:g})")
    parser.add_argument("--memory-mb", type=int, default=GRADESCOPE_MEMORY_MB,
                        help=f"Gradescope's container memory in MB (default {GRADESCOPE_MEMORY_MB})")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gradescope = commands.add_parser("gradescope", help="build a Gradescope autograder, or run inside one")
    actions = gradescope.add_subparsers(dest="gradescope_command", required=True)

    build = actions.add_parser("build", help="write the autograder zip to upload to Gradescope")
    build.add_argument("--assignment", required=True, help="assignment name (rubrics/NAME.yaml) or rubric path")
    build.add_argument("--out", default="autograder.zip", help="the zip to write (default autograder.zip)")
    build.add_argument("--no-validate", action="store_true",
                       help="build even when `grader validate` finds problems (it runs first, and refuses by default)")
    _add_budget_options(build)
    build.set_defaults(run=_build)

    root_help = f"the autograder's root (default ${ROOT_VARIABLE}, else {DEFAULT_ROOT})"
    run = actions.add_parser("run", help="grade /autograder/submission into /autograder/results/results.json")
    run.add_argument("--root", help=root_help)
    run.add_argument("--assignment", help="rubric name in ROOT/source/rubrics (default: the only one)")
    _add_budget_options(run)
    run.add_argument("--worker-dir", help=argparse.SUPPRESS)
    run.add_argument("--grading-deadline", type=float, default=math.inf, help=argparse.SUPPRESS)
    run.set_defaults(run=_run)

    selftest = actions.add_parser("selftest", help="grade the reference in this container: it must pass")
    selftest.add_argument("--root", help=root_help)
    selftest.add_argument("--assignment", help="rubric name in ROOT/source/rubrics (default: the only one)")
    _add_budget_options(selftest)
    selftest.set_defaults(run=_selftest)
