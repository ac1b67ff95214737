"""The `grader batch` command (run.py does the work)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from grader.batch import cluster_cli
from grader.batch.report import STATUSES
from grader.batch.run import POOLS, default_jobs, run_batch


def _command(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if cluster_cli.wanted(args):
        cluster_cli.check(args)
    outcome = run_batch(Path(args.source), args.assignment, out, jobs=args.jobs, force=args.force,
                        scheduler=args.scheduler, pool=args.pool, compare=Path(args.compare) if args.compare else None,
                        manual=Path(args.manual) if args.manual else None,
                        extensions=Path(args.extensions) if args.extensions else None)
    for warning in outcome.warnings:
        print(f"grader: warning: {warning}", file=sys.stderr)
    if outcome.ignored:
        shown = ", ".join(outcome.ignored[:10]) + (" ..." if len(outcome.ignored) > 10 else "")
        print(f"grader: ignored (not submissions): {shown}", file=sys.stderr)
    counts = ", ".join(f"{outcome.counts.get(s, 0)} {s}" for s in STATUSES if s == "graded" or outcome.counts.get(s))
    done = sum(outcome.counts.values())
    print(f"{args.assignment}: {done} of {outcome.total} submissions have results ({counts}); "
          f"{outcome.graded_now} graded now, {outcome.skipped} already graded")
    print(f"wrote {out / 'grades.csv'} (and canvas.csv for Canvas's gradebook import), {out / 'report.html'} "
          f"(a page per student in {out / 'students'}/) and {out / 'results'}/")
    for line in outcome.comparison:
        print(line)
    cluster_cli.after_batch(args, out, outcome.interrupted)
    if outcome.interrupted:
        print("grader: interrupted; grades.csv and report.html cover the results written so far. "
              "Run the same command again to grade the rest.", file=sys.stderr)
        return 130
    return 0


def register(subparsers: Any) -> None:
    batch = subparsers.add_parser(
        "batch", help="grade every submission in a folder, zip or Gradescope export",
        description="Grade a class in parallel: results JSON per submission, grades.csv and report.html in OUTDIR. "
                    "A rerun grades only what changed.")
    batch.add_argument("source", help="folder with one file or folder per student, a zip of one, "
                                      "or a Gradescope 'Export Submissions' zip")
    batch.add_argument("--assignment", required=True, help="assignment name (rubrics/NAME.yaml) or rubric path")
    batch.add_argument("--out", required=True, help="output folder (created; reused by a rerun)")
    batch.add_argument("--jobs", type=int, default=None,
                       help=f"submissions graded at once (default: the CPUs available, here {default_jobs()})")
    batch.add_argument("--force", action="store_true", help="regrade submissions that already have a result")
    batch.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786")
    batch.add_argument("--compare", metavar="OLD_OUTDIR",
                       help="an earlier batch's output folder: show per student the old and the new score and the "
                            "checks that flipped, decreases first (a regrade preview), here and in the report")
    batch.add_argument("--manual", metavar="SCORES.csv",
                       help="the graders' filled-in manual.csv: its scores (each within its question's points) are "
                            "merged into grades.csv, canvas.csv and the report, and kept for later runs")
    batch.add_argument("--extensions", metavar="FILE.csv",
                       help="students' own due dates for the rubric's late policy: a CSV with a `due` column "
                            "(2026-10-01T23:59:00-07:00) and `id`, `sid` or `email` (docs/batch.md)")
    batch.add_argument("--pool", choices=POOLS, default="process",
                       help="local parallelism: worker processes (default) or threads")
    cluster_cli.add_options(batch, batch=True)
    batch.set_defaults(run=_command)
    cluster_cli.register(subparsers)
