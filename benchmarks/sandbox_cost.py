"""What the sandbox costs per submission: grade() of the correct HW2 submission, sandbox on vs off.

    .venv/bin/python benchmarks/sandbox_cost.py [REPEATS]

Both modes fork children from the warm worker and load the assignment once; they alternate
(on, off, on, off) so that load from other work falls on both alike. Prints median and best.
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


def main() -> None:
    repeats = sys.argv[1] if len(sys.argv) > 1 else "15"
    python = str(ROOT / ".venv" / "bin" / "python")
    times: dict[str, list[float]] = {}
    for mode in ("auto", "off", "auto", "off"):
        run = subprocess.run([python, "-c", PROGRAM, repeats], capture_output=True, text=True, check=True,
                             cwd=ROOT, env={**os.environ, "NUMGRADER_SANDBOX": mode})
        times.setdefault(mode, []).extend(json.loads(run.stdout))
    for mode, label in (("auto", "sandbox on "), ("off", "sandbox off")):
        values = times[mode]
        print(f"{label}: median {statistics.median(values) * 1000:6.1f} ms, best {min(values) * 1000:6.1f} ms "
              f"(n={len(values)})")
    extra = statistics.median(times["auto"]) - statistics.median(times["off"])
    print(f"the sandbox adds {extra * 1000:.1f} ms per submission (median)")


if __name__ == "__main__":
    main()
