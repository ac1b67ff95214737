"""The kit's two commands: `grader student-kit` (build.py) and `grader check` (check.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from grader.kit.seal import BUNDLE_FOLDER


def _student_kit(args: argparse.Namespace) -> int:
    from grader.kit.build import build_kit

    warnings = build_kit(args.assignment, Path(args.out), install=args.install, force=args.force)
    for line in warnings:
        print(f"note: {line}")
    print(f"student kit written to {args.out}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from grader.errors import GraderError
    from grader.kit.check import run_check
    from grader.submission import submission_problem

    problem = submission_problem(Path(args.submission))
    if problem:  # README.md, a .csv: refused before anything runs, as `grader grade` refuses it
        raise GraderError(problem)
    return run_check(Path(args.submission), Path(args.kit) if args.kit else None, args.question, args.show_output)


def register(commands: Any) -> None:
    kit = commands.add_parser(
        "student-kit", help="write the template and visible checks for students",
        description="Write the student kit of an assignment into a folder: the template to fill in, a README, "
                    "the visible checks (without the answer key: fixed answers are only sealed) and the "
                    "checker's wheel, so that students run `grader check` on their own machine.")
    kit.add_argument("--assignment", required=True, help="assignment name (rubrics/NAME.yaml) or rubric path")
    kit.add_argument("--out", required=True, help="a new or empty folder to write the kit into")
    kit.add_argument("--force", action="store_true",
                     help="replace the kit already in --out (everything in that folder is replaced)")
    kit.add_argument("--install", help="the command that installs the checker, as your course gives it "
                                       "(default: the grader's wheel goes into the kit, and this installs it)")
    kit.set_defaults(run=_student_kit)

    check = commands.add_parser(
        "check", help="run the visible checks of a student kit on your file",
        description="Run the visible checks of a student kit on your work, as grading runs them (the same "
                    "messages, hints and time limits), and print what passed. Hidden checks run only when "
                    "you submit; so do the checks the kit can only run, not judge.")
    check.add_argument("submission", help="your .py file or .ipynb notebook (or the folder holding it)")
    check.add_argument("--question", help="only this question (e.g. 2.2 runs 2.2.1, 2.2.2, ...)")
    check.add_argument("--kit", help=f"the kit's folder (default: the one holding {BUNDLE_FOLDER}/ "
                                     "here, or beside your file)")
    check.add_argument("--show-output", action="store_true", help="print what your file printed")
    check.set_defaults(run=_check)
