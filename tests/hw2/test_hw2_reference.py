"""Tests of reference/hw2.py: values are derived here independently, then checked against the
seed's worked answers (/work/shared/seed) where the seed is right (everything but the sign of
dL1/d eta in 2.2.3)."""

# ruff: noqa: E741  (the handout names the image I)
from __future__ import annotations

import importlib.util
import inspect
import math
import time

import numpy as np
import pytest

from reference import hw2 as ref
from tests.support import ROOT

try:
    from scipy.optimize import minimize_scalar
    from scipy.signal import convolve2d
except ImportError:  # pragma: no cover - scipy is optional
    minimize_scalar = None
    convolve2d = None


def _load_template():
    spec = importlib.util.spec_from_file_location("hw2_template_under_test", ROOT / "templates" / "hw2.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STUDENT_FUNCTIONS = [
    "min_norm_solution",
    "sgd",
    "computation_graph",
    "memory_complexity",
    "realistic_problem",
    "gd_step",
    "loss_after_one_step",
    "loss_second_derivative",
    "is_convex_in_eta",
    "loss_derivative",
    "optimal_learning_rate",
    "conv2d",
    "filter_response",
    "filter_detects",
    "conv_net_table",
    "total_parameters",
]

# generator -> student functions it feeds (positionally)
GENERATORS = {
    "overparameterized_problem": ["min_norm_solution"],
    "sgd_problem": ["sgd"],
    "sgd_one_step_problem": ["sgd"],
    "learning_rate_problem": ["loss_after_one_step", "loss_derivative"],
    "learning_rate_problem_no_eta": ["loss_second_derivative", "optimal_learning_rate"],
    "gd_step_problem": ["gd_step"],
    "random_image_and_kernel": ["conv2d"],
    "handout_image_and_filter": ["conv2d"],
    "random_architecture": ["conv_net_table", "total_parameters"],
    "handout_architecture": ["conv_net_table", "total_parameters"],
}

# mistake variant -> (reference function, generators to test it on)
MISTAKES = {
    "loss_derivative_sign_flipped": ("loss_derivative", ["learning_rate_problem"]),
    "gd_step_without_factor_two": ("gd_step", ["gd_step_problem"]),
    "optimal_learning_rate_without_n": ("optimal_learning_rate", ["learning_rate_problem_no_eta"]),
    "conv2d_cross_correlation": ("conv2d", ["random_image_and_kernel"]),
    "conv_net_table_without_bias": ("conv_net_table", ["random_architecture", "handout_architecture"]),
    "total_parameters_without_bias": ("total_parameters", ["random_architecture", "handout_architecture"]),
    "memory_complexity_backward_constant": ("memory_complexity", []),
}

GARBAGE = [
    None,
    "abc",
    b"xyz",
    {"w": 1},
    {1, 2},
    True,
    3 + 4j,
    np.zeros(3),
    np.zeros((2, 2, 2)),
    [[1.0, 2.0], [3.0]],
    [None, None],
    ["1", "2"],
    [1.0, "a"],
    np.array([1 + 2j, 3]),
    np.array([np.nan]),
    float("inf"),
    10**400,
    object(),
    [],
    (),
    np.array([], dtype=float),
    np.array(["a", "b"]),
]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _plain_value(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (np.ndarray, float, int, str)):
        return True
    if isinstance(v, list):
        return all(_plain_value(x) for x in v)
    return False


# =============================================================================================
# Q3.1 convolution
# =============================================================================================

SEED_I = [[0, 1, 1, 0, 0], [0, 1, 1, 1, 0], [1, 1, 1, 1, 0], [0, 1, 1, 1, 0], [0, 0, 1, 0, 0]]
SEED_J = [[0, -1, 0], [-1, 4, -1], [0, -1, 0]]
SEED_RESPONSE = [  # the worked answer's I * J (the seed's claim)
    [-1, 2, 2, -2, 0],
    [-2, 1, 0, 2, -1],
    [3, 0, 0, 1, -1],
    [-2, 2, 0, 2, -1],
    [0, -2, 3, -2, 0],
]


def brute_force_conv(I, J):
    """out[i, j] = sum_{m, n} J[m, n] I[i + ch - m, j + cw - n], I = 0 outside."""
    I = np.asarray(I, dtype=float)
    J = np.asarray(J, dtype=float)
    H, W = I.shape
    kh, kw = J.shape
    ch, cw = (kh - 1) // 2, (kw - 1) // 2
    out = np.zeros((H, W))
    for i in range(H):
        for j in range(W):
            s = 0.0
            for m in range(kh):
                for n in range(kw):
                    r, c = i + ch - m, j + cw - n
                    if 0 <= r < H and 0 <= c < W:
                        s += J[m, n] * I[r, c]
            out[i, j] = s
    return out


def test_handout_constants_match_seed():
    assert np.array_equal(ref.HANDOUT_IMAGE, SEED_I)
    assert np.array_equal(ref.HANDOUT_FILTER, SEED_J)
    assert ref.HANDOUT_INPUT_SHAPE == (112, 112, 3)


def test_filter_response_equals_seed_matrix():
    got = ref.filter_response()
    assert isinstance(got, np.ndarray) and got.dtype == float and got.shape == (5, 5)
    assert np.array_equal(got, brute_force_conv(SEED_I, SEED_J))
    assert np.array_equal(got, np.array(SEED_RESPONSE, dtype=float))
    assert ref.filter_detects() == "edges"


@pytest.mark.parametrize(
    "shape", [(6, 7, 3, 3), (5, 5, 1, 1), (4, 9, 5, 5), (3, 2, 5, 3), (7, 4, 2, 2), (5, 6, 4, 3), (1, 1, 3, 3)]
)
def test_conv2d_equals_brute_force(shape):
    H, W, kh, kw = shape
    rng = _rng(sum(shape))
    I, J = rng.normal(size=(H, W)), rng.normal(size=(kh, kw))
    got = ref.conv2d(I, J)
    assert got.shape == (H, W) and got.dtype == float
    np.testing.assert_allclose(got, brute_force_conv(I, J), rtol=1e-12, atol=1e-12)
    if convolve2d is not None:  # documented centre convention, also for even kernels
        np.testing.assert_allclose(got, convolve2d(I, J, mode="same"), rtol=1e-12, atol=1e-12)


def test_conv2d_accepts_lists_and_ints():
    got = ref.conv2d(SEED_I, SEED_J)
    assert got.dtype == float
    np.testing.assert_array_equal(got, SEED_RESPONSE)
    with pytest.raises(ValueError):
        ref.conv2d(np.zeros(3), SEED_J)


@pytest.mark.parametrize("seed", range(5))
def test_conv2d_is_not_cross_correlation(seed):
    args = ref.random_image_and_kernel(_rng(seed))
    I, J = args["I"], args["J"]
    assert not np.array_equal(J, J[::-1, ::-1])
    conv, xcorr = ref.conv2d(I, J), ref.conv2d_cross_correlation(I, J)
    assert not np.allclose(conv, xcorr)
    # odd kernel: convolution == cross-correlation with the flipped kernel
    np.testing.assert_allclose(conv, ref.conv2d_cross_correlation(I, J[::-1, ::-1]), atol=1e-12)
    # and cross-correlation has the brute-force definition without the flip
    H, W = I.shape
    Ip = np.pad(I, 1)
    xc = np.array([[np.sum(J * Ip[i : i + 3, j : j + 3]) for j in range(W)] for i in range(H)])
    np.testing.assert_allclose(xcorr, xc, atol=1e-12)


def test_handout_filter_is_symmetric_so_both_agree():
    np.testing.assert_array_equal(
        ref.conv2d_cross_correlation(ref.HANDOUT_IMAGE, ref.HANDOUT_FILTER), ref.filter_response()
    )


# =============================================================================================
# Q3.2 conv net size
# =============================================================================================

SEED_TABLE = [  # the worked answer's table: (output units, parameters), "-" read as 0
    (112 * 112 * 64, 1_792),
    (56 * 56 * 64, 0),
    (56 * 56 * 128, 73_856),
    (28 * 28 * 128, 0),
    (28 * 28 * 256, 295_168),
    (28 * 28 * 256, 590_080),
    (14 * 14 * 256, 0),
    (1024, 51_381_248),
    (100, 102_500),
    (100, 0),
]


def test_handout_table_recomputed_and_equal_to_seed():
    conv = lambda k, cin, cout: k * k * cin * cout + cout  # noqa: E731
    fc = lambda nin, nout: nin * nout + nout  # noqa: E731
    derived = [
        (112 * 112 * 64, conv(3, 3, 64)),
        (56 * 56 * 64, 0),
        (56 * 56 * 128, conv(3, 64, 128)),
        (28 * 28 * 128, 0),
        (28 * 28 * 256, conv(3, 128, 256)),
        (28 * 28 * 256, conv(3, 256, 256)),
        (14 * 14 * 256, 0),
        (1024, fc(14 * 14 * 256, 1024)),
        (100, fc(1024, 100)),
        (100, 0),
    ]
    table = ref.conv_net_table(ref.HANDOUT_INPUT_SHAPE, ref.HANDOUT_LAYERS)
    assert table == derived == SEED_TABLE
    assert all(type(u) is int and type(p) is int for u, p in table)
    total = ref.total_parameters(ref.HANDOUT_INPUT_SHAPE, ref.HANDOUT_LAYERS)
    assert type(total) is int and total == sum(p for _, p in derived) == 52_444_644


def _independent_table(input_shape, layers):
    """A second implementation (string splitting instead of regexes)."""
    h, w, c = input_shape
    units, rows = None, []
    for layer in layers:
        s = layer.lower()
        if s.startswith("conv"):
            k, cout = (int(x) for x in s[4:].split("-"))
            rows.append((h * w * cout, k * k * c * cout + cout))
            c = cout
        elif s == "maxpool":
            h, w = h // 2, w // 2
            rows.append((h * w * c, 0))
        elif s.startswith("fc-"):
            nin = units if units is not None else h * w * c
            units = int(s[3:])
            rows.append((units, nin * units + units))
        elif s == "softmax":
            rows.append((rows[-1][0], 0))
    return rows


@pytest.mark.parametrize("seed", range(20))
def test_random_architectures(seed):
    args = ref.random_architecture(_rng(seed))
    shape, layers = args["input_shape"], args["layers"]
    assert isinstance(shape, list) and len(shape) == 3 and all(type(v) is int for v in shape)
    assert layers[-1] == "softmax" and any(s.startswith("fc-") for s in layers)
    assert 1 <= layers.count("maxpool") <= 3
    table = ref.conv_net_table(shape, layers)
    assert table == _independent_table(shape, layers)
    assert ref.total_parameters(shape, layers) != 52_444_644
    assert table != SEED_TABLE
    assert ref.conv_net_table(tuple(shape), [s.upper() for s in layers]) == table
    assert ref.conv_net_table(shape, [f"  {s.title()} " for s in layers]) == table
    assert ref.total_parameters(shape, layers) - ref.total_parameters_without_bias(shape, layers) == sum(
        int(s.split("-")[1]) for s in layers if s.startswith(("conv", "fc"))
    )


def test_random_architectures_vary():
    archs = {repr(ref.random_architecture(_rng(s))) for s in range(20)}
    assert len(archs) == 20
    assert any(a.count("conv5") for a in archs) and any(a.count("conv1-") for a in archs)


def test_conv_net_table_edge_cases():
    assert ref.conv_net_table((7, 5, 2), ["maxpool", "fc-3", "fc-2", "softmax"]) == [
        (3 * 2 * 2, 0),
        (3, 12 * 3 + 3),
        (2, 3 * 2 + 2),
        (2, 0),
    ]
    assert ref.conv_net_table((4, 4, 1), ["Max-Pool", "Soft-max"]) == [(4, 0), (4, 0)]
    for bad in (["dropout"], ["conv3x3-64"], ["fc"], ["conv3-64", "pool"], [3]):
        with pytest.raises(ValueError):
            ref.conv_net_table((8, 8, 3), bad)
    with pytest.raises(ValueError):
        ref.conv_net_table((1, 1, 3), ["maxpool"])


# =============================================================================================
# Q2.2 learning learning rates
# =============================================================================================


def _fd(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def _golden_min(f, lo, hi, iters=200):
    g = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    c, d = b - g * (b - a), a + g * (b - a)
    for _ in range(iters):
        if f(c) < f(d):
            b, d = d, c
            c = b - g * (b - a)
        else:
            a, c = c, d
            d = a + g * (b - a)
    return (a + b) / 2


def _numerical_argmin(f, scale):
    if minimize_scalar is not None:
        res = minimize_scalar(f, bracket=(0.0, scale), options={"xtol": 1e-12})
        return res.x
    grid = np.linspace(0.0, 10 * scale, 20001)
    k = int(np.argmin([f(x) for x in grid]))
    return _golden_min(f, grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)])


@pytest.mark.parametrize("seed", range(6))
def test_optimal_learning_rate_is_numerical_argmin(seed):
    args = ref.learning_rate_problem_no_eta(_rng(seed), n=4 + seed, d=8 + seed)
    X, t, w0 = args["X"], args["t"], args["w0"]
    eta_star = ref.optimal_learning_rate(X, t, w0)
    assert eta_star > 0
    num = _numerical_argmin(lambda e: ref.loss_after_one_step(X, t, w0, e), eta_star / 3 + 1e-3)
    assert abs(num - eta_star) <= 1e-5 * eta_star
    # golden section (independent of scipy) agrees too
    gs = _golden_min(lambda e: ref.loss_after_one_step(X, t, w0, e), 0.0, 10 * eta_star)
    assert abs(gs - eta_star) <= 1e-5 * eta_star
    # the derivative vanishes at eta*
    scale = abs(ref.loss_derivative(X, t, w0, 0.0))
    assert abs(ref.loss_derivative(X, t, w0, eta_star)) <= 1e-10 * scale


@pytest.mark.parametrize("seed", range(6))
def test_gd_step_and_loss(seed):
    args = ref.gd_step_problem(_rng(seed))
    w0, X, t, eta = args.values()
    n = X.shape[0]

    def L(w):
        return float(np.mean((X @ w - t) ** 2))

    grad = np.array([_fd(lambda s, k=k: L(w0 + s * np.eye(len(w0))[k]), 0.0, 1e-6) for k in range(len(w0))])
    w1 = ref.gd_step(w0, X, t, eta)
    np.testing.assert_allclose(w1, w0 - eta * grad, rtol=1e-6, atol=1e-8)
    a = X @ w0 - t
    np.testing.assert_allclose(w1, w0 - 2 * eta / n * X.T @ a, rtol=1e-12)
    L1 = ref.loss_after_one_step(X, t, w0, eta)
    assert isinstance(L1, float)
    assert math.isclose(L1, L(w1), rel_tol=1e-12)
    # the seed's closed form (1/n)||a - (2 eta/n) X X^T a||^2
    assert math.isclose(L1, float(np.sum((a - 2 * eta / n * X @ X.T @ a) ** 2)) / n, rel_tol=1e-12)
    assert not np.allclose(ref.gd_step_without_factor_two(w0, X, t, eta), w1)


@pytest.mark.parametrize("seed", range(6))
def test_loss_derivative_sign_and_second_derivative(seed):
    args = ref.learning_rate_problem(_rng(seed))
    X, t, w0, eta = args.values()
    n = X.shape[0]
    a = X @ w0 - t
    B = X @ X.T
    h = 1e-5 * max(1.0, eta)
    fd = _fd(lambda e: ref.loss_after_one_step(X, t, w0, e), eta, h)
    d1 = ref.loss_derivative(X, t, w0, eta)
    assert isinstance(d1, float)
    assert abs(fd) > 1e-3 * abs(4 / n**2 * a @ B @ a)  # generator keeps the derivative away from 0
    assert math.isclose(d1, fd, rel_tol=1e-6)
    # the worked answer's 2.2.3 expression (as typed in the seed) is the negative: the seed is wrong
    seed_expr = 4 / n**2 * a @ B @ a - 8 * eta / n**3 * a @ B @ B @ a
    assert math.isclose(seed_expr, -fd, rel_tol=1e-6)
    assert math.isclose(ref.loss_derivative_sign_flipped(X, t, w0, eta), seed_expr, rel_tol=1e-12)
    # ... but its eta* (root of either sign) is right
    assert math.isclose(ref.optimal_learning_rate(X, t, w0), n * (a @ B @ a) / (2 * a @ B @ B @ a), rel_tol=1e-12)
    # second derivative: finite difference of the derivative, non-negative, = (8/n^3)||X X^T a||^2
    d2 = ref.loss_second_derivative(X, t, w0)
    assert isinstance(d2, float) and d2 >= 0
    assert math.isclose(d2, _fd(lambda e: ref.loss_derivative(X, t, w0, e), eta, h), rel_tol=1e-6)
    assert math.isclose(d2, 8 / n**3 * np.sum((B @ a) ** 2), rel_tol=1e-12)
    assert ref.is_convex_in_eta() is True


def test_learning_rate_generator_eta_is_moderate():
    for s in range(30):
        args = ref.learning_rate_problem(_rng(s))
        ratio = args["eta"] / ref.optimal_learning_rate(args["X"], args["t"], args["w0"])
        assert 0.2 <= ratio <= 1.8 and abs(ratio - 1) >= 0.3
        assert np.linalg.norm(args["w0"]) > 0


def test_optimal_learning_rate_undefined_raises():
    X = np.eye(2, 3)
    t = np.array([1.0, 2.0])
    with pytest.raises(ValueError):
        ref.optimal_learning_rate(X, t, ref.min_norm_solution(X, t))


# =============================================================================================
# Q1 SGD and minimum-norm solution
# =============================================================================================


def _projector(X):
    return X.T @ np.linalg.solve(X @ X.T, X)


@pytest.mark.parametrize("seed", range(5))
def test_min_norm_solution(seed):
    args = ref.overparameterized_problem(_rng(seed))
    X, t = args["X"], args["t"]
    assert X.shape == (5, 12) and np.linalg.matrix_rank(X) == 5
    w = ref.min_norm_solution(X, t)
    assert w.shape == (12,)
    np.testing.assert_allclose(X @ w, t, atol=1e-10)
    P = _projector(X)
    np.testing.assert_allclose(P @ w, w, atol=1e-10)  # in the row space
    np.testing.assert_allclose(w, np.linalg.pinv(X) @ t, atol=1e-10)
    rng = _rng(100 + seed)
    for _ in range(5):
        v = (np.eye(12) - P) @ rng.normal(size=12)  # null-space vector
        np.testing.assert_allclose(X @ (w + v), t, atol=1e-10)
        assert np.linalg.norm(w + v) > np.linalg.norm(w)


def _sgd_order(X, t, lr, order, w0=None):
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=float)
    for i in order:
        w -= 2 * lr * (X[i] @ w - t[i]) * X[i]
    return w


def _rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.mark.parametrize("seed", range(8))
def test_sgd_converges_for_any_order(seed):
    args = ref.sgd_problem(_rng(seed))
    X, t, lr, num_steps, sgd_seed = args.values()
    n, d = X.shape
    assert lr < 1 / np.max(np.sum(X**2, axis=1))
    w_star = ref.min_norm_solution(X, t)
    assert _rel(ref.sgd(X, t, lr, num_steps, sgd_seed), w_star) < 1e-8
    assert _rel(ref.sgd(X, t, lr, num_steps, sgd_seed + 1), w_star) < 1e-8
    cyclic = np.arange(num_steps) % n
    assert _rel(_sgd_order(X, t, lr, cyclic), w_star) < 1e-8
    shuffled = np.concatenate([_rng(seed + k).permutation(n) for k in range(num_steps // n)])
    assert _rel(_sgd_order(X, t, lr, shuffled), w_star) < 1e-8
    # half the step (a student who drops the factor 2) still converges in num_steps
    assert _rel(_sgd_order(X, t, lr / 2, cyclic), w_star) < 1e-8
    # from w0 != 0: w* + (I - P) w0
    w0 = _rng(seed + 7).normal(size=d)
    limit = w_star + (np.eye(d) - _projector(X)) @ w0
    assert _rel(_sgd_order(X, t, lr, cyclic, w0), limit) < 1e-8
    assert _rel(limit, w_star) > 1e-2


def test_sgd_is_fast_and_deterministic():
    args = ref.sgd_problem(_rng(0))
    best = min(_timed(ref.sgd, *args.values()) for _ in range(3))
    assert best < 0.1  # ~10 ms on the development machine (budget ~50 ms)
    np.testing.assert_array_equal(ref.sgd(*args.values()), ref.sgd(*args.values()))


def _timed(f, *a):
    t0 = time.perf_counter()
    f(*a)
    return time.perf_counter() - t0


def test_sgd_one_step_is_a_single_row_update():
    for s in range(5):
        args = ref.sgd_one_step_problem(_rng(s))
        X, t, lr, num_steps, sgd_seed = args.values()
        assert num_steps == 1
        i = np.random.default_rng(sgd_seed).integers(X.shape[0])
        np.testing.assert_allclose(ref.sgd(*args.values()), 2 * lr * t[i] * X[i], rtol=1e-14)


# =============================================================================================
# Generators and signatures
# =============================================================================================


def test_student_functions_match_template():
    template = _load_template()
    for name in STUDENT_FUNCTIONS:
        ref_params = list(inspect.signature(getattr(ref, name)).parameters)
        tpl_params = list(inspect.signature(getattr(template, name)).parameters)
        assert ref_params == tpl_params, name
        with pytest.raises(NotImplementedError):
            getattr(template, name)(*([None] * len(tpl_params)))
    assert template.__doc__ and "Run the course's self-check before you submit." in template.__doc__
    assert np.array_equal(template.HANDOUT_IMAGE, ref.HANDOUT_IMAGE)
    assert np.array_equal(template.HANDOUT_FILTER, ref.HANDOUT_FILTER)
    assert template.HANDOUT_LAYERS == ref.HANDOUT_LAYERS
    assert template.HANDOUT_INPUT_SHAPE == ref.HANDOUT_INPUT_SHAPE


@pytest.mark.parametrize("gen_name", sorted(GENERATORS))
def test_generator_order_determinism_and_types(gen_name):
    gen = getattr(ref, gen_name)
    assert next(iter(inspect.signature(gen).parameters)) == "rng"
    for seed in range(3):
        a1, a2 = gen(_rng(seed)), gen(_rng(seed))
        assert list(a1) == list(a2) and all(_same(a1[k], a2[k]) for k in a1)
        assert all(_plain_value(v) for v in a1.values()), a1
        for func_name in GENERATORS[gen_name]:
            params = list(inspect.signature(getattr(ref, func_name)).parameters)
            assert list(a1) == params, (gen_name, func_name)
            getattr(ref, func_name)(*a1.values())  # runs positionally
    if gen_name.startswith("random") or gen_name.endswith("problem") or "problem_" in gen_name:
        assert not all(_same(gen(_rng(0))[k], gen(_rng(1))[k]) for k in gen(_rng(0)))


def test_generator_defaults():
    assert ref.overparameterized_problem(_rng(0))["X"].shape == (5, 12)
    a = ref.sgd_problem(_rng(0))
    assert a["X"].shape == (4, 10) and a["num_steps"] == 3000 and type(a["seed"]) is int
    assert type(a["lr"]) is float
    lr_args = ref.learning_rate_problem(_rng(0))
    assert lr_args["X"].shape == (6, 10) and type(lr_args["eta"]) is float and lr_args["eta"] > 0
    ik = ref.random_image_and_kernel(_rng(0))
    assert ik["I"].shape == (6, 7) and ik["J"].shape == (3, 3)
    ik = ref.random_image_and_kernel(_rng(0), height=4, width=9, kernel=5)
    assert ik["I"].shape == (4, 9) and not np.array_equal(ik["J"], ik["J"][::-1, ::-1])
    assert ref.handout_architecture(_rng(0)) == {"input_shape": [112, 112, 3], "layers": ref.HANDOUT_LAYERS}
    h = ref.handout_image_and_filter(_rng(0))
    h["I"][0, 0] = 7.0  # a copy: the constant is untouched
    assert ref.HANDOUT_IMAGE[0, 0] == 0.0


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistakes_differ_from_reference(name):
    target, gens = MISTAKES[name]
    mistake, reference = getattr(ref, name), getattr(ref, target)
    assert list(inspect.signature(mistake).parameters) == list(inspect.signature(reference).parameters)
    if not gens:
        assert mistake() != reference()
        return
    for gen_name in gens:
        for seed in range(5):
            args = getattr(ref, gen_name)(_rng(seed))
            m, r = mistake(*args.values()), reference(*args.values())
            if isinstance(r, (float, np.ndarray)):
                assert not np.allclose(m, r, rtol=1e-3), (name, gen_name, seed)
            else:
                assert m != r, (name, gen_name, seed)


# =============================================================================================
# Judges
# =============================================================================================


def _check_result(result):
    assert isinstance(result, tuple) and len(result) in (2, 3)
    credit, msg = result[:2]
    assert len(result) == 2 or result[2] is None or isinstance(result[2], str)
    assert isinstance(credit, float) and 0.0 <= credit <= 1.0 and isinstance(msg, str)
    assert (msg == "") == (credit == 1.0)
    return credit, msg


@pytest.mark.parametrize(
    "judge,gen,func",
    [
        ("judge_sgd_converges", "sgd_problem", "sgd"),
        ("judge_sgd_one_step", "sgd_one_step_problem", "sgd"),
        ("judge_derivative_matches_finite_difference", "learning_rate_problem", "loss_derivative"),
        ("judge_learning_rate_minimizes", "learning_rate_problem_no_eta", "optimal_learning_rate"),
    ],
)
def test_judges_full_credit_and_garbage(judge, gen, func):
    j = getattr(ref, judge)
    args = getattr(ref, gen)(_rng(3)) if gen else {}
    expected = getattr(ref, func)(*args.values())
    assert _check_result(j(expected, expected, args)) == (1.0, "")
    # plain-data forms of the same answer
    if isinstance(expected, np.ndarray):
        assert _check_result(j(expected.tolist(), expected, args))[0] == 1.0
        assert _check_result(j(tuple(expected.tolist()), None, args))[0] == 1.0
        assert _check_result(j(expected.reshape(-1, 1), None, args))[0] == 1.0
    if isinstance(expected, float):
        assert _check_result(j(np.float64(expected), expected, args))[0] == 1.0
        assert _check_result(j([expected], expected, args))[0] == 1.0
    for bad in GARBAGE:
        credit, msg = _check_result(j(bad, expected, args))
        assert credit == 0.0 and msg, (judge, bad)


def _no_expected_numbers(msg, *values):
    for v in values:
        for x in np.ravel(v)[:5]:
            for fmt in ("{:.3g}", "{:.4f}", "{:.6g}", "{}"):
                s = fmt.format(float(x))
                if len(s.strip("-0.")) >= 3:
                    assert s not in msg, (s, msg)


def test_judge_sgd_converges_messages():
    for s in range(3):
        args = ref.sgd_problem(_rng(s))
        X, t, lr, num_steps, sgd_seed = args.values()
        d = X.shape[1]
        w_star = ref.min_norm_solution(X, t)
        w0 = _rng(s + 50).normal(size=d)
        not_from_zero = _sgd_order(X, t, lr, np.arange(num_steps) % X.shape[0], w0)
        result = ref.judge_sgd_converges(not_from_zero, w_star, args)
        credit, msg = _check_result(result)
        assert credit == 0.0 and "not started from w0 = 0" in msg
        assert result[2] == "SGD not started from zero"
        _no_expected_numbers(msg, w_star)
        short = ref.sgd(X, t, lr, 3, sgd_seed)
        credit, msg = _check_result(ref.judge_sgd_converges(short, w_star, args))
        assert credit == 0.0 and "does not fit the data" in msg
        _no_expected_numbers(msg, w_star)
        credit, msg = _check_result(ref.judge_sgd_converges(np.full(d, np.nan), w_star, args))
        assert credit == 0.0 and "NaN" in msg
        credit, msg = _check_result(ref.judge_sgd_converges(np.zeros(d + 1), w_star, args))
        assert credit == 0.0 and f"({d},)" in msg and f"({d + 1},)" in msg
        # the closed form is accepted here (the one-step check catches a non-iterating sgd)
        assert ref.judge_sgd_converges(w_star, None, args) == (1.0, "")
        assert ref.judge_sgd_converges(w_star * (1 + 1e-4), None, args)[0] == 0.0


def test_judge_sgd_one_step_messages():
    for s in range(3):
        args = ref.sgd_one_step_problem(_rng(s))
        X, t, lr, _, _ = args.values()
        for i in range(X.shape[0]):  # any sampled row is fine
            assert ref.judge_sgd_one_step(2 * lr * t[i] * X[i], None, args) == (1.0, "")
        closed_form = ref.min_norm_solution(X, t)
        result = ref.judge_sgd_one_step(closed_form, None, args)
        credit, msg = _check_result(result)
        assert credit == 0.0 and "did not iterate" in msg
        assert result[2] == "closed form without iterating"
        _no_expected_numbers(msg, closed_form)
        credit, msg = _check_result(ref.judge_sgd_one_step(lr * t[0] * X[0], None, args))
        assert credit == 0.0 and "factor 2" in msg
        credit, msg = _check_result(ref.judge_sgd_one_step(-2 * lr * t[1] * X[1], None, args))
        assert credit == 0.0 and "wrong sign" in msg
        credit, msg = _check_result(ref.judge_sgd_one_step(np.zeros(X.shape[1]), None, args))
        assert credit == 0.0 and "no update" in msg
        credit, msg = _check_result(ref.judge_sgd_one_step(_rng(s).normal(size=X.shape[1]), None, args))
        assert credit == 0.0 and "not of that form" in msg
    with pytest.raises(ValueError):
        ref.judge_sgd_one_step(None, None, ref.sgd_problem(_rng(0)))


def test_judge_derivative_messages():
    for s in range(5):
        args = ref.learning_rate_problem(_rng(s))
        expected = ref.loss_derivative(*args.values())
        flipped = ref.loss_derivative_sign_flipped(*args.values())
        result = ref.judge_derivative_matches_finite_difference(flipped, expected, args)
        credit, msg = _check_result(result)
        assert credit == 0.0 and "sign flipped" in msg
        assert result[2] == "sign-flipped derivative"
        _no_expected_numbers(msg, expected)
        credit, msg = _check_result(ref.judge_derivative_matches_finite_difference(expected * 1.01, expected, args))
        assert credit == 0.0 and "finite difference" in msg
        assert ref.judge_derivative_matches_finite_difference(expected * (1 + 1e-9), None, args)[0] == 1.0


def test_judge_learning_rate_messages():
    for s in range(5):
        args = ref.learning_rate_problem_no_eta(_rng(s))
        eta = ref.optimal_learning_rate(*args.values())
        without_n = ref.optimal_learning_rate_without_n(*args.values())
        result = ref.judge_learning_rate_minimizes(without_n, eta, args)
        credit, msg = _check_result(result)
        assert credit == 0.0 and "factor n" in msg and "too small" in msg
        assert result[2] == "eta* without the factor n"
        _no_expected_numbers(msg, eta)
        credit, msg = _check_result(ref.judge_learning_rate_minimizes(eta * 1.05, eta, args))
        assert credit == 0.0 and "too large" in msg
        credit, msg = _check_result(ref.judge_learning_rate_minimizes(-eta, eta, args))
        assert credit == 0.0 and "positive" in msg
        assert ref.judge_learning_rate_minimizes(eta * (1 + 1e-7), None, args) == (1.0, "")


# =============================================================================================
# Q2.1 answers without computation
# =============================================================================================


def test_computation_graphs():
    a, b = ref.accepted_computation_graphs()
    assert ref.computation_graph() == a
    common = {
        ("w0", "L0"), ("w0", "w1"), ("grad_w0", "w1"), ("eta", "w1"), ("w1", "L1"),
        ("w1", "w2"), ("grad_w1", "w2"), ("eta", "w2"), ("w2", "L2"),
    }  # fmt: skip
    assert set(a) == common | {("w0", "grad_w0"), ("w1", "grad_w1")} and len(a) == 11
    assert set(b) == common | {("L0", "grad_w0"), ("L1", "grad_w1")} and len(b) == 11
    nodes = {"w0", "L0", "grad_w0", "w1", "L1", "grad_w1", "w2", "L2", "eta"}
    assert {x for e in a for x in e} == nodes == {x for e in b for x in e}
    a.append(("x", "y"))  # callers get fresh lists
    assert len(ref.accepted_computation_graphs()[0]) == 11


def test_text_answers():
    assert ref.memory_complexity() == {"forward": "O(1)", "backward": "O(t)"}
    assert ref.memory_complexity_backward_constant()["backward"] == "O(1)"
    assert isinstance(ref.realistic_problem(), str) and "memory" in ref.realistic_problem()
    assert ref.filter_detects() == "edges"
