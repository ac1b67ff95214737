#!/usr/bin/env python3
"""Grade the same HW2 submissions with the same checks four ways, and compare speed and memory.

One command, from the project's root (any python3 >= 3.10 runs it; it only starts processes):

    python3 benchmarks/compare_graders.py            # full run: ~20 min on 2 cores (otter dominates)
    python3 benchmarks/compare_graders.py --quick    # smoke test, ~1.5 min: 3 reps, 10 submissions (2 for otter)

It sets up what it needs first: the project's .venv (`make install`, if missing), and a separate
venv for the anchors, benchmarks/.venv, from benchmarks/requirements.txt + constraints.txt (only
when missing or when those files changed). Nothing is added to the project's dependencies.

The four ways (each grades a fresh copy of the submission, named hw2.py, in a fresh folder):
  grader       this project: `grader grade hw2.py --assignment hw2 --json ...` (one cold process,
               full isolation), and `grader batch DIR --assignment hw2 --out OUT --jobs 2` for the
               batches ("n/a" while the batch command does not exist)
  gsu          gradescope-utils' JSONTestRunner: a fresh `python run_tests.py` per submission that
               imports the student's module in-process and writes results.json (as on Gradescope)
  pytest       the same checks as a plain pytest suite, one `pytest` process per submission
  otter        `otter run -a autograder.zip` (zip built by `otter generate` from OK-format tests):
               the submission runs in a Jupyter kernel (ipykernel), no Docker
"The same checks": anchors/make_fixtures.py dumps every case of rubrics/hw2.yaml (function, args,
expected value, comparator and tolerances, points) to anchors/fixtures/hw2_cases.json, and all
three anchors judge with anchors/hw2_checks.py, which mirrors our comparators and judges.

Measured:
  cold      median wall time of one submission graded from the command line (--reps runs, the
            examples in turn, ways interleaved, after one untimed warm-up run each). For this
            project twice: as it runs every time but the first (the warm-up run saved the rubric's
            call plan, grader/boundary/prefetch.py), and with NUMGRADER_CACHE=off, as on a rubric's first run
  thru      throughput on --count submissions (copies of the 8 examples, mixed right and wrong):
            anchors serially, one process per submission; this project with `grader batch --jobs 2`
            (and, for reference, `grader grade` with 2 processes at a time)
  memory    peak memory of the whole process tree (sum of RSS, and of PSS, sampled from /proc)
  overhead  this project's batch time per submission for anchors/instant.py (functions that
            return at once) at several batch sizes: the grader's own cost, and whether it is flat
  1000      peak memory of a 1,000-submission batch (--jobs 2)
and the issue-8 targets, met / not met. Printed, and written to benchmarks/results/latest.json
and latest.md (--quick: quick.json, quick.md), with the date and the machine. OPENBLAS_* and
every other environment variable are passed unchanged to all four ways.

Options: --quick, --reps N, --count N, --otter-count N, --ways grader,gsu,pytest,otter,
--parts cold,instant,memory,throughput,overhead,batch1000 (e.g. `--parts cold` for a 2-minute check),
--skip-1000, --profile (adds profile_grade.py + a py-spy flame graph of one cold `grader grade`), --no-setup,
--render results/latest.json (rebuild the table from a saved run).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proc_sampler import TreeSampler, cpu_snapshot, others_cores

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ANCHORS = BENCH / "anchors"
WORK = BENCH / "work"
RESULTS = BENCH / "results"
BVENV = BENCH / ".venv"
BBIN = BVENV / "bin"
PBIN = ROOT / ".venv" / "bin"
GRADER = PBIN / "grader"
EXAMPLES = ROOT / "submissions_example" / "hw2"
INSTANT = ANCHORS / "instant.py"
MB = 1024 * 1024

PARTS = ("cold", "instant", "memory", "throughput", "overhead", "batch1000")
DISTURBED = 0.25  # cores kept busy by other processes, above which wall times are flagged

TARGETS = {
    "cold_vs_gsu": 1.5,       # grader cold time <= 1.5 x gradescope-utils
    "otter_vs_cold": 20.0,    # otter run >= 20 x grader cold time
    "batch_vs_gsu": 5.0,      # grader batch throughput >= 5 x gsu serial throughput
    "overhead_ms": 10.0,      # grader time per instant submission in a batch <= 10 ms
    "flat_ratio": 1.25,       # marginal cost per submission at large N <= 1.25 x at small N (+1 ms)
    "batch1000_mb": 400.0,    # peak memory of a 1,000-submission batch < 400 MB
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- set-up --------------------------------------------------------------------------------


def _stamp() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.txt", "constraints.txt"):
        digest.update((BENCH / name).read_bytes())
    return digest.hexdigest()


def ensure_venvs() -> None:
    if not GRADER.exists():
        log("the project's .venv is missing: make install")
        subprocess.run(["make", "install"], cwd=ROOT, check=True)
    stamp_file = BVENV / ".bench-stamp"
    if stamp_file.is_file() and stamp_file.read_text() == _stamp():
        return
    log("creating benchmarks/.venv for the anchors (gradescope-utils, pytest, otter-grader, ipykernel)")
    python = sys.executable if sys.version_info >= (3, 10) else "python3"
    if not (BBIN / "python").exists():
        subprocess.run([python, "-m", "venv", str(BVENV)], check=True)
    pip = [str(BBIN / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-r", str(BENCH / "requirements.txt"), "-c", str(BENCH / "constraints.txt")], check=True)
    stamp_file.write_text(_stamp())


def make_fixtures() -> None:
    subprocess.run([str(PBIN / "python"), str(ANCHORS / "make_fixtures.py")], check=True, cwd=ROOT)


def build_otter_zip() -> Path:
    """`otter generate` over the OK-format tests, with hw2_checks.py + the fixture as support files."""
    stage = WORK / "otter-build"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "hw2_anchor").mkdir(parents=True)
    shutil.copytree(ANCHORS / "otter" / "tests", stage / "tests")
    shutil.copy(ANCHORS / "hw2_checks.py", stage / "hw2_anchor" / "hw2_checks.py")
    shutil.copy(ANCHORS / "fixtures" / "hw2_cases.json", stage / "hw2_anchor" / "hw2_cases.json")
    shutil.copy(ANCHORS / "otter" / "otter_config.json", stage / "otter_config.json")
    zip_path = WORK / "otter-autograder.zip"
    subprocess.run([str(BBIN / "otter"), "generate", "-t", "tests", "-o", str(zip_path), "-c", "otter_config.json",
                    "--no-requirements", "--no-environment", "hw2_anchor"],
                   cwd=stage, check=True, stdout=subprocess.DEVNULL)
    return zip_path


def batch_available() -> bool:
    try:
        done = subprocess.run([str(GRADER), "batch", "--help"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def submissions_dir(kind: str, count: int) -> Path:
    """WORK/subs/KIND-COUNT/s0000/hw2.py ...: one folder per student, as `grader batch` reads them."""
    folder = WORK / "subs" / f"{kind}-{count}"
    if folder.is_dir() and len(list(folder.iterdir())) == count:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    sources = sorted(EXAMPLES.glob("*.py")) if kind == "mixed" else [INSTANT]
    for i in range(count):
        student = folder / f"s{i:04d}"
        student.mkdir(parents=True)
        shutil.copy(sources[i % len(sources)], student / "hw2.py")
    return folder


# -- measuring processes -------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    rc: int
    maxrss_mb: float          # largest single process of the tree (getrusage of the waited child)
    cpu: float = 0.0          # user + system CPU seconds of the process and its waited descendants
    score: Any = None
    error: str = ""


def run_process(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 1800) -> Run:
    """Start argv, wait for it; wall time from start to exit. Output goes to files in cwd."""
    out = open(cwd / ".stdout", "wb")  # noqa: SIM115
    err = open(cwd / ".stderr", "wb")  # noqa: SIM115
    started = time.perf_counter()
    try:
        process = subprocess.Popen(list(map(str, argv)), cwd=cwd, env=env, stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        out.close()
        err.close()
    return Run(wall, process.returncode, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def _tail(path: Path, lines: int = 3) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


# -- the four ways -------------------------------------------------------------------------


@dataclass
class Way:
    key: str
    label: str
    argv: Callable[[Path], list[str]]           # folder holding hw2.py -> command
    score: Callable[[Path, Run], Any]           # folder, run -> score (or raise)
    ok_codes: tuple[int, ...] = (0,)
    env: dict[str, str] | None = None

    def grade(self, source: Path, base: Path) -> Run:
        folder = Path(tempfile.mkdtemp(prefix=f"{self.key}-", dir=base))
        try:
            shutil.copy(source, folder / "hw2.py")
            env = dict(os.environ, **(self.env or {}), HW2_SUBMISSION_DIR=str(folder))
            run = run_process(self.argv(folder), folder, env)
            if run.rc not in self.ok_codes:
                run.error = f"exit {run.rc}: {_tail(folder / '.stderr')}"
            else:
                try:
                    run.score = self.score(folder, run)
                except Exception as error:
                    run.error = f"no result: {type(error).__name__}: {error}; {_tail(folder / '.stderr')}"
            return run
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _json_score(path: Path) -> float:
    data = json.loads(path.read_text())
    if "score" in data:
        return round(float(data["score"]), 6)
    return round(sum(float(t.get("score") or 0) for t in data["tests"]), 6)


def _pytest_score(folder: Path, run: Run) -> str:
    text = (folder / ".stdout").read_text(errors="replace")
    passed = sum(int(n) for n in re.findall(r"(\d+) passed", text.splitlines()[-1]))
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|error)", text.splitlines()[-1]))
    if passed + failed == 0:
        raise ValueError("no pytest summary line")
    return f"{passed}/{passed + failed} passed"


def make_ways(otter_zip: Path | None) -> dict[str, Way]:
    ways = {
        "grader": Way("grader", "this project: grader grade (cold, isolated)",
                      lambda d: [GRADER, "grade", d / "hw2.py", "--assignment", "hw2", "--json", d / "results.json",
                                 "--quiet"],
                      lambda d, r: _json_score(d / "results.json")),
        # The same, with the grader's cache turned off: no saved call plan (prefetch.py), as on the very
        # first run of a rubric on a machine. `grader` has the plan its warm-up run saved.
        "grader-noplan": Way("grader-noplan", "this project: grader grade, first run of the rubric",
                             lambda d: [GRADER, "grade", d / "hw2.py", "--assignment", "hw2", "--json",
                                        d / "results.json", "--quiet"],
                             lambda d, r: _json_score(d / "results.json"), env={"NUMGRADER_CACHE": "off"}),
        "gsu": Way("gsu", "gradescope-utils JSONTestRunner",
                   lambda d: [BBIN / "python", ANCHORS / "gradescope_utils" / "run_tests.py", d, d / "results.json"],
                   lambda d, r: _json_score(d / "results.json")),
        "pytest": Way("pytest", "plain pytest",
                      lambda d: [BBIN / "pytest", "-q", "-p", "no:cacheprovider", ANCHORS / "pytest_suite"],
                      _pytest_score, ok_codes=(0, 1)),
    }
    if otter_zip is not None:
        ways["otter"] = Way("otter", "otter run (Jupyter kernel, no Docker)",
                            lambda d: [BBIN / "otter", "run", "-a", otter_zip, "-o", d, "--no-logo", d / "hw2.py"],
                            lambda d, r: _json_score(d / "results.json"))
    return ways


# -- the measurements ----------------------------------------------------------------------


def measure_cold(ways: dict[str, Way], sources: list[Path], reps: int, base: Path) -> dict[str, list[Run]]:
    """reps runs per way, one submission each (the examples in turn), ways interleaved."""
    runs: dict[str, list[Run]] = {k: [] for k in ways}
    order = list(ways)
    for way in ways.values():  # warm-up: page cache, .pyc files
        way.grade(sources[0], base)
    for i in range(reps):
        source = sources[i % len(sources)]
        rotated = order[i % len(order):] + order[:i % len(order)]
        for key in rotated:
            run = ways[key].grade(source, base)
            run.score = (source.stem, run.score)
            runs[key].append(run)
    return runs


def measure_memory_single(way: Way, source: Path, times: int, base: Path) -> dict[str, float]:
    peak_rss = peak_pss = 0
    for _ in range(times):
        with TreeSampler(0.005) as sampler:
            way.grade(source, base)
        peak_rss, peak_pss = max(peak_rss, sampler.peak_rss), max(peak_pss, sampler.peak_pss)
    return {"tree_rss_mb": peak_rss / MB, "tree_pss_mb": peak_pss / MB}


def measure_serial(way: Way, folder: Path, start: int, stop: int, base: Path) -> dict[str, Any]:
    students = sorted(folder.iterdir())[start:stop]
    errors: list[str] = []
    walls: list[float] = []
    cpus: list[float] = []
    before = cpu_snapshot()
    with TreeSampler(0.05) as sampler:
        started = time.perf_counter()
        for student in students:
            run = way.grade(student / "hw2.py", base)
            walls.append(run.wall)
            cpus.append(run.cpu)
            if run.error:
                errors.append(f"{student.name}: {run.error}")
        total = time.perf_counter() - started
    return {"count": len(students), "seconds": total, "per_second": len(students) / total,
            "median_wall": statistics.median(walls), "errors": len(errors), "first_errors": errors[:3],
            "cpu_seconds": sum(cpus), "cpu_per_submission_ms": 1000 * sum(cpus) / len(cpus),
            "others_cores": others_cores(before, cpu_snapshot()), "walls": walls,
            "tree_rss_mb": sampler.peak_rss / MB, "tree_pss_mb": sampler.peak_pss / MB}


def merge_serial(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds of one anchor's throughput run, as one run."""
    count = sum(p["count"] for p in parts)
    seconds = sum(p["seconds"] for p in parts)
    walls = [w for p in parts for w in p["walls"]]
    return {"count": count, "seconds": seconds, "per_second": count / seconds, "median_wall": statistics.median(walls),
            "errors": sum(p["errors"] for p in parts),
            "first_errors": [e for p in parts for e in p["first_errors"]][:3],
            "cpu_per_submission_ms": 1000 * sum(p["cpu_seconds"] for p in parts) / count,
            "others_cores": sum(p["others_cores"] * p["seconds"] for p in parts) / seconds,
            "tree_rss_mb": max(p["tree_rss_mb"] for p in parts), "tree_pss_mb": max(p["tree_pss_mb"] for p in parts),
            "rounds": len(parts)}


def measure_parallel_grade(folder: Path, count: int, jobs: int, base: Path) -> dict[str, Any]:
    """For reference: `grader grade` once per submission, `jobs` processes at a time (no batch)."""
    students = sorted(folder.iterdir())[:count]
    way = make_ways(None)["grader"]
    errors: list[str] = []
    lock = threading.Lock()
    queue = list(students)

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                student = queue.pop()
            run = way.grade(student / "hw2.py", base)
            if run.error:
                with lock:
                    errors.append(f"{student.name}: {run.error}")

    before = cpu_snapshot()
    with TreeSampler(0.05) as sampler:
        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(jobs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = time.perf_counter() - started
    return {"count": len(students), "seconds": total, "per_second": len(students) / total, "errors": len(errors),
            "first_errors": errors[:3], "others_cores": others_cores(before, cpu_snapshot()),
            "tree_rss_mb": sampler.peak_rss / MB, "tree_pss_mb": sampler.peak_pss / MB}


def measure_batch(folder: Path, base: Path, jobs: int = 2, interval: float = 0.05) -> dict[str, Any]:
    """`grader batch FOLDER --assignment hw2 --out OUT --jobs 2`, fresh OUT each time."""
    out = Path(tempfile.mkdtemp(prefix="batch-out-", dir=base))
    shutil.rmtree(out)
    count = len(list(folder.iterdir()))
    cwd = Path(tempfile.mkdtemp(prefix="batch-cwd-", dir=base))
    try:
        before = cpu_snapshot()
        with TreeSampler(interval) as sampler:
            run = run_process([GRADER, "batch", folder, "--assignment", "hw2", "--out", out, "--jobs", str(jobs)],
                              cwd, timeout=7200)
        results = [p for p in out.rglob("*.json")] if out.is_dir() else []
        scored = 0
        for path in results:
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and "tests" in data:
                scored += 1
        error = "" if run.rc == 0 else f"exit {run.rc}: {_tail(cwd / '.stderr')}"
        if not error and scored != count:
            error = f"{scored} results.json files for {count} submissions (layout of OUT unknown to the benchmark?)"
        return {"count": count, "seconds": run.wall, "per_second": count / run.wall, "per_submission_ms":
                1000 * run.wall / count, "rc": run.rc, "results": scored, "error": error,
                "tree_rss_mb": sampler.peak_rss / MB, "tree_pss_mb": sampler.peak_pss / MB,
                "largest_process_mb": run.maxrss_mb, "cpu_per_submission_ms": 1000 * run.cpu / count,
                "others_cores": others_cores(before, cpu_snapshot())}
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cwd, ignore_errors=True)


def profile_grade(base: Path) -> dict[str, Any]:
    """profile_grade.py's phase breakdown, and a py-spy flame graph of one cold `grader grade`.

    py-spy follows the parent only: with --subprocesses it hangs on the sandboxed child (new
    namespaces), so the child's share shows as the parent waiting (run with --idle)."""
    report: dict[str, Any] = {}
    done = subprocess.run([str(PBIN / "python"), str(BENCH / "profile_grade.py"), "--runs", "3"],
                          capture_output=True, text=True, timeout=900)
    report["phases"] = "benchmarks/results/profile.md" if done.returncode == 0 else done.stderr[-500:]
    folder = Path(tempfile.mkdtemp(prefix="profile-", dir=base))
    shutil.copy(EXAMPLES / "correct.py", folder / "hw2.py")
    grade = [str(GRADER), "grade", str(folder / "hw2.py"), "--assignment", "hw2", "--json",
             str(folder / "r.json"), "--quiet"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    svg = RESULTS / "profile-grade.svg"
    try:
        done = subprocess.run([str(BBIN / "py-spy"), "record", "--idle", "--rate", "1000", "--format", "flamegraph",
                               "-o", str(svg), "--", *grade], capture_output=True, text=True, timeout=120)
        report["flamegraph"] = str(svg.relative_to(ROOT)) if done.returncode == 0 else done.stderr[-300:]
    except subprocess.TimeoutExpired:
        report["flamegraph"] = "py-spy timed out"
    shutil.rmtree(folder, ignore_errors=True)
    return report


# -- report --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass

    def version(python: Path, module: str) -> str:
        done = subprocess.run([str(python), "-c", f"import importlib.metadata as m; print(m.version({module!r}))"],
                              capture_output=True, text=True)
        return done.stdout.strip() or "?"

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "grader", "reference", "rubrics"], cwd=ROOT,
                           capture_output=True, text=True)
    py = subprocess.run([str(PBIN / "python"), "--version"], capture_output=True, text=True)
    tree = hashlib.sha256()
    for path in sorted((ROOT / "grader").rglob("*.py")):
        tree.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory": mem,
        "kernel": platform.release(),
        "python": (py.stdout or py.stderr).strip(),
        "commit": commit.stdout.strip() + (" (grader/ reference/ rubrics/ modified)" if dirty.stdout.strip() else ""),
        "grader_sources_sha256": tree.hexdigest()[:12],
        "loadavg_at_end": Path("/proc/loadavg").read_text().split()[:3],
        "env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                           "OMP_NUM_THREADS") if k in os.environ},
        "versions": {
            "numpy (project)": version(PBIN / "python", "numpy"),
            "numpy (anchors)": version(BBIN / "python", "numpy"),
            "gradescope-utils": version(BBIN / "python", "gradescope-utils"),
            "pytest": version(BBIN / "python", "pytest"),
            "otter-grader": version(BBIN / "python", "otter-grader"),
            "ipykernel": version(BBIN / "python", "ipykernel"),
        },
    }


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:.0f}"
    return str(x)


def verdict(value: float | None, ok: bool | None) -> str:
    if value is None or ok is None:
        return "n/a"
    return "met" if ok else "NOT met"


def build_summary(data: dict[str, Any]) -> dict[str, Any]:
    cold = data.get("cold", {})
    thru = data.get("throughput", {})
    med = {k: v["median"] for k, v in cold.items()}
    batch = thru.get("grader-batch")
    batch_ok = batch is not None and not batch.get("error")
    ratios: dict[str, Any] = {}
    targets: list[dict[str, Any]] = []
    g = med.get("grader")
    if g and med.get("gsu"):
        ratios["cold grader / gsu"] = g / med["gsu"]
        targets.append({"target": "cold single submission <= 1.5x gradescope-utils", "value":
                        f"{g / med['gsu']:.2f}x", "status": verdict(g, g / med["gsu"] <= TARGETS["cold_vs_gsu"])})
    if med.get("grader-noplan") and med.get("gsu"):
        ratios["cold grader, a rubric's first run (no saved call plan) / gsu"] = med["grader-noplan"] / med["gsu"]
    if g and med.get("pytest"):
        ratios["cold grader / pytest"] = g / med["pytest"]
    cpu = {k: v.get("cpu_median") for k, v in cold.items()}
    for other in ("gsu", "pytest", "otter"):
        if cpu.get("grader") and cpu.get(other):
            ratios[f"cold CPU time grader / {other}"] = cpu["grader"] / cpu[other]
    if g and med.get("otter"):
        ratios["cold otter / grader"] = med["otter"] / g
        targets.append({"target": "cold single submission >= 20x faster than otter run", "value":
                        f"{med['otter'] / g:.1f}x faster", "status":
                        verdict(g, med["otter"] / g >= TARGETS["otter_vs_cold"])})
    gsu_thru = thru.get("gsu", {}).get("per_second")
    if batch_ok and gsu_thru:
        r = batch["per_second"] / gsu_thru
        ratios["batch grader / gsu serial (throughput)"] = r
        targets.append({"target": f"batch of {batch['count']} (--jobs 2) >= 5x gsu serial throughput",
                        "value": f"{r:.2f}x", "status": verdict(r, r >= TARGETS["batch_vs_gsu"])})
    else:
        targets.append({"target": "batch of 200 (--jobs 2) >= 5x gsu serial throughput", "value":
                        "n/a (grader batch " + ("missing" if batch is None else "failed") + ")", "status": "n/a"})
    for key in ("pytest", "otter"):
        if batch_ok and thru.get(key, {}).get("per_second"):
            ratios[f"batch grader / {key} serial (throughput)"] = batch["per_second"] / thru[key]["per_second"]
    par = thru.get("grader-grade-x2")
    if par and gsu_thru:
        ratios["grader grade x2 processes / gsu serial (throughput, no batch)"] = par["per_second"] / gsu_thru
    over = data.get("overhead")
    if over and over.get("sizes"):
        sizes = over["sizes"]
        largest = sizes[-1]
        per = largest["per_submission_ms"]
        targets.append({"target": "grader overhead per submission in a batch <= 10 ms "
                                  f"(instant.py, N={largest['count']})",
                        "value": f"{per:.1f} ms", "status": verdict(per, per <= TARGETS["overhead_ms"])})
        if len(sizes) >= 3:
            a, b, c = sizes[0], sizes[1], sizes[-1]
            slope1 = 1000 * (b["seconds"] - a["seconds"]) / (b["count"] - a["count"])
            slope2 = 1000 * (c["seconds"] - b["seconds"]) / (c["count"] - b["count"])
            over["marginal_ms"] = [slope1, slope2]
            flat = slope2 <= TARGETS["flat_ratio"] * slope1 + 1.0
            targets.append({"target": f"... and flat (marginal ms/submission {a['count']}->{b['count']} vs "
                                      f"{b['count']}->{c['count']}, within 1.25x + 1 ms)",
                            "value": f"{slope1:.1f} -> {slope2:.1f} ms", "status": verdict(slope2, flat)})
    else:
        targets.append({"target": "grader overhead per submission in a batch <= 10 ms, flat", "value": "n/a (no batch)",
                        "status": "n/a"})
    big = data.get("batch1000")
    if big and not big.get("error"):
        mb = big["tree_rss_mb"]
        targets.append({"target": f"peak memory of a {big['count']}-submission batch < 400 MB (sum of RSS)",
                        "value": f"{mb:.0f} MB (PSS {big['tree_pss_mb']:.0f} MB)",
                        "status": verdict(mb, mb < TARGETS["batch1000_mb"])})
    else:
        targets.append({"target": "peak memory of a 1,000-submission batch < 400 MB", "value":
                        "n/a" + (f" ({big['error']})" if big else " (no batch / skipped)"), "status": "n/a"})
    if data.get("quick"):  # batch sizes far below the targets' N: only the cold targets mean something
        for target in targets:
            if not target["target"].startswith("cold"):
                target["status"] = "n/a (quick mode)"
    busy = [data.get("cold_others_cores") or 0.0] + [t.get("others_cores") or 0.0 for t in thru.values()]
    if data.get("batch1000"):
        busy.append(data["batch1000"].get("others_cores") or 0.0)
    disturbed = max(busy) > DISTURBED
    return {"ratios": ratios, "targets": targets, "disturbed": disturbed, "max_others_cores": max(busy)}


def render(data: dict[str, Any]) -> str:
    m = data["machine"]
    lines = ["# Grading speed: this project vs gradescope-utils, pytest and otter-grader (HW2)", "",
             f"{m['date']} · {m['nproc']} cores, {m['cpu']}, {m['memory']} · {m['python']} · Linux {m['kernel']} · "
             f"commit {m['commit']}, grader/*.py sha256 {m['grader_sources_sha256']}"
             + (" · **quick mode**" if data["quick"] else ""),
             "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
             + (f" · env: {m['env']}" if m["env"] else " · no OPENBLAS_*/OMP_* variables set"), ""]
    cold, thru, mem = data.get("cold", {}), data.get("throughput", {}), data.get("memory_single", {})
    lines += ["| way | cold: median wall s/submission (n) | cold: median CPU s | throughput: submissions/s (N) | "
              "peak memory, one submission (tree RSS / PSS, MB) | "
              "peak memory during the throughput run (tree RSS, MB) |",
              "|---|---|---|---|---|---|"]
    rows = [("grader", "this project (`grader grade` cold; `grader batch --jobs 2`)", "grader-batch"),
            ("grader-noplan", "this project, a rubric's first run (`grader grade`, no saved call plan)", ""),
            ("gsu", "gradescope-utils JSONTestRunner (serial)", "gsu"),
            ("pytest", "pytest (serial)", "pytest"),
            ("otter", "otter run (serial)", "otter")]
    for key, label, tkey in rows:
        c = cold.get(key)
        t = thru.get(tkey)
        mm = mem.get(key)
        if c is None and t is None:
            continue
        if t is None:
            tput = "n/a"
        elif t.get("error"):
            tput = f"n/a ({t['error'][:60]})"
        else:
            tput = f"{t['per_second']:.2f} ({t['count']})"
            if t.get("cpu_per_submission_ms"):
                tput += f", CPU {t['cpu_per_submission_ms']:.0f} ms/submission"
        lines.append(f"| {label} | {_fmt(c['median']) if c else 'n/a'} ({c['n'] if c else 0}) | "
                     f"{_fmt(c.get('cpu_median')) if c else 'n/a'} | {tput} | "
                     + (f"{mm['tree_rss_mb']:.0f} / {mm['tree_pss_mb']:.0f}" if mm else "n/a") + " | "
                     + (f"{t['tree_rss_mb']:.0f}" if t and not t.get("error") else "n/a") + " |")
    par = thru.get("grader-grade-x2")
    if par:
        lines.append(f"| (reference) `grader grade`, 2 processes at a time, no batch | | | {par['per_second']:.2f} "
                     f"({par['count']}) | | {par['tree_rss_mb']:.0f} |")
    busy = {"cold runs": data.get("cold_others_cores")}
    busy.update({f"throughput {k}": v.get("others_cores") for k, v in thru.items()})
    if data.get("batch1000"):
        busy["batch 1000"] = data["batch1000"].get("others_cores")
    shown = ", ".join(f"{k} {v:.2f}" for k, v in busy.items() if v is not None)
    lines += ["", f"Other processes on the machine kept this many cores busy on average during the measurements "
              f"(0 = quiet; the machine has {m['nproc']}): {shown}. Load average at the end: "
              f"{' '.join(m['loadavg_at_end'])}."]
    if data["summary"].get("disturbed"):
        lines += ["", f"**Warning: the machine was busy with other work (up to "
                  f"{data['summary']['max_others_cores']:.2f} cores on average during a measurement, threshold "
                  f"{DISTURBED}). Wall times are inflated; compare the CPU columns, and run again on a quiet machine "
                  f"before quoting these numbers.**"]
    lines += ["", "## Targets (issue 8), as ratios measured in this run", "", "| target | measured | status |",
              "|---|---|---|"]
    for t in data["summary"]["targets"]:
        lines.append(f"| {t['target']} | {t['value']} | {t['status']} |")
    lines += ["", "## Ratios", ""]
    for name, value in data["summary"]["ratios"].items():
        lines.append(f"- {name}: {value:.2f}")
    inst = data.get("cold_instant") or {}
    if inst:
        lines += ["", "## Cold time of the instant submission (anchors/instant.py): the fixed cost of each way", ""]
        lines += [f"- {k}: {_fmt(v['median'])} s (n={v['n']})" for k, v in inst.items()]
    over = data.get("overhead")
    if over and over.get("sizes"):
        lines += ["", "## This project's batch overhead (instant.py, --jobs 2)", "",
                  "| N | seconds | wall ms/submission | CPU ms/submission | peak tree RSS MB | "
                  "other processes (cores) |",
                  "|---|---|---|---|---|---|"]
        for s in over["sizes"]:
            lines.append(f"| {s['count']} | {s['seconds']:.2f} | {s['per_submission_ms']:.1f} | "
                         f"{s.get('cpu_per_submission_ms', 0):.1f} | {s['tree_rss_mb']:.0f} | "
                         f"{s.get('others_cores', 0):.2f} |")
    lines += ["", "## Scores of the example submissions (from the cold runs)", "",
              "| example | " + " | ".join(cold) + " |", "|---|" + "---|" * len(cold)]
    examples = sorted({s for v in cold.values() for s, _ in v["scores"]})
    for ex in examples:
        cells = []
        for v in cold.values():
            found = [sc for s, sc in v["scores"] if s == ex]
            cells.append(str(found[0]) if found else "")
        lines.append(f"| {ex} | " + " | ".join(cells) + " |")
    problems = data.get("problems") or []
    if problems:
        lines += ["", "## Problems", ""] + [f"- {p}" for p in problems]
    lines += ["", "Notes: cold = one fresh process per submission from the command line, median over the examples; "
              "the anchors run serially, one process per submission, as Gradescope does. Memory = sum over the "
              "process tree sampled from /proc (RSS counts shared libraries once per process; PSS splits them). "
              "gsu and pytest run the student's code inside the test process (no isolation); otter runs it in a "
              "Jupyter kernel; this project in a separate child process with the reference kept out of it. "
              "Partial-credit checks are all-or-nothing in otter and pytest, so their scores can differ.", ""]
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: 3 cold reps, 10 submissions, 2 for otter")
    parser.add_argument("--reps", type=int, help="cold runs per way (default 16, quick 4)")
    parser.add_argument("--count", type=int, help="submissions in the throughput runs (default 200, quick 20)")
    parser.add_argument("--otter-count", type=int,
                        help="submissions in otter's throughput run (default --count, quick 2)")
    parser.add_argument("--ways", default="grader,gsu,pytest,otter")
    parser.add_argument("--skip-1000", action="store_true", help="skip the 1,000-submission batch")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"measurements to run, among {','.join(PARTS)} (default: all)")
    parser.add_argument("--profile", action="store_true",
                        help="also run profile_grade.py and a py-spy flame graph of one cold grade")
    parser.add_argument("--no-setup", action="store_true", help="do not create or update the venvs")
    parser.add_argument("--render", metavar="JSON", help="only rebuild the targets and the .md beside a results JSON")
    args = parser.parse_args(argv)
    if args.render:
        data = json.loads(Path(args.render).read_text())
        data["summary"] = build_summary(data)
        text = render(data)
        Path(args.render).with_suffix(".md").write_text(text)
        print(text)
        return 0
    quick = args.quick
    reps = args.reps or (3 if quick else 16)
    count = args.count or (10 if quick else 200)
    otter_count = args.otter_count or (min(count, 2) if quick else count)
    selected = [w.strip() for w in args.ways.split(",") if w.strip()]
    wanted = {p.strip() for p in args.parts.split(",") if p.strip()}
    if args.skip_1000:
        wanted.discard("batch1000")
    overhead_sizes = (5, 10, 30) if quick else (20, 200, 1000)
    rounds = 2 if quick else 4
    big_count = 30 if quick else 1000

    if not args.no_setup:
        ensure_venvs()
    WORK.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    problems: list[str] = []
    make_fixtures()
    otter_zip = build_otter_zip() if "otter" in selected else None
    ways = {k: v for k, v in make_ways(otter_zip).items()
            if k in selected or (k == "grader-noplan" and "grader" in selected)}
    has_batch = batch_available()
    log(f"grader batch: {'available' if has_batch else 'NOT available (reported as n/a)'}")
    sources = sorted(EXAMPLES.glob("*.py"))
    data: dict[str, Any] = {"quick": quick, "params": {"reps": reps, "count": count, "otter_count": otter_count,
                                                        "overhead_sizes": overhead_sizes, "big_count": big_count},
                            "batch_available": has_batch, "parts": sorted(wanted)}
    try:
        if "cold" in wanted:
            log(f"cold single submissions: {reps} per way ({', '.join(ways)})")
            before = cpu_snapshot()
            cold_runs = measure_cold(ways, sources, reps, base)
            data["cold_others_cores"] = others_cores(before, cpu_snapshot())
            data["cold"] = {}
            for key, runs in cold_runs.items():
                walls = [r.wall for r in runs]
                errors = [f"{key} {r.score[0]}: {r.error}" for r in runs if r.error]
                problems += errors[:3]
                data["cold"][key] = {"n": len(walls), "median": statistics.median(walls), "min": min(walls),
                                     "max": max(walls), "walls": walls,
                                     "cpu_median": statistics.median(r.cpu for r in runs),
                                     "largest_process_mb": max(r.maxrss_mb for r in runs),
                                     "scores": [list(r.score) for r in runs]}
                log(f"  {key:7s} median {statistics.median(walls):.3f} s  (min {min(walls):.3f}, max {max(walls):.3f}, "
                    f"CPU {data['cold'][key]['cpu_median']:.3f} s)"
                    + (f"  {len(errors)} errors" if errors else ""))

        if "instant" in wanted:
            log("cold instant submission (fixed cost of each way)")
            data["cold_instant"] = {}
            for key, way in ways.items():
                runs = [way.grade(INSTANT, base) for _ in range(1 if quick else 3)]
                data["cold_instant"][key] = {"n": len(runs), "median": statistics.median(r.wall for r in runs)}
                log(f"  {key:7s} {data['cold_instant'][key]['median']:.3f} s")

        if "memory" in wanted:
            log("peak memory of one submission (process tree, sampled every 5 ms)")
            data["memory_single"] = {}
            for key, way in ways.items():
                data["memory_single"][key] = measure_memory_single(way, EXAMPLES / "correct.py",
                                                                   1 if quick else 2, base)
                log(f"  {key:7s} tree RSS {data['memory_single'][key]['tree_rss_mb']:.0f} MB, "
                    f"PSS {data['memory_single'][key]['tree_pss_mb']:.0f} MB")

        if "throughput" in wanted:
            data["throughput"] = {}
            mixed = submissions_dir("mixed", max(count, otter_count))
            mixed_n = submissions_dir("mixed", count)
            # The anchors run in rounds, interleaved, and this project's batch runs in the middle of them,
            # so that a change in the machine's background load hits every way alike.
            anchors = [k for k in ("gsu", "pytest", "otter") if k in ways]
            rounds_data: dict[str, list[dict[str, Any]]] = {k: [] for k in anchors}
            for r in range(rounds):
                for key in anchors:
                    n = otter_count if key == "otter" else count
                    lo, hi = r * n // rounds, (r + 1) * n // rounds
                    if hi <= lo:
                        continue
                    log(f"throughput: {key}, submissions {lo}..{hi - 1} serially (round {r + 1} of {rounds})")
                    part = measure_serial(ways[key], mixed, lo, hi, base)
                    rounds_data[key].append(part)
                    log(f"  {part['per_second']:.2f} submissions/s ({part['seconds']:.1f} s), "
                        f"other processes {part['others_cores']:.2f} cores")
                if r == max(0, rounds // 2 - 1) and "grader" in ways and has_batch:
                    log(f"throughput: grader batch, {count} submissions, --jobs 2")
                    result = measure_batch(mixed_n, base)
                    data["throughput"]["grader-batch"] = result
                    if result["error"]:
                        problems.append(f"grader batch ({count}): {result['error']}")
                    log(f"  {result['per_second']:.2f} submissions/s ({result['seconds']:.1f} s), "
                        f"peak tree RSS {result['tree_rss_mb']:.0f} MB, other processes {result['others_cores']:.2f} "
                        f"cores {result['error']}")
            for key in anchors:
                if rounds_data[key]:
                    result = merge_serial(rounds_data[key])
                    data["throughput"][key] = result
                    if result["errors"]:
                        problems.append(f"throughput {key}: {result['errors']} errors, "
                                        f"e.g. {result['first_errors'][:1]}")
                    log(f"throughput {key}: {result['per_second']:.2f} submissions/s over {result['count']}")

        if "grader" in ways and "throughput" in wanted:
            log(f"throughput (reference): grader grade, {count} submissions, 2 processes at a time")
            result = measure_parallel_grade(mixed_n, count, 2, base)
            data["throughput"]["grader-grade-x2"] = result
            if result["errors"]:
                problems.append(f"grader grade x2: {result['errors']} errors, e.g. {result['first_errors'][:1]}")
            log(f"  {result['per_second']:.2f} submissions/s ({result['seconds']:.1f} s)")
        if "grader" in ways and has_batch:
            if "overhead" in wanted:
                log(f"overhead: grader batch of instant submissions, N = {overhead_sizes}")
                sizes = []
                for n in overhead_sizes:
                    result = measure_batch(submissions_dir("instant", n), base)
                    sizes.append(result)
                    if result["error"]:
                        problems.append(f"grader batch instant ({n}): {result['error']}")
                    log(f"  N={n}: {result['seconds']:.2f} s, {result['per_submission_ms']:.1f} ms/submission, "
                        f"peak tree RSS {result['tree_rss_mb']:.0f} MB")
                data["overhead"] = {"sizes": sizes}
            if "batch1000" in wanted:
                log(f"memory: grader batch of {big_count} mixed submissions, --jobs 2")
                result = measure_batch(submissions_dir("mixed", big_count), base, interval=0.02)
                data["batch1000"] = result
                if result["error"]:
                    problems.append(f"grader batch ({big_count}): {result['error']}")
                log(f"  {result['seconds']:.1f} s, {result['per_second']:.2f}/s, peak tree RSS "
                    f"{result['tree_rss_mb']:.0f} MB, PSS {result['tree_pss_mb']:.0f} MB")
        if "grader" in ways and args.profile:
            log("profile of one cold grader grade (profile_grade.py, py-spy)")
            data["profile"] = profile_grade(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    data["problems"] = problems
    data["machine"] = machine()
    data["summary"] = build_summary(data)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "quick" if quick else "latest"  # a smoke test never overwrites the full run's table
    (RESULTS / f"{stem}.json").write_text(json.dumps(data, indent=1, default=str) + "\n")
    text = render(data)
    (RESULTS / f"{stem}.md").write_text(text)
    print()
    print(text)
    log(f"written: {(RESULTS / f'{stem}.json').relative_to(ROOT)}, {(RESULTS / f'{stem}.md').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
