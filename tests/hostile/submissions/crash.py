"""Attack (or accident): a call that crashes the interpreter with a segmentation fault."""

import ctypes


def add(a, b):
    return a + b


def mean(xs):
    ctypes.memset(8, 0, 1)  # write to address 8
    return 0.0


def secret():
    return 0
