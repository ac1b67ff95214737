"""Attack: read the grader's environment, command line and memory through /proc.

The test runs the grader with HOSTILE_ANSWER=<the secret> in its environment; a submission
that can read its parent's /proc/<pid>/environ or /proc/<pid>/mem finds it.
"""

import os
import re

ANSWER = None
readable = {}
pattern = re.compile(rb"HOSTILE_ANSWER=(\d+)")
try:  # a sandbox may not even let it list /proc (Landlock): then only its parent is tried
    listed = sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid())
except OSError:
    listed = []
pids = [os.getppid(), *listed]
for pid in pids:
    for name in ("environ", "cmdline"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as stream:
                data = stream.read()
        except OSError:
            continue
        readable.setdefault(name, []).append(pid)
        match = pattern.search(data)
        if match and ANSWER is None:
            ANSWER = int(match.group(1))
    try:
        with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb") as mem:
            for line in maps:
                if "[stack]" not in line and "[heap]" not in line:
                    continue
                start, end = (int(x, 16) for x in line.split()[0].split("-"))
                mem.seek(start)
                data = mem.read(min(end - start, 8 << 20))
                readable.setdefault("mem", []).append(pid)
                match = pattern.search(data)
                if match and ANSWER is None:
                    ANSWER = int(match.group(1))
    except (OSError, ValueError):
        pass

print(f"HOSTILE parent={os.getppid()} readable={readable} answer={ANSWER}")


def add(a, b):
    return a + b


def mean(xs):
    return sum(xs) / len(xs)


def secret():
    return ANSWER if ANSWER is not None else 0
