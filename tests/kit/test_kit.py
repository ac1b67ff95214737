"""The student kit: visible checks without the answer key, and `grader check` from the kit alone."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.assignment import load_assignment
from grader.boundary import wire
from grader.comparators import CompareContext, big_o, compare, exact, numeric
from grader.comparators.base import Unmatchable
from grader.comparators.big_o import BigOSpec, order_of, same_growth
from grader.comparators.numeric import NumericSpec
from grader.grading import grade
from grader.kit import seal as kit
from grader.kit.build import build_kit, hint_reveals
from grader.kit.check import check_submission, load_kit
from grader.rubric import load_rubric
from tests.support import EXAMPLES, HW2_RUBRIC, ROOT, TINY, TINY_RUBRIC, notebook_of, rubric_variant


@pytest.fixture(scope="module")
def hw2():
    return load_assignment(HW2_RUBRIC)


@pytest.fixture(scope="module")
def hw2_kit(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kit")
    build_kit(str(HW2_RUBRIC), out)
    return out


# -- what the kit holds -----------------------------------------------------------------------


def test_kit_layout_and_only_visible_checks(hw2, hw2_kit):
    assert sorted(p.relative_to(hw2_kit).as_posix() for p in hw2_kit.rglob("*") if p.is_file()) == [
        "README.md", "check/bundle.json", "check/values.wire", "hw2.py", "numgrader-0.1.0-py3-none-any.whl"]
    assert (hw2_kit / "hw2.py").read_bytes() == (ROOT / "templates" / "hw2.py").read_bytes()
    manifest = json.loads((hw2_kit / "check" / "bundle.json").read_text())
    visible = [c.key for c in hw2.cases if c.visibility == "visible"]
    assert [c["key"] for c in manifest["checks"]] == visible
    modes = {c["key"]: c["mode"] for c in manifest["checks"]}
    assert modes["3.2/the-handout-s-total"] == "sealed"
    assert modes["3.1/what-the-filter-detects"] == "on_submit"  # a short answer: its key terms stay in the grader
    assert modes["2.1.2/forward-and-backward-memory"] == modes["2.1.1/edges-of-the-graph"] == "sealed"
    assert modes["3.1/conv2d-on-an-asymmetric-kernel"] == "values"
    assert modes["1.1.1/sgd-iterates-one-step-from-zero#1"] == "on_submit"  # a judge: not in the kit
    values = wire.unpack((hw2_kit / "check" / "values.wire").read_bytes())["values"]
    assert set(values) == set(visible)
    text = (hw2_kit / "check" / "bundle.json").read_text() + (hw2_kit / "README.md").read_text()
    hidden = {c.name for c in hw2.cases if c.visibility != "visible"}
    assert not any(name in text for name in hidden)
    # no reference code, not even the names of its generators, mistakes and judges
    reference_names = {n for n in dir(hw2.reference) if not n.startswith("_")} - {c.function for c in hw2.cases}
    reference_names -= {"np", "re", "math", "numbers", "warnings", "annotations", "Any", "Sequence", "Verdict"}
    assert reference_names and not [n for n in reference_names if re.search(rf"\b{n}\b", text)]
    assert "def " not in text and "import " not in text


def _strings_and_numbers(value: Any, strings: list[str], numbers: list[float], arrays: list[np.ndarray]) -> None:
    if isinstance(value, str):
        strings.append(value)
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int | float):
        numbers.append(float(value))
    elif isinstance(value, np.ndarray):
        arrays.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _strings_and_numbers(k, strings, numbers, arrays)
            _strings_and_numbers(v, strings, numbers, arrays)
    elif isinstance(value, list | tuple):
        for v in value:
            _strings_and_numbers(v, strings, numbers, arrays)


def test_kit_leaks_no_fixed_answer(hw2, hw2_kit):
    ref = hw2.reference
    matrix = np.asarray(ref.filter_response())
    shape, layers = ref.HANDOUT_INPUT_SHAPE, ref.HANDOUT_LAYERS
    tables = [ref.conv_net_table(shape, layers), ref.conv_net_table_without_bias(shape, layers)]
    counts = {ref.total_parameters(shape, layers), ref.total_parameters_without_bias(shape, layers)}
    # every parameter count, and every unit count that is not a layer's width given in the inputs
    counts |= {p for table in tables for _, p in table if p} | {u for table in tables for u, _ in table if u > 9999}
    assert {52444644, 51381248} <= counts
    rubric = load_rubric(HW2_RUBRIC).rubric
    detects = next(c for q in rubric.questions for c in q.checks if c.function == "filter_detects")
    words = {*detects.compare.any_of, ref.filter_detects()}
    orders = set(ref.memory_complexity().values()) | set(ref.memory_complexity_backward_constant().values())
    assert "edges" in words and orders == {"O(1)", "O(t)"}

    # Everything in the check bundle, decoded: its JSON, its README, the wire file's values.
    strings: list[str] = []
    numbers: list[float] = []
    arrays: list[np.ndarray] = []
    for path in (hw2_kit / "check" / "bundle.json", hw2_kit / "README.md"):
        text = path.read_text()
        strings.append(text)
        _strings_and_numbers(json.loads(text) if path.suffix == ".json" else text, strings, numbers, arrays)
    raw = (hw2_kit / "check" / "values.wire").read_bytes()
    strings.append(raw.decode("latin-1"))
    _strings_and_numbers(wire.unpack(raw), strings, numbers, arrays)
    for array in arrays:
        numbers += array.ravel().astype(float).tolist()

    def digits(text: str) -> str:  # 52,444,644 / 52_444_644 / 52 444 644 -> 52444644
        return re.sub(r"(?<=\d)[,_ ](?=\d{3}\b)", "", text)

    for text in strings:
        flat = digits(text)
        for number in counts:
            assert not re.search(rf"(?<![\w.]){number}(?!\w)", flat), number  # (not inside a hex tag)
        squashed = re.sub(r"\s+", "", text).lower()
        for order in orders:
            assert order.lower() not in squashed, order
        folded = text.casefold().replace("edges of the graph", "").replace("edges-of-the-graph", "")
        for word in words:  # 2.1.1's check is named "edges of the graph": a graph's edges, not 3.1's answer
            assert not re.search(rf"(?<![\w-]){re.escape(word.casefold())}(?![\w-])", folded), word
        for row in matrix:
            for separator in (", ", ",", " "):
                assert separator.join(f"{int(x)}" for x in row) not in text.replace(".0", "")
        assert "grad_w0" not in text  # the graph's node names: only in the template
    assert not counts & {int(n) for n in numbers if float(n).is_integer()}
    for array in arrays:
        if array.ndim >= 1 and array.shape[-1] >= 5 and array.size >= 5:
            rows = array.reshape(-1, array.shape[-1])
            for row in matrix:
                windows = np.lib.stride_tricks.sliding_window_view(rows, 5, axis=1)
                assert not np.any(np.all(windows == row, axis=-1))
    # The template is the course's own text (it names graph edges and "O(t)" as an example of
    # notation); it holds none of the numeric answers either.
    template = (hw2_kit / "hw2.py").read_text()
    assert not any(re.search(rf"(?<![\w.]){n}(?!\w)", digits(template)) for n in counts)
    assert ", ".join(f"{int(x)}" for x in matrix[0]) not in template


def test_hints_that_contain_the_answer_are_withheld(hw2_kit):
    manifest = json.loads((hw2_kit / "check" / "bundle.json").read_text())
    detects = next(c for c in manifest["checks"] if c["check"]["function"] == "filter_detects")
    assert detects["hint_withheld"] and detects["check"]["feedback"] == ""
    assert detects["check"]["compare"] == {"name": "key_terms", "any_of": ["(in the grader)"], "none_of": []}
    assert hint_reveals("It responds where the intensity changes sharply.", ["intensity changes"])
    assert hint_reveals("The total is 52,444,644.", ["52,444,644"])
    assert not hint_reveals("A KxK conv has K·K·C_in·C_out + C_out parameters", ["52444644"])


# -- round trip --------------------------------------------------------------------------------


def _outcomes(hw2, kit_folder: Path, submission: Path) -> tuple[dict, dict, dict]:
    report = grade(hw2, submission)
    graded = {r.case.key: (r.passed, r.mistake) for r in report.checks if r.case.visibility == "visible"}
    checked = check_submission(load_kit(kit_folder / "check"), submission)
    judged = {line.item.case.key: (line.status == "pass", line.mistake) for line in checked.lines
              if line.status != "submit"}
    later = {line.item.case.key for line in checked.lines if line.status == "submit"}
    return graded, judged, {"later": later}


@pytest.mark.child
@pytest.mark.parametrize("name", ["correct.py", "worked_answers.py", "mistake_cross_correlation.py",
                                  "mistake_no_bias.py"])
def test_kit_round_trip_matches_grading(hw2, hw2_kit, name):
    graded, judged, rest = _outcomes(hw2, hw2_kit, EXAMPLES / name)
    assert set(judged) | rest["later"] == set(graded)
    assert judged == {key: graded[key] for key in judged}  # same pass/fail, same named mistakes
    assert rest["later"] == {"1.1.1/sgd-from-zero-converges-to-the-minimum-norm-solution",
                             "1.1.1/sgd-iterates-one-step-from-zero#1", "1.1.1/sgd-iterates-one-step-from-zero#2",
                             "3.1/what-the-filter-detects"}  # judges and key terms stay in the grader
    if name == "correct.py":
        assert all(ok for ok, _ in judged.values())
    if name == "worked_answers.py":
        assert {k for k, (ok, _) in judged.items() if not ok} == {"2.1.2/forward-and-backward-memory",
                                                                  "2.2.3/derivative-of-l1"}
        assert judged["2.1.2/forward-and-backward-memory"][1] == "backward pass as O(1)"  # a sealed mistake
    if name == "mistake_cross_correlation.py":
        assert {k for k, (ok, _) in judged.items() if not ok} == {"3.1/conv2d-on-an-asymmetric-kernel"}
    if name == "mistake_no_bias.py":
        assert judged["3.2/the-handout-s-total"] == (False, "parameters counted without biases")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env=env)


@pytest.mark.child
def test_check_command_from_the_kit_folder(hw2_kit, tmp_path):
    folder = tmp_path / "student"
    shutil.copytree(hw2_kit, folder)
    (folder / "hw2.py").write_text((EXAMPLES / "worked_answers.py").read_text())
    run = _run(["check", "hw2.py"], folder)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "12 of 14 visible checks pass; hidden checks run when you submit." in out  # fails 2.1.2, 2.2.3
    assert re.search(r"2\.2\.3\s+loss_derivative\s+derivative of L1\s+FAIL\s+"
                     r"known mistake: sign-flipped derivative\n", out)
    assert "4 more visible checks ran without errors here and will be judged when you submit" in out
    assert "random" not in out.lower()  # no hidden check ("... random problems") is named
    assert "Hint: dL1/dη" in out and "Your derivative has the opposite sign" in out
    run = _run(["check", "hw2.py", "--question", "3.2", "--kit", str(hw2_kit)], folder)
    assert run.returncode == 0, run.stderr
    rows = [line for line in run.stdout.splitlines() if re.match(r"\d+(\.\d+)*  ", line)]
    visible = [c for c in load_assignment(HW2_RUBRIC).cases if c.question.id == "3.2" and c.visibility == "visible"]
    assert [line.split()[0] for line in rows] == ["3.2"] * len(visible)
    assert f"{len(visible)} of {len(visible)} visible checks pass" in run.stdout
    run = _run(["check", "hw2.py", "--question", "9"], folder)
    assert run.returncode == 2 and "no visible checks for question 9" in run.stderr


@pytest.mark.child
def test_an_endless_loop_ends_with_a_time_out(hw2_kit, tmp_path):
    folder = tmp_path / "student"
    shutil.copytree(hw2_kit, folder)
    manifest_path = folder / "check" / "bundle.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["limits"]["call_seconds"] = 1
    manifest_path.write_text(json.dumps(manifest))
    source = (EXAMPLES / "correct.py").read_text() + "\n\ndef filter_detects():\n    while True:\n        pass\n"
    (folder / "hw2.py").write_text(source)
    report = check_submission(load_kit(folder / "check"), folder / "hw2.py", question="3.1")
    line = next(line for line in report.lines if line.item.case.function == "filter_detects")
    assert line.status == "fail" and "exceeded the time limit (1 s)" in line.text
    assert [x.status for x in report.lines if x is not line] == ["pass", "pass"]


# -- a second assignment: the kit knows nothing of HW2 ----------------------------------------


@pytest.mark.child
def test_tiny_kit_seals_literal_and_rng_free_inputs(tmp_path):
    reference = tmp_path / "reference" / "tiny.py"
    reference.parent.mkdir()
    reference.write_text((TINY / "reference" / "tiny.py").read_text() + textwrap.dedent("""
        def the_vectors(rng):
            return {"a": [1.0, 2.0], "b": [3.0, 4.0]}  # ignores rng: the same for everyone
    """))
    handout = {"name": "handout vectors", "function": "dot", "inputs": {"generator": "the_vectors", "seed": 5},
               "compare": "numeric", "points": 0}
    rubric_variant(TINY_RUBRIC, tmp_path / "rubrics" / "tiny.yaml",
                   lambda data: data["questions"][0]["checks"].append(handout), template="tiny_template.py")
    (tmp_path / "rubrics" / "tiny_template.py").write_text('def dot(a, b):\n    """The dot product."""\n')
    notes = build_kit(str(tmp_path / "rubrics" / "tiny.yaml"), tmp_path / "kit")
    assert any("no function normalize()" in n for n in notes)
    manifest = json.loads((tmp_path / "kit" / "check" / "bundle.json").read_text())
    modes = {c["key"]: c["mode"] for c in manifest["checks"]}
    assert modes == {"1/fixed-vectors": "sealed", "1/handout-vectors": "sealed", "2/unit-length": "on_submit",
                     "2/same-direction": "values", "3/colour": "sealed", "3/count": "sealed"}
    text = (tmp_path / "kit" / "check" / "bundle.json").read_text()
    assert "crimson" not in text and "scarlet" not in text and "random vectors" not in text
    assert (tmp_path / "kit" / "tiny.py").read_text().startswith("def dot")
    the_kit = load_kit(tmp_path / "kit" / "check")
    right = {line.item.case.key: line.status for line in
             check_submission(the_kit, TINY / "submissions" / "correct.py").lines}
    assert right == {"1/fixed-vectors": "pass", "1/handout-vectors": "pass", "2/unit-length": "submit",
                     "2/same-direction": "pass", "3/colour": "pass", "3/count": "pass"}
    wrong = {line.item.case.key: (line.status, [*line.text.splitlines(), ""][1]) for line in
             check_submission(the_kit, TINY / "submissions" / "off_by_one.py").lines}
    assert wrong["1/fixed-vectors"] == ("fail", "not the expected answer")
    assert wrong["3/colour"] == ("fail", "not the expected answer")
    assert wrong["3/count"] == ("fail", "the submission does not define count_words()")
    assert wrong["2/unit-length"][0] == "submit"  # it ran; its judge is not in the kit
    assert wrong["2/same-direction"][0] == "fail"


# -- sealing -----------------------------------------------------------------------------------


def _confirmed(spec: NumericSpec, expected: np.ndarray, received: np.ndarray) -> bool:
    offset, _ = numeric.numeric_offset(expected, spec.rtol, spec.atol)
    want = numeric.numeric_text(expected, spec.rtol, spec.atol, True, offset)
    try:
        shape = list(np.squeeze(expected).shape)
        return numeric.numeric_text(received, spec.rtol, spec.atol, True, offset, shape) == want
    except Unmatchable:
        return False


@pytest.mark.parametrize("rtol, atol", [(1e-6, 1e-9), (0.0, 1e-9), (1e-7, 0.0), (1e-9, 1e-9), (0.3, 0.01)])
def test_numeric_seals_are_sound_and_complete(rtol, atol):
    rng = np.random.default_rng(7)
    spec = NumericSpec(rtol=rtol, atol=atol)
    for trial in range(200):
        size = int(rng.integers(1, 30))
        scale = 10.0 ** rng.uniform(-12, 8)
        expected = rng.normal(size=size) * scale
        expected[rng.random(size) < 0.2] = 0.0
        if trial % 3 == 0:
            expected = np.round(expected)  # integer answers sit on any grid's points
        tolerance = atol + rtol * np.abs(expected)
        _, margin = numeric.numeric_offset(expected, rtol, atol)
        # within a small part of the tolerance: always confirmed (the builder's margin)
        near = expected + rng.uniform(-1, 1, size) * tolerance * min(margin, 0.2) * 0.5
        assert _confirmed(spec, expected, near)
        # anywhere up to twice the tolerance: confirmed only when the comparator passes
        for spread in (0.5, 1.0, 2.0):
            received = expected + rng.uniform(-spread, spread, size) * tolerance
            if _confirmed(spec, expected, received):
                assert compare(spec, received, expected, CompareContext()).passed
    assert not _confirmed(spec, np.array([1.0, 2.0]), np.array([1.0, np.nan]))
    assert not _confirmed(spec, np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]))


def test_numeric_seal_keeps_the_squeeze_rule():
    spec = NumericSpec()
    expected = np.arange(4.0)
    assert _confirmed(spec, expected, expected.reshape(4, 1))
    assert _confirmed(spec, expected, expected.reshape(1, 4) + 1e-12)


@pytest.mark.parametrize("a, b, same", [
    ("O(t)", "o( 2*t + 3 )", True), ("O(1)", "O(5)", True), ("O(t)", "Θ(t)", True),
    ("O(t log t)", "O(t*ln(t)+t)", True),
    ("O(t^2)", "O(t*(t+1))", True), ("O(t^0.5)", "O(sqrt t)", True), ("O(log(t^2))", "O(log t)", True),
    ("O(d t)", "O(t)", True), ("O(t)", "O(1)", False), ("O(t)", "O(t^2)", False), ("O(2^t)", "O(e^t)", False),
    ("O(t)", "O(t log t)", False),
])
def test_big_o_canonical_forms_agree_with_the_comparator(a, b, same):
    assert (big_o.order_text(a, "t") == big_o.order_text(b, "t")) is same
    assert same_growth(order_of(a, "t"), order_of(b, "t"), "t") is same
    assert compare(BigOSpec(variable="t"), b, a, CompareContext()).passed is same


def test_exact_canonical_forms_follow_the_comparator():
    def text(value: Any) -> str:
        return exact.exact_text(value, False)

    assert text(1234567.0) == text(1234567) != text(True)
    assert text([(1, 2), (3, 4)]) == text([[1, 2], [3, 4]]) == text(np.array([[1, 2], [3, 4]]))
    assert text("  Edge  Detection ") == text("edge detection")
    assert exact.exact_text("A", True) != exact.exact_text("a", True)
    with pytest.raises(Unmatchable):
        text(math.nan)


def test_seal_tags_and_notes():
    salt = b"s" * 16
    tag, key = kit.seal("answer", salt, iterations=10)
    assert tag == kit.seal("answer", salt, iterations=10)[0] != kit.seal("answer", b"t" * 16, iterations=10)[0]
    locked = kit.lock(key, "mistake 0 form 0", "a message")
    assert "message" not in locked and kit.unlock(key, "mistake 0 form 0", locked) == "a message"
    assert kit.lock(key, "mistake 1 form 0", "a message") != locked


@pytest.mark.child
def test_check_accepts_a_notebook(hw2_kit, tmp_path):
    from grader.kit.check import render

    the_kit = load_kit(hw2_kit / "check")
    source = (EXAMPLES / "worked_answers.py").read_text()
    notebook = notebook_of(source, tmp_path / "hw2.ipynb")
    as_notebook = check_submission(the_kit, tmp_path, question="2")
    as_py = check_submission(the_kit, EXAMPLES / "worked_answers.py", question="2")
    assert as_notebook.submission == notebook
    assert [(x.item.case.key, x.status, x.mistake) for x in as_notebook.lines] == \
        [(x.item.case.key, x.status, x.mistake) for x in as_py.lines]
    assert "(%matplotlib inline)" in render(as_notebook)
    notebook_of(source.replace("def is_convex_in_eta():", "def is_convex_in_eta()"), notebook)
    broken = check_submission(the_kit, notebook, question="2.2.2")
    assert broken.import_error is not None and "SyntaxError" in broken.import_error
    assert re.search(r"\(cell \d+, line 1, column", broken.import_error)
    assert all(line.status == "fail" for line in broken.lines)
