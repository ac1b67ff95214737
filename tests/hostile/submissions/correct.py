"""An honest attempt at the hostile assignment: full marks except the secret it cannot know."""

import numpy as np


def add(a, b):
    return a + b


def mean(xs):
    return float(np.mean(xs))


def secret():
    return 0
