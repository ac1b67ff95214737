"""HW2 — Optimization, gradient-based hyper-parameter optimization and ConvNets.

Fill in every function below; do not rename them or change their parameters. Each function is
graded on its own, on the handout's inputs and on other (sometimes hidden) inputs, so solve the
general problem: do not hard-code the handout's numbers.

You may import numpy, scipy and matplotlib (plots are drawn to files only: plt.show() shows
nothing while grading) and the Python standard library, and your own helper modules handed in
beside this file; nothing else is installed for grading. Returning numpy arrays, numpy scalars,
Python lists or tuples is fine wherever a vector, matrix or list is asked for; return a plain
number where a number is asked for.

Run the course's self-check before you submit.
"""

# ruff: noqa: E741  (the handout names the image I)
from __future__ import annotations

import numpy as np

# =============================================================================================
# Question 1 — SGD and the minimum-norm solution
# =============================================================================================


def min_norm_solution(X, t):
    """Q1.1.1: the minimum-norm solution of the overparameterized least-squares problem.

    X: array of shape (n, d) with n < d and full row rank; t: array of shape (n,).
    Return w* of shape (d,): the vector of smallest Euclidean norm with X w = t.
    (Prefer np.linalg.solve to an explicit matrix inverse.)
    """
    raise NotImplementedError


def sgd(X, t, lr, num_steps, seed):
    """Q1.1.1: single-example stochastic gradient descent.

    Start from w = 0 (shape (d,)). At each of the num_steps steps draw one example index
    i uniformly from {0, ..., n-1} and take a gradient step on its loss (w^T x_i - t_i)^2 with
    learning rate lr (the gradient is 2 (w^T x_i - t_i) x_i). Use
    rng = np.random.default_rng(seed) and i = rng.integers(n) for the draws.

    X: (n, d) array, t: (n,) array, lr: float, num_steps: int, seed: int.
    Return the final w, shape (d,). It must really iterate: it is also run with num_steps=1.
    """
    raise NotImplementedError


# =============================================================================================
# Question 2.1 — Computation graph of learning rates
# =============================================================================================


def computation_graph():
    """Q2.1.1: the computation graph of two gradient-descent iterations.

    Nodes (use exactly these names): "w0", "L0", "grad_w0", "w1", "L1", "grad_w1", "w2", "L2",
    "eta" (the learning rate; grad_wk is the gradient of L_k with respect to w_k).
    Return a list of directed edges (src, dst), each a pair of node names, e.g. ("w0", "L0"),
    meaning src is an input to the computation of dst. The order of the edges does not matter.
    Draw the gradient node either from w_k or from L_k (both conventions are accepted).
    """
    raise NotImplementedError


def memory_complexity():
    """Q2.1.2: memory complexity in terms of the number of iterations t.

    Return a dict {"forward": ..., "backward": ...} whose values are big-O strings in t, such as
    "O(1)", "O(t)", "O(t^2)": "forward" for forward propagation to compute L_t, "backward" for
    standard back-propagation to compute the gradient of L_t with respect to eta.
    """
    raise NotImplementedError


def realistic_problem():
    """Q2.1.3: return a short paragraph (a str); this answer is read by a person."""
    raise NotImplementedError


# =============================================================================================
# Question 2.2 — Learning learning rates
# Notation: n = number of rows of X, a = X w0 - t, loss L(w) = (1/n) ||X w - t||^2.
# =============================================================================================


def gd_step(w0, X, t, eta):
    """Q2.2.1: one full-batch gradient-descent step on L from w0 with learning rate eta.

    w0: (d,), X: (n, d), t: (n,), eta: float. Return w1, shape (d,).
    (Note the parameter order: w0 comes first here.)
    """
    raise NotImplementedError


def loss_after_one_step(X, t, w0, eta):
    """Q2.2.1: L1(eta) = L(w1), the loss after one GD step from w0 (you may reuse gd_step). Return a float."""
    raise NotImplementedError


def loss_second_derivative(X, t, w0):
    """Q2.2.2: d^2 L1 / d eta^2 (it does not depend on eta). Return a float."""
    raise NotImplementedError


def is_convex_in_eta():
    """Q2.2.2: return True if L1 is convex in eta, False otherwise."""
    raise NotImplementedError


def loss_derivative(X, t, w0, eta):
    """Q2.2.3: dL1 / d eta evaluated at eta. Return a float."""
    raise NotImplementedError


def optimal_learning_rate(X, t, w0):
    """Q2.2.3: the learning rate eta* that minimizes L1(eta). Return a float."""
    raise NotImplementedError


# =============================================================================================
# Question 3 — Convolutional neural networks
# =============================================================================================

HANDOUT_IMAGE = np.array(
    [
        [0, 1, 1, 0, 0],
        [0, 1, 1, 1, 0],
        [1, 1, 1, 1, 0],
        [0, 1, 1, 1, 0],
        [0, 0, 1, 0, 0],
    ]
)
HANDOUT_FILTER = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]])

HANDOUT_INPUT_SHAPE = (112, 112, 3)
HANDOUT_LAYERS = [
    "conv3-64",
    "maxpool",
    "conv3-128",
    "maxpool",
    "conv3-256",
    "conv3-256",
    "maxpool",
    "fc-1024",
    "fc-100",
    "softmax",
]


def conv2d(I, J):
    """Q3.1: 2-D convolution of image I with kernel J, zero padding, output the size of I.

    I: 2-D array (H, W), not necessarily square; J: 2-D array (kh, kw).
    This is a TRUE convolution: the kernel is flipped (rotated by 180 degrees), i.e.
        out[i, j] = sum_{m, n} J[m, n] * I[i + ch - m, j + cw - n],
    with ch = (kh - 1) // 2, cw = (kw - 1) // 2 and I taken as 0 outside its bounds. For odd
    kernel sizes J[ch, cw] is the centre of the kernel; for even sizes it is the upper-left cell of
    the central 2x2 block (the convention of scipy.signal.convolve2d(I, J, mode="same")).
    It must work for any kernel size. Return a float array of shape (H, W).
    """
    raise NotImplementedError


def filter_response():
    """Q3.1: the resulting matrix of the handout, conv2d(HANDOUT_IMAGE, HANDOUT_FILTER), (5, 5)."""
    raise NotImplementedError


def filter_detects():
    """Q3.1: the feature this filter detects, in one or two words (a str)."""
    raise NotImplementedError


def conv_net_table(input_shape, layers):
    """Q3.2: output units and number of parameters of every layer of a conv net.

    input_shape: (H, W, C) of the input image (a tuple or list of ints).
    layers: list of layer strings, case-insensitive:
      "convK-C"  K x K convolution, C filters, stride 1, same padding (H and W unchanged), with a
                 bias per filter; e.g. "conv3-64".
      "maxpool"  2 x 2 max-pooling with stride 2 (H and W halved, rounded down), no parameters.
      "fc-N"     fully connected layer with N units on the flattened input, with biases.
      "softmax"  no parameters, same number of units as its input.
    Raise ValueError on a layer string you do not recognize.
    Return a list with one (output_units, parameters) pair of ints per layer, in order, where
    output_units is H * W * C of the layer's output (N for an fc layer). The input image itself
    is not a row of the table.
    """
    raise NotImplementedError


def total_parameters(input_shape, layers):
    """Q3.2: the total number of parameters (including biases) of the net; an int (you may reuse conv_net_table)."""
    raise NotImplementedError
