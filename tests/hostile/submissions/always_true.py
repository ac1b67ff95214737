"""Attack: values that claim to equal anything — an object, an ndarray subclass, a float subclass."""

import numpy as np


class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


class LiarArray(np.ndarray):
    """Wrong values, in an array that says it equals everything."""

    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

    def __ne__(self, other):
        return np.zeros(np.shape(other), dtype=bool)

    def __float__(self):
        return 3.0

    def __array_function__(self, func, types, args, kwargs):
        return True

    __hash__ = None


class SneakyFloat(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__


def add(a, b):
    return Anything()


def mean(xs):
    return np.zeros(1).view(LiarArray)


def secret():
    return SneakyFloat(0.0)
