"""Where the time of one cold `grader grade` goes: a wall-clock breakdown by phase.

Run with the PROJECT's interpreter (it imports `grader`; nothing in grader/ is changed):

    .venv/bin/python benchmarks/profile_grade.py [SUBMISSION.py] [--runs 5]

It prints (and writes to benchmarks/results/profile.json and profile.md):
  1. the whole command, `grader grade FILE --assignment hw2 --json OUT --quiet`, timed from outside
     (median of --runs), next to the bare interpreter start and exit;
  2. `python -X importtime` of that command: the cumulative cost of each top-level package
     the parent imports (numpy, pydantic, sympy, yaml, nbformat, ...);
  3. the phases of one in-process run of grader.cli.main, timed by wrapping the engine's functions
     from the outside: imports, rubric, reference import, case preparation, child start (spawn,
     sandbox, numpy, submission import), the calls, the comparisons (per comparator, the first
     big_o one including the sympy import), results and the table;
  4. the child's own start-up, reproduced without the sandbox: `python -I -c pass`,
     `... -c "import numpy"`, `... -c "import grader.boundary.child, grader.boundary.wire"`;
  5. what byte-compilation costs: the same command with PYTHONDONTWRITEBYTECODE unset and a warm
     PYTHONPYCACHEPREFIX (a cache outside the tree), when the environment sets it.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GRADER = ROOT / ".venv" / "bin" / "grader"


def wall(argv: list[str], env: dict[str, str] | None = None, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def importtime(argv: list[str]) -> list[tuple[str, float]]:
    """Cumulative import ms of each root package (numpy, sympy, ...) and grader module, at its first import.

    Nested entries overlap (grader.assignment's figure includes the numpy and pydantic it pulls in)."""
    done = subprocess.run([str(PYTHON), "-X", "importtime", *argv], capture_output=True, text=True)
    seen: dict[str, float] = {}
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if not m:
            continue
        name = m.group(3)
        if ("." not in name or name.startswith("grader.")) and name not in seen:
            seen[name] = int(m.group(2)) / 1000
    return sorted(seen.items(), key=lambda kv: -kv[1])


class Phases:
    def __init__(self) -> None:
        self.t: dict[str, float] = defaultdict(float)
        self.n: dict[str, int] = defaultdict(int)

    def add(self, name: str, seconds: float) -> None:
        self.t[name] += seconds
        self.n[name] += 1

    def wrap(self, owner: Any, attr: str, name: str) -> bool:
        original = getattr(owner, attr, None)
        if original is None or getattr(original, "_profiled", False):
            return False

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - started)

        timed._profiled = True  # type: ignore[attr-defined]
        setattr(owner, attr, timed)
        return True


def in_process(submission: Path, out: Path) -> dict[str, Any]:
    """One grade inside this interpreter, its phases timed from the outside."""
    phases = Phases()
    t0 = time.perf_counter()
    import grader.cli as cli
    t_cli = time.perf_counter()
    import grader.assignment as assignment
    t_assignment = time.perf_counter()
    import grader.boundary.session as runner
    import grader.grading as grading
    import grader.results as results
    import grader.table as table
    t_imports = time.perf_counter()
    phases.add("import grader.cli", t_cli - t0)
    phases.add("import grader.assignment (numpy, pydantic, yaml, rubric, comparators)", t_assignment - t_cli)
    phases.add("import grader.grading, runner, results, table (+ what they pull in)", t_imports - t_assignment)

    phases.wrap(assignment, "load_rubric", "rubric: read + validate YAML (pydantic)")
    phases.wrap(assignment, "import_reference", "reference module import")
    phases.wrap(assignment, "prepare_cases", "case preparation (generators, reference outputs, mistakes)")
    phases.wrap(runner.ChildSession, "__init__", "child session set-up (workdir, copy, sandbox plan)")
    phases.wrap(runner.ChildSession, "start", "child start: spawn + sandbox + numpy + submission import")
    phases.wrap(runner.ChildSession, "call", "calls: send args, student code, receive result")
    phases.wrap(runner.ChildSession, "close", "child stop + cleanup")
    phases.wrap(grading, "to_results", "results: build")
    phases.wrap(results, "write_atomically", "results: write JSON")
    phases.wrap(table, "render", "table render")
    # comparators: per name; grading.judge looks comparators.compare up at call time
    import grader.comparators as comparators
    registry = getattr(comparators, "_COMPARE", {})
    for name in list(registry):
        fn = registry[name]

        def timed(*args: Any, _fn: Any = fn, _name: str = name, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return _fn(*args, **kwargs)
            finally:
                phases.add(f"compare: {_name}", time.perf_counter() - started)

        registry[name] = timed
    phases.wrap(grading, "judge", "_judge total (all comparisons, mistakes matching)")
    sympy_loaded_before = "sympy" in sys.modules
    started = time.perf_counter()
    code = cli.main(["grade", str(submission), "--assignment", "hw2", "--json", str(out), "--quiet"])
    main_seconds = time.perf_counter() - started
    ordered = [(k, round(v * 1000, 1), phases.n[k]) for k, v in phases.t.items()]
    return {"exit": code, "imports_ms": round((t_imports - t0) * 1000, 1), "main_ms": round(main_seconds * 1000, 1),
            "phases_ms": ordered, "sympy_imported_during_grading": not sympy_loaded_before and "sympy" in sys.modules}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("submission", nargs="?", default=str(ROOT / "submissions_example" / "hw2" / "correct.py"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="profile-grade-"))
    submission = work / "hw2.py"
    submission.write_bytes(Path(args.submission).read_bytes())
    out = work / "results.json"
    if args.child:  # the in-process run, in a fresh interpreter
        print(json.dumps(in_process(submission, out)))
        return 0

    report: dict[str, Any] = {"submission": args.submission}
    grade = [str(GRADER), "grade", str(submission), "--assignment", "hw2", "--json", str(out), "--quiet"]
    report["grade_cold_s"] = wall(grade, runs=args.runs)
    report["python_start_exit_s"] = wall([str(PYTHON), "-c", "pass"], runs=args.runs)
    report["python_I_numpy_s"] = wall([str(PYTHON), "-I", "-c", "import numpy"], runs=args.runs)
    child = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import grader.boundary.child, grader.boundary.wire"
    report["child_imports_s"] = wall([str(PYTHON), "-I", "-c", child], runs=args.runs)
    report["parent_imports_only_s"] = wall([str(PYTHON), "-c", "import grader.cli, grader.assignment, grader.grading, "
                                            "grader.boundary.session, grader.results, grader.table"], runs=args.runs)
    report["sympy_import_s"] = wall([str(PYTHON), "-c", "import sympy"], runs=args.runs) - report["python_start_exit_s"]
    report["importtime_top_ms"] = importtime(["-m", "grader", *grade[1:]])[:20]
    phase_runs = []
    for _ in range(3):
        done = subprocess.run([str(PYTHON), __file__, args.submission, "--child"], capture_output=True, text=True)
        try:
            phase_runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        except (IndexError, ValueError):
            report["phase_error"] = done.stderr[-2000:]
    if phase_runs:
        best = sorted(phase_runs, key=lambda r: r["main_ms"])[len(phase_runs) // 2]
        report["in_process"] = best
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE")
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        wall(grade, env=env, runs=1)  # fills the cache (outside the tree)
        report["grade_cold_with_pyc_cache_s"] = wall(grade, env=env, runs=args.runs)
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "profile.json").write_text(json.dumps(report, indent=1) + "\n")
    md = render(report)
    (BENCH / "results" / "profile.md").write_text(md)
    print(md)
    return 0


def render(r: dict[str, Any]) -> str:
    lines = ["# One cold `grader grade`: where the time goes", "",
             f"- whole command (median): **{r['grade_cold_s'] * 1000:.0f} ms**",
             f"- bare interpreter start + exit (`python -c pass`): {r['python_start_exit_s'] * 1000:.0f} ms",
             f"- the parent's imports alone (grader.cli, assignment, grading, runner, results, table): "
             f"{r['parent_imports_only_s'] * 1000:.0f} ms (process included)",
             f"- `import sympy` alone: +{r['sympy_import_s'] * 1000:.0f} ms",
             f"- child start-up without sandbox: `python -I -c 'import numpy'` {r['python_I_numpy_s'] * 1000:.0f} ms, "
             f"`import grader.boundary.child, grader.boundary.wire` {r['child_imports_s'] * 1000:.0f} ms"]
    if "grade_cold_with_pyc_cache_s" in r:
        lines.append(f"- the same command with byte-code caching (PYTHONDONTWRITEBYTECODE unset, warm "
                     f"PYTHONPYCACHEPREFIX): {r['grade_cold_with_pyc_cache_s'] * 1000:.0f} ms")
    ip = r.get("in_process")
    if ip:
        lines += ["", f"## Phases of one in-process run (imports {ip['imports_ms']} ms + grade {ip['main_ms']} ms)", "",
                  "| phase | ms | calls |", "|---|---|---|"]
        lines += [f"| {name} | {ms} | {n} |" for name, ms, n in ip["phases_ms"]]
        lines.append("\nsympy first imported during grading (by the big_o comparator): "
                     f"{ip['sympy_imported_during_grading']}")
    lines += ["", "## Imports of the parent (`python -X importtime`, cumulative ms; nested ones overlap)", ""]
    lines += [f"- {name}: {ms:.0f}" for name, ms in r["importtime_top_ms"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
