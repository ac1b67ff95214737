"""The answer key of the hostile suite: what every attack tries to reach."""

import numpy as np

SECRET = 7_340_033  # no submission can know this without reading this file (or the grader's memory)


def add(a, b):
    return a + b


def mean(xs):
    return float(np.mean(xs))


def secret():
    return SECRET
