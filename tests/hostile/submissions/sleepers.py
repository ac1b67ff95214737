"""Attack: leave processes behind — detached, in their own session, double-forked — at import and in a call.

Each runs `sleep MARK`; the test looks for any survivor after grading.
"""

import os
import subprocess

MARK = "4242.4242"


def _spawn():
    quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.Popen(["sleep", MARK], start_new_session=True, **quiet)
    pid = os.fork()
    if pid == 0:  # double fork: the grandchild is orphaned, in a session of its own
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", MARK])
        os._exit(0)
    os.waitpid(pid, 0)


_spawn()


def add(a, b):
    _spawn()
    return a + b


def mean(xs):
    return float(sum(xs) / len(xs))


def secret():
    return 0
