"""Attack: exhaust memory inside one call (MemoryError); the other calls are honest."""

import numpy as np


def add(a, b):
    return a + b


def mean(xs):
    return float(np.ones(1 << 31).sum())  # 16 GiB


def secret():
    return 0
