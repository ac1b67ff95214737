"""Jupyter notebook submissions: converted to a module, graded like the .py, errors by cell and line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.assignment import load_assignment
from grader.grading import grade
from grader.notebook import Program, convert_cells, read_notebook
from grader.results import to_results
from grader.submission import locate
from grader.validate import failed_checks
from tests.support import EXAMPLES, HW2_RUBRIC, TINY, TINY_RUBRIC, notebook_of

TINY_CORRECT = (TINY / "submissions" / "correct.py").read_text()


# -- conversion --------------------------------------------------------------------------------


def test_code_cells_run_in_order_and_ipython_lines_are_dropped():
    converted = convert_cells([
        ("markdown", "# title\n%not code"),
        ("code", "import math\n%matplotlib inline\nx = 1"),
        ("raw", "!raw"),
        ("code", "%%bash\nls -l"),
        ("code", "%%time\nfor i in range(2):\n    !echo hi\ns = '''\n!kept\n%kept\n'''\nfiles = !ls\nmath.sqrt?"),
    ])
    compile(converted.source, "hw.py", "exec")
    lines = converted.source.splitlines()
    assert lines[:3] == ["import math", "pass", "x = 1"]
    assert "ls -l" not in converted.source and "!kept" in converted.source and "%kept" in converted.source
    assert "    pass" in lines
    assert converted.dropped == ("cell 2, line 2 (%matplotlib inline)", "cell 4 (%%bash cell)",
                                 "cell 5, line 1 (%%time)", "cell 5, line 3 (!echo hi)",
                                 "cell 5, line 8 (files = !ls)", "cell 5, line 9 (math.sqrt?)")
    assert converted.locate(1) == (2, 1) and converted.locate(3) == (2, 3)
    assert converted.locate(5) == (5, 1)  # line 4 separates the cells
    note = converted.note("hw.ipynb")
    assert note.startswith("hw.ipynb: IPython lines that are not Python were dropped") and "%%bash" in note


def test_messages_name_the_cell_and_the_line(tmp_path):
    converted = convert_cells([("markdown", "x"), ("code", "a = 1\nb = 2"), ("code", "def f():\n    return g(")])
    program = Program(tmp_path / "hw.py", tmp_path / "hw.ipynb", converted)
    assert program.message("SyntaxError: '(' was never closed (line 5, column 13)") == \
        "SyntaxError: '(' was never closed (cell 3, line 2, column 13)"
    assert program.message("raised KeyError: 'x' (line 2, in f)") == "raised KeyError: 'x' (cell 2, line 2, in f)"
    assert program.message("does not match opening parenthesis '[' on line 1") == \
        "does not match opening parenthesis '[' on line 1 of cell 2"
    assert program.message("raised ValueError: line 2 of my data (line 99)") == \
        "raised ValueError: line 2 of my data (line 99)"  # not the module's lines: left alone


def test_a_file_that_is_not_a_notebook_gets_a_clear_message(tmp_path):
    bad = tmp_path / "hw.ipynb"
    bad.write_text('{"cells": [}')
    with pytest.raises(Exception, match=r"hw.ipynb is not a Jupyter notebook: it is not valid JSON \(line 1, column"):
        read_notebook(bad)
    bad.write_text('{"some": "json"}')
    with pytest.raises(Exception, match="it is not in the Jupyter notebook format"):
        read_notebook(bad)


# -- grading -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hw2():
    return load_assignment(HW2_RUBRIC)


@pytest.mark.child
@pytest.mark.parametrize("name", ["correct.py", "worked_answers.py", "mistake_no_bias.py",
                                  "mistake_sgd_not_from_zero.py", "template_unchanged.py"])
def test_a_notebook_scores_exactly_what_its_code_scores(hw2, tmp_path, name):
    as_py = grade(hw2, EXAMPLES / name)
    folder = tmp_path / "upload"
    folder.mkdir()
    notebook = notebook_of((EXAMPLES / name).read_text(), folder / "hw2.ipynb")
    as_notebook = grade(hw2, folder)
    assert as_notebook.submission == notebook
    assert as_notebook.score == as_py.score
    assert failed_checks(as_notebook) == failed_checks(as_py)
    assert [r.mistake for r in as_notebook.checks] == [r.mistake for r in as_py.checks]
    output = to_results(as_notebook).output
    assert "hw2.ipynb: IPython lines that are not Python were dropped" in output
    assert "cell 2, line 1 (%matplotlib inline)" in output and "(%%bash cell)" in output


def _grade_cli(submission: Path, out: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(submission), "--assignment", str(TINY_RUBRIC),
                          "--json", str(out)], capture_output=True, text=True, timeout=120)
    return run, json.loads(out.read_text())


@pytest.mark.child
def test_errors_in_a_notebook_name_the_cell_and_exit_0(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# tiny"), nbformat.v4.new_code_cell("import numpy as np"),
                      nbformat.v4.new_code_cell("x = 1\ndef dot(a, b)\n    return 0")]
    path = tmp_path / "tiny.ipynb"
    path.write_text(nbformat.writes(notebook))
    run, data = _grade_cli(path, tmp_path / "syntax.json")
    assert run.returncode == 0, run.stderr
    assert data["score"] == 0 and "SyntaxError" in data["output"] and "(cell 3, line 2, column" in data["output"]

    path.write_text("{ this is not json")
    run, data = _grade_cli(path, tmp_path / "json.json")
    assert run.returncode == 0, run.stderr
    assert data["score"] == 0
    assert "tiny.ipynb is not a Jupyter notebook: it is not valid JSON (line 1, column 3" in data["output"]
    assert all("could not be loaded" in t["output"] for t in data["tests"] if "function" in t.get("extra_data", {}))


@pytest.mark.child
def test_a_failing_call_names_the_cell_and_line(tmp_path):
    tiny = load_assignment(TINY_RUBRIC)
    source = TINY_CORRECT.replace("def colour():\n", "def colour():\n    raise KeyError('no colour')\n")
    notebook_of(source, tmp_path / "tiny.ipynb")
    report = grade(tiny, tmp_path / "tiny.ipynb")
    result = next(r for r in report.checks if r.case.key == "3/colour")
    # cells: markdown, head, then per function a markdown cell and a code cell (a raw cell after the first)
    assert result.verdict.message == "raised KeyError: 'no colour' (cell 9, line 2, in colour)"
    assert report.score == 4.0  # everything else still passes


def test_locate_takes_the_notebook_when_the_py_is_absent(tmp_path):
    upload = tmp_path / "upload"
    (upload / "inner").mkdir(parents=True)
    (upload / "inner" / "tiny.ipynb").write_text("{}")
    assert locate(upload, "tiny.py") == upload / "inner" / "tiny.ipynb"
    (upload / "inner" / "tiny.py").write_text("")
    assert locate(upload, "tiny.py") == upload / "inner" / "tiny.py"  # the .py wins
    (upload / "tiny.ipynb").write_text("{}")
    assert locate(upload, "tiny.py") == upload / "inner" / "tiny.py"


@pytest.mark.parametrize("cell", [
    "x = 3\nmsg = (f'bad value (\\\n got {x}')\n%matplotlib inline\ny = 1\n",  # a string continued by a backslash
    "s = '''(\n%not a magic\n'''\n%matplotlib inline\n",  # inside a triple-quoted string
    "t = (1,\n  2)  # a comment with a quote ' and a bracket (\n%matplotlib inline\n",
    "u = r'\\\\'\n%matplotlib inline\n",
])
def test_magics_are_dropped_exactly_where_a_statement_is_closed(cell: str) -> None:
    """The one-pass continuation scanner agrees with Python's tokenizer: the module compiles, and the
    magic after the closed statement is the one dropped."""
    converted = convert_cells([("code", cell)])
    compile(converted.source, "nb", "exec")
    assert converted.dropped == (f"cell 1, line {cell.splitlines().index('%matplotlib inline') + 1} "
                                 "(%matplotlib inline)",)
