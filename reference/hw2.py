"""Trusted reference for HW2 (optimization, hyper-gradients, ConvNets).

Imported only by the grader's parent process; depends on numpy and the standard library only.

The module holds four kinds of functions:

1. Reference solutions, with exactly the student's names and signatures (see ``templates/hw2.py``).
2. Input generators ``name(rng, **kwargs) -> dict``: the dict's values are the arguments of the
   student function IN ITS PARAMETER ORDER (the engine passes them positionally). Values are numpy
   arrays, Python floats, ints, lists and strings only.
3. Known-mistake variants: same positional parameters as the student function, returning what a
   typical wrong answer returns (so that the engine can name the mistake).
4. Judges ``judge_name(received, expected, args, **options) -> (credit in [0, 1], message[, mistake])``
   for checks that are not "compare with the reference output". They never raise on a malformed
   ``received`` and their messages never print expected values; the message is "" on full credit.
   The optional third item names a known mistake the judge recognized (the batch report counts them).

Notation (Q2): ``a = X w0 - t``, ``n`` = number of rows of X,
``w1 = w0 - (2 eta / n) X^T a`` and ``L1(eta) = (1/n) ||X w1 - t||^2 = (1/n) ||a - (2 eta / n) X X^T a||^2``.

Conventions:

* ``conv2d`` is a true convolution (the kernel is flipped) with zero padding and output the size of
  the image. The kernel element aligned with the output pixel is ``J[(kh - 1) // 2, (kw - 1) // 2]``:
  for odd sizes that is the centre; for even sizes it is the upper-left cell of the central 2x2
  block. This is the convention of ``numpy.convolve(..., "same")`` and
  ``scipy.signal.convolve2d(..., mode="same")``.
* Layer strings (Q3.2), parsed case-insensitively, surrounding whitespace ignored:
  ``"convK-C"`` (KxK kernel, stride 1, same padding, C filters, with bias), ``"maxpool"`` (2x2, stride 2,
  floor), ``"fc-N"`` (flattens its input, N units, with bias), ``"softmax"`` (no parameters).
  ``"max-pool"`` and ``"soft-max"`` (the worked table's spelling) are accepted too.
"""

# ruff: noqa: E741  (the handout names the image I)
from __future__ import annotations

import math
import numbers
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

# A judge's answer: (credit, message) or (credit, message, name of the recognized mistake).
Verdict = tuple[float, str] | tuple[float, str, str | None]

# ---------------------------------------------------------------------------------------------
# Handout constants
# ---------------------------------------------------------------------------------------------


def _readonly(a: Any) -> np.ndarray:
    arr = np.array(a, dtype=float)
    arr.setflags(write=False)
    return arr


#: Q3.1 image (the only 0/1 image consistent with the worked answer's matrix).
HANDOUT_IMAGE: np.ndarray = _readonly(
    [
        [0, 1, 1, 0, 0],
        [0, 1, 1, 1, 0],
        [1, 1, 1, 1, 0],
        [0, 1, 1, 1, 0],
        [0, 0, 1, 0, 0],
    ]
)
#: Q3.1 filter: a (negated) discrete Laplacian.
HANDOUT_FILTER: np.ndarray = _readonly([[0, -1, 0], [-1, 4, -1], [0, -1, 0]])
#: Q3.2 input image shape (H, W, C).
HANDOUT_INPUT_SHAPE: tuple[int, int, int] = (112, 112, 3)
#: Q3.2 architecture.
HANDOUT_LAYERS: list[str] = [
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

# ---------------------------------------------------------------------------------------------
# 1. Reference solutions
# ---------------------------------------------------------------------------------------------

# --- Q1.1.1 -----------------------------------------------------------------------------------


def min_norm_solution(X: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Minimum-norm interpolant w* = X^T (X X^T)^{-1} t (X is n x d, n < d, full row rank)."""
    X = np.asarray(X, dtype=float)
    t = np.asarray(t, dtype=float)
    return X.T @ np.linalg.solve(X @ X.T, t)


def sgd(X: np.ndarray, t: np.ndarray, lr: float, num_steps: int, seed: int) -> np.ndarray:
    """Single-example SGD from w0 = 0 on (w^T x_i - t_i)^2.

    Each step draws ``i = rng.integers(n)`` with ``rng = np.random.default_rng(seed)`` and updates
    ``w <- w - 2 lr (w^T x_i - t_i) x_i``.
    """
    X = np.asarray(X, dtype=float)
    t = np.asarray(t, dtype=float)
    n, d = X.shape
    rng = np.random.default_rng(seed)
    w = np.zeros(d)
    for _ in range(int(num_steps)):
        i = rng.integers(n)
        xi = X[i]
        w -= 2.0 * lr * (xi @ w - t[i]) * xi
    return w


# --- Q2.1 -------------------------------------------------------------------------------------

_GRAPH_COMMON: list[tuple[str, str]] = [
    ("w0", "L0"),
    ("w0", "w1"),
    ("grad_w0", "w1"),
    ("eta", "w1"),
    ("w1", "L1"),
    ("w1", "w2"),
    ("grad_w1", "w2"),
    ("eta", "w2"),
    ("w2", "L2"),
]


def computation_graph() -> list[tuple[str, str]]:
    """Edges (src, dst) of two GD iterations, gradient nodes drawn from w (w_k -> grad_wk)."""
    return accepted_computation_graphs()[0]


def accepted_computation_graphs() -> list[list[tuple[str, str]]]:
    """Both accepted graphs: gradient node drawn from w_k, or drawn from L_k."""
    from_w = [*_GRAPH_COMMON, ("w0", "grad_w0"), ("w1", "grad_w1")]
    from_l = [*_GRAPH_COMMON, ("L0", "grad_w0"), ("L1", "grad_w1")]
    return [from_w, from_l]


def memory_complexity() -> dict[str, str]:
    """Forward pass keeps only the latest w: O(1) in t; back-propagation stores every w_k: O(t)."""
    return {"forward": "O(1)", "backward": "O(t)"}


def realistic_problem() -> str:
    """Free-text answer for 2.1.3 (graded by a person)."""
    return (
        "Realistic models need thousands of iterations, and the hyper-gradient with respect to the "
        "learning rate has to be back-propagated through the whole unrolled optimization: standard "
        "back-propagation stores every intermediate weight vector w_k, so memory (and time) grow "
        "linearly with the number of iterations t, which quickly becomes infeasible for large "
        "networks. Moreover, the gradient through a long chain of updates is a product of many "
        "Jacobians (I - eta * Hessian), so it tends to explode or vanish and the hyper-gradient "
        "becomes unstable or uninformative over long horizons (greedy short-horizon versions are "
        "biased towards small learning rates instead)."
    )


# --- Q2.2 -------------------------------------------------------------------------------------


def _residual(X: np.ndarray, t: np.ndarray, w0: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    X = np.asarray(X, dtype=float)
    t = np.asarray(t, dtype=float)
    w0 = np.asarray(w0, dtype=float)
    return X, X @ w0 - t, X.shape[0]


def gd_step(w0: np.ndarray, X: np.ndarray, t: np.ndarray, eta: float) -> np.ndarray:
    """One GD step on (1/n)||Xw - t||^2: w1 = w0 - (2 eta / n) X^T (X w0 - t)."""
    X, a, n = _residual(X, t, w0)
    w1: np.ndarray = np.asarray(w0, dtype=float) - (2.0 * eta / n) * (X.T @ a)
    return w1


def loss_after_one_step(X: np.ndarray, t: np.ndarray, w0: np.ndarray, eta: float) -> float:
    """L1(eta) = (1/n) ||X w1 - t||^2 with w1 = gd_step(w0, X, t, eta)."""
    X = np.asarray(X, dtype=float)
    r = X @ gd_step(w0, X, t, eta) - np.asarray(t, dtype=float)
    return float(r @ r / X.shape[0])


def loss_at_students_w1(w1: Any, X: np.ndarray, t: np.ndarray, w0: np.ndarray, eta: float) -> float:
    """L1 for the student's own gd_step output w1 (error carried forward): (1/n) ||X w1 - t||^2."""
    X = np.asarray(X, dtype=float)
    r = X @ np.asarray(w1, dtype=float).reshape(-1) - np.asarray(t, dtype=float)
    return float(r @ r / X.shape[0])


def loss_second_derivative(X: np.ndarray, t: np.ndarray, w0: np.ndarray) -> float:
    """d^2 L1 / d eta^2 = (8 / n^3) ||X X^T a||^2 (constant in eta, >= 0)."""
    X, a, n = _residual(X, t, w0)
    b = X @ (X.T @ a)
    return float(8.0 / n**3 * (b @ b))


def is_convex_in_eta() -> bool:
    """L1 is a quadratic in eta with non-negative leading coefficient, hence convex."""
    return True


def loss_derivative(X: np.ndarray, t: np.ndarray, w0: np.ndarray, eta: float) -> float:
    """dL1/d eta = -(4 / n^2) a^T X X^T a + (8 eta / n^3) a^T X X^T X X^T a."""
    X, a, n = _residual(X, t, w0)
    g = X.T @ a
    b = X @ g
    return float(-4.0 / n**2 * (g @ g) + 8.0 * eta / n**3 * (b @ b))


def optimal_learning_rate(X: np.ndarray, t: np.ndarray, w0: np.ndarray) -> float:
    """eta* = n a^T X X^T a / (2 a^T X X^T X X^T a), the zero of dL1/d eta.

    Raises ValueError when X X^T a = 0 (then L1 does not depend on eta).
    """
    X, a, n = _residual(X, t, w0)
    g = X.T @ a
    b = X @ g
    den = float(b @ b)
    if den == 0.0:
        raise ValueError("X X^T a = 0: L1 does not depend on eta, eta* is undefined")
    return float(n * (g @ g) / (2.0 * den))


# --- Q3.1 -------------------------------------------------------------------------------------


def _correlate_same(I: np.ndarray, K: np.ndarray, top: int, left: int) -> np.ndarray:
    """sum_{u,v} K[u, v] Ipad[i + u, j + v] with I zero-padded by (top, left) before its start."""
    H, W = I.shape
    kh, kw = K.shape
    P = np.zeros((H + kh - 1, W + kw - 1))
    P[top : top + H, left : left + W] = I
    out = np.zeros((H, W))
    for u in range(kh):
        for v in range(kw):
            if K[u, v] != 0.0:
                out += K[u, v] * P[u : u + H, v : v + W]
    return out


def _check_image_kernel(I: Any, J: Any) -> tuple[np.ndarray, np.ndarray]:
    I = np.asarray(I, dtype=float)
    J = np.asarray(J, dtype=float)
    if I.ndim != 2 or J.ndim != 2 or I.size == 0 or J.size == 0:
        raise ValueError(f"I and J must be non-empty 2-D arrays, got shapes {I.shape} and {J.shape}")
    return I, J


def conv2d(I: np.ndarray, J: np.ndarray) -> np.ndarray:
    """Same-size 2-D convolution with zero padding, kernel flipped.

    out[i, j] = sum_{m, n} J[m, n] I[i + ch - m, j + cw - n], ch = (kh - 1) // 2, cw = (kw - 1) // 2
    (I is 0 outside its bounds), i.e. J[ch, cw] is aligned with the output pixel. Returns float (H, W).
    """
    I, J = _check_image_kernel(I, J)
    kh, kw = J.shape
    ch, cw = (kh - 1) // 2, (kw - 1) // 2
    return _correlate_same(I, J[::-1, ::-1], kh - 1 - ch, kw - 1 - cw)


def filter_response() -> np.ndarray:
    """conv2d(HANDOUT_IMAGE, HANDOUT_FILTER)."""
    return conv2d(HANDOUT_IMAGE, HANDOUT_FILTER)


def filter_detects() -> str:
    """The Laplacian-like filter responds to intensity changes: it detects edges."""
    return "edges"


# --- Q3.2 -------------------------------------------------------------------------------------

_CONV_RE = re.compile(r"conv(\d+)-(\d+)")
_FC_RE = re.compile(r"fc-(\d+)")


def _conv_net_table(input_shape: Sequence[int], layers: Sequence[str], bias: bool = True) -> list[tuple[int, int]]:
    if isinstance(input_shape, (str, bytes)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (H, W, C), got {input_shape!r}")
    H, W, C = (int(v) for v in input_shape)
    if min(H, W, C) <= 0:
        raise ValueError(f"input_shape must be positive, got {input_shape!r}")
    if isinstance(layers, (str, bytes)):
        raise ValueError("layers must be a list of layer strings")
    shape: tuple[int, ...] = (H, W, C)  # (H, W, C) while spatial, (N,) after an fc layer
    table: list[tuple[int, int]] = []
    for layer in layers:
        if not isinstance(layer, str):
            raise ValueError(f"layer must be a string, got {layer!r}")
        name = layer.strip().lower()
        if m := _CONV_RE.fullmatch(name):
            k, c_out = int(m.group(1)), int(m.group(2))
            if len(shape) != 3:
                raise ValueError(f"{layer!r} after a fully connected layer")
            if k <= 0 or c_out <= 0:
                raise ValueError(f"bad layer {layer!r}")
            params = k * k * shape[2] * c_out + (c_out if bias else 0)
            shape = (shape[0], shape[1], c_out)
        elif name in ("maxpool", "max-pool"):
            if len(shape) != 3:
                raise ValueError(f"{layer!r} after a fully connected layer")
            shape = (shape[0] // 2, shape[1] // 2, shape[2])
            if 0 in shape:
                raise ValueError(f"{layer!r} on a map smaller than 2x2")
            params = 0
        elif m := _FC_RE.fullmatch(name):
            units_in, units_out = math.prod(shape), int(m.group(1))
            if units_out <= 0:
                raise ValueError(f"bad layer {layer!r}")
            params = units_in * units_out + (units_out if bias else 0)
            shape = (units_out,)
        elif name in ("softmax", "soft-max"):
            params = 0
        else:
            raise ValueError(f"unknown layer {layer!r}")
        table.append((int(math.prod(shape)), int(params)))
    return table


def conv_net_table(input_shape: Sequence[int], layers: Sequence[str]) -> list[tuple[int, int]]:
    """Per layer (output units H*W*C or N, parameters): conv K*K*Cin*Cout + Cout, fc in*out + out."""
    return _conv_net_table(input_shape, layers, bias=True)


def total_parameters(input_shape: Sequence[int], layers: Sequence[str]) -> int:
    """Sum of the parameter column of conv_net_table."""
    return sum(p for _, p in conv_net_table(input_shape, layers))


# ---------------------------------------------------------------------------------------------
# 2. Input generators
# ---------------------------------------------------------------------------------------------


def _orthonormal(rng: np.random.Generator, m: int, k: int) -> np.ndarray:
    """m x k matrix with orthonormal columns (Haar-distributed)."""
    q, r = np.linalg.qr(rng.normal(size=(m, k)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def _well_conditioned(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """n x d, rank n, singular values uniform in [1, 2] (so cond(X X^T) <= 4)."""
    if not 0 < n < d:
        raise ValueError(f"need 0 < n < d, got n={n}, d={d}")
    s = rng.uniform(1.0, 2.0, size=n)
    X: np.ndarray = (_orthonormal(rng, n, n) * s) @ _orthonormal(rng, d, n).T
    return X


def overparameterized_problem(rng: np.random.Generator, n: int = 5, d: int = 12) -> dict[str, Any]:
    """{"X": (n, d) full row rank Gaussian, "t": (n,)} for min_norm_solution."""
    if not 0 < n < d:
        raise ValueError(f"need 0 < n < d, got n={n}, d={d}")
    X = rng.normal(size=(n, d))
    assert np.linalg.matrix_rank(X) == n
    return {"X": X, "t": rng.normal(size=n)}


def sgd_problem(rng: np.random.Generator, n: int = 4, d: int = 10, num_steps: int = 3000) -> dict[str, Any]:
    """{"X", "t", "lr", "num_steps", "seed"} for sgd, chosen so that SGD from 0 converges.

    X has singular values in [1, 2]; lr = 0.5 / max_i ||x_i||^2 (each step is a relaxed projection
    onto {w : w^T x_i = t_i} with relaxation 2 lr ||x_i||^2 in (0, 1]). With n=4 the default 3000
    steps reach the min-norm solution to machine precision (worst relative error 2e-15 over 300
    seeds) for random, shuffled or cyclic row orders, and also with a 4x smaller step (a student
    who drops the 2 or divides by n); the reference takes ~10 ms. Raise num_steps for larger n.
    """
    X = _well_conditioned(rng, n, d)
    t = rng.normal(size=n)
    lr = 0.5 / float(np.max(np.sum(X * X, axis=1)))
    seed = int(rng.integers(2**31 - 1))
    return {"X": X, "t": t, "lr": lr, "num_steps": int(num_steps), "seed": seed}


def sgd_one_step_problem(rng: np.random.Generator, n: int = 4, d: int = 10) -> dict[str, Any]:
    """sgd_problem with num_steps = 1 (for judge_sgd_one_step)."""
    return sgd_problem(rng, n=n, d=d, num_steps=1)


def learning_rate_problem(rng: np.random.Generator, n: int = 6, d: int = 10) -> dict[str, Any]:
    """{"X", "t", "w0", "eta"} (loss_after_one_step / loss_derivative order); w0 random, nonzero.

    eta = u * eta* with u uniform in [0.2, 0.7] or [1.3, 1.8], so eta is moderate and dL1/d eta is
    clearly nonzero (a sign error is visible).
    """
    X = rng.normal(size=(n, d))
    t = rng.normal(size=n)
    w0 = rng.normal(size=d)
    u = rng.uniform(0.2, 0.7)
    if rng.random() < 0.5:
        u += 1.1
    eta = u * optimal_learning_rate(X, t, w0)
    return {"X": X, "t": t, "w0": w0, "eta": float(eta)}


def learning_rate_problem_no_eta(rng: np.random.Generator, n: int = 6, d: int = 10) -> dict[str, Any]:
    """{"X", "t", "w0"} for loss_second_derivative and optimal_learning_rate."""
    args = learning_rate_problem(rng, n=n, d=d)
    del args["eta"]
    return args


def gd_step_problem(rng: np.random.Generator, n: int = 6, d: int = 10) -> dict[str, Any]:
    """{"w0", "X", "t", "eta"}: learning_rate_problem in gd_step's parameter order."""
    args = learning_rate_problem(rng, n=n, d=d)
    return {"w0": args["w0"], "X": args["X"], "t": args["t"], "eta": args["eta"]}


def random_image_and_kernel(
    rng: np.random.Generator, height: int = 6, width: int = 7, kernel: int = 3
) -> dict[str, Any]:
    """{"I": (height, width) integer-valued floats, "J": (kernel, kernel) asymmetric kernel}.

    The kernel is not invariant under a 180-degree rotation and conv2d(I, J) differs from the
    cross-correlation, so a missing flip is caught.
    """
    if kernel < 2 or height < 1 or width < 1:
        raise ValueError("need kernel >= 2 (a 1x1 kernel cannot be asymmetric) and a non-empty image")
    I = rng.integers(0, 10, size=(height, width)).astype(float)
    if not I.any():
        I[0, 0] = 1.0
    for _ in range(1000):
        J = rng.integers(-3, 4, size=(kernel, kernel)).astype(float)
        if np.array_equal(J, J[::-1, ::-1]):
            continue
        if not np.allclose(conv2d(I, J), conv2d_cross_correlation(I, J)):
            assert not np.array_equal(J, J[::-1, ::-1])
            return {"I": I, "J": J}
    raise ValueError("image too small to tell convolution from cross-correlation")


def handout_image_and_filter(rng: np.random.Generator) -> dict[str, Any]:
    """{"I": HANDOUT_IMAGE, "J": HANDOUT_FILTER} (copies; rng unused)."""
    return {"I": np.array(HANDOUT_IMAGE), "J": np.array(HANDOUT_FILTER)}


def random_architecture(rng: np.random.Generator, max_pools: int = 3, max_fc: int = 2) -> dict[str, Any]:
    """{"input_shape": [H, W, C], "layers": [...]}: a random VGG-like net.

    1..max_pools blocks of 1-2 convs (kernel 1/3/5, random channels) + maxpool, H and W multiples
    of 2**pools (often non-square), 1..max_fc fc layers, softmax last. Never equals the handout net.
    """
    while True:
        pools = int(rng.integers(1, max_pools + 1))
        H = int(2**pools * rng.integers(2, 8))
        W = int(2**pools * rng.integers(2, 8))
        C = int(rng.choice([1, 2, 3, 4]))
        layers: list[str] = []
        for _ in range(pools):
            for _ in range(int(rng.integers(1, 3))):
                k = int(rng.choice([1, 3, 5]))
                c = int(rng.choice([4, 8, 12, 16, 24, 32, 48, 64]))
                layers.append(f"conv{k}-{c}")
            layers.append("maxpool")
        for _ in range(int(rng.integers(1, max_fc + 1))):
            layers.append(f"fc-{int(rng.integers(5, 300))}")
        layers.append("softmax")
        input_shape = [H, W, C]
        table = conv_net_table(input_shape, layers)
        if sum(p for _, p in table) != 52_444_644 and table != conv_net_table(HANDOUT_INPUT_SHAPE, HANDOUT_LAYERS):
            return {"input_shape": input_shape, "layers": layers}


def handout_architecture(rng: np.random.Generator) -> dict[str, Any]:
    """{"input_shape": [112, 112, 3], "layers": HANDOUT_LAYERS} (copies; rng unused)."""
    return {"input_shape": list(HANDOUT_INPUT_SHAPE), "layers": list(HANDOUT_LAYERS)}


# ---------------------------------------------------------------------------------------------
# 3. Known-mistake variants
# ---------------------------------------------------------------------------------------------


def loss_derivative_sign_flipped(X: np.ndarray, t: np.ndarray, w0: np.ndarray, eta: float) -> float:
    """The worked answer's 2.2.3: +(4/n^2) a^T X X^T a - (8 eta/n^3) a^T X X^T X X^T a."""
    return -loss_derivative(X, t, w0, eta)


def gd_step_without_factor_two(w0: np.ndarray, X: np.ndarray, t: np.ndarray, eta: float) -> np.ndarray:
    """Forgets the 2 of the squared loss: w0 - (eta / n) X^T a."""
    X, a, n = _residual(X, t, w0)
    w1: np.ndarray = np.asarray(w0, dtype=float) - (eta / n) * (X.T @ a)
    return w1


def optimal_learning_rate_without_n(X: np.ndarray, t: np.ndarray, w0: np.ndarray) -> float:
    """Forgets the factor n: a^T X X^T a / (2 a^T X X^T X X^T a)."""
    return optimal_learning_rate(X, t, w0) / int(np.asarray(X).shape[0])


def memory_complexity_backward_constant() -> dict[str, str]:
    """The worked answer's muddle: back-propagation O(1) in t."""
    return {"forward": "O(1)", "backward": "O(1)"}


def conv2d_cross_correlation(I: np.ndarray, J: np.ndarray) -> np.ndarray:
    """No kernel flip: out[i, j] = sum_{m, n} J[m, n] I[i + m - ch, j + n - cw]."""
    I, J = _check_image_kernel(I, J)
    kh, kw = J.shape
    return _correlate_same(I, J, (kh - 1) // 2, (kw - 1) // 2)


def conv_net_table_without_bias(input_shape: Sequence[int], layers: Sequence[str]) -> list[tuple[int, int]]:
    """Forgets the biases: conv K*K*Cin*Cout, fc in*out."""
    return _conv_net_table(input_shape, layers, bias=False)


def total_parameters_without_bias(input_shape: Sequence[int], layers: Sequence[str]) -> int:
    """Total of conv_net_table_without_bias."""
    return sum(p for _, p in conv_net_table_without_bias(input_shape, layers))


# ---------------------------------------------------------------------------------------------
# 4. Judges
# ---------------------------------------------------------------------------------------------


def _describe(x: Any) -> str:
    try:
        shape = np.shape(x)
    except Exception:
        shape = None
    kind = type(x).__name__
    return f"{kind} of shape {shape}" if shape not in (None, ()) else kind


def _as_float_array(received: Any, what: str) -> tuple[np.ndarray | None, str]:
    """Convert to a real float array (NaN/inf allowed); (None, message) if impossible."""
    if received is None:
        return None, f"{what}: got None (did the function return anything?)"
    if isinstance(received, (str, bytes, dict, set, frozenset)):
        return None, f"{what}: expected numbers, got {type(received).__name__}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(received)
            if arr.dtype.kind == "b":
                return None, f"{what}: expected numbers, got booleans"
            if arr.dtype.kind == "c":
                return None, f"{what}: expected real numbers, got complex values"
            if arr.dtype.kind == "O":
                if not all(isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_)) for x in arr.flat):
                    raise TypeError
            elif arr.dtype.kind not in "iuf":
                raise TypeError
            arr = arr.astype(float)
    except Exception:
        return None, f"{what}: could not read {_describe(received)} as an array of numbers"
    return arr, ""


def _as_vector(received: Any, d: int, what: str) -> tuple[np.ndarray | None, str]:
    """A length-d vector; shapes (d,), (d, 1), (1, d) are accepted."""
    arr, msg = _as_float_array(received, what)
    if arr is None:
        return None, msg
    if arr.size != d or sum(s != 1 for s in arr.shape) > 1 or arr.ndim == 0:
        return None, f"{what}: expected a vector of shape ({d},), got shape {arr.shape}"
    arr = arr.reshape(d)
    if not np.all(np.isfinite(arr)):
        return None, f"{what}: contains NaN or inf (did the iteration diverge?)"
    return arr, ""


def _as_scalar(received: Any, what: str) -> tuple[float | None, str]:
    """A real number; a 1-element array is accepted."""
    if isinstance(received, (bool, np.bool_)):
        return None, f"{what}: expected a number, got a bool"
    arr, msg = _as_float_array(received, what)
    if arr is None:
        return None, msg
    if arr.size != 1:
        return None, f"{what}: expected a single number, got shape {arr.shape}"
    value = float(arr.reshape(-1)[0])
    if not math.isfinite(value):
        return None, f"{what}: is NaN or inf"
    return value, ""


def _norm(v: np.ndarray) -> float:
    return float(np.linalg.norm(v))


def _close(a: np.ndarray, b: np.ndarray, rtol: float) -> bool:
    return bool(_norm(a - b) <= rtol * max(_norm(b), 1e-300))


def judge_sgd_converges(received: Any, expected: Any, args: dict[str, Any], rtol: float = 1e-6) -> Verdict:
    """Full credit iff received ~ X^T (X X^T)^{-1} t (relative error <= rtol)."""
    X = np.asarray(args["X"], dtype=float)
    t = np.asarray(args["t"], dtype=float)
    w, msg = _as_vector(received, X.shape[1], "sgd")
    if w is None:
        return 0.0, msg
    with np.errstate(all="ignore"):
        w_star = min_norm_solution(X, t)
        if _close(w, w_star, rtol):
            return 1.0, ""
        residual = _norm(X @ w - t) / max(_norm(t), 1e-300)
        outside = w - X.T @ np.linalg.solve(X @ X.T, X @ w)  # (I - P) w
        off_row_space = _norm(outside) > rtol * max(_norm(w_star), 1e-300)
    if residual <= rtol and off_row_space:
        return (
            0.0,
            "sgd: your w satisfies Xw = t but has a component outside the row space of X, so it "
            "is not the minimum-norm solution: it looks like SGD was not started from w0 = 0 "
            "(from w0 != 0 SGD converges to w* + (I - P) w0)",
            "SGD not started from zero",
        )
    if residual > rtol:
        return 0.0, (
            f"sgd: your w does not fit the data (relative residual ||Xw - t|| / ||t|| = "
            f"{residual:.1e}): SGD did not converge; check the update rule, its sign and step size"
        )
    return 0.0, "sgd: your w is not the minimum-norm solution X^T (X X^T)^{-1} t"


def judge_sgd_one_step(received: Any, expected: Any, args: dict[str, Any], rtol: float = 1e-8) -> Verdict:
    """With num_steps = 1 from w0 = 0 the answer must be 2 lr t_i x_i for some row i.

    Raises ValueError if args["num_steps"] != 1 (a grader configuration error).
    """
    if int(args["num_steps"]) != 1:
        raise ValueError("judge_sgd_one_step needs num_steps == 1")
    X = np.asarray(args["X"], dtype=float)
    t = np.asarray(args["t"], dtype=float)
    lr = float(args["lr"])
    n, d = X.shape
    w, msg = _as_vector(received, d, "sgd")
    if w is None:
        return 0.0, msg
    steps = [2.0 * lr * t[i] * X[i] for i in range(n)]
    with np.errstate(all="ignore"):
        if any(_close(w, s, rtol) for s in steps):
            return 1.0, ""
        if _close(w, min_norm_solution(X, t), 1e-6):
            return (
                0.0,
                "sgd: with num_steps=1 your result equals the closed-form minimum-norm solution: "
                "it looks like the function did not iterate (it must run num_steps SGD updates "
                "from w0 = 0)",
                "closed form without iterating",
            )
        if not np.any(w):
            return 0.0, "sgd: with num_steps=1 your result is still w0 = 0: no update was applied"
        hints = [
            (0.5, "the factor 2 of the gradient of (w^T x_i - t_i)^2 is missing"),
            (-1.0, "the update has the wrong sign (it goes up the gradient)"),
            (1.0 / n, "the step is divided by n (the per-example loss has no 1/n)"),
            (2.0 / n, "the step is scaled by 2/n (the per-example loss has no 1/n)"),
        ]
        for factor, hint in hints:
            if any(_close(w, factor * s, rtol) for s in steps):
                return 0.0, f"sgd: after one step from w0 = 0, {hint}"
    return 0.0, (
        "sgd: after one step from w0 = 0 the result must be w1 = 2 lr t_i x_i for the sampled "
        "row i; yours is not of that form for any row"
    )


def judge_derivative_matches_finite_difference(
    received: Any, expected: Any, args: dict[str, Any], h: float = 1e-6, rtol: float = 1e-5
) -> Verdict:
    """Compare dL1/d eta with a central finite difference of the reference L1(eta)."""
    X, t, w0, eta = args["X"], args["t"], args["w0"], float(args["eta"])
    value, msg = _as_scalar(received, "loss_derivative")
    if value is None:
        return 0.0, msg
    step = h * max(1.0, abs(eta))
    fd = (loss_after_one_step(X, t, w0, eta + step) - loss_after_one_step(X, t, w0, eta - step)) / (2.0 * step)
    X_, a, n = _residual(X, t, w0)
    g = X_.T @ a
    b = X_ @ g
    scale = max(abs(fd), 4.0 / n**2 * float(g @ g), 8.0 * abs(eta) / n**3 * float(b @ b), 1e-300)
    tol = rtol * scale
    if abs(value - fd) <= tol:
        return 1.0, ""
    if abs(value + fd) <= tol:
        return (
            0.0,
            "loss_derivative: sign flipped: your dL1/d eta is the negative of a finite difference "
            "of L1(eta) (increasing eta from 0 first decreases the loss)",
            "sign-flipped derivative",
        )
    return 0.0, "loss_derivative: does not match a central finite difference of L1(eta)"


def judge_learning_rate_minimizes(received: Any, expected: Any, args: dict[str, Any], delta: float = 1e-3) -> Verdict:
    """eta* must be finite, positive and L1(eta*) <= L1(eta* +- delta max(1, |eta*|))."""
    X, t, w0 = args["X"], args["t"], args["w0"]
    eta, msg = _as_scalar(received, "optimal_learning_rate")
    if eta is None:
        return 0.0, msg
    if eta <= 0.0:
        return 0.0, "optimal_learning_rate: eta* must be positive (L1 decreases for small eta > 0)"
    step = delta * max(1.0, abs(eta))
    with np.errstate(all="ignore"):
        l0 = loss_after_one_step(X, t, w0, eta)
        lo = loss_after_one_step(X, t, w0, eta - step)
        hi = loss_after_one_step(X, t, w0, eta + step)
    slack = 1e-12 * max(abs(l0), 1e-300)
    if math.isfinite(l0) and l0 <= lo + slack and l0 <= hi + slack:
        return 1.0, ""
    hint, mistake = "", None
    try:
        n = np.asarray(X).shape[0]
        if n > 1 and abs(eta * n - optimal_learning_rate(X, t, w0)) <= 1e-6 * eta * n:
            hint, mistake = " (it is off by a factor n)", "eta* without the factor n"
    except Exception:
        pass
    direction = "too small" if hi < l0 else "too large"
    return (
        0.0,
        f"optimal_learning_rate: not a minimizer of L1(eta): the loss is lower at a nearby eta, "
        f"your eta* is {direction}{hint}",
        mistake,
    )


# ---------------------------------------------------------------------------------------------
# 5. Legitimate variants (tolerance calibration: `grader validate --mutants`)
# ---------------------------------------------------------------------------------------------
# Other right ways to compute an answer, which round differently: a check's tolerance must accept
# them all. The calibration compares them (with the float32 round-trip and a rounding-level
# perturbation of the inputs) against the nearest wrong answer, check by check.


def min_norm_solution_pinv(X: np.ndarray, t: np.ndarray) -> np.ndarray:
    """w* = pinv(X) t (an SVD)."""
    return np.linalg.pinv(np.asarray(X, dtype=float)) @ np.asarray(t, dtype=float)


def min_norm_solution_lstsq(X: np.ndarray, t: np.ndarray) -> np.ndarray:
    """lstsq returns the minimum-norm solution of an underdetermined system."""
    return np.linalg.lstsq(np.asarray(X, dtype=float), np.asarray(t, dtype=float), rcond=None)[0]


def gd_step_by_rows(w0: np.ndarray, X: np.ndarray, t: np.ndarray, eta: float) -> np.ndarray:
    """The gradient summed example by example, in a loop: another summation order."""
    X, a, n = _residual(X, t, w0)
    gradient = np.zeros(X.shape[1])
    for i in range(n):
        gradient += 2.0 * a[i] * X[i] / n
    return np.asarray(w0, dtype=float) - eta * gradient


def loss_after_one_step_closed_form(X: np.ndarray, t: np.ndarray, w0: np.ndarray, eta: float) -> float:
    """(1/n) ||a − (2η/n) X Xᵀ a||², without forming w1."""
    X, a, n = _residual(X, t, w0)
    r = a - (2.0 * eta / n) * (X @ (X.T @ a))
    return float(np.sum(r**2) / n)


def loss_derivative_from_w1(X: np.ndarray, t: np.ndarray, w0: np.ndarray, eta: float) -> float:
    """dL1/dη = (2/n) (X w1 − t)ᵀ X (dw1/dη), dw1/dη = −(2/n) Xᵀ a: the chain rule through w1."""
    X, a, n = _residual(X, t, w0)
    r = X @ gd_step(w0, X, t, eta) - np.asarray(t, dtype=float)
    return float(2.0 / n * (r @ (X @ (-(2.0 / n) * (X.T @ a)))))


VARIANTS = {
    "min_norm_solution": [min_norm_solution_pinv, min_norm_solution_lstsq],
    "gd_step": [gd_step_by_rows],
    "loss_after_one_step": [loss_after_one_step_closed_form],
    "loss_derivative": [loss_derivative_from_w1],
}
