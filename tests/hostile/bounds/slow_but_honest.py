"""Honest but slow: one call over its limit, the others just inside theirs."""

import time


def add(a, b):
    time.sleep(1.5)  # over the 1 s call limit: a time-out, with or without a call plan
    return a + b


def mean(xs):
    time.sleep(0.8)
    return sum(xs) / len(xs)


def secret():
    time.sleep(0.8)
    return 0
