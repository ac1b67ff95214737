"""Values whose own code raises while the child encodes them."""

import numpy as np


class Exploding(np.ndarray):
    @property
    def dtype(self):  # the encoder reads it
        raise RuntimeError("boom while being encoded")


def add(a, b):
    return a + b


def mean(xs):
    return np.asarray(xs, dtype=float).view(Exploding)


def secret():
    nested = []
    for _ in range(100_000):  # deeper than anything the encoder walks
        nested = [nested]
    return nested
