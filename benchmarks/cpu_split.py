"""Where the CPU of one graded submission goes: the grader, the warm worker, the student's processes.

    .venv/bin/python benchmarks/cpu_split.py [ROUNDS]

Grades the HW2 examples (and anchors/instant.py, whose functions return at once) serially in
this process, the way a batch worker does: the assignment loaded once, every child forked from
one warm worker. For each, with the sandbox on and off (interleaved, so that background load
falls on both alike), it prints per submission: the wall time, the CPU of this process (judging,
results, driving the child), of the warm worker itself (forking), and of the children it forked
(the sandbox's processes and the student's code), read from /proc and os.times().
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = r'''
import json, os, sys, time
from pathlib import Path
from grader.boundary import zygote
warm = zygote.start_shared()
from grader.assignment import load_assignment
from grader.grading import grade, to_results
assignment = load_assignment(Path("rubrics/hw2.yaml"))
examples = sorted(Path("submissions_example/hw2").glob("*.py"))
instant = [Path("benchmarks/anchors/instant.py")]
tick = os.sysconf("SC_CLK_TCK")

def worker_cpu():
    fields = Path(f"/proc/{warm.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(map(int, fields[11:13])) / tick, sum(map(int, fields[13:15])) / tick

out = {}
for name, subs in (("examples", examples), ("instant", instant)):
    for s in subs:
        to_results(grade(assignment, s)).to_json()  # warm-up
    n = int(sys.argv[1]) * (1 if name == "examples" else len(examples))
    wall, mine, (zself, zkids) = time.perf_counter(), os.times(), worker_cpu()
    for _ in range(n):
        for s in subs:
            to_results(grade(assignment, s)).to_json()
    count = n * len(subs)
    after, (zself2, zkids2) = os.times(), worker_cpu()
    out[name] = {"wall": (time.perf_counter() - wall) / count * 1000,
                 "grader": (after.user + after.system - mine.user - mine.system) / count * 1000,
                 "worker": (zself2 - zself) / count * 1000, "children": (zkids2 - zkids) / count * 1000}
print(json.dumps(out))
'''


def main() -> None:
    rounds = sys.argv[1] if len(sys.argv) > 1 else "4"
    python = str(ROOT / ".venv" / "bin" / "python")
    runs: dict[str, list[dict[str, dict[str, float]]]] = {"auto": [], "off": []}
    for mode in ("auto", "off", "auto", "off"):
        done = subprocess.run([python, "-c", PROGRAM, rounds], capture_output=True, text=True, check=True,
                              cwd=ROOT, env={**os.environ, "NUMGRADER_SANDBOX": mode})
        runs[mode].append(json.loads(done.stdout.splitlines()[-1]))
    print("ms per submission (median of 2 runs each)   wall   grader  warm worker  children  total CPU")
    for kind in ("examples", "instant"):
        for mode, label in (("auto", "sandbox on "), ("off", "sandbox off")):
            parts = {k: statistics.median(r[kind][k] for r in runs[mode])
                     for k in ("wall", "grader", "worker", "children")}
            total = parts["grader"] + parts["worker"] + parts["children"]
            print(f"{kind:8s} {label}                     {parts['wall']:6.1f}  {parts['grader']:6.1f}  "
                  f"{parts['worker']:11.1f}  {parts['children']:8.1f}  {total:9.1f}")


if __name__ == "__main__":
    main()
