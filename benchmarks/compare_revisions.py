"""Did a change move grading speed? This tree against an earlier revision, interleaved in one run.

    python3 benchmarks/compare_revisions.py --base REV [--reps 20] [--batch 200]

Timings on a shared machine drift by 10-20 % within an hour, so a figure from another run says
little about a change. This measures both trees alternately, one after the other, with this
project's `.venv` (run `make install` first): a cold `grader grade` of every HW2 example (each
tree with its own call-plan cache, saved by a first run), and with `--batch N` a `grader batch
--jobs 2` of N submissions. It prints the median and mean of each and the ratio head / base.

The base revision is checked out with `git worktree` into a folder only this user can read (it
holds an answer key), and removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
ENTRY = "import sys; sys.argv[0] = 'grader'; from grader.cli import entry; entry()"


def grader(tree: Path, cache: Path, *args: str) -> float:
    """Seconds for one `grader ARGS` run of `tree`'s grader (its own package first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "NUMGRADER_CACHE": str(cache)}
    started = time.perf_counter()
    subprocess.run([str(PYTHON), "-c", ENTRY, *args], env=env, cwd=tree, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def cold(tree: Path, cache: Path, out: Path) -> float:
    examples = sorted((tree / "submissions_example" / "hw2").glob("*.py"))
    return statistics.median(grader(tree, cache, "grade", str(e), "--assignment", str(tree / "rubrics" / "hw2.yaml"),
                                    "--quiet", "--json", str(out / "results.json")) for e in examples)


def batch(tree: Path, cache: Path, out: Path, count: int) -> float:
    source = out / "class"
    if not source.exists():
        examples = sorted((tree / "submissions_example" / "hw2").glob("*.py"))
        for i in range(count):
            (source / f"student{i:05d}").mkdir(parents=True)
            shutil.copyfile(examples[i % len(examples)], source / f"student{i:05d}" / "hw2.py")
    shutil.rmtree(out / "graded", ignore_errors=True)
    return grader(tree, cache, "batch", str(source), "--assignment", str(tree / "rubrics" / "hw2.yaml"),
                  "--out", str(out / "graded"), "--jobs", "2")


def summary(name: str, base: list[float], head: list[float]) -> str:
    mb, mh = statistics.median(base), statistics.median(head)
    return (f"{name}: base median {mb:.3f} s (mean {statistics.mean(base):.3f}), head median {mh:.3f} s "
            f"(mean {statistics.mean(head):.3f}); head / base {mh / mb:.3f}  [{len(base)} runs each]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the revision to compare with (a commit, tag or branch)")
    parser.add_argument("--reps", type=int, default=20, help="interleaved rounds of the cold runs")
    parser.add_argument("--batch", type=int, default=0, help="also time a batch of this many (5 rounds)")
    args = parser.parse_args()
    if not PYTHON.exists():
        sys.exit("no .venv: run `make install` first")
    private = Path(tempfile.mkdtemp(prefix="numgrader-revisions-"))  # mode 700: it holds an answer key
    base_tree = private / "base"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(base_tree), args.base], check=True)
    try:
        trees = {"base": base_tree, "head": ROOT}
        for tree in trees.values():
            subprocess.run([str(PYTHON), "-m", "compileall", "-q", "grader", "reference"], cwd=tree, check=True)
        work = {name: private / f"{name}-work" for name in trees}
        caches = {name: private / f"{name}-cache" for name in trees}
        for name in trees:
            work[name].mkdir()
            cold(trees[name], caches[name], work[name])  # saves each tree's call plans
        print(f"{os.cpu_count()} CPUs; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
              flush=True)
        colds: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.reps):
            for name in trees:
                colds[name].append(cold(trees[name], caches[name], work[name]))
        print(summary("cold grade (median of the examples)", colds["base"], colds["head"]), flush=True)
        if args.batch:
            batches: dict[str, list[float]] = {name: [] for name in trees}
            for _ in range(5):
                for name in trees:
                    batches[name].append(batch(trees[name], caches[name], work[name], args.batch))
            print(summary(f"batch of {args.batch}, --jobs 2", batches["base"], batches["head"]))
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_tree)], check=False)
        shutil.rmtree(private, ignore_errors=True)


if __name__ == "__main__":
    main()
