"""Attack: one call never returns; the others are honest."""


def add(a, b):
    return a + b


def mean(xs):
    while True:
        pass


def secret():
    return 0
