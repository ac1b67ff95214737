"""An honest answer to the bounds assignment (all but the secret)."""


def add(a, b):
    return a + b


def graph():
    return [("w0", "L0"), ("w0", "w1"), ("eta", "w1")]


def order():
    return "O(t)"


def secret():
    return 0


def iterations():
    return 10
