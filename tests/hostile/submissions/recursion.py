"""Attack (or accident): unbounded recursion in one call."""


def add(a, b):
    return a + b


def mean(xs):
    return mean(xs) + 1


def secret():
    return 0
