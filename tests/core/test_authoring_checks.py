"""What an instructor writing a second assignment meets: integer inputs, a mistake whose answer is
NaN, the template, `gradescope build`, the examples' manifest, and a judge that raises.

Each test writes a small course of its own (the tiny assignment, tests/fixtures/tiny/, with a
template and example submissions beside it) and runs what the instructor runs on it:
`grader validate`, `grader gradescope build`, `grader grade`, or load_assignment for what the
rubric alone decides.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.assignment import load_assignment
from grader.boundary.outcome import Outcome
from grader.judging import NOT_JUDGED, judge, nonfinite_pattern
from grader.validate import ManifestError, read_manifest, template_problems
from tests.support import ROOT, TINY, tiny_variant

TEMPLATE = '''"""The tiny assignment: fill in every function; keep their names and parameters."""

import numpy as np


def dot(a, b):
    """The dot product of the vectors a and b."""
    raise NotImplementedError


def normalize(v):
    """v scaled to length 1."""
    raise NotImplementedError


def colour():
    """A shade of red, in one word."""
    raise NotImplementedError


def count_words(text):
    """How many words text holds."""
    raise NotImplementedError
'''
DOT_LINE, NORMALIZE_LINE = 6, 11  # where TEMPLATE's defs are

MANIFEST = """\
correct.py:
  score: 4.5
  fails: []
off_by_one.py:
  score: 0
  fails: [1/fixed-vectors, 1/random-vectors, 2/unit-length, 2/same-direction, 3/colour, 3/count]
  mistakes: [off-by-one loop]
"""

ENTROPY_REFERENCE = '''

def entropies(P):
    """Each row's entropy in nats, with 0 log 0 = 0."""
    P = np.asarray(P, dtype=float)
    logs = np.log(np.where(P > 0, P, 1.0))
    return -(P * logs).sum(axis=1)


def entropies_with_log_zero(P):
    """A known mistake: log(0) taken, so a row with a zero is NaN (0 * -inf)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(np.asarray(P) * np.log(P)).sum(axis=1)
'''
ENTROPY_ROWS = [[0.5, 0.5, 0.0], [0.25, 0.25, 0.5]]  # the first row has a zero


def course(folder: Path, edit: Callable[[dict[str, Any]], object] | None = None, *, reference: str = "",
           template_source: str | None = TEMPLATE, manifest: str = MANIFEST, **keys: Any) -> Path:
    """The tiny assignment as a course of its own in `folder`: rubrics/tiny.yaml (changed by `edit`
    and `keys`), reference/tiny.py (with `reference` appended), templates/tiny.py (`template_source`), and
    submissions_example/tiny/ with the tiny submissions and `manifest` as expected.yaml."""
    rubric = tiny_variant(folder, edit, **keys)
    if reference:
        with (folder / "reference" / "tiny.py").open("a", encoding="utf-8") as file:
            file.write(reference)
    if template_source is not None:
        (folder / "templates").mkdir()
        (folder / "templates" / "tiny.py").write_text(template_source, encoding="utf-8")
    examples = folder / "submissions_example" / "tiny"
    examples.mkdir(parents=True)
    for submission in (TINY / "submissions").glob("*.py"):
        shutil.copyfile(submission, examples / submission.name)
    (examples / "expected.yaml").write_text(manifest, encoding="utf-8")
    return rubric


def grader(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m grader ARGS`, as an instructor runs it from the project."""
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def check(question_id: str, name: str, **fields: Any) -> Callable[[dict[str, Any]], None]:
    """An edit adding a question of one check worth 1 point."""
    def edit(data: dict[str, Any]) -> None:
        data["questions"].append({"id": question_id, "name": name, "points": 1,
                                  "checks": [{"name": name, "points": 1, **fields}]})
    return edit


@pytest.mark.child
def test_the_course_as_written_validates(tmp_path: Path) -> None:
    # The other tests change one thing of this course each: as written, it is consistent.
    run = grader("validate", "--assignment", str(course(tmp_path)))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "tiny: rubric, reference and examples are consistent" in run.stdout


# -- 1. literal integers stay integers ------------------------------------------------------------

CROSS_ENTROPY_REFERENCE = '''

def cross_entropy(z, y):
    """The mean cross-entropy of logits z (n, k) against integer labels y (n,)."""
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def tally(x, rows, names):
    return float(x[rows].sum())
'''


def test_integer_labels_stay_integers_and_index(tmp_path: Path) -> None:
    z, y = [[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], [0, 1]
    edit = check("5", "cross-entropy", function="cross_entropy", compare="numeric",
                 inputs={"literal": {"z": z, "y": y}, "arrays": True})
    assignment = load_assignment(course(tmp_path, edit, reference=CROSS_ENTROPY_REFERENCE))
    case = next(c for c in assignment.cases if c.function == "cross_entropy")
    assert case.args["y"].dtype == np.int64 and case.args["z"].dtype == np.float64
    logits = np.array(z)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert case.expected_value() == pytest.approx(-np.log(p[[0, 1], y]).mean())
    tiny = next(c for c in assignment.cases if c.key == "1/fixed-vectors")  # [1, 2, 3]: ints
    assert tiny.args["a"].dtype == np.int64


def test_a_list_with_any_float_is_a_float_array(tmp_path: Path) -> None:
    edit = check("5", "tally", function="tally", compare="numeric",
                 inputs={"literal": {"x": [[1, 2], [3, 4.5]], "rows": [True, False], "names": ["a", "b"]},
                         "arrays": True})
    assignment = load_assignment(course(tmp_path, edit, reference=CROSS_ENTROPY_REFERENCE))
    case = next(c for c in assignment.cases if c.function == "tally")
    args = case.args
    assert args["x"].dtype == np.float64 and args["x"].tolist() == [[1.0, 2.0], [3.0, 4.5]]
    assert args["rows"].dtype == np.bool_ and case.expected_value() == 3.0
    assert args["names"] == ["a", "b"]  # not numbers: left as written


# -- 2. a mistake whose answer is NaN -------------------------------------------------------------

def _entropy_course(folder: Path, *, nonfinite: bool) -> Path:
    mistake = {"name": "log of zero", "function": "entropies_with_log_zero",
               "message": "Your entropy is NaN: you took log(0); 0 log 0 is 0 by continuity."}
    if nonfinite:
        mistake["nonfinite"] = True
    edit = check("5", "entropies", function="entropies", compare="numeric", mistakes=[mistake],
                 inputs={"literal": {"P": ENTROPY_ROWS}, "arrays": True})
    return course(folder, edit, reference=ENTROPY_REFERENCE)


@pytest.mark.child
def test_a_nan_mistake_is_named(tmp_path: Path) -> None:
    rubric = _entropy_course(tmp_path / "course", nonfinite=True)
    submission = tmp_path / "tiny.py"
    submission.write_text((TINY / "submissions" / "correct.py").read_text() + '''

def entropies(P):
    return -(P * np.log(P)).sum(axis=1)
''')
    results = tmp_path / "results.json"
    run = grader("grade", str(submission), "--assignment", str(rubric), "--json", str(results), "--quiet")
    assert run.returncode == 0, run.stderr
    test = next(t for t in json.loads(results.read_text())["tests"] if t.get("extra_data", {}).get("check")
                == "5/entropies")
    assert test["extra_data"]["mistake"] == "log of zero"
    assert "This looks like a known mistake: log of zero. Your entropy is NaN: you took log(0)" in test["output"]


@pytest.mark.child
def test_the_student_kit_names_a_nan_mistake_too(tmp_path: Path) -> None:
    """Random rows (not a fixed answer, so the kit carries the mistake's output): the kit's check
    must read `nonfinite` as grading does."""
    generator = '''

def rows_with_a_zero(rng):
    P = rng.dirichlet(np.ones(3), size=2)
    P[0] = [P[0, 0], 1.0 - P[0, 0], 0.0]
    return {"P": P}
'''
    mistake = {"name": "log of zero", "function": "entropies_with_log_zero", "nonfinite": True,
               "message": "Your entropy is NaN: you took log(0)."}
    edit = check("5", "entropies", function="entropies", compare="numeric", mistakes=[mistake],
                 inputs={"generator": "rows_with_a_zero", "seed": 3})
    rubric = course(tmp_path / "course", edit, reference=ENTROPY_REFERENCE + generator,
                    template_source=TEMPLATE + "\n\ndef entropies(P):\n    raise NotImplementedError\n")
    kit = tmp_path / "kit"
    assert grader("student-kit", "--assignment", str(rubric), "--out", str(kit)).returncode == 0
    (kit / "tiny.py").write_text((TINY / "submissions" / "correct.py").read_text() + """

def entropies(P):
    return -(P * np.log(P)).sum(axis=1)
""")
    run = subprocess.run([sys.executable, "-m", "grader", "check", "tiny.py", "--question", "5"], cwd=kit,
                         capture_output=True, text=True, timeout=300)
    assert "known mistake: log of zero" in run.stdout, run.stdout + run.stderr


def test_a_nan_mistake_is_named_only_for_its_own_pattern(tmp_path: Path) -> None:
    assignment = load_assignment(_entropy_course(tmp_path, nonfinite=True))
    case = next(c for c in assignment.cases if c.function == "entropies")
    right = float(-(np.array(ENTROPY_ROWS[1]) * np.log(ENTROPY_ROWS[1])).sum())

    def named(answer: Any) -> str | None:
        return judge(case, Outcome("ok", value=answer), assignment.judges()).mistake

    assert named([np.nan, right]) == "log of zero"
    assert named(np.array([[np.nan], [right]])) == "log of zero"  # shapes read as `numeric` reads them
    assert named([right, np.nan]) is None  # NaN elsewhere
    assert named([np.nan, right + 1]) is None  # the finite entries must match too
    assert named([-np.inf, right]) is None  # inf is not NaN
    assert named([np.nan, np.nan]) is None
    assert nonfinite_pattern("nan", np.nan) is None  # text is not a number


def test_without_nonfinite_the_mistake_cannot_match_and_validate_says_so(tmp_path: Path) -> None:
    from grader.validate import mistake_problems

    rubric = _entropy_course(tmp_path, nonfinite=False)
    assignment = load_assignment(rubric)
    case = next(c for c in assignment.cases if c.function == "entropies")
    right = float(-(np.array(ENTROPY_ROWS[1]) * np.log(ENTROPY_ROWS[1])).sum())
    assert judge(case, Outcome("ok", value=[np.nan, right]), assignment.judges()).mistake is None
    line = next(n for n, text in enumerate(rubric.read_text().splitlines(), 1) if "- name: log of zero" in text)
    assert mistake_problems(assignment) == [
        f"{rubric}:{line}: 5/entropies: the mistake 'log of zero' returns NaN or inf, which never matches an "
        "answer: declare it `nonfinite: true` to recognize it"]


# -- 3. the template ------------------------------------------------------------------------------

@pytest.mark.child
def test_validate_finds_a_renamed_function_and_changed_parameters(tmp_path: Path) -> None:
    template = TEMPLATE.replace("def normalize(v)", "def normalise(v)").replace("def dot(a, b)", "def dot(x, y)")
    rubric = course(tmp_path, template_source=template)
    run = grader("validate", "--assignment", str(rubric))
    assert run.returncode == 1
    path = tmp_path / "templates" / "tiny.py"
    assert run.stdout.splitlines()[:2] == [
        f"{path}:{DOT_LINE}: the template's dot(x, y) has other parameters than the reference's dot(a, b)",
        f"{path}:{NORMALIZE_LINE}: the template defines normalise(), but the rubric calls normalize()",
    ]
    assert "2 problem(s) found" in run.stderr


def test_the_template_must_define_a_manual_answers_function_without_parameters(tmp_path: Path) -> None:
    from grader.validate import template_problems

    asks = lambda data: data["questions"][3].update(answer={"function": "explain"})  # noqa: E731
    path = tmp_path / "templates" / "tiny.py"
    rubric = course(tmp_path, asks)
    assert template_problems(load_assignment(rubric)) == [
        f"{path}: the template has no function explain(), which the rubric calls"]
    path.write_text(TEMPLATE + "\n\ndef explain(topic):\n    raise NotImplementedError\n")
    line = len(TEMPLATE.splitlines()) + 3
    assert template_problems(load_assignment(rubric)) == [
        f"{path}:{line}: the template's explain(topic) has other parameters than the reference's explain()"]
    path.write_text(TEMPLATE + "\n\ndef explain():\n    raise NotImplementedError\n")
    assert template_problems(load_assignment(rubric)) == []


@pytest.mark.child
def test_validate_finds_a_missing_template(tmp_path: Path) -> None:
    rubric = course(tmp_path, template_source=None)
    run = grader("validate", "--assignment", str(rubric))
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        f"{rubric}: the template {tmp_path / 'templates' / 'tiny.py'} does not exist (rubric `template:`, default "
        "../templates/tiny.py)"]


def test_template_problems_name_their_line(tmp_path: Path) -> None:
    rubric = course(tmp_path, template_source=TEMPLATE.replace("def count_words(text):", "def count_words(text)"))
    path = tmp_path / "templates" / "tiny.py"
    line = TEMPLATE.splitlines().index("def count_words(text):") + 1
    assert template_problems(load_assignment(rubric)) == [f"{path}:{line}: the template does not compile: "
                                                          "expected ':'"]
    path.write_text(TEMPLATE.replace("def colour():", "def hue():").replace(
        "def normalize(v):", "def normalize(v, *, eps=1e-12):"))
    problems = template_problems(load_assignment(rubric))
    assert problems == [
        f"{path}:{NORMALIZE_LINE}: the template's normalize(v, *, eps) has other parameters than the reference's "
        "normalize(v)",
        f"{path}: the template has no function colour(), which the rubric calls",
    ]
    declared = course(tmp_path / "declared", template_source=None, template="../elsewhere/tiny.py")
    line = next(n for n, text in enumerate(declared.read_text().splitlines(), 1) if text.startswith("template:"))
    assert template_problems(load_assignment(declared))[0].startswith(f"{declared}:{line}: the template ")


# -- 4. gradescope build validates first; 7. a judge that raises ----------------------------------

def _judge_typo(data: dict[str, Any]) -> None:
    data["questions"][1]["checks"][0]["compare"]["options"] = {"tolerance": 1.0e-6}  # judge_unit_length(tol=)


@pytest.mark.child
def test_build_refuses_what_validate_refuses(tmp_path: Path) -> None:
    rubric = course(tmp_path / "course", _judge_typo)
    out = tmp_path / "autograder.zip"
    run = grader("gradescope", "build", "--assignment", str(rubric), "--out", str(out))
    assert run.returncode == 1 and not out.exists()
    lines = run.stderr.splitlines()
    assert "reference fails 2/unit-length: judge error TypeError: judge_unit_length() got an unexpected keyword " \
           "argument 'tolerance'" in lines
    assert lines[-1].startswith("not built: `grader validate` finds ") and "--no-validate" in lines[-1]
    validated = grader("validate", "--assignment", str(rubric))
    assert validated.returncode == 1 and validated.stdout.splitlines() == lines[:-1]  # the same messages

    run = grader("gradescope", "build", "--assignment", str(rubric), "--out", str(out), "--no-validate")
    assert run.returncode == 0, run.stderr
    assert out.is_file() and "not validated (--no-validate)" in run.stderr


@pytest.mark.child
def test_a_judge_that_raises_says_only_what_is_true(tmp_path: Path) -> None:
    rubric = course(tmp_path / "course", _judge_typo)
    results = tmp_path / "results.json"
    run = grader("grade", str(TINY / "submissions" / "correct.py"), "--assignment", str(rubric),
                 "--json", str(results), "--quiet")
    assert run.returncode == 0, run.stderr
    data = json.loads(results.read_text())
    test = next(t for t in data["tests"] if t.get("extra_data", {}).get("check") == "2/unit-length")
    assert NOT_JUDGED in test["output"] and "have been told" not in test["output"]
    # ... and the error is where the message says: in the results, for course staff.
    assert "unexpected keyword argument 'tolerance'" in test["extra_data"]["judge_error"]
    assert "2/unit-length" in data["extra_data"]["judge_errors"]
    note = next(t for t in data["tests"] if "judge-error" in t.get("tags", []))
    assert note["visibility"] == "hidden" and "2/unit-length" in note["output"]


# -- 5. the manifest; 6. a failing check's message ------------------------------------------------

def test_manifest_errors_are_one_line_each_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "expected.yaml"
    path.write_text("correct.py:\n  score: lots\n  fail: []\noff_by_one.py:\n  fails: [1/fixed-vectors]\n"
                    "notes.py: just text\n")
    with pytest.raises(ManifestError) as raised:
        read_manifest(path)
    assert raised.value.problems == [
        f"{path}:2: correct.py: score: Input should be a valid number, unable to parse string as a number",
        f"{path}:3: correct.py: unknown field 'fail'; fields are: score, description, fails, mistakes",
        f"{path}:4: off_by_one.py: `score` is required",
        f"{path}:6: notes.py: must be a mapping with `score` (and `fails`, `mistakes`, `description`)",
    ]
    path.write_text("correct.py:\n  score: 1\n fails: []\n")
    with pytest.raises(ManifestError) as raised:
        read_manifest(path)
    assert len(raised.value.problems) == 1 and raised.value.problems[0].startswith(f"{path}:3: YAML syntax error")
    path.write_text("- correct.py\n")
    with pytest.raises(ManifestError, match="expected a mapping of example file names"):
        read_manifest(path)


@pytest.mark.child
def test_validate_names_an_unknown_check_and_why_a_check_fails(tmp_path: Path) -> None:
    manifest = MANIFEST.replace("1/random-vectors", "1/random-vektors").replace("off-by-one loop", "off by one")
    rubric = course(tmp_path, manifest=manifest)
    run = grader("validate", "--assignment", str(rubric))
    assert run.returncode == 1
    path = tmp_path / "submissions_example" / "tiny" / "expected.yaml"
    checks = "1/fixed-vectors, 1/random-vectors, 2/unit-length, 2/same-direction, 3/colour, 3/count"
    lines = run.stdout.splitlines()
    assert f"{path}:6: off_by_one.py: no such check '1/random-vektors' (did you mean '1/random-vectors'?); " \
           f"checks are: {checks}" in lines
    also = [line for line in lines if line.startswith("off_by_one.py: also fails ")]
    assert also == ["off_by_one.py: also fails 1/random-vectors: This looks like a known mistake: off-by-one loop. "
                    "The last entry was left out of the sum."]
    assert f"{path}:7: off_by_one.py: no such mistake 'off by one' (did you mean 'off-by-one loop'?); mistakes are: " \
           "off-by-one loop" in lines
    assert not any("declared as failing" in line or "http" in line for line in lines), lines
    assert len(lines) == 3


@pytest.mark.child
def test_an_undeclared_failure_comes_with_its_message_on_one_line(tmp_path: Path) -> None:
    rubric = course(tmp_path, manifest=MANIFEST.replace("[1/fixed-vectors, ", "["))
    run = grader("validate", "--assignment", str(rubric))
    assert run.returncode == 1
    [line] = run.stdout.splitlines()
    assert line.startswith("off_by_one.py: also fails 1/fixed-vectors: 1 of 1 entries differ beyond rtol=1e-06, "
                           "atol=1e-09; worst entry: received 14, expected 32; largest absolute error 18"), line
    assert len(line) < 260
