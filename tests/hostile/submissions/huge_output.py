"""Attack: return an array of 10^8 elements."""

import numpy as np


def add(a, b):
    return a + b


def mean(xs):
    return np.zeros(10**8)


def secret():
    return 0
