"""The answer key of tests/hostile/rubrics/bounds.yaml."""

SECRET = 9_437_189


def add(a, b):
    return a + b


def graph():
    return [("w0", "L0"), ("w0", "w1"), ("eta", "w1")]


def order():
    return "O(t)"


def secret():
    return SECRET
