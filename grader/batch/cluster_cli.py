"""The options of `grader batch` that ask for the clusters (findings.py), and `grader clusters
OUTDIR --assignment NAME`, which finds them in an existing OUTDIR without grading again."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from grader.batch.collusion import DEFAULT_THRESHOLD


def add_options(parser: argparse.ArgumentParser, *, batch: bool) -> None:
    """The clusters' options; for `grader batch`, `--clusters` and `--clusters-mutants` ask for them."""
    mutants = "--clusters-mutants" if batch else "--mutants"
    if batch:
        parser.add_argument("--clusters", action="store_true",
                            help="after grading, cluster the class's wrong answers per check case into "
                                 "OUTDIR/clusters.html and clusters.json (docs/clusters.md)")
    parser.add_argument(mutants, dest="clusters_mutants", action="store_true",
                        help="also run the reference's mutants and name those that reproduce a cluster"
                             + (" (implies --clusters)" if batch else ""))
    parser.add_argument("--cluster-min-size", type=int, default=2, metavar="N",
                        help="smallest cluster reported (default 2)")
    parser.add_argument("--collusion-threshold", type=float, default=DEFAULT_THRESHOLD, metavar="SCORE",
                        help="list pairs of submissions whose rare shared wrong answers score more than this "
                             f"(default {DEFAULT_THRESHOLD:g}; docs/clusters.md says how it is counted)")


def wanted(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "clusters", False) or args.clusters_mutants)


def check(args: argparse.Namespace) -> None:
    """Usage errors, before anything is graded."""
    from grader.errors import GraderError

    if args.cluster_min_size < 2:
        raise GraderError("--cluster-min-size must be at least 2")
    if not args.collusion_threshold >= 0:
        raise GraderError("--collusion-threshold must be a number, 0 or more")


def run(args: argparse.Namespace, out: Path) -> list[str]:
    """Find and write the clusters of OUTDIR; the lines to print."""
    from grader.assignment import load_assignment
    from grader.batch.cluster_page import summary_lines
    from grader.batch.findings import Options, find, write
    from grader.batch.links import link_clusters
    from grader.paths import resolve_rubric

    assignment = load_assignment(resolve_rubric(args.assignment))
    options = Options(min_size=args.cluster_min_size, threshold=args.collusion_threshold,
                      mutants=args.clusters_mutants, jobs=getattr(args, "jobs", None))
    findings = find(out, assignment, options)
    write(out, findings, datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    link_clusters(out)  # the report, written before the page, now links it
    return summary_lines(findings, str(out / "clusters.html"))


def _command(args: argparse.Namespace) -> int:
    from grader.errors import GraderError

    out = Path(args.outdir)
    check(args)
    if not (out / "results").is_dir():
        raise GraderError(f"{out} is no batch's output folder (it has no results/)")
    for line in run(args, out):
        print(line)
    return 0


def register(subparsers: Any) -> None:
    clusters = subparsers.add_parser(
        "clusters", help="cluster a graded batch's wrong answers, with mistakes to paste and pairs to look at",
        description="Read OUTDIR's results and answers (written by `grader batch`), cluster the wrong answers "
                    "per check case, and write OUTDIR/clusters.html and clusters.json; nothing is graded again.")
    clusters.add_argument("outdir", help="the output folder of `grader batch`")
    clusters.add_argument("--assignment", required=True, help="assignment name (rubrics/NAME.yaml) or rubric path")
    add_options(clusters, batch=False)
    clusters.add_argument("--jobs", type=int, default=None, help="mutants graded at once (with --mutants)")
    clusters.set_defaults(run=_command)


def after_batch(args: argparse.Namespace, out: Path, interrupted: bool) -> None:
    """At the end of `grader batch`, when the clusters were asked for and it was not interrupted."""
    if wanted(args) and not interrupted:
        for line in run(args, out):
            print(line)
    elif wanted(args):
        print("grader: interrupted: no clusters (`grader clusters OUTDIR` finds them later)", file=sys.stderr)
