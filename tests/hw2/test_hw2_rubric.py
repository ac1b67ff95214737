"""HW2 end to end: the rubric covers the seed, the examples score what they declare."""

from __future__ import annotations

import re

import pytest

from grader.assignment import load_assignment
from grader.grading import grade
from grader.results import to_results
from grader.validate import examples_folder, failed_checks, load_manifest, validate
from tests.support import HW2_RUBRIC, ROOT, assert_valid_results

SEED_README = ROOT.parent / "shared" / "seed" / "README.md"


@pytest.fixture(scope="module")
def hw2():
    return load_assignment(HW2_RUBRIC)


def seed_points() -> dict[str, float]:
    """The handout's points, as the seed README lists them: "1.1.1: 2 · 2.1.1: 0.5 · ..."."""
    if not SEED_README.is_file():
        pytest.skip("the seed is not beside this checkout")
    line = next(line for line in SEED_README.read_text().splitlines() if line.startswith("1.1.1:"))
    return {qid: float(points) for qid, points in re.findall(r"([\d.]+\d):\s*([\d.]+)", line)}


def test_every_seed_question_is_in_the_rubric_with_its_points(hw2):
    points = seed_points()
    assert len(points) == 9
    questions = {q.id: q for q in hw2.rubric.questions}
    assert set(points) <= set(questions)
    for qid, value in points.items():
        question = questions[qid]
        total = question.points if question.manual else sum(c.points for c in question.checks)
        assert total == pytest.approx(value), qid
    assert questions["2.1.3"].manual  # free text needs a person
    assert not questions["2.2.2"].manual and sum(c.points for c in questions["2.2.2"].checks) == 0


def test_required_checks_are_there(hw2):
    compares = {(c.function, c.check.compare.name) for c in hw2.cases}
    for required in [("sgd", "judge"), ("min_norm_solution", "numeric"), ("computation_graph", "edge_f1"),
                     ("memory_complexity", "big_o"), ("loss_derivative", "judge"),
                     ("optimal_learning_rate", "judge"), ("conv2d", "numeric"), ("filter_detects", "key_terms"),
                     ("conv_net_table", "exact"), ("total_parameters", "exact")]:
        assert required in compares
    hidden = {c.function for c in hw2.cases if c.visibility == "hidden"}
    assert {"conv2d", "conv_net_table", "total_parameters", "sgd", "min_norm_solution"} <= hidden
    mistakes = {m.name for q in hw2.rubric.questions for c in q.checks for m in c.mistakes}
    assert {"sign-flipped derivative", "cross-correlation instead of convolution",
            "parameters counted without biases"} <= mistakes


@pytest.mark.child
def test_reference_and_examples_agree_with_the_manifest(hw2):
    assert validate(hw2) == []


@pytest.mark.child
def test_examples_results_are_valid_and_tagged(hw2, results_schema):
    manifest = load_manifest(examples_folder(hw2) / "expected.yaml")
    assert {"correct.py", "worked_answers.py"} <= set(manifest)
    for name, example in manifest.items():
        report = grade(hw2, examples_folder(hw2) / name)
        data = assert_valid_results(to_results(report), results_schema)
        assert data["score"] == pytest.approx(example.score, abs=1e-5)
        if example.fails is not None:
            assert failed_checks(report) == set(example.fails)
        for test in data["tests"]:
            if "function" not in test.get("extra_data", {}):  # manual questions, the total, the prints
                continue
            assert test["number"] in test["tags"] and test["extra_data"]["function"] in test["tags"]


@pytest.mark.child
def test_worked_answers_sign_error_is_named(hw2):
    report = grade(hw2, examples_folder(hw2) / "worked_answers.py")
    named = {r.case.key: r.mistake for r in report.checks if r.mistake}
    assert named["2.2.3/derivative-of-l1"] == "sign-flipped derivative"
    assert named["2.2.3/derivative-matches-a-finite-difference-of-l1#1"] == "sign-flipped derivative"
    assert named["2.1.2/forward-and-backward-memory"] == "backward pass as O(1)"


@pytest.mark.child
def test_hard_coding_fails_the_hidden_random_cases(hw2):
    report = grade(hw2, examples_folder(hw2) / "hard_coded.py")
    by_key = {r.case.key: r for r in report.checks}
    assert by_key["3.2/the-handout-s-total"].passed  # right on the handout's net...
    assert all(not by_key[f"3.2/totals-of-random-architectures#{i}"].passed for i in (1, 2, 3))  # ...only there


def test_every_check_has_a_hint(hw2):
    assert [c.key for c in hw2.cases if not c.check.feedback.strip()] == []
