"""A typical mistake: SGD started from a random w0 instead of zero. It still fits the data,
but converges to w* + (I - P) w0, not to the minimum-norm solution."""

import numpy as np

IMAGE = [[0, 1, 1, 0, 0], [0, 1, 1, 1, 0], [1, 1, 1, 1, 0], [0, 1, 1, 1, 0], [0, 0, 1, 0, 0]]
LAPLACIAN = [[0, -1, 0], [-1, 4, -1], [0, -1, 0]]


def min_norm_solution(X, t):
    X = np.asarray(X, dtype=float)
    return X.T @ np.linalg.solve(X @ X.T, np.asarray(t, dtype=float))


def sgd(X, t, lr, num_steps, seed):
    X = np.asarray(X, dtype=float)
    t = np.asarray(t, dtype=float)
    rng = np.random.default_rng(seed)
    w = np.random.default_rng(seed + 1).normal(size=X.shape[1])
    for _ in range(num_steps):
        i = rng.integers(X.shape[0])
        w = w - lr * 2 * (w @ X[i] - t[i]) * X[i]
    return w


def computation_graph():
    # the gradient node drawn from the loss
    return [("w0", "L0"), ("L0", "grad_w0"), ("w0", "w1"), ("grad_w0", "w1"), ("eta", "w1"),
            ("w1", "L1"), ("L1", "grad_w1"), ("w1", "w2"), ("grad_w1", "w2"), ("eta", "w2"), ("w2", "L2")]


def memory_complexity():
    return {"forward": "O(1)", "backward": "O(t)"}


def realistic_problem():
    return ("Back-propagating through many unrolled iterations needs memory and time that grow with "
            "the number of iterations, and the hyper-gradient can explode or vanish over long horizons.")


def gd_step(w0, X, t, eta):
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    return w0 - 2 * eta / n * X.T @ (X @ w0 - t)


def loss_after_one_step(X, t, w0, eta):
    w1 = gd_step(w0, X, t, eta)
    r = np.asarray(X) @ w1 - t
    return float(r @ r / len(t))


def _parts(X, t, w0):
    X = np.asarray(X, dtype=float)
    a = X @ w0 - t
    b = X @ (X.T @ a)  # X Xᵀ a
    return X.shape[0], a, b


def loss_second_derivative(X, t, w0):
    n, _, b = _parts(X, t, w0)
    return 8 / n**3 * float(b @ b)


def is_convex_in_eta():
    return True


def loss_derivative(X, t, w0, eta):
    n, a, b = _parts(X, t, w0)
    return -4 / n**2 * float(a @ b) + 8 * eta / n**3 * float(b @ b)


def optimal_learning_rate(X, t, w0):
    n, a, b = _parts(X, t, w0)
    return n * float(a @ b) / (2 * float(b @ b))


def conv2d(I, J):
    I = np.asarray(I, dtype=float)
    K = np.asarray(J, dtype=float)[::-1, ::-1]  # convolution flips the kernel
    kh, kw = K.shape
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = np.zeros((I.shape[0] + kh - 1, I.shape[1] + kw - 1))
    padded[top:top + I.shape[0], left:left + I.shape[1]] = I
    out = np.zeros(I.shape)
    for r in range(I.shape[0]):
        for c in range(I.shape[1]):
            out[r, c] = np.sum(padded[r:r + kh, c:c + kw] * K)
    return out


def filter_response():
    return conv2d(IMAGE, LAPLACIAN)


def filter_detects():
    return "Edges"


def conv_net_table(input_shape, layers):
    h, w, c = input_shape
    rows = []
    units = h * w * c
    for layer in layers:
        name = layer.lower()
        if name.startswith("conv"):
            k, out = (int(x) for x in name[4:].split("-"))
            rows.append((h * w * out, k * k * c * out + out))
            c = out
            units = h * w * c
        elif name == "maxpool":
            h, w = h // 2, w // 2
            units = h * w * c
            rows.append((units, 0))
        elif name.startswith("fc-"):
            out = int(name[3:])
            rows.append((out, units * out + out))
            units = out
        elif name == "softmax":
            rows.append((units, 0))
        else:
            raise ValueError(layer)
    return rows


def total_parameters(input_shape, layers):
    return sum(p for _, p in conv_net_table(input_shape, layers))
