"""Comparators judge plain data in the parent; each rule in their docstrings is tested here."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pytest

from grader.comparators import CompareContext, compare
from grader.comparators.big_o import BigOSpec, UnreadableOrder, order_of
from grader.comparators.edge_f1 import EdgeF1Spec
from grader.comparators.exact import ExactSpec
from grader.comparators.judge import JudgeSpec
from grader.comparators.numeric import NumericSpec
from grader.comparators.one_of import OneOfSpec

SHOWN = CompareContext(reveal=True)
HIDDEN = CompareContext(reveal=False)


class TestNumeric:
    spec = NumericSpec(rtol=1e-6, atol=1e-9)

    @pytest.mark.parametrize("received", [[1.0, 2.0], (1, 2), np.array([1.0, 2.0]), [np.float64(1), np.int64(2)]])
    def test_array_likes_are_accepted(self, received):
        assert compare(self.spec, received, np.array([1.0, 2.0]), SHOWN).passed

    def test_numpy_scalar_and_one_element_list_match_a_float(self):
        assert compare(self.spec, np.float32(0.5), 0.5, SHOWN).passed
        assert compare(self.spec, [0.5], 0.5, SHOWN).passed

    def test_tolerance_is_allclose(self):
        assert compare(self.spec, 1.0 + 5e-7, 1.0, SHOWN).passed
        assert not compare(self.spec, 1.0 + 5e-6, 1.0, SHOWN).passed

    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    def test_nan_and_inf_never_pass(self, bad):
        loose = NumericSpec(rtol=1e9, atol=1e9)
        verdict = compare(loose, [1.0, bad], [1.0, 2.0], SHOWN)
        assert not verdict.passed
        assert "index (1,)" in verdict.message
        # even when the expected value is the same non-finite number
        assert not compare(loose, [bad], [bad], SHOWN).passed

    def test_squeeze_rule_and_exact_shapes(self):
        column = np.arange(3.0).reshape(3, 1)
        assert compare(self.spec, column, np.arange(3.0), SHOWN).passed
        assert not compare(NumericSpec(shape="exact"), column, np.arange(3.0), SHOWN).passed
        verdict = compare(self.spec, np.zeros((2, 3)), np.zeros((3, 2)), SHOWN)
        assert not verdict.passed
        assert verdict.message == "expected shape (3, 2), received shape (2, 3)"

    def test_failure_names_the_worst_entry_and_the_errors(self):
        expected = np.arange(6.0).reshape(2, 3)
        received = expected.copy()
        received[1, 2] += 0.5
        received[0, 1] += 0.01
        verdict = compare(self.spec, received, expected, SHOWN)
        assert "2 of 6 entries differ" in verdict.message
        assert "index (1, 2)" in verdict.message
        assert "received 5.5, expected 5" in verdict.message
        assert "largest absolute error 0.5" in verdict.message
        assert "largest relative error 0.1" in verdict.message

    def test_hidden_failure_never_prints_the_expected_value(self):
        expected = np.array([123.456789, 2.0])
        verdict = compare(self.spec, [0.0, 2.0], expected, HIDDEN)
        assert not verdict.passed
        assert "123.45" not in verdict.message
        assert "index (0,)" in verdict.message

    @pytest.mark.parametrize("received", [None, "1.0", {"a": 1}, [[1, 2], [3]]])
    def test_non_numbers_fail_with_a_message(self, received):
        verdict = compare(self.spec, received, [1.0, 2.0], SHOWN)
        assert not verdict.passed and verdict.message


class TestExact:
    spec = ExactSpec()

    def test_ints_bools_and_whole_floats(self):
        assert compare(self.spec, 52444644, 52444644, SHOWN).passed
        assert compare(self.spec, 52444644.0, 52444644, SHOWN).passed
        assert not compare(self.spec, 52444645, 52444644, SHOWN).passed
        assert not compare(self.spec, True, 1, SHOWN).passed
        assert not compare(self.spec, 1, True, SHOWN).passed
        assert compare(self.spec, False, False, SHOWN).passed

    def test_strings_are_normalized(self):
        assert compare(self.spec, "  Edge\tDetection ", "edge detection", SHOWN).passed
        assert not compare(ExactSpec(case_sensitive=True), "Edge", "edge", SHOWN).passed

    def test_tuples_arrays_and_lists_are_the_same_table(self):
        table = [(1792, 1), (5, 6)]
        assert compare(self.spec, np.array([[1792, 1], [5, 6]]), table, SHOWN).passed
        assert compare(self.spec, [[1792, 1], [5, 6]], table, SHOWN).passed

    def test_partial_fraction_by_item_and_hidden_message(self):
        want = [1, 2, 3, 4]
        verdict = compare(self.spec, [1, 2, 0, 4], want, SHOWN)
        assert verdict.fraction == 0.75
        assert "item 2: expected 3, received 0" in verdict.message
        hidden = compare(self.spec, [1, 2, 0, 4], want, HIDDEN)
        assert hidden.fraction == 0.75 and "expected" not in hidden.message

    def test_length_and_type_mismatch(self):
        assert compare(self.spec, [1, 2], [1, 2, 3], SHOWN).message == "expected 3 items, received 2"
        assert "type int" in compare(self.spec, "7", 7, SHOWN).message


class TestOneOf:
    spec = OneOfSpec(accepted=("edges", "edge detection", "boundaries"))

    @pytest.mark.parametrize("answer", ["Edges", "  edge   detection. ", "the boundaries", "EDGES!"])
    def test_synonyms_case_and_whitespace(self, answer):
        assert compare(self.spec, answer, None, SHOWN).passed

    def test_reference_string_is_accepted_too(self):
        assert compare(OneOfSpec(), "Edges", "edges", SHOWN).passed

    @pytest.mark.parametrize("answer", ["corners", "", 5, None])
    def test_others_fail(self, answer):
        assert not compare(self.spec, answer, None, SHOWN).passed


class TestBigO:
    spec = BigOSpec(variable="t")

    @pytest.mark.parametrize(("answer", "expected"), [
        (" o( 1 ) ", "O(1)"), ("O(2*t + 3)", "O(t)"), ("O(t)", "O(t)"), ("t", "O(t)"),
        ("O(3t^2 + t)", "O(t**2)"), ("O(t log t + t)", "O(t*log(t))"), ("Θ(d·t)", "O(t)"), ("O(d)", "O(1)"),
        ("O(td)", "O(t)"), ("O(t²)", "O(t^2)"),
    ])
    def test_equal_growth_orders(self, answer, expected):
        assert compare(self.spec, answer, expected, SHOWN).passed, answer

    @pytest.mark.parametrize(("answer", "expected"), [("O(t)", "O(1)"), ("O(1)", "O(t)"), ("O(t^2)", "O(t)"),
                                                      ("O(log t)", "O(t)")])
    def test_wrong_orders_fail_with_a_message(self, answer, expected):
        verdict = compare(self.spec, answer, expected, SHOWN)
        assert not verdict.passed
        assert "grows as" in verdict.message

    @pytest.mark.parametrize("evil", ["__import__('os').system('touch /tmp/pwned')", "O(t.__class__)",
                                      "O(lambda: 1)", "O(" + "t+" * 100 + "t)", "O(os)"])
    def test_unreadable_text_is_rejected_without_evaluation(self, evil):
        with pytest.raises(UnreadableOrder):
            order_of(evil, "t")
        assert not compare(self.spec, evil, "O(1)", SHOWN).passed

    def test_dict_is_scored_key_by_key(self):
        want = {"forward": "O(1)", "backward": "O(t)"}
        assert compare(self.spec, {"forward": "O(1)", "backward": "O(t + 1)"}, want, SHOWN).passed
        half = compare(self.spec, {"forward": "O(1)", "backward": "O(1)"}, want, SHOWN)
        assert half.fraction == 0.5 and half.message.startswith("backward:")
        assert compare(self.spec, {"forward": "O(1)"}, want, SHOWN).message == "backward: missing"
        assert compare(self.spec, "O(1)", want, SHOWN).fraction == 0.0


class TestEdgeF1:
    a: ClassVar[list[tuple[str, str]]] = [("x", "y"), ("y", "z"), ("x", "z")]
    b: ClassVar[list[tuple[str, str]]] = [("x", "y"), ("y", "z"), ("w", "z")]

    def test_every_accepted_graph_scores_full_marks(self):
        spec = EdgeF1Spec(alternatives=True)
        assert compare(spec, [list(e) for e in self.a], [self.a, self.b], SHOWN).passed
        assert compare(spec, list(reversed(self.b)), [self.a, self.b], SHOWN).passed

    def test_partial_credit_is_f1_against_the_closest(self):
        spec = EdgeF1Spec(alternatives=True)
        verdict = compare(spec, [("x", "y"), ("y", "z")], [self.a, self.b], SHOWN)
        assert verdict.fraction == pytest.approx(2 * 1.0 * (2 / 3) / (1 + 2 / 3))
        assert "1 edge(s) missing" in verdict.message

    def test_malformed_edges(self):
        assert not compare(EdgeF1Spec(), [("x", "y", "z")], self.a, SHOWN).passed
        assert not compare(EdgeF1Spec(), "x->y", self.a, SHOWN).passed


def test_judge_returns_fraction_and_message():
    def judge(received, expected, args, scale=1.0):
        return (1.0, "") if received == args["n"] * scale else (0.25, "not n")

    ctx = CompareContext(args={"n": 3}, judges={"judge_n": judge})
    spec = JudgeSpec(function="judge_n", options={"scale": 2.0})
    assert compare(spec, 6.0, None, ctx).passed
    assert compare(spec, 5.0, None, ctx) == compare(spec, 4.0, None, ctx)
    assert compare(spec, 5.0, None, ctx).fraction == 0.25


def test_judge_out_of_range_is_an_error():
    ctx = CompareContext(judges={"bad": lambda *a: 2.0})
    with pytest.raises(ValueError, match="not a fraction"):
        compare(JudgeSpec(function="bad"), 1, None, ctx)


FAST_CASES = ["O(1)", "o( 1 )", "O(t)", "2t + 3", "O(t^2 + t)", "O(t log t)", "O(t*log(t) + t)", "O(sqrt(t))",
              "O(t^(1/2))", "O(t/log t)", "O(td)", "O(d)", "O(t**3/t)", "Θ(d·t)", "O(log t)", "O(log(t^2))",
              "O(t^1.5)", "O((t+1)^2)", "O(1/t)"]


@pytest.mark.parametrize("answer", FAST_CASES)
def test_fast_growth_orders_agree_with_sympy(answer):
    from grader.comparators.big_o import expression_of, fast_order, same_growth

    fast = fast_order(expression_of(answer, "t"), "t")
    assert fast is not None, answer  # these never need sympy
    for other in FAST_CASES:
        other_fast = fast_order(expression_of(other, "t"), "t")
        slow = same_growth(order_of(answer, "t"), order_of(other, "t"), "t")
        assert (fast == other_fast) == slow, (answer, other)


@pytest.mark.parametrize("answer", ["O(t - 1)", "O(exp(t))", "O(log(log(t)))", "O(2^t)"])
def test_other_forms_go_to_sympy(answer):
    from grader.comparators.big_o import expression_of, fast_order

    assert fast_order(expression_of(answer, "t"), "t") is None
    assert compare(BigOSpec(variable="t"), answer, "O(t)", SHOWN).passed == (answer == "O(t - 1)")


@pytest.mark.child  # a fresh interpreter
def test_common_answers_are_judged_without_importing_sympy():
    import subprocess
    import sys

    code = ("import sys; from grader.comparators import compare, CompareContext; "
            "from grader.comparators.big_o import BigOSpec; "
            "v = compare(BigOSpec(variable='t'), {'forward': 'O(1)', 'backward': 'O(2t+1)'}, "
            "{'forward': 'O(1)', 'backward': 'O(t)'}, CompareContext()); "
            "assert v.passed; assert 'sympy' not in sys.modules, 'sympy imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_numeric_passes_exactly_when_numpy_allclose_does() -> None:
    """The comparator writes allclose's test out (faster on small arrays); on finite received
    values it must agree with numpy.allclose everywhere, infinite expected values included."""
    rng = np.random.default_rng(8)
    spec = NumericSpec(rtol=1e-6, atol=1e-9)
    specials = [np.inf, -np.inf, np.nan, 0.0, 1e308, -1e308, 5e-324]
    agreed = 0
    for trial in range(400):
        want = rng.normal(size=rng.integers(1, 6)) * 10.0 ** rng.integers(-12, 12)
        if trial % 4 == 1:
            want[rng.integers(want.size)] = specials[rng.integers(len(specials))]
        scale = [0.0, 1e-10, 1e-7, 1e-5, 1.0][trial % 5]
        got = np.nan_to_num(want, nan=0.0, posinf=1e300, neginf=-1e300) * (1 + scale * rng.normal(size=want.size))
        got += scale * rng.normal(size=want.size) * 1e-9
        verdict = compare(spec, got, want, CompareContext(reveal=True))
        assert verdict.passed == bool(np.allclose(got, want, rtol=1e-6, atol=1e-9)), (got, want)
        agreed += verdict.passed
    assert 50 < agreed < 350  # both outcomes were exercised
