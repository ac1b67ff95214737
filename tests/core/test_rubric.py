"""A bad rubric gets one line: the file, the line number and what is wrong; exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.errors import RubricError
from grader.rubric import parse_rubric
from tests.support import TINY, TINY_RUBRIC, tiny_variant

# The tests below edit the rubric's text, not its data (tests/support.py's rubric_variant): they
# write YAML that does not parse, or check the line number an error names in the file as written.
GOOD = TINY_RUBRIC.read_text()


def rubric_error(text: str, tmp_path: Path) -> RubricError:
    path = tmp_path / "rubrics" / "tiny.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    (tmp_path / "reference").mkdir(exist_ok=True)
    (tmp_path / "reference" / "tiny.py").write_text((TINY / "reference" / "tiny.py").read_text())
    with pytest.raises(RubricError) as caught:
        load_assignment(path)
    return caught.value


def line_number(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_fixture_rubric_is_valid():
    loaded = parse_rubric(GOOD, Path("tiny.yaml"))
    assert [q.id for q in loaded.rubric.questions] == ["1", "2", "3", "4"]


def test_yaml_syntax_error_names_its_line(tmp_path):
    text = GOOD.replace("    name: Normalize", "    name: [Normalize")
    error = rubric_error(text, tmp_path)
    assert "YAML syntax error" in str(error)
    assert error.line is not None and abs(error.line - line_number(text, "[Normalize")) <= 1


def test_an_unclosed_bracket_is_named_where_it_opened_too(tmp_path):
    text = GOOD.replace("    name: Normalize", "    name: [Normalize,")  # never closed: noticed lines later
    error = rubric_error(text, tmp_path)
    assert f"(the `[` opened on line {line_number(text, '[Normalize')} is not closed)" in str(error)
    assert error.line is not None and error.line > line_number(text, "[Normalize")


def test_unknown_comparator_names_its_line(tmp_path):
    text = GOOD.replace("compare: {name: numeric, rtol: 1.0e-9}", "compare: {name: numerc, rtol: 1.0e-9}")
    error = rubric_error(text, tmp_path)
    assert error.line == line_number(text, "numerc")
    assert "unknown comparator 'numerc'" in str(error)
    assert "numeric" in str(error)  # the known ones are listed


def test_unknown_option_of_a_comparator(tmp_path):
    text = GOOD.replace("rtol: 1.0e-9}", "rtoll: 1.0e-9}")
    error = rubric_error(text, tmp_path)
    assert error.line == line_number(text, "rtoll")
    assert "unknown field 'rtoll' (did you mean 'rtol'?)" in str(error)
    text = GOOD.replace("submission:", "late: {penalty: 0.1, grace: 15}\nsubmission:", 1)
    assert "late.grace: unknown field 'grace' (did you mean 'grace_minutes'?)" in str(rubric_error(text, tmp_path))
    text = GOOD.replace("submission:", "colour_scheme: dark\nsubmission:", 1)
    assert str(rubric_error(text, tmp_path)).endswith("unknown field 'colour_scheme'")  # nothing close: no guess


def test_missing_student_function_in_reference(tmp_path):
    text = GOOD.replace("function: count_words", "function: count_wordz")
    error = rubric_error(text, tmp_path)
    assert error.line == line_number(text, "count_wordz")
    assert "'count_wordz' is not a function of the reference module" in str(error)


def test_missing_generator_and_judge(tmp_path):
    text = GOOD.replace("generator: random_vector,", "generator: random_vectr,")
    assert "generator 'random_vectr'" in str(rubric_error(text, tmp_path))
    text = GOOD.replace("function: judge_unit_length", "function: judge_unit")
    error = rubric_error(text, tmp_path)
    assert "judge 'judge_unit'" in str(error) and error.line == line_number(text, "judge_unit")


def test_points_must_add_up(tmp_path):
    text = GOOD.replace("    points: 3\n", "    points: 4\n")
    error = rubric_error(text, tmp_path)
    assert "worth 4 points but its checks add up to 3" in str(error)
    assert error.line == line_number(text, 'id: "1"')


def test_bad_visibility_and_missing_field(tmp_path):
    text = GOOD.replace("visibility: hidden", "visibility: secret")
    error = rubric_error(text, tmp_path)
    assert error.line == line_number(text, "visibility: secret")
    assert "'visible'" in str(error)
    text = GOOD.replace("  filename: tiny.py\n", "  module: tiny\n")
    assert "submission.filename" in str(rubric_error(text, tmp_path))


@pytest.mark.child
def test_cli_prints_one_line_and_exits_2(tmp_path):
    text = GOOD.replace("compare: exact", "compare: exactly")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(TINY / "submissions" / "correct.py"),
                          "--assignment", str(path)], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"grader: {path}:{line_number(text, 'exactly')}: ")
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(("entry", "message"), [
    ({"name": "x", "check": "1/random-vectors"}, "is hidden: a leaderboard is public"),
    ({"name": "x", "check": "9/nothing"}, "no check '9/nothing'"),
], ids=["hidden", "unknown"])
def test_a_leaderboard_entry_must_name_a_visible_check(entry, message, tmp_path):
    path = tiny_variant(tmp_path, leaderboard=[entry])
    with pytest.raises(RubricError, match=message) as raised:
        load_assignment(path)
    assert raised.value.line == line_number(path.read_text(), f"check: {entry['check']}")  # the entry's check
