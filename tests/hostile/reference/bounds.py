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


def iterations():
    return 10


def judge_iterations(received, expected, args):
    """A judge that replays the student's number of steps: its time is the submission's to choose."""
    if type(received) is not int or received < 1:
        return 0.0, "expected a positive whole number of steps"
    x = 1.0
    for _ in range(received):
        x = 0.5 * x + 0.5
    return (1.0, "") if abs(x - 1.0) < 1e-9 or received >= 10 else (0.0, "too few steps to converge")
