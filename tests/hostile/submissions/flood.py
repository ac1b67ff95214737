"""Attack: flood stdout with 200 MB (at import), then answer honestly."""

import sys

CHUNK = "x" * (1 << 20)
for _ in range(200):
    sys.stdout.write(CHUNK)
print("HOSTILE flood done")


def add(a, b):
    return a + b


def mean(xs):
    return float(sum(xs) / len(xs))


def secret():
    return 0
