"""What the sandbox costs per submission, measured four ways (one --part each).

    .venv/bin/python benchmarks/sandbox_cost.py [--part PART[,PART...]|all] [--repeats N]

  modes      (the default) grade() of the correct HW2 submission, sandbox on vs off. Both modes
             fork children from the warm worker and load the assignment once; they alternate (on,
             off, on, off: a fresh interpreter each) so that load from other work falls on both
             alike. Prints median and best. --repeats: grades per run (default 15).
  structure  what one process fewer per sandboxed submission would save: the fork structure
             alone. From a process that has imported numpy (as the warm worker has), it repeats
             two ways of reaching a student process inside new pid, mount, network, IPC and UTS
             namespaces, and reports the wall time and the whole machine's CPU per repetition:
               three  as grader/boundary/child.py does now: a first process (P0) unshares, forks
                      the namespace's init (P1) and the student's process (P2), waits, kills init;
               two    the first process is itself the namespace's init: the forking process
                      unshares only CLONE_NEWPID, forks it, and returns to its own pid namespace
                      with setns(); init unshares the rest and forks the student's process.
             The student's process does a little numpy and Python work and exits. Nothing of
             grader/ is used. Needs root (namespaces); run it with OPENBLAS_NUM_THREADS=1.
             --repeats: repetitions of each way per pass (default 200; passes: three, two,
             three, two).
  cpu        where the CPU of one graded submission goes: the grader, the warm worker, the
             student's processes. Grades the HW2 examples (and anchors/instant.py, whose
             functions return at once) serially in one process, the way a batch worker does:
             the assignment loaded once, every child forked from one warm worker. For each, with
             the sandbox on and off (interleaved, so that background load falls on both alike),
             it prints per submission: the wall time, the CPU of that process (judging, results,
             driving the child), of the warm worker itself (forking), and of the children it
             forked (the sandbox's processes and the student's code), read from /proc and
             os.times(). --repeats: rounds over the examples per run (default 4).
  session    one child session, A/B against the plain child (NUMGRADER_SANDBOX=off). Each round
             starts the hostile suite's honest submission (tests/hostile) once with the sandbox
             and once without (in alternating order), and times, per child: start until the
             module is imported and ready, one call, the stop (the child and all it started
             gone), and the CPU time the child's processes used (user + system, all of them:
             load-independent, unlike wall-clock times on a busy machine); then one grade() of
             it. Prints the sandbox's summary, medians and the sandbox's extra cost.
             --repeats: rounds (default 30).

One part runs in this process; several (or `all`) run one after the other, each in a fresh
interpreter, so that each prints what it prints when run alone. modes and cpu start their own
interpreters (the project's .venv) with NUMGRADER_SANDBOX set; session imports grader here.
"""

from __future__ import annotations

# What a fork costs depends on what the forking process has imported: threading, random and
# logging add handlers that run in every forked child. The structure part forks from this
# process, so the imports up here are argparse, proc_sampler (which adds no such handler) and
# what the part imported when it was a script of its own (numpy brings pathlib and typing);
# the other parts import the rest themselves.
import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from proc_sampler import CLK_TCK, busy_ticks

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
MODES = ("auto", "off", "auto", "off")  # NUMGRADER_SANDBOX of the runs, in turn
LABELS = (("auto", "sandbox on "), ("off", "sandbox off"))

# -- modes: grade() with the sandbox on and off ----------------------------------------------

MODES_PROGRAM = r'''
import json, sys, time
from pathlib import Path
from grader.boundary import zygote
zygote.start_shared()
from grader.assignment import load_assignment
from grader.grading import grade
assignment = load_assignment(Path("rubrics/hw2.yaml"))
submission = Path("submissions_example/hw2/correct.py")
grade(assignment, submission)  # warm-up
times = []
for _ in range(int(sys.argv[1])):
    started = time.perf_counter()
    grade(assignment, submission)
    times.append(time.perf_counter() - started)
print(json.dumps(times))
'''


def alternate(program: str, repeats: int) -> dict[str, list[Any]]:
    """Run `program REPEATS BENCH` in a fresh .venv interpreter per NUMGRADER_SANDBOX of MODES, in
    turn, from the project's root; the JSON of each run's last line of output, by mode."""
    import json
    import subprocess

    runs: dict[str, list[Any]] = {"auto": [], "off": []}
    for mode in MODES:
        done = subprocess.run([str(PYTHON), "-c", program, str(repeats), str(BENCH)], capture_output=True, text=True,
                              check=True, cwd=ROOT, env={**os.environ, "NUMGRADER_SANDBOX": mode})
        runs[mode].append(json.loads(done.stdout.splitlines()[-1]))
    return runs


def modes(repeats: int) -> None:
    import statistics

    runs = alternate(MODES_PROGRAM, repeats)
    times: dict[str, list[float]] = {mode: [t for run in values for t in run] for mode, values in runs.items()}
    for mode, label in LABELS:
        values = times[mode]
        print(f"{label}: median {statistics.median(values) * 1000:6.1f} ms, best {min(values) * 1000:6.1f} ms "
              f"(n={len(values)})")
    extra = statistics.median(times["auto"]) - statistics.median(times["off"])
    print(f"the sandbox adds {extra * 1000:.1f} ms per submission (median)")


# -- structure: three processes per submission, or two ----------------------------------------

NEWPID, NEWNS, NEWNET, NEWIPC, NEWUTS = 0x20000000, 0x20000, 0x40000000, 0x08000000, 0x04000000
REST = NEWNS | NEWNET | NEWIPC | NEWUTS
FORK_HANDLERS = ("threading", "random", "logging")  # modules that add work to every fork


def structure(repeats: int) -> None:
    loaded = [name for name in FORK_HANDLERS if name in sys.modules]
    if loaded:  # not the process the figures are about (and not comparable with earlier ones)
        raise SystemExit(f"structure: this process has imported {', '.join(loaded)}; run the part alone")
    import ctypes

    import numpy  # the forking process has numpy loaded, as the warm worker has

    libc = ctypes.CDLL(None, use_errno=True)
    own_pid_namespace = os.open("/proc/self/ns/pid", os.O_RDONLY)

    def student() -> None:
        x = numpy.arange(100.0)
        _ = x @ x, {str(i): i for i in range(200)}
        os._exit(0)

    def three() -> None:
        p0 = os.fork()
        if p0 == 0:
            libc.unshare(NEWPID | REST)
            init = os.fork()
            if init == 0:
                while True:
                    try:
                        os.wait()
                    except ChildProcessError:
                        time.sleep(10)
            p2 = os.fork()
            if p2 == 0:
                student()
            os.waitpid(p2, 0)
            os.kill(init, 9)
            os.waitpid(init, 0)
            os._exit(0)
        os.waitpid(p0, 0)

    def two() -> None:
        if libc.unshare(NEWPID) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWPID) (run as root)")
        init = os.fork()
        if init == 0:
            libc.unshare(REST)
            p2 = os.fork()
            if p2 == 0:
                student()
            os.waitpid(p2, 0)
            os._exit(0)
        if libc.setns(own_pid_namespace, NEWPID) != 0:
            raise OSError(ctypes.get_errno(), "setns back to our own pid namespace")
        os.waitpid(init, 0)

    for name, way in (("three", three), ("two", two), ("three", three), ("two", two)):
        way()
        busy, started = busy_ticks(), time.perf_counter()
        for _ in range(repeats):
            way()
        wall = (time.perf_counter() - started) / repeats * 1000
        cpu = (busy_ticks() - busy) / CLK_TCK / repeats * 1000
        print(f"{name:5s}  wall {wall:5.2f} ms  machine CPU {cpu:5.2f} ms per submission")


# -- cpu: the grader, the warm worker, the student's processes --------------------------------

CPU_PROGRAM = r'''
import json, os, sys, time
from pathlib import Path
sys.path.append(sys.argv[2])
from proc_sampler import process_cpu
from grader.boundary import zygote
warm = zygote.start_shared()
from grader.assignment import load_assignment
from grader.grading import grade
from grader.results import to_results
assignment = load_assignment(Path("rubrics/hw2.yaml"))
examples = sorted(Path("submissions_example/hw2").glob("*.py"))
instant = [Path("benchmarks/anchors/instant.py")]

out = {}
for name, subs in (("examples", examples), ("instant", instant)):
    for s in subs:
        to_results(grade(assignment, s)).to_json()  # warm-up
    n = int(sys.argv[1]) * (1 if name == "examples" else len(examples))
    wall, mine, (zself, zkids) = time.perf_counter(), os.times(), process_cpu(warm.pid)
    for _ in range(n):
        for s in subs:
            to_results(grade(assignment, s)).to_json()
    count = n * len(subs)
    after, (zself2, zkids2) = os.times(), process_cpu(warm.pid)
    out[name] = {"wall": (time.perf_counter() - wall) / count * 1000,
                 "grader": (after.user + after.system - mine.user - mine.system) / count * 1000,
                 "worker": (zself2 - zself) / count * 1000, "children": (zkids2 - zkids) / count * 1000}
print(json.dumps(out))
'''


def cpu(repeats: int) -> None:
    import statistics

    runs: dict[str, list[dict[str, dict[str, float]]]] = alternate(CPU_PROGRAM, repeats)
    print("ms per submission (median of 2 runs each)   wall   grader  warm worker  children  total CPU")
    for kind in ("examples", "instant"):
        for mode, label in LABELS:
            parts = {k: statistics.median(r[kind][k] for r in runs[mode])
                     for k in ("wall", "grader", "worker", "children")}
            total = parts["grader"] + parts["worker"] + parts["children"]
            print(f"{kind:8s} {label}                     {parts['wall']:6.1f}  {parts['grader']:6.1f}  "
                  f"{parts['worker']:11.1f}  {parts['children']:8.1f}  {total:9.1f}")


# -- session: one child session, sandboxed or plain ---------------------------------------------

HOSTILE = ROOT / "tests" / "hostile"
CALLS = 20
SESSION_KEYS = ("start→ready", "one call", "stop", "CPU of the child", "grade() one submission")


def session(rounds: int) -> None:
    import resource
    import statistics

    sys.path.insert(0, str(ROOT))
    from grader.assignment import load_assignment
    from grader.boundary.session import ChildSession
    from grader.grading import grade
    from grader.sandbox import host as sandbox_host

    submission = HOSTILE / "submissions" / "correct.py"
    assignment = load_assignment(HOSTILE / "rubrics" / "hostile.yaml")
    limits = assignment.rubric.limits

    def one_round(mode: str, times: dict[str, list[float]]) -> None:
        os.environ["NUMGRADER_SANDBOX"] = mode
        sandbox_host.host.cache_clear()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        child = ChildSession(submission, "hostile", limits)
        started = time.perf_counter()
        if not child.start().ok:
            raise SystemExit(f"{mode}: the hostile suite's correct submission did not start")
        ready = time.perf_counter()
        for _ in range(CALLS):
            if not child.call("add", [2, 3], 5).ok:
                raise SystemExit(f"{mode}: add(2, 3) failed")
        called = time.perf_counter()
        child.close()
        stopped = time.perf_counter()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = grade(assignment, submission)
        graded = time.perf_counter()
        if report.score != 2:
            raise SystemExit(f"{mode}: grade() gave {report.score}, not 2")
        times["start→ready"].append(ready - started)
        times["one call"].append((called - ready) / CALLS)
        times["stop"].append(stopped - called)
        times["CPU of the child"].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        times["grade() one submission"].append(graded - stopped)

    results: dict[str, dict[str, list[float]]] = {m: {k: [] for k in SESSION_KEYS} for m in ("off", "auto")}
    for index in range(rounds):
        for mode in ("off", "auto") if index % 2 else ("auto", "off"):
            one_round(mode, results[mode])
    os.environ["NUMGRADER_SANDBOX"] = "auto"
    sandbox_host.host.cache_clear()
    with ChildSession(submission, "hostile", limits) as child:
        child.start()
        print(child.sandbox_summary)
    print(f"{rounds} rounds, medians in ms (min in brackets)")
    print(f"{'':24s} {'plain child':>16s} {'sandboxed':>16s} {'extra':>8s}")
    for key in SESSION_KEYS:
        off, auto = results["off"][key], results["auto"][key]
        a, b = statistics.median(off) * 1e3, statistics.median(auto) * 1e3
        print(f"{key:24s} {a:9.2f} ({min(off) * 1e3:5.1f}) {b:9.2f} ({min(auto) * 1e3:5.1f}) {b - a:+8.2f}")


# -- main -------------------------------------------------------------------------------------

PARTS: dict[str, tuple[Callable[[int], None], int]] = {  # part -> (measurement, default --repeats)
    "modes": (modes, 15), "structure": (structure, 200), "cpu": (cpu, 4), "session": (session, 30)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("--part", default="modes",
                        help=f"what to measure: {', '.join(PARTS)}, several comma-separated, or all (default: modes)")
    parser.add_argument("--repeats", type=int, metavar="N",
                        help="the part's repetitions (default: " + ", ".join(f"{k} {v[1]}" for k, v in PARTS.items())
                        + ")")
    args = parser.parse_args(argv)
    wanted = list(PARTS) if args.part == "all" else [p.strip() for p in args.part.split(",") if p.strip()]
    unknown = [p for p in wanted if p not in PARTS]
    if unknown or not wanted:
        parser.error(f"--part: unknown {', '.join(unknown) or '(none)'}; choose among {', '.join(PARTS)} or all")
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if len(wanted) == 1:
        measure, default = PARTS[wanted[0]]
        measure(args.repeats or default)
        return 0
    import subprocess

    failed = []
    for part in wanted:
        print(f"== {part}", flush=True)
        again = [sys.executable, __file__, "--part", part, *(["--repeats", str(args.repeats)] if args.repeats else [])]
        if subprocess.run(again, check=False).returncode != 0:
            failed.append(part)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
