"""The kit's two commands: `grader student-kit` (build.py) and `grader check` (check.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from grader.kit.seal import BUNDLE_FOLDER


def _student_kit(args: argparse.Namespace) -> int:
    from grader.kit.build import build_kit

    warnings = build_kit(args.assignment, Path(args.out), install=args.install)
    for line in warnings:
        print(f"note: {line}")
    print(f"student kit written to {args.out}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from grader.kit.check import run_check

    return run_check(Path(args.submission), Path(args.kit) if args.kit else None, args.question, args.show_output)


def register(commands: Any) -> None:
    kit = commands.add_parser("student-kit", help="write the template and visible checks for students")
    kit.add_argument("--assignment", required=True, help="assignment name (rubrics/NAME.yaml) or rubric path")
    kit.add_argument("--out", required=True, help="folder to write the kit into")
    kit.add_argument("--install", help="the command that installs the checker, as your course gives it "
                                       "(default: the grader's wheel goes into the kit, and this installs it)")
    kit.set_defaults(run=_student_kit)

    check = commands.add_parser("check", help="run the visible checks of a student kit on your file")
    check.add_argument("submission", help="your .py file or .ipynb notebook (or the folder holding it)")
    check.add_argument("--question", help="only this question (e.g. 2.2 runs 2.2.1, 2.2.2, ...)")
    check.add_argument("--kit", help=f"the kit's folder (default: the one holding {BUNDLE_FOLDER}/ "
                                     "here, or beside your file)")
    check.add_argument("--show-output", action="store_true", help="print what your file printed")
    check.set_defaults(run=_check)
