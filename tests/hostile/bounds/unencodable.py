"""Answers the wire cannot carry as they are: a longdouble (correct), a complex, a huge int."""

import numpy as np


def add(a, b):
    return np.longdouble(a) + np.longdouble(b)  # .item() of a longdouble is a longdouble again


def mean(xs):
    return np.complex128(np.mean(xs))


def secret():
    return 10**5000
