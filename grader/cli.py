"""The `grader` command. Exit 0 when grading completed (whatever the score), 2 when it could not;
`validate` exits 1 when it finds the rubric, reference and examples disagree.

Heavy imports stay inside the commands, so `grader --help` is instant.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from grader.errors import GraderError

if TYPE_CHECKING:
    from grader.boundary.prefetch import Prefetch

# Commands that live beside the code they run: each module has `register(subparsers)` and
# keeps its heavy imports inside the command function, so `grader --help` stays instant.
_COMMAND_MODULES: tuple[str, ...] = ("grader.batch.cli", "grader.kit.cli", "grader.gradescope.cli")


def _grade(args: argparse.Namespace) -> int:
    from grader.boundary import portable, prefetch, zygote
    from grader.paths import resolve_rubric

    rubric_path = resolve_rubric(args.assignment)
    if portable.active():  # no warm worker to fork from, and no private filesystem for a plan's child
        return _grade_with(args, rubric_path, None)
    # The warm worker boots (an interpreter, numpy) while this process imports the grader and
    # loads the assignment; the child is then forked from it (zygote.py). With a saved call
    # plan, the child starts and runs its calls meanwhile too (prefetch.py).
    with zygote.serving():
        early = prefetch.start(rubric_path, Path(args.submission))
        try:
            return _grade_with(args, rubric_path, early)
        finally:
            if early is not None:
                early.close()


def _grade_with(args: argparse.Namespace, rubric_path: Path, early: Prefetch | None) -> int:
    from grader.assignment import load_assignment
    from grader.boundary import prefetch
    from grader.errors import MissingFile
    from grader.files import write_atomically
    from grader.grading import execution_order, grade, imports_of, planned_calls
    from grader.results import missing_file_results, to_results
    from grader.table import render

    assignment = load_assignment(rubric_path, data=early.plan.rubric_data if early is not None else None)
    try:
        report = grade(assignment, Path(args.submission), early=early)
    except MissingFile as missing:  # the student's to fix: a zero with the message, as on Gradescope
        results = missing_file_results(str(missing), assignment.rubric.submission.filename)
        print(f"grader: {results.extra_data['submission_error']}", file=sys.stderr)
        if args.json:
            write_atomically(Path(args.json), results.to_json())
        if not args.quiet:
            print(render(results, title=f"{assignment.rubric.assignment}: {args.submission}"))
        return 0
    results = to_results(report)
    if args.json:
        write_atomically(Path(args.json), results.to_json())
    if not args.quiet:
        print(render(results, title=f"{assignment.rubric.assignment}: {report.submission}"))
        if args.show_output and report.student_output:
            from grader.text import clean

            print("\n--- the submission's own output ---")
            print(clean(report.student_output))  # its escapes cannot drive this terminal
    if report.sandbox is None or not report.sandbox.private_root:
        # Without a private filesystem a dropped prefetch's child could leave a hidden input in a
        # world-writable folder for the ordinary run's visible checks: no call plans there.
        prefetch.forget(rubric_path)
        return 0
    calls = planned_calls(execution_order(assignment.cases), assignment.rubric.limits)
    plan = prefetch.describe(assignment.loaded, calls, [assignment.loaded.path, assignment.reference_path],
                             imports_of(assignment.rubric))
    if early is None or plan != early.plan:
        prefetch.save(rubric_path, plan)  # for the next run of this rubric
    return 0


def _validate(args: argparse.Namespace) -> int:
    from grader.assignment import load_assignment
    from grader.paths import resolve_rubric
    from grader.validate import validate

    assignment = load_assignment(resolve_rubric(args.assignment))
    problems = validate(assignment, examples=None if args.examples is None else Path(args.examples))
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"{assignment.rubric.assignment}: rubric, reference and examples are consistent")
    return 0


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; given the command about to run, only what that command needs is imported."""
    parser = argparse.ArgumentParser(prog="grader", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade one submission")
    grade.add_argument("submission", help="the student's .py file, or a folder holding it")
    grade.add_argument("--assignment", required=True, help="assignment name (rubrics/NAME.yaml) or rubric path")
    grade.add_argument("--json", help="write Gradescope results.json here")
    grade.add_argument("--quiet", action="store_true", help="do not print the table")
    grade.add_argument("--show-output", action="store_true", help="print what the submission printed")
    grade.set_defaults(run=_grade)

    validate = commands.add_parser("validate", help="check a rubric, its reference and its examples")
    validate.add_argument("--assignment", required=True, help="assignment name or rubric path")
    validate.add_argument("--examples", help="examples folder (default: submissions_example/NAME)")
    validate.set_defaults(run=_validate)

    if command not in ("grade", "validate"):  # their modules are not needed (and cost ~60 ms)
        for name in _COMMAND_MODULES:
            importlib.import_module(name).register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser(_command(sys.argv[1:] if argv is None else argv)).parse_args(argv)
    try:
        return int(args.run(args))
    except GraderError as error:
        print(f"grader: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a grader bug: one line, and still a results file to read
        import traceback

        where = traceback.extract_tb(error.__traceback__)[-1]
        message = (f"internal error, please report it: {type(error).__name__}: {error} "
                   f"(at {Path(where.filename).name}:{where.lineno}; NUMGRADER_DEBUG=1 shows the whole traceback)")
        print(f"grader: {message}", file=sys.stderr)
        if os.environ.get("NUMGRADER_DEBUG", "").strip() == "1":
            traceback.print_exc()
        if getattr(args, "json", None):
            from grader.files import write_atomically
            from grader.results import error_results

            write_atomically(Path(args.json), error_results(message).to_json())
        return 2


def _command(words: list[str]) -> str | None:
    return next((w for w in words if not w.startswith("-")), None)


def entry() -> NoReturn:
    """The `grader` console script: main(), then a quick exit.

    For `grade`, two things first. The grader's own arrays are small: one BLAS thread, not a
    pool of them that spins beside the student's child for the few milliseconds of each
    product (~35 ms a run). And the warm worker (an interpreter, numpy) starts booting before
    anything else is imported.

    Tearing down the interpreter (numpy's and pydantic's modules, one by one) took ~40 ms of
    a ~0.3 s `grader grade`, after everything was done: results written and closed, the child
    gone. So exit handlers run and the streams are flushed, then the process ends without
    the teardown. With threads still running (none should be), exit the ordinary way instead.
    """
    command = _command(sys.argv[1:])
    if command in ("grade", "batch"):  # (a batch's workers are forked from it: one BLAS thread there too)
        from grader.boundary.environment import one_blas_thread

        one_blas_thread(os.environ)
    if command == "grade":
        from grader.boundary import portable, zygote

        if not portable.active():  # (no warm worker to fork from in the portable mode)
            with contextlib.suppress(OSError):  # if it cannot start now, `grade` tries again (or spawns)
                zygote.start_shared()
    code = main()
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
