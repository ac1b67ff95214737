"""What the sandbox costs per submission: A/B against the plain child (NUMGRADER_SANDBOX=off).

    .venv/bin/python tests/hostile/bench_sandbox.py [ROUNDS]

Each round grades the hostile suite's honest submission once with the sandbox and once
without (in alternating order, so background load hits both alike), and times, per child:
start until the module is imported and ready, one call, the stop (the child and all it
started gone), and the CPU time the child's processes used (user + system, all of them:
load-independent, unlike wall-clock times on a busy machine). Prints medians and the
sandbox's extra cost. Not collected by pytest.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from grader.assignment import load_assignment  # noqa: E402
from grader.boundary.session import ChildSession  # noqa: E402
from grader.grading import grade  # noqa: E402
from grader.sandbox import host as sandbox_host  # noqa: E402

HOSTILE = ROOT / "tests" / "hostile"
SUBMISSION = HOSTILE / "submissions" / "correct.py"
CALLS = 20


def one_round(mode: str, limits: object, assignment: object, times: dict[str, list[float]]) -> None:
    os.environ["NUMGRADER_SANDBOX"] = mode
    sandbox_host.host.cache_clear()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    session = ChildSession(SUBMISSION, "hostile", limits)  # type: ignore[arg-type]
    started = time.perf_counter()
    assert session.start().ok
    ready = time.perf_counter()
    for _ in range(CALLS):
        assert session.call("add", [2, 3], 5).ok
    called = time.perf_counter()
    session.close()
    stopped = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = grade(assignment, SUBMISSION)  # type: ignore[arg-type]
    graded = time.perf_counter()
    assert report.score == 2
    times["start→ready"].append(ready - started)
    times["one call"].append((called - ready) / CALLS)
    times["stop"].append(stopped - called)
    times["CPU of the child"].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    times["grade() one submission"].append(graded - stopped)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    assignment = load_assignment(HOSTILE / "rubrics" / "hostile.yaml")
    limits = assignment.rubric.limits
    keys = ("start→ready", "one call", "stop", "CPU of the child", "grade() one submission")
    results: dict[str, dict[str, list[float]]] = {m: {k: [] for k in keys} for m in ("off", "auto")}
    for index in range(rounds):
        for mode in ("off", "auto") if index % 2 else ("auto", "off"):
            one_round(mode, limits, assignment, results[mode])
    os.environ["NUMGRADER_SANDBOX"] = "auto"
    sandbox_host.host.cache_clear()
    with ChildSession(SUBMISSION, "hostile", limits) as session:
        session.start()
        print(session.sandbox_summary)
    print(f"{rounds} rounds, medians in ms (min in brackets)")
    print(f"{'':24s} {'plain child':>16s} {'sandboxed':>16s} {'extra':>8s}")
    for key in keys:
        off, auto = results["off"][key], results["auto"][key]
        a, b = statistics.median(off) * 1e3, statistics.median(auto) * 1e3
        print(f"{key:24s} {a:9.2f} ({min(off) * 1e3:5.1f}) {b:9.2f} ({min(auto) * 1e3:5.1f}) {b - a:+8.2f}")


if __name__ == "__main__":
    main()
