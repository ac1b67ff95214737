"""Attack (or accident): functions that end the process — os._exit(0) in one, exit() in another."""

import os


def add(a, b):
    return a + b


def mean(xs):
    os._exit(0)


def secret():
    exit()
