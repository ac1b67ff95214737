# ruff: noqa: E741  (the handout names the image I)
"""An HW2 "submission" whose every function returns at once: wrong values of the right shape.

Grading it measures the grader's own overhead per submission (process start, import, calls,
transfer, comparison, results), with no student computation in the way. It scores 0 apart from
what garbage happens to satisfy. No numpy import of its own: only len() of the arguments.
"""


def min_norm_solution(X, t):
    return [0.0] * len(X[0])


def sgd(X, t, lr, num_steps, seed):
    return [0.0] * len(X[0])


def computation_graph():
    return [("w0", "L0")]


def memory_complexity():
    return {"forward": "O(1)", "backward": "O(1)"}


def realistic_problem():
    return ""


def gd_step(w0, X, t, eta):
    return [0.0] * len(w0)


def loss_after_one_step(X, t, w0, eta):
    return 0.0


def loss_second_derivative(X, t, w0):
    return 0.0


def is_convex_in_eta():
    return False


def loss_derivative(X, t, w0, eta):
    return 0.0


def optimal_learning_rate(X, t, w0):
    return 1.0


def filter_response():
    return [[0.0] * 5 for _ in range(5)]


def filter_detects():
    return "nothing"


def conv2d(I, J):
    return [[0.0] * len(I[0]) for _ in range(len(I))]


def conv_net_table(input_shape, layers):
    return [(0, 0)] * len(layers)


def total_parameters(input_shape, layers):
    return 0
