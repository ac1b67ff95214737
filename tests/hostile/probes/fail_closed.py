"""Run inside a pid namespace of its own (tests/sandbox/test_hostile.py starts it with `unshare --pid`):
the fail-closed path without namespaces, with canary processes of other uids beside it.

Should a sweep ever signal as root again, it kills only this namespace (this script included,
so the test fails) and never the machine. Prints one JSON line: what happened to each canary.
"""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
os.environ["NUMGRADER_SANDBOX"] = "nonamespaces"

from grader.assignment import load_assignment  # noqa: E402
from grader.boundary.session import ChildSession  # noqa: E402
from grader.sandbox import policy, uid_guard  # noqa: E402

NOBODY = 65534
canaries = {
    "root": subprocess.Popen(["sleep", "60"]),
    "nobody": subprocess.Popen(["sleep", "60"], user=NOBODY, group=NOBODY, extra_groups=[]),
}
real_plan = policy.make
forced: dict[str, object] = {"uid": int(sys.argv[1])}
if len(sys.argv) > 2:
    forced["uid_range"] = (int(sys.argv[2]), 1000)
policy.make = lambda *args, **kwargs: dataclasses.replace(real_plan(*args, **kwargs), **forced)
limits = load_assignment(ROOT / "tests/hostile/rubrics/hostile.yaml").rubric.limits
with ChildSession(ROOT / "tests/hostile/submissions/correct.py", "hostile", limits) as session:
    first = session.start()
direct = {
    "root": uid_guard.kill_all_of(0, 0),
    "nobody": uid_guard.kill_all_of(NOBODY, NOBODY - 10),
    "self": uid_guard.kill_all_of(os.getuid(), 0),
}
alive = {name: process.poll() is None for name, process in canaries.items()}
for process in canaries.values():
    process.kill()
print(json.dumps({"status": first.status, "message": first.message, "sent": direct, "alive": alive}))
