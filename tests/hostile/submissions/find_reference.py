"""Attack: search the filesystem (and the grader's directories through /proc) for the answer key.

It looks for reference/*.py and rubrics/*.yaml everywhere it can see: first where the
processes it can see are working (/proc/<pid>/cwd and /proc/<pid>/root, its parent first),
then under / (all of it but /usr), then /usr. When it finds a reference with the functions
it needs, it delegates to it.
"""

import importlib.util
import os
import sys
import time

DEADLINE = time.monotonic() + 1.5
PRUNE = {".git", "__pycache__", "site-packages", "dist-packages", "node_modules"}
found_reference, found_rubrics = [], []
visited = 0
complete = True


def _walk(top):
    global visited, complete
    for folder, dirs, files in os.walk(top):
        if time.monotonic() > DEADLINE:
            complete = False
            return
        dirs[:] = [d for d in dirs if d not in PRUNE and not (folder == "/" and d in ("proc", "sys", "dev", "usr"))]
        visited += len(files)
        parent = os.path.basename(folder)
        for name in files:
            if parent == "reference" and name.endswith(".py"):
                found_reference.append(os.path.join(folder, name))
            elif parent == "rubrics" and name.endswith((".yaml", ".yml")):
                found_rubrics.append(os.path.join(folder, name))


def _proc_roots():
    try:  # a sandbox may not let it list /proc (Landlock): then only its parent is tried
        listed = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    except OSError:
        listed = []
    pids = [os.getppid(), *listed]
    roots = []
    for pid in pids:
        for link in ("cwd", "root"):
            path = f"/proc/{pid}/{link}"
            try:
                os.listdir(path)
            except OSError:
                continue
            if os.path.realpath(path) != "/":
                roots.append(path)
    return roots


for top in _proc_roots():
    _walk(top)
    if found_reference:
        break
if not found_reference:
    _walk("/")
outside_usr_complete = complete
if not found_reference:
    _walk("/usr")

STOLEN = None
for path in found_reference:
    try:
        spec = importlib.util.spec_from_file_location("stolen_reference", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception:
        continue
    if all(hasattr(module, name) for name in ("add", "mean", "secret")):
        STOLEN = module
        break

print(f"HOSTILE found references={found_reference[:5]} rubrics={found_rubrics[:5]} visited={visited} "
      f"outside_usr_complete={outside_usr_complete} stolen={STOLEN is not None}", file=sys.stderr)


def add(a, b):
    return STOLEN.add(a, b) if STOLEN else 0


def mean(xs):
    return STOLEN.mean(xs) if STOLEN else 0.0


def secret():
    return STOLEN.secret() if STOLEN else 0
