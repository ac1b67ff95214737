"""The mutation operators and the generator, on small sources: each mutant is run (here, on
trusted code of the test's own) and its value compared with what that change computes by hand."""

from __future__ import annotations

import ast
import textwrap

import numpy as np
import pytest

from grader.mutants.generate import graded_functions, mutants_of_module, splice
from grader.mutants.model import Mutant


def mutants(source: str, functions: list[str] | None = None, numeric: bool = True) -> list[Mutant]:
    source = textwrap.dedent(source)
    names = functions or [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    return mutants_of_module(source, names, set(names) if numeric else set())


def run(mutant: Mutant, name: str, *args: object) -> object:
    space: dict[str, object] = {}
    exec(compile(mutant.source, "<mutant>", "exec"), space)  # the test's own code, mutated
    return space[name](*args)  # type: ignore[operator]


def by_operator(made: list[Mutant], operator: str) -> list[Mutant]:
    return [m for m in made if m.operator == operator]


def test_a_difference_is_flipped_swapped_dropped_and_negated() -> None:
    made = mutants("""
        def f(a, b):
            return a - b
    """)
    a, b = 5.0, 3.0
    values = {m.operator + (":" + m.id.split(":")[-1] if m.id.count(":") > 3 else ""): run(m, "f", a, b)
              for m in made}
    assert values["sign flip"] == a + b
    assert values["swapped operands"] == b - a
    assert values["dropped term:left"] == a
    assert values["sign flip:negate"] == -(a - b)
    assert len(values) == len(made) == 4  # (float32 needs the module to import numpy)


def test_products_and_quotients_trade_places_and_constants_move() -> None:
    made = mutants("""
        def f(x):
            return 2 * x / 4
    """, numeric=False)
    x = 3.0
    got = sorted(run(m, "f", x) for m in made)  # type: ignore[type-var]
    expected = sorted([2 / x / 4, 2 * x * 4,  # * → /, / → *
                       4 / (2 * x),  # a / b → b / a
                       1 * x / 4, 2 * x / 3])  # 2 → 1, 4 → 3
    assert got == pytest.approx(expected)


def test_a_mean_divides_by_one_too_few_or_too_many() -> None:
    made = by_operator(mutants("""
        def variance(x):
            d = x - x.mean()
            return float((d * d).sum() / len(x))

        def sample_variance(x):
            d = x - x.mean()
            return float((d * d).sum() / (x.shape[0] - 1))
    """, numeric=False), "count off by one")
    x = np.array([1.0, 2.0, 4.0, 7.0])
    squares = float(((x - x.mean()) ** 2).sum())
    got = sorted((m.function, run(m, m.function, x)) for m in made)  # type: ignore[type-var]
    assert got == [("sample_variance", pytest.approx(squares / len(x))),  # n − 1 → n
                   ("variance", pytest.approx(squares / (len(x) + 1))),
                   ("variance", pytest.approx(squares / (len(x) - 1)))]  # the sample variance


def test_a_loop_sum_gets_its_range_and_accumulation_wrong() -> None:
    made = mutants("""
        def total(x):
            s = 0
            for i in range(len(x)):
                s += x[i]
            return s
    """, numeric=False)
    x = [1.0, 2.0, 4.0]
    assert run(next(m for m in made if m.id.endswith("stop-1")), "total", x) == 1.0 + 2.0
    with pytest.raises(IndexError):
        run(next(m for m in made if m.id.endswith("stop+1")), "total", x)
    assert run(by_operator(made, "accumulation lost")[0], "total", x) == 4.0  # the last entry alone
    assert run(next(m for m in made if m.operator == "sign flip" and "+=" in m.description), "total", x) == -7.0
    assert run(next(m for m in made if m.description.startswith("`0` → `1`")), "total", x) == 8.0
    assert len({m.id for m in made}) == len(made)  # every id is its own


def test_numpy_axes_transposes_slices_padding_and_float32() -> None:
    made = mutants("""
        import numpy as np

        def f(X, y):
            X = np.asarray(X, dtype=float)
            return np.sum(X.T @ y, axis=0)

        def g(x):
            return np.pad(x, 1)[1:3]
    """)
    X, y = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0])
    axis = by_operator(made, "axis")
    assert len(axis) == 1 and "axis=1" in axis[0].function_source
    with pytest.raises(np.exceptions.AxisError):  # (a 1-D sum has no axis 1)
        run(axis[0], "f", X, y)
    dropped = next(m for m in by_operator(made, "transpose") if m.id.endswith("drop"))
    with pytest.raises(ValueError):  # X @ y: (2, 3) @ (2,) does not fit
        run(dropped, "f", X, y)
    single = next(m for m in by_operator(made, "float32") if "dtype" in m.description)
    assert "dtype=np.float32" in single.function_source and run(single, "f", X, y) == pytest.approx(
        np.sum(X.T @ y), rel=1e-6)
    returned = next(m for m in by_operator(made, "float32") if m.id.endswith("return"))
    assert run(returned, "f", X, y).dtype == np.float32  # type: ignore[attr-defined]
    x = np.array([5.0, 6.0, 7.0])
    pads = {m.id.rsplit(":", 1)[-1]: run(m, "g", x) for m in by_operator(made, "padding off by one")}
    assert np.array_equal(pads["+1"], np.pad(x, 2)[1:3]) and np.array_equal(pads["-1"], np.pad(x, 0)[1:3])
    slices = {m.id.rsplit(":", 1)[-1]: run(m, "g", x) for m in by_operator(made, "slice off by one")}
    padded = np.pad(x, 1)
    assert {k: v.tolist() for k, v in slices.items()} == {  # type: ignore[attr-defined]
        "lower+1": padded[2:3].tolist(), "lower-1": padded[0:3].tolist(),
        "upper+1": padded[1:4].tolist(), "upper-1": padded[1:2].tolist()}


def test_a_bias_is_dropped_as_a_missing_bias_not_as_any_term() -> None:
    made = mutants("""
        def layer(w, x, b):
            return w * x + b
    """)
    bias = by_operator(made, "missing bias")
    assert len(bias) == 1 and run(bias[0], "layer", 2.0, 3.0, 1.0) == 6.0
    terms = by_operator(made, "dropped term")
    assert [run(m, "layer", 2.0, 3.0, 1.0) for m in terms] == [1.0]  # `w * x + b` → `b` (→ `w * x` is the bias's)


def test_only_checked_functions_and_what_they_call_are_mutated() -> None:
    source = textwrap.dedent("""
        def helper(x):
            return x + 1

        def checked(x):
            return helper(x) * 2

        def unrelated(x):
            return x - 1
    """)
    functions, missing = graded_functions(ast.parse(source), ["checked", "absent"])
    assert functions == ["helper", "checked"] and missing == ["absent"]
    assert {m.function for m in mutants_of_module(source, functions, set())} == {"helper", "checked"}


def test_ids_are_stable_unique_and_name_their_place() -> None:
    source = """
        def f(a, b, c):
            return a * b / c - 1
    """
    first, again = mutants(source), mutants(source)
    assert [m.id for m in first] == [m.id for m in again]
    assert len({m.id for m in first}) == len(first) and len({m.key for m in first}) == len(first)
    for m in first:
        name, _, line, column = m.id.split(":")[:4]
        assert name == "f" and line == str(m.line) == "3" and int(column) >= 11


def test_splice_keeps_the_rest_of_the_line_and_counts_utf8_columns() -> None:
    source = 'def f(x):\n    return "é" + str(x - 1)  # é\n'
    node = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Sub))
    assert splice(source, node, "(x + 1)") == 'def f(x):\n    return "é" + str((x + 1))  # é\n'
