"""Correct work in a person's own notation passes, points add up exactly, and a wrong numeric
answer is told what it looks like (issue: real students' work)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from grader.assignment import split_points
from grader.comparators import compare
from grader.comparators.base import CompareContext
from grader.comparators.big_o import BigOSpec
from grader.comparators.key_terms import KeyTermsSpec
from grader.comparators.numeric import NumericSpec
from grader.errors import RubricError
from tests.support import HW2_RUBRIC, ROOT, TESTS, rubric_variant, tiny_variant

STUDENTS = TESTS / "fixtures" / "students"
SHOWN, HIDDEN = CompareContext(reveal=True), CompareContext(reveal=False)


# -- points ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("points", [0.25, 0.1, 1.0, 0.3333, 2.5, 0.000007])
@pytest.mark.parametrize("parts", [1, 2, 3, 6, 7, 11])
def test_a_checks_cases_share_its_points_to_the_millionth_exactly(points: float, parts: int) -> None:
    shares = split_points(points, parts)
    assert len(shares) == parts and min(shares) >= 0
    written = [round(share, 6) for share in shares]
    assert written == shares  # each already has at most six decimals
    assert round(sum(written), 6) == round(points, 6)
    assert max(shares) - min(shares) <= 1e-6 + 1e-12  # as even as the millionth allows


def _grade(submission: Path, tmp_path: Path, assignment: str = "hw2") -> dict:
    out = tmp_path / f"{submission.stem}.json"
    process = subprocess.run([sys.executable, "-m", "grader", "grade", str(submission), "--assignment", assignment,
                              "--quiet", "--json", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert process.returncode == 0, process.stderr
    return dict(json.loads(out.read_text()))


@pytest.mark.child
def test_the_score_is_exactly_the_sum_of_the_tests(tmp_path: Path) -> None:
    results = _grade(ROOT / "submissions_example" / "hw2" / "correct.py", tmp_path)
    scores = [test.get("score", 0.0) for test in results["tests"]]
    assert results["score"] == 6.5 == round(sum(scores), 6)
    by_check: dict[str, float] = {}
    for test in results["tests"]:
        if "check" in test.get("extra_data", {}):
            key = test["extra_data"]["check"].split("#")[0]
            by_check[key] = by_check.get(key, 0.0) + test["max_score"]
    # Every check's cases add up, as written, to the check's points: no 0.249999.
    from grader.assignment import load_assignment
    from grader.rubric import check_key

    rubric = load_assignment(ROOT / "rubrics" / "hw2.yaml").rubric
    points = {check_key(q, c): c.points for q in rubric.questions for c in q.checks}
    assert {key: round(total, 6) for key, total in by_check.items()} == {key: points[key] for key in by_check}


# -- notation --------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["O(T)", "o(t)", "O(2T + 3)", "linear in t", "Linear", "O(t)", "t"])
def test_big_o_reads_the_variable_whatever_its_case_and_words_with_an_exact_meaning(answer: str) -> None:
    assert compare(BigOSpec(variable="t"), answer, "O(t)", SHOWN).passed


def test_big_o_capital_variables_and_aliases() -> None:
    assert compare(BigOSpec(variable="n"), "O(N)", "O(n)", SHOWN).passed
    assert compare(BigOSpec(variable="t"), "O(T*d)", "O(t d)", SHOWN).passed
    assert compare(BigOSpec(variable="t"), "O(Td)", "O(t*d)", SHOWN).passed
    assert compare(BigOSpec(variable="t", aliases=("iterations",)), "O(Iterations)", "O(t)", SHOWN).passed
    assert compare(BigOSpec(variable="t"), "constant", "O(1)", SHOWN).passed
    assert compare(BigOSpec(variable="t"), "quadratic in t", "O(t^2)", SHOWN).passed
    # Not read into something else: another letter stays a constant, and O(T) is not O(1).
    assert not compare(BigOSpec(variable="t"), "O(n)", "O(t)", SHOWN).passed
    assert not compare(BigOSpec(variable="t"), "O(T)", "O(1)", SHOWN).passed


def test_big_o_words_without_an_exact_meaning_are_told_how_to_write_it() -> None:
    verdict = compare(BigOSpec(variable="t"), "it grows with the iterations", "O(t)", SHOWN)
    assert not verdict.passed and "write it as O(...)" in verdict.message and "O(t)" in verdict.message


SHORT = KeyTermsSpec(any_of=("edge", "boundary", "outline", "contour", "intensity change"),
                     none_of=("corner", "blur", "not edge"))


@pytest.mark.parametrize("answer", ["Edges (Laplacian)", "it detects edges/outlines", "It detects edges",
                                    "edge-detection", "Laplacian edge detector", "BOUNDARIES.",
                                    "sharp intensity changes", "the contours of objects"])
def test_a_short_answer_passes_when_it_names_the_concept(answer: str) -> None:
    assert compare(SHORT, answer, "edges", SHOWN).passed


@pytest.mark.parametrize("answer", ["corners", "it blurs the image", "not edges", "noise", "", "42 cats"])
def test_a_short_answer_that_names_something_else_fails_and_says_so(answer: str) -> None:
    verdict = compare(SHORT, answer, "edges", SHOWN)
    assert not verdict.passed and verdict.message


def test_a_short_answer_that_is_not_text_or_too_long_fails_clearly() -> None:
    assert "string" in compare(SHORT, 3, "edges", SHOWN).message
    assert "short answer" in compare(SHORT, "edge " * 1000, "edges", SHOWN).message


# -- what a wrong numeric answer looks like ---------------------------------------------------------


A = np.arange(12.0).reshape(3, 4) + 1.0
B = np.arange(9.0).reshape(3, 3) + 5.0 * np.eye(3)
SPEC = NumericSpec()


@pytest.mark.parametrize(("name", "got", "want", "said"), [
    ("transposed", B.T, B, "transposed"),
    ("transposed, another shape", A.T, A, "transposed"),
    ("negated", -A, A, "opposite sign"),
    ("doubled", 2 * A, A, "times 2"),
    ("halved", A / 2, A, "times 1/2"),
    ("reversed", A[::-1], A, "reverse order along axis 0"),
    ("shifted", np.roll(np.arange(1.0, 6.0), 1), np.arange(1.0, 6.0), "one place later"),
    ("reshaped", A.reshape(4, 3), A, "in shape (4, 3)"),
])
def test_a_wrong_array_is_told_what_it_is(name: str, got: np.ndarray, want: np.ndarray, said: str) -> None:
    for ctx in (SHOWN, HIDDEN):
        verdict = compare(SPEC, got, want, ctx)
        assert not verdict.passed and said in verdict.message, (name, verdict.message)


X = np.array([[1.0, 4.0, 2.0], [3.0, -1.0, 5.0], [0.5, 2.0, 7.0], [2.0, 2.5, -3.0]])  # 4 rows, 3 columns


def _softmax(a: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize(("got", "want", "said"), [
    (X.mean(axis=1), X.mean(axis=0), "the mean of X along axis 1, where the check computes it along axis 0"),
    (X.sum(axis=0, keepdims=True), X.sum(axis=1), "the sum of X along axis 0, where the check computes it "
                                                   "along axis 1"),
    (np.linalg.norm(X, axis=0), np.linalg.norm(X, axis=1), "the norm of X along axis 0"),
    (_softmax(X, 0), _softmax(X, 1), "the softmax of X along axis 0, where the check computes it along axis 1"),
    (X / X.sum(axis=1, keepdims=True), X / X.sum(axis=0), "X divided by its sum along axis 1"),
    (X.mean(), X.mean(axis=0), "the mean of X over all of its entries, where the check computes it along axis 0"),
])
def test_an_answer_computed_along_the_wrong_axis_is_told_so(got: np.ndarray, want: np.ndarray, said: str) -> None:
    for ctx in (CompareContext(reveal=True, args={"X": X}), CompareContext(reveal=False, args={"X": X})):
        verdict = compare(SPEC, got, want, ctx)
        assert not verdict.passed and said in verdict.message, verdict.message
    assert "axis" not in compare(SPEC, got, want, SHOWN).message  # without the call's inputs nothing is guessed


@pytest.mark.child
def test_a_hidden_check_names_the_wrong_axis_through_the_command(tmp_path: Path) -> None:
    def add_column_means(data: dict) -> None:
        data["questions"].append({"id": "5", "name": "Column means", "checks": [{
            "name": "random matrices", "function": "column_means", "visibility": "hidden", "points": 1,
            "inputs": {"generator": "random_matrix", "seeds": [1, 2]}, "compare": "numeric"}]})

    rubric = tiny_variant(tmp_path, add_column_means)
    with (tmp_path / "reference" / "tiny.py").open("a") as reference:
        reference.write("\n\ndef column_means(X):\n    return np.mean(X, axis=0)\n\n\n"
                        "def random_matrix(rng):\n    return {'X': rng.normal(size=(6, 3))}\n")
    student = tmp_path / "tiny.py"
    student.write_text("import numpy as np\n\n\ndef column_means(X):\n    return X.mean(1)  # the rows' means\n")
    results = _grade(student, tmp_path, str(rubric))
    outputs = [t["output"] for t in results["tests"] if t["extra_data"].get("function") == "column_means"]
    said = "your answer is the mean of X along axis 1, where the check computes it along axis 0"
    assert len(outputs) == 2 and all(said in text for text in outputs)


def test_the_wrong_axis_is_not_named_when_the_axes_agree_or_the_answer_is_something_else() -> None:
    symmetric = X[:3] @ X[:3].T
    ctx = CompareContext(reveal=True, args={"S": symmetric, "X": X})
    assert "axis" not in compare(SPEC, symmetric.mean(axis=1) + 1.0, symmetric.mean(axis=0), ctx).message
    assert "axis" not in compare(SPEC, X.mean(axis=0) + 0.5, X.mean(axis=0), ctx).message


def test_no_explanation_is_invented_and_none_shows_a_hidden_value() -> None:
    rng = np.random.default_rng(0)
    noisy = A + rng.uniform(0.5, 1.0, A.shape)
    verdict = compare(SPEC, noisy, A, HIDDEN)
    assert not verdict.passed and "your answer is" not in verdict.message.lower()
    named = compare(SPEC, -A, A, HIDDEN).message.splitlines()[0]
    assert "opposite sign" in named and not any(ch.isdigit() for ch in named)  # no value of the answer in it
    assert compare(SPEC, 2.0, 1.0, SHOWN).message.startswith("1 of 1")  # one number: no structure to name


def test_float32_is_named_and_accepted_where_the_rubric_says_so() -> None:
    want = np.arange(1.0, 6.0) / 3
    got = want.astype(np.float32)
    strict = compare(NumericSpec(rtol=1e-8), got, want, SHOWN)
    assert not strict.passed and "float32 precision" in strict.message and "float64" in strict.message
    assert compare(NumericSpec(rtol=1e-8, float32=True), got, want, SHOWN).passed
    assert not compare(NumericSpec(rtol=1e-8, float32=True), got + np.float32(0.01), want, SHOWN).passed
    assert not compare(NumericSpec(rtol=1e-8, float32=True), got.astype(float) * (1 + 1e-6), want, SHOWN).passed



def test_a_float32_number_is_read_as_float32_as_an_array_is() -> None:
    """A loss returned as np.float32 crosses the wire as a 0-d float32 array (wire.py), so the
    comparator sees its precision: the same verdicts as for a float32 array."""
    from grader.boundary import wire

    want = 1.0 / 3.0
    sent = wire.pack({"value": np.float32(want)}, 1 << 10)
    got = wire.unpack(sent[wire.FRAME_HEADER.size:])["value"]
    strict = compare(NumericSpec(rtol=1e-8), got, want, SHOWN)
    assert not strict.passed and "float32 precision" in strict.message
    assert compare(NumericSpec(rtol=1e-8, float32=True), got, want, SHOWN).passed


# -- through the command ------------------------------------------------------------------------------


@pytest.mark.child
def test_hw2_in_a_students_own_notation_scores_full_marks(tmp_path: Path) -> None:
    results = _grade(STUDENTS / "hw2_own_words.py", tmp_path)
    assert results["score"] == 6.5, [t["name"] for t in results["tests"] if t.get("status") == "failed"]


@pytest.mark.child
def test_hw2_float32_and_a_sign_slip_are_named(tmp_path: Path) -> None:
    results = _grade(STUDENTS / "hw2_float32_and_sign.py", tmp_path)
    failed = {t["extra_data"]["check"]: t["output"] for t in results["tests"] if t.get("status") == "failed"}
    assert "float32 precision" in failed["1.1.1/minimum-norm-solution"]
    assert any("opposite sign" in text for key, text in failed.items() if key.startswith("2.2.1/w1"))


def _without_carry_forward(tmp_path: Path) -> str:
    def drop(data: dict) -> None:
        for question in data["questions"]:
            for check in question.get("checks", []):
                check.pop("carry_forward", None)

    return str(rubric_variant(HW2_RUBRIC, tmp_path / "rubrics" / "hw2.yaml", drop, pin_reference=True))


def _loss_checks(results: dict) -> list[dict]:
    return [t for t in results["tests"] if t["extra_data"].get("function") == "loss_after_one_step"]


@pytest.mark.child
def test_a_check_that_fails_because_another_does_says_so(tmp_path: Path) -> None:
    results = _grade(STUDENTS / "hw2_float32_and_sign.py", tmp_path, _without_carry_forward(tmp_path))
    loss = _loss_checks(results)
    assert len(loss) == 3 and all(t["status"] == "failed" and "This uses your gd_step(), which fails its own checks: "
                                  "fix it first." in t["output"] for t in loss)
    passing = _grade(STUDENTS / "hw2_own_words.py", tmp_path)
    assert not any("fix it first" in t["output"] for t in passing["tests"])


@pytest.mark.child
def test_an_error_carried_forward_earns_the_points_and_says_why(tmp_path: Path) -> None:
    """The sign slip is in gd_step; loss_after_one_step is right for the student's own w1."""
    carried = _grade(STUDENTS / "hw2_float32_and_sign.py", tmp_path)
    not_carried = _grade(STUDENTS / "hw2_float32_and_sign.py", tmp_path, _without_carry_forward(tmp_path))
    loss = _loss_checks(carried)
    assert len(loss) == 3 and all(t["status"] == "passed" and t["score"] == t["max_score"] and
                                  "error carried forward (full points)" in t["output"] for t in loss)
    assert carried["score"] == pytest.approx(not_carried["score"] + 0.5)  # L1's 0.5 points, and nothing else
    gd = [t for t in carried["tests"] if t["extra_data"].get("function") == "gd_step"]
    assert gd and all(t["status"] == "failed" for t in gd)  # the mistake itself still costs its own points
    wrong_l1 = tmp_path / "wrong_l1" / "hw2.py"  # a right gd_step and a wrong L1: nothing is carried
    wrong_l1.parent.mkdir()
    wrong_l1.write_text((ROOT / "submissions_example" / "hw2" / "correct.py").read_text()
                        + "\n\ndef loss_after_one_step(X, t, w0, eta):\n    return 2.0\n")
    assert not any(t["status"] == "passed" or "carried" in t["output"] for t in _loss_checks(_grade(wrong_l1, tmp_path)))


def test_carry_forward_must_name_a_dependency_whose_inputs_the_check_has(tmp_path: Path) -> None:
    from grader.assignment import load_assignment

    def edit(change: Callable[[dict], None]) -> Path:
        def apply(data: dict) -> None:
            check = next(c for q in data["questions"] for c in q.get("checks", []) if c.get("carry_forward"))
            change(check)
        return rubric_variant(HW2_RUBRIC, tmp_path / "rubrics" / "hw2.yaml", apply, pin_reference=True)

    with pytest.raises(RubricError, match="'sgd' must be one of this check's depends_on"):
        load_assignment(edit(lambda check: check["carry_forward"].update(function="sgd")))
    with pytest.raises(RubricError, match="reference 'no_such' is not a function of the reference module"):
        load_assignment(edit(lambda check: check["carry_forward"].update(reference="no_such")))
    with pytest.raises(RubricError, match="gd_step takes eta, which this check's inputs do not have"):
        load_assignment(edit(lambda check: check.update(inputs={"generator": "learning_rate_problem_no_eta",
                                                                "seed": 1})))


def test_depends_on_must_name_another_checked_function(tmp_path: Path) -> None:
    from grader.assignment import load_assignment

    def depend(data: dict) -> None:
        data["questions"][0]["checks"][0]["depends_on"] = ["not_a_function"]

    with pytest.raises(RubricError, match=r"depends_on.*'not_a_function' is not another function"):
        load_assignment(tiny_variant(tmp_path, depend))


# -- a submission of several files ----------------------------------------------------------------


@pytest.mark.child
@pytest.mark.parametrize("mode", ["auto", "nonamespaces"])
def test_helper_modules_and_data_files_go_with_the_submission(tmp_path: Path, mode: str) -> None:
    import os
    import shutil

    folder = tmp_path / "upload"
    shutil.copytree(STUDENTS / "hw2_with_helpers", folder / "hw2")  # kept its folder, as an upload may
    (folder / "hw2" / "big.bin").write_bytes(b"x" * (20 << 20))  # over limits.file_mb
    os.symlink(ROOT / "reference" / "hw2.py", folder / "hw2" / "solutions.py")
    out = tmp_path / "results.json"
    process = subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "--assignment", "hw2", "--quiet",
                              "--json", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=300,
                             env={**os.environ, "NUMGRADER_SANDBOX": mode})
    assert process.returncode == 0, process.stderr
    results = json.loads(out.read_text())
    assert results["score"] == 6.5
    files = results["extra_data"]["files"]
    assert files["used"] == ["hw2.py", "data/__init__.py", "data/scale.txt", "linalg_utils.py"]
    assert [entry["name"] for entry in files["left_out"]] == ["big.bin", "solutions.py"]
    assert "too large" in files["left_out"][0]["why"] and "link" in files["left_out"][1]["why"]
    assert "Left out of your submission" in results["output"]


@pytest.mark.child
def test_a_single_file_gets_no_companions(tmp_path: Path) -> None:
    results = _grade(STUDENTS / "hw2_with_helpers" / "hw2.py", tmp_path)  # its folder was not handed in
    assert "files" not in results["extra_data"]
    assert results["score"] < 6.5 and "No module named 'linalg_utils'" in results["output"]


def test_a_graphs_feedback_keeps_the_students_own_node_names() -> None:
    from grader.comparators.edge_f1 import EdgeF1Spec

    verdict = compare(EdgeF1Spec(), [("W0", "Eta"), ("Eta", "L")], [("w0", "w1"), ("eta", "w1")], SHOWN)
    assert "not expected: W0 -> Eta" in verdict.message and "missing: Eta -> w1" in verdict.message
    assert "w0 -> eta" not in verdict.message  # not the folded form


def test_a_tables_rows_are_named_by_their_inputs_on_visible_checks_only() -> None:
    from grader.comparators.exact import ExactSpec

    args = {"input_shape": [8, 8, 3], "layers": ["conv3-8", "maxpool", "fc-10"]}
    got, want = [[512, 224], [128, 0], [10, 1290]], [[512, 224], [128, 0], [10, 1300]]
    shown = compare(ExactSpec(labels="layers"), got, want, CompareContext(reveal=True, args=args))
    assert "row 3 (fc-10): expected [10, 1300], received [10, 1290]" in shown.message
    hidden = compare(ExactSpec(labels="layers"), got, want, CompareContext(reveal=False, args=args))
    assert "fc-10" not in hidden.message and "items that differ: 2" in hidden.message
    unlabeled = compare(ExactSpec(), got, want, CompareContext(reveal=True, args=args))
    assert "item 2: expected" in unlabeled.message
