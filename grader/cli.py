"""The `grader` command. Exit 0 when grading completed (whatever the score), 2 when it could not;
`validate` exits 1 when it finds the rubric, reference and examples disagree.

Heavy imports stay inside the commands, so `grader --help` is instant. A usage error (a bad
argument, an unknown assignment, a file that is no submission) is found before any process
is started, and ends in one line.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from grader import __version__
from grader.errors import GraderError

if TYPE_CHECKING:
    from grader.boundary.prefetch import Prefetch
    from grader.results import Results

DESCRIPTION = ("Grade numeric homework: each submission runs in an isolated child process, the grader "
               "compares its answers with the reference and writes Gradescope's results.json and a table.")

# Commands that live beside the code they run: each module has `register(subparsers)` and
# keeps its heavy imports inside the command function, so `grader --help` stays instant.
_COMMAND_MODULES: tuple[str, ...] = ("grader.batch.cli", "grader.kit.cli", "grader.gradescope.cli")


def _grade(args: argparse.Namespace) -> int:
    from grader.boundary import portable, prefetch
    from grader.paths import resolve_rubric
    from grader.submission import submission_problem

    # Every usage error first: no warm worker or child has started yet, so none can be left
    # to complain (a worker still booting prints a BrokenPipeError when its socket closes).
    rubric_path = resolve_rubric(args.assignment)
    _refuse_output_file("--json", args.json, "results.json")
    problem = submission_problem(Path(args.submission))
    if problem:
        raise GraderError(problem)
    if portable.active():  # no warm worker to fork from, and no private filesystem for a plan's child
        return _grade_with(args, rubric_path, None)
    # The warm worker boots (an interpreter, numpy) while this process imports the grader and
    # loads the assignment; the child is then forked from it (zygote.py). With a saved call
    # plan, the child starts and runs its calls meanwhile too (prefetch.py).
    with _warm_worker():
        early = prefetch.start(rubric_path, Path(args.submission))
        try:
            return _grade_with(args, rubric_path, early)
        finally:
            if early is not None:
                early.close()


@contextlib.contextmanager
def _warm_worker() -> Iterator[None]:
    """The warm worker for one command, ended by a signal when the command is done: nothing in
    it is needed any more (its children are gone), and one still booting (an early error)
    would otherwise print a BrokenPipeError when its socket closes under it."""
    from grader.boundary import zygote

    with contextlib.ExitStack() as stack:
        warm = None
        with contextlib.suppress(OSError):  # it cannot start: each child is spawned instead
            warm = stack.enter_context(zygote.serving())
        try:
            yield
        finally:
            if warm is not None and warm.alive:  # (not reaped yet: its pid is still its own)
                with contextlib.suppress(OSError):
                    os.kill(warm.pid, signal.SIGKILL)


def _refuse_output_file(option: str, value: str | None, example: str) -> None:
    """A file named on the command line that cannot be written is refused before any work."""
    from grader.files import file_problem

    path = Path(value) if value else None
    problem = file_problem(path) if path is not None else None
    if path is not None and problem:
        hint = f": name the file to write in it (e.g. {path / example})" if path.is_dir() else ""
        raise GraderError(f"{option} {value}: {problem}{hint}")


def _write(option: str, path: Path, text: str) -> None:
    """Write an output file the user named; a failure is theirs to fix, said in one line."""
    from grader.files import write_atomically

    try:
        write_atomically(path, text)
    except OSError as error:
        raise GraderError(f"{option} {path}: cannot write it: {error.strerror or error}") from None


def _grade_with(args: argparse.Namespace, rubric_path: Path, early: Prefetch | None) -> int:
    from grader.assignment import load_assignment
    from grader.boundary import prefetch
    from grader.errors import MissingFile
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
            _write("--json", Path(args.json), results.to_json())
        if not args.quiet:
            print(render(results, title=f"{assignment.rubric.assignment}: {args.submission}", whole=args.verbose))
        return 0
    results = to_results(report)
    if args.json:
        _write("--json", Path(args.json), results.to_json())
    if not args.quiet:
        print(render(results, title=f"{assignment.rubric.assignment}: {report.submission}", whole=args.verbose))
        if args.show_output and report.student_output:
            from grader.text import clean

            print("\n--- the submission's own output ---")
            print(clean(report.student_output))  # its escapes cannot drive this terminal
    if report.sandbox is None or not report.sandbox.private_root:
        # Without a private filesystem a dropped prefetch's child could leave a hidden input in a
        # world-writable folder for the ordinary run's visible checks: no call plans there.
        prefetch.forget(rubric_path)
        return 0
    calls = planned_calls(execution_order(assignment.calls), assignment.rubric.limits)
    plan = prefetch.describe(assignment.loaded, calls, [assignment.loaded.path, assignment.reference_path],
                             imports_of(assignment.rubric))
    if early is None or plan != early.plan:
        prefetch.save(rubric_path, plan)  # for the next run of this rubric
    return 0


def _validate(args: argparse.Namespace) -> int:
    from grader.assignment import load_assignment
    from grader.paths import resolve_rubric
    from grader.validate import validate

    if not args.mutants and (args.json or args.report or args.only or args.jobs):
        raise GraderError("--json, --report, --only and --jobs go with --mutants")
    if args.jobs is not None and args.jobs < 1:
        raise GraderError("--jobs must be at least 1")
    _refuse_output_file("--json", args.json, "mutants.json")
    _refuse_output_file("--report", args.report, "mutants.html")
    assignment = load_assignment(resolve_rubric(args.assignment))
    problems = validate(assignment, examples=None if args.examples is None else Path(args.examples))
    for line in problems:
        print(line)
    holes = 0
    if args.mutants:  # (after validate: its own grading runs in this process, the pool's forks do not inherit it)
        from grader.mutants.command import mutation_check

        only = [name for part in args.only or () for name in part.split(",") if name]
        run = mutation_check(assignment, jobs=args.jobs, only=only or None,
                             json_path=Path(args.json) if args.json else None,
                             report_path=Path(args.report) if args.report else None)
        holes = len(run.holes)
        if holes:
            print(f"{holes} mutant(s) survive every check, unjustified", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
    if problems or holes:
        return 1
    print(f"{assignment.rubric.assignment}: rubric, reference and examples are consistent"
          + ("; every mutant is killed, equivalent or justified" if args.mutants else ""))
    return 0


def _show(args: argparse.Namespace) -> int:
    from grader.table import render

    path = Path(args.results)
    print(render(read_results(path), title=str(path), whole=True))
    return 0


def read_results(path: Path) -> Results:
    """A results.json as `grader grade --json` writes it; anything else is one line that says so."""
    from pydantic import ValidationError

    from grader.results import Results

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        why = "not UTF-8 text" if isinstance(error, UnicodeDecodeError) else error.strerror or str(error)
        raise GraderError(f"{path}: cannot read it: {why}") from None
    try:
        return Results.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the top level"
        raise GraderError(f"{path}: not a results.json as `grader grade --json` writes it: "
                          f"{where}: {first['msg']}") from None


def _new(args: argparse.Namespace) -> int:
    from grader.skeleton import write_skeleton

    folder = Path(args.into)
    for path in write_skeleton(args.name, folder):
        print(f"wrote {path}")
    rubric = folder / "rubrics" / f"{args.name}.yaml"
    print(f"next: grader validate --assignment {rubric}   (then edit the four files, and validate again)")
    return 0


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; given the command about to run, only what that command needs is imported."""
    parser = argparse.ArgumentParser(prog="grader", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser(
        "grade", help="grade one submission",
        description="Grade one submission (a .py file, a .ipynb notebook, or a folder holding one) against an "
                    "assignment's rubric: its code runs in an isolated child process, the grader judges its "
                    "answers and prints a table; --json also writes Gradescope's results.json. Exit 0 when "
                    "grading completed, whatever the score; 2 when it could not.")
    grade.add_argument("submission", help="the student's .py file or .ipynb notebook, or a folder holding it")
    grade.add_argument("--assignment", required=True, help="assignment name (rubrics/NAME.yaml) or rubric path")
    grade.add_argument("--json", metavar="FILE", help="write Gradescope results.json to this file")
    grade.add_argument("--quiet", action="store_true", help="do not print the table")
    grade.add_argument("--verbose", action="store_true",
                       help="below the table, every message whole (the table cuts them to fit)")
    grade.add_argument("--show-output", action="store_true", help="print what the submission printed")
    grade.set_defaults(run=_grade)

    validate = commands.add_parser(
        "validate", help="check a rubric, its reference and its examples",
        description="Check that an assignment holds together: the reference scores full marks on every "
                    "autograded check, and every example submission scores what its expected.yaml declares, "
                    "failing exactly the checks it lists; every known mistake is named by its own check. With "
                    "--mutants, mutants of the reference are graded too. Exit 0 when all agree, 1 when not (each "
                    "problem on a line, or a mutant that survives), 2 when it could not run.")
    validate.add_argument("--assignment", required=True, help="assignment name (rubrics/NAME.yaml) or rubric path")
    validate.add_argument("--examples", help="examples folder (default: submissions_example/NAME)")
    validate.add_argument("--mutants", action="store_true",
                          help="also grade mutants of the reference (one small mistake each) and calibrate the numeric "
                               "tolerances; exit 1 when a mutant survives every check unjustified (docs/mutants.md)")
    validate.add_argument("--jobs", type=int, help="with --mutants: mutants graded at once (default: the CPUs)")
    validate.add_argument("--only", action="append", metavar="ID",
                          help="with --mutants: only these mutants (ids, keys or function names; comma-separated)")
    validate.add_argument("--json", metavar="FILE", help="with --mutants: write every mutant and the calibration here")
    validate.add_argument("--report", metavar="FILE", help="with --mutants: write the run as an HTML page here")
    validate.set_defaults(run=_validate)

    show = commands.add_parser(
        "show", help="print a results.json as the terminal table",
        description="Print one results file (Gradescope's results.json, as `grader grade --json` writes it) "
                    "as the table `grader grade` prints, then every message that is not a pass whole, "
                    "below the table.")
    show.add_argument("results", help="the results.json file")
    show.set_defaults(run=_show)

    new = commands.add_parser(
        "new", help="write a new assignment's files, ready to edit",
        description="Write the skeleton of an assignment: rubrics/NAME.yaml, reference/NAME.py, templates/NAME.py "
                    "and submissions_example/NAME/ (two examples and their expected.yaml). It validates as "
                    "written; edit it from there. Nothing is overwritten.")
    new.add_argument("name", help="the assignment's name (lower case), e.g. hw3")
    new.add_argument("--into", default=".", help="the course folder to write into (default: here)")
    new.set_defaults(run=_new)

    if command not in ("grade", "validate", "show"):  # their modules are not needed (and cost ~60 ms)
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
    except BrokenPipeError:  # `grader show results.json | head`: the reader has what it wanted
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
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

            with contextlib.suppress(OSError):  # (the message above is already out)
                write_atomically(Path(args.json), error_results(message).to_json())
        return 2


def _command(words: list[str]) -> str | None:
    return next((w for w in words if not w.startswith("-")), None)


def entry() -> NoReturn:
    """The `grader` console script: main(), then a quick exit.

    For `grade` and `batch`, one thing first: the grader's own arrays are small: one BLAS
    thread, not a pool of them that spins beside the student's child for the few milliseconds
    of each product (~35 ms a run). (The warm worker starts only once the arguments are found
    sound, in `_grade`: started before, a usage error left it to print a traceback.)

    Tearing down the interpreter (numpy's and pydantic's modules, one by one) took ~40 ms of
    a ~0.3 s `grader grade`, after everything was done: results written and closed, the child
    gone. So exit handlers run and the streams are flushed, then the process ends without
    the teardown. With threads still running (none should be), exit the ordinary way instead.
    """
    command = _command(sys.argv[1:])
    if command in ("grade", "batch"):  # (a batch's workers are forked from it: one BLAS thread there too)
        from grader.boundary.environment import one_blas_thread

        one_blas_thread(os.environ)
    code = main()
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
