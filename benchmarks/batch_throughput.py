"""Throughput, peak memory and rerun cost of `grader batch` (issue 7's numbers).

    .venv/bin/python benchmarks/batch_throughput.py [--counts 200,1000] [--jobs 2] [--pools process,thread]

For each count, a class of that many students is made from copies of the example
submissions (submissions_example/hw2: right and wrong answers, mixed in turn), then
`grader batch` runs as a real subprocess, twice per pool:

- cold: nothing graded yet;
- rerun: everything already graded (what a rerun after a crash or an interrupt costs
  once the work is done: discovery, hashing, reading results, rewriting CSV and report).

CPU time (user + system of the whole tree, from getrusage) is reported per submission
too: on a shared machine the wall-clock numbers move with the load, the CPU cost hardly.
Memory is sampled every 50 ms over the whole process tree (the batch, its workers, the
students' child processes): the sum of RSS, and the sum of PSS (shared pages divided
among the processes that share them: closer to what the tree really costs). It must
stay flat as the count grows. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from proc_sampler import TreeSampler

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "submissions_example" / "hw2"
GRADER = Path(sys.executable).with_name("grader")
MB = 1024 * 1024


@dataclass
class Run:
    seconds: float
    cpu_seconds: float  # user + system, of the whole tree: what the batch cost, whatever else runs
    peak_rss_mb: float
    peak_pss_mb: float
    peak_parent_mb: float


def run(source: Path, out: Path, jobs: int, pool: str) -> Run:
    command = [str(GRADER), "batch", str(source), "--assignment", "hw2", "--out", str(out), "--jobs", str(jobs),
               "--pool", pool]
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with TreeSampler(0.05, process.pid, include_root=True) as sampler:  # the batch and all below it
        _, err = process.communicate()
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if process.returncode != 0:
        raise SystemExit(f"grader batch failed ({process.returncode}): {err}")
    return Run(seconds, cpu, sampler.peak_rss / MB, sampler.peak_pss / MB, sampler.peak_root_rss / MB)


def make_class(target: Path, count: int) -> None:
    examples = sorted(EXAMPLES.glob("*.py"))
    for i in range(count):
        folder = target / f"student{i:05d}"
        folder.mkdir(parents=True)
        shutil.copyfile(examples[i % len(examples)], folder / "hw2.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="200,1000")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pools", default="process,thread")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    pools = args.pools.split(",")
    print(f"grader batch, --jobs {args.jobs}, {os.cpu_count()} CPUs; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as folder:
        for count in counts:
            source = Path(folder) / f"class{count}"
            make_class(source, count)
            for pool in pools:
                out = Path(folder) / f"out-{count}-{pool}"
                cold = run(source, out, args.jobs, pool)
                rerun = run(source, out, args.jobs, pool)
                rows.append((count, pool, cold, rerun))
                print(f"  {count} submissions, {pool} pool: {cold.seconds:.1f} s cold, {rerun.seconds:.2f} s rerun",
                      flush=True)
                shutil.rmtree(out)
    print()
    print("| submissions | pool | cold: s | submissions/s | CPU ms per submission | peak RSS, tree (MB) "
          "| peak PSS, tree (MB) | peak RSS, batch process (MB) | rerun, all graded: s | rerun peak PSS (MB) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for count, pool, cold, rerun in rows:
        print(f"| {count} | {pool} | {cold.seconds:.1f} | {count / cold.seconds:.1f} "
              f"| {1000 * cold.cpu_seconds / count:.0f} | {cold.peak_rss_mb:.0f} | {cold.peak_pss_mb:.0f} "
              f"| {cold.peak_parent_mb:.0f} | {rerun.seconds:.2f} | {rerun.peak_pss_mb:.0f} |")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
