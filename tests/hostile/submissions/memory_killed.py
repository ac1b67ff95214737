"""Attack: a call killed while it holds most of its memory — what an out-of-memory killer does.

The test grades it with a 512 MiB limit (touching memory is slow on small machines).
"""

import os
import signal

import numpy as np


def add(a, b):
    return a + b


def mean(xs):
    hoard = np.ones(40_000_000)  # 320 MB, touched
    os.kill(os.getpid(), signal.SIGKILL)
    return float(hoard[0])


def secret():
    return 0
