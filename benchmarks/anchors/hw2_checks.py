"""The HW2 checks, as the anchor suites (gradescope-utils, pytest, otter) run them.

Every anchor reads the same fixture (fixtures/hw2_cases.json, dumped from rubrics/hw2.yaml by
make_fixtures.py) and judges a student's return value the way our comparators do:

- numeric:  numpy.allclose with the case's rtol/atol, after removing axes of length 1; NaN/inf fail
- exact:    ints, bools (never equal to numbers), strings without case or repeated white space,
            nested lists/tuples/dicts of them; a list's fraction is the share of equal items
- one_of:   a string among the accepted synonyms (case, white space, trailing punctuation and a
            leading article ignored)
- big_o:    "O(...)" answers, key by key. The anchors normalize the text (drop white space, case,
            constant factors and added constants) instead of comparing growth orders with sympy
            as our big_o comparator does: what a hand-written unittest would do
- edge_f1:  F1 of the edge set against the closest accepted graph
- judge:    the property the reference's judge decides (SGD converges to the minimum-norm
            solution; one SGD step from zero is 2·lr·t_i·x_i; the derivative matches a central
            finite difference of L1; η* is a local minimizer of L1), re-implemented here

Only numpy and the standard library: this file is also shipped inside the otter autograder zip
and imported inside the Jupyter kernel.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

_CANDIDATES = (
    os.environ.get("HW2_CASES", ""),
    str(Path(__file__).resolve().parent / "fixtures" / "hw2_cases.json"),
    str(Path(__file__).resolve().parent / "hw2_cases.json"),  # beside it (otter: the hw2_anchor/ support folder)
)


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$array" in value:
            spec = value["$array"]
            return np.asarray(spec["data"], dtype=np.dtype(spec["dtype"])).reshape(spec["shape"])
        if "$tuple" in value:
            return tuple(decode(v) for v in value["$tuple"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


_CASES: list[dict[str, Any]] | None = None


def load_cases() -> list[dict[str, Any]]:
    global _CASES
    if _CASES is None:
        path = next((p for p in _CANDIDATES if p and os.path.isfile(p)), None)
        if path is None:
            raise FileNotFoundError("hw2_cases.json not found: run benchmarks/anchors/make_fixtures.py")
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)["cases"]
        _CASES = []
        for case in raw:
            case = dict(case)
            case["args"] = [(name, decode(value)) for name, value in case["args"]]
            case["expected"] = decode(case["expected"])
            _CASES.append(case)
    return _CASES


def case_by_key(key: str) -> dict[str, Any]:
    for case in load_cases():
        if case["key"] == key:
            return case
    raise KeyError(key)


# -- comparators ---------------------------------------------------------------------------


def numeric(received: Any, expected: Any, rtol: float = 1e-6, atol: float = 1e-9, **_: Any) -> tuple[float, str]:
    if received is None or isinstance(received, str | dict):
        return 0.0, f"expected numbers, received {type(received).__name__}"
    try:
        got = np.squeeze(np.asarray(received, dtype=float))
    except (TypeError, ValueError, OverflowError):
        return 0.0, f"expected numbers, received {type(received).__name__}"
    want = np.squeeze(np.asarray(expected, dtype=float))
    if got.shape != want.shape:
        return 0.0, f"expected shape {want.shape}, received shape {got.shape}"
    if not np.all(np.isfinite(got)):
        return 0.0, "NaN or inf never pass"
    if got.size == 0 or np.allclose(got, want, rtol=rtol, atol=atol):
        return 1.0, ""
    return 0.0, f"not close (rtol={rtol:g}, atol={atol:g})"


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _equal(a: Any, b: Any, case_sensitive: bool) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        fold = (lambda s: " ".join(s.split())) if case_sensitive else (lambda s: " ".join(s.split()).casefold())
        return fold(a) == fold(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y, case_sensitive) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k], case_sensitive) for k in a)
    return a is None and b is None


def exact(received: Any, expected: Any, case_sensitive: bool = False, **_: Any) -> tuple[float, str]:
    got, want = _plain(received), _plain(expected)
    if _equal(got, want, case_sensitive):
        return 1.0, ""
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want) and want:
        right = sum(_equal(g, w, case_sensitive) for g, w in zip(got, want, strict=True))
        return right / len(want), f"{len(want) - right} of {len(want)} items differ"
    return 0.0, "not the expected value"


_ARTICLE = re.compile(r"^(the|a|an)\s+")


def _canonical(text: str) -> str:
    return _ARTICLE.sub("", " ".join(text.split()).casefold().strip(" .!;:,"))


def one_of(received: Any, expected: Any, accepted: tuple[str, ...] = (), **_: Any) -> tuple[float, str]:
    if not isinstance(received, str):
        return 0.0, "expected a string"
    allowed = {_canonical(a) for a in [*accepted, *([expected] if isinstance(expected, str) else [])]}
    return (1.0, "") if _canonical(received) in allowed else (0.0, "not an accepted answer")


_O = re.compile(r"^(?:big-?)?o\((.*)\)$")


def _order(text: str) -> str:
    """'O( 2*t + 3 )' -> 't': white space, case, constant factors and added constants dropped."""
    inner = "".join(text.split()).casefold()
    match = _O.match(inner)
    inner = (match.group(1) if match else inner).replace("**", "^").replace("·", "*")
    terms = [re.sub(r"^\d+(\.\d+)?\*?", "", term) for term in inner.split("+")]
    terms = [t for t in terms if t and not re.fullmatch(r"\d+(\.\d+)?", t)]
    return "+".join(sorted(terms)) or "1"


def big_o(received: Any, expected: Any, **_: Any) -> tuple[float, str]:
    if isinstance(expected, dict):
        if not isinstance(received, dict):
            return 0.0, "expected a dict"
        right = sum(isinstance(received.get(k), str) and _order(received[k]) == _order(v)
                    for k, v in expected.items())
        return right / len(expected), "" if right == len(expected) else "a growth order differs"
    if not isinstance(received, str):
        return 0.0, "expected a string"
    return (1.0, "") if _order(received) == _order(expected) else (0.0, "not the expected order")


def _edges(value: Any) -> set[tuple[str, str]] | None:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list | tuple):
        return None
    edges = set()
    for item in value:
        if not (isinstance(item, list | tuple) and len(item) == 2 and all(isinstance(x, str) for x in item)):
            return None
        edges.add((item[0].strip().casefold(), item[1].strip().casefold()))
    return edges


def _f1(got: set[Any], want: set[Any]) -> float:
    hits = len(got & want)
    if not hits:
        return 0.0
    precision, recall = hits / len(got), hits / len(want)
    return 2 * precision * recall / (precision + recall)


def edge_f1(received: Any, expected: Any, alternatives: bool = False, **_: Any) -> tuple[float, str]:
    got = _edges(received)
    if got is None:
        return 0.0, "expected a list of (source, target) pairs"
    accepted = [_edges(e) for e in (expected if alternatives else [expected])]
    score = max(_f1(got, want) for want in accepted if want is not None)
    return score, "" if score >= 1.0 else f"F1 {score:.2f}"


# -- judges (the properties the reference's judges decide) -------------------------------------


def _vector(received: Any, d: int) -> np.ndarray | None:
    if received is None or isinstance(received, str | bytes | dict | bool):
        return None
    try:
        w = np.asarray(received, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return None
    if w.size != d or sum(s != 1 for s in w.shape) > 1 or w.ndim == 0:
        return None
    w = w.reshape(d)
    return w if np.all(np.isfinite(w)) else None


def _scalar(received: Any) -> float | None:
    if received is None or isinstance(received, str | bytes | dict | bool | np.bool_):
        return None
    try:
        arr = np.asarray(received, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return None
    if arr.size != 1:
        return None
    value = float(arr.reshape(-1)[0])
    return value if math.isfinite(value) else None


def _min_norm(X: np.ndarray, t: np.ndarray) -> np.ndarray:
    return X.T @ np.linalg.solve(X @ X.T, t)


def _close(a: np.ndarray, b: np.ndarray, rtol: float) -> bool:
    return bool(np.linalg.norm(a - b) <= rtol * max(np.linalg.norm(b), 1e-300))


def _loss_after_one_step(X: np.ndarray, t: np.ndarray, w0: np.ndarray, eta: float) -> float:
    n = X.shape[0]
    w1 = w0 - (2.0 * eta / n) * (X.T @ (X @ w0 - t))
    r = X @ w1 - t
    return float(r @ r / n)


def judge_sgd_converges(received: Any, args: dict[str, Any], rtol: float = 1e-6, **_: Any) -> tuple[float, str]:
    X, t = np.asarray(args["X"], float), np.asarray(args["t"], float)
    w = _vector(received, X.shape[1])
    if w is None:
        return 0.0, "sgd: not a finite vector of the right shape"
    return (1.0, "") if _close(w, _min_norm(X, t), rtol) else (0.0, "sgd: not the minimum-norm solution")


def judge_sgd_one_step(received: Any, args: dict[str, Any], rtol: float = 1e-8, **_: Any) -> tuple[float, str]:
    X, t, lr = np.asarray(args["X"], float), np.asarray(args["t"], float), float(args["lr"])
    w = _vector(received, X.shape[1])
    if w is None:
        return 0.0, "sgd: not a finite vector of the right shape"
    if any(_close(w, 2.0 * lr * t[i] * X[i], rtol) for i in range(X.shape[0])):
        return 1.0, ""
    return 0.0, "sgd: one step from zero must give 2·lr·t_i·x_i for some row i"


def judge_derivative_matches_finite_difference(received: Any, args: dict[str, Any], h: float = 1e-6,
                                               rtol: float = 1e-5, **_: Any) -> tuple[float, str]:
    X, t, w0 = (np.asarray(args[k], float) for k in ("X", "t", "w0"))
    eta = float(args["eta"])
    value = _scalar(received)
    if value is None:
        return 0.0, "loss_derivative: not a finite number"
    step = h * max(1.0, abs(eta))
    fd = (_loss_after_one_step(X, t, w0, eta + step) - _loss_after_one_step(X, t, w0, eta - step)) / (2.0 * step)
    n = X.shape[0]
    g = X.T @ (X @ w0 - t)
    b = X @ g
    scale = max(abs(fd), 4.0 / n**2 * float(g @ g), 8.0 * abs(eta) / n**3 * float(b @ b), 1e-300)
    if abs(value - fd) <= rtol * scale:
        return 1.0, ""
    return 0.0, "loss_derivative: does not match a finite difference"


def judge_learning_rate_minimizes(received: Any, args: dict[str, Any], delta: float = 1e-3,
                                  **_: Any) -> tuple[float, str]:
    X, t, w0 = (np.asarray(args[k], float) for k in ("X", "t", "w0"))
    eta = _scalar(received)
    if eta is None or eta <= 0.0:
        return 0.0, "optimal_learning_rate: not a positive finite number"
    step = delta * max(1.0, abs(eta))
    with np.errstate(all="ignore"):
        l0, lo, hi = (_loss_after_one_step(X, t, w0, e) for e in (eta, eta - step, eta + step))
    slack = 1e-12 * max(abs(l0), 1e-300)
    if math.isfinite(l0) and l0 <= lo + slack and l0 <= hi + slack:
        return 1.0, ""
    return 0.0, "optimal_learning_rate: not a minimizer of L1"


JUDGES = {
    "judge_sgd_converges": judge_sgd_converges,
    "judge_sgd_one_step": judge_sgd_one_step,
    "judge_derivative_matches_finite_difference": judge_derivative_matches_finite_difference,
    "judge_learning_rate_minimizes": judge_learning_rate_minimizes,
}


def compare(case: dict[str, Any], received: Any) -> tuple[float, str]:
    spec = dict(case["compare"])
    name = spec.pop("name")
    if name == "judge":
        return JUDGES[spec["function"]](received, dict(case["args"]), **spec.get("options", {}))
    comparator = {"numeric": numeric, "exact": exact, "one_of": one_of, "big_o": big_o, "edge_f1": edge_f1}[name]
    return comparator(received, case["expected"], **spec)


def run_case(case: dict[str, Any], namespace: Any) -> tuple[float, str]:
    """Call the student's function (from a module or a globals() dict) on the case's args and judge it."""
    name = case["function"]
    function = namespace.get(name) if isinstance(namespace, dict) else getattr(namespace, name, None)
    if not callable(function):
        return 0.0, f"the submission does not define {case['function']}()"
    args = copy.deepcopy([value for _, value in case["args"]])
    try:
        received = function(*args)
    except Exception as error:
        return 0.0, f"{case['function']} raised {type(error).__name__}: {error}"
    return compare(case, received)


def passes(key: str, namespace: Any) -> bool:
    """For otter's doctests: True when the case passes in full; otherwise prints why and returns False."""
    fraction, message = run_case(case_by_key(key), namespace)
    if fraction >= 1.0:
        return True
    print(message)
    return False
