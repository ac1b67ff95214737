"""The `grader` command as an instructor meets it: a usage error is one line and never a
traceback, outputs are never written over silently, and what the table shows is what the
results hold. Each test runs the real command (`python -m grader ...`) in the project."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import grader
from tests.support import EXAMPLES, HW2_RUBRIC, ROOT, TINY, TINY_RUBRIC

pytestmark = pytest.mark.child  # each test starts the grader as a subprocess (some grade: a child too)

WORKED = EXAMPLES / "worked_answers.py"


def run(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None,
        timeout: float = 180) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "120", **(env or {})}  # the table's width: the terminal's
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=timeout)


def one_line_error(process: subprocess.CompletedProcess[str]) -> str:
    """The stderr of a command that refused: exit 2, one line, no traceback."""
    assert process.returncode == 2, (process.returncode, process.stderr)
    assert "Traceback" not in process.stderr and "internal error" not in process.stderr, process.stderr
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("grader: "), process.stderr
    return lines[0]


# -- 1. a usage error of `grade` is never followed by the warm worker's traceback --------------

USAGE_ERRORS = {
    "help": (["grade", "--help"], 0),
    "no arguments": (["grade"], 2),
    "unknown assignment": (["grade", WORKED, "--assignment", "no_such_assignment"], 2),
    "wrong rubric path": (["grade", WORKED, "--assignment", "no/such/rubric.yaml"], 2),
}


@pytest.mark.parametrize("attempt", range(5))  # the traceback came from a race: try it several times
@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_a_usage_error_of_grade_shows_no_traceback(case: str, attempt: int) -> None:
    args, code = USAGE_ERRORS[case]
    process = run(*args)
    assert process.returncode == code, process.stderr
    assert "Traceback" not in process.stderr and "BrokenPipeError" not in process.stderr, process.stderr
    assert ("usage: grader grade" in process.stdout + process.stderr) == (case in ("help", "no arguments"))


@pytest.mark.parametrize("attempt", range(3))
def test_a_rubric_that_does_not_load_while_the_warm_worker_boots_is_one_line(tmp_path: Path, attempt: int) -> None:
    rubric = tmp_path / "broken.yaml"
    rubric.write_text("assignment: [\n")  # found (so the warm worker starts), then fails to load
    line = one_line_error(run("grade", WORKED, "--assignment", rubric))
    assert "broken.yaml:2: YAML syntax error" in line


# -- 2. outputs: never a traceback, never a silent overwrite ------------------------------------

def test_json_into_an_existing_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    line = one_line_error(run("grade", WORKED, "--assignment", "hw2", "--json", tmp_path))
    assert line == (f"grader: --json {tmp_path}: is a folder, not a file: name the file to write in it "
                    f"(e.g. {tmp_path / 'results.json'})")
    assert list(tmp_path.iterdir()) == []


def test_json_below_a_file_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("mine\n")
    line = one_line_error(run("grade", WORKED, "--assignment", "hw2", "--json", tmp_path / "notes" / "r.json"))
    assert line == f"grader: --json {tmp_path / 'notes' / 'r.json'}: {tmp_path / 'notes'} is a file, not a folder"
    assert (tmp_path / "notes").read_text() == "mine\n"


def kit(out: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return run("student-kit", "--assignment", "hw2", "--out", out, "--install", "pip install numgrader", *more)


def test_student_kit_into_an_existing_file_is_refused_in_one_line(tmp_path: Path) -> None:
    notes = tmp_path / "README.md"
    notes.write_text("the instructor's own notes\n")
    line = one_line_error(kit(notes))
    assert line == f"grader: --out {notes}: is a file, not a folder: name a new or empty folder for the kit"
    assert notes.read_text() == "the instructor's own notes\n"


def test_student_kit_never_writes_into_a_folder_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "grades.csv").write_text("alice,5\n")
    for force in ((), ("--force",)):
        line = one_line_error(kit(tmp_path, *force))
        assert "the folder is not empty and holds no student kit (check/bundle.json)" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.csv"]


def test_student_kit_replaces_a_kit_only_with_force_and_keeps_no_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "hw2-kit"
    assert kit(out).returncode == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == ["README.md", "check", "hw2.py"]
    (out / "stale.txt").write_text("from an older kit\n")
    (out / "hw2.py").write_text("# a student's answer, typed into the kit by mistake\n")

    line = one_line_error(kit(out))
    assert line == (f"grader: --out {out}: the folder already holds a kit: add --force to replace it, "
                    "or name a new or empty folder")
    assert (out / "stale.txt").exists()

    replaced = kit(out, "--force")
    assert replaced.returncode == 0, replaced.stderr
    assert sorted(p.name for p in out.iterdir()) == written  # no stale file, no staging folder left
    assert (out / "hw2.py").read_text() == (ROOT / "templates" / "hw2.py").read_text()
    assert json.loads((out / "check" / "bundle.json").read_text())["assignment"] == "hw2"


def test_student_kit_into_an_empty_folder_is_fine(tmp_path: Path) -> None:
    assert kit(tmp_path).returncode == 0
    assert (tmp_path / "check" / "bundle.json").is_file()


# -- 3. --version, and a description in every command's --help ---------------------------------

def test_version_is_the_package_version() -> None:
    process = run("--version")
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == f"grader {grader.__version__}"
    assert grader.__version__ == importlib.metadata.version("numgrader")


@pytest.mark.parametrize("command", ["grade", "validate", "show", "student-kit", "check", "batch"])
def test_every_command_help_has_a_description(command: str) -> None:
    process = run(command, "--help")
    assert process.returncode == 0, process.stderr
    # argparse: the usage, a blank line, the description, a blank line, the arguments
    paragraphs = process.stdout.split("\n\n")
    assert paragraphs[0].startswith(f"usage: grader {command}")
    description = " ".join(paragraphs[1].split())
    assert not description.startswith(("positional arguments", "options")), process.stdout
    assert len(description) > 80 and description.endswith("."), description


# -- 4. a file that is no submission is refused before anything starts --------------------------

def test_a_non_python_file_is_refused(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    line = one_line_error(run("grade", "README.md", "--assignment", "hw2", "--json", results))
    assert line == "grader: README.md: not a submission: give a .py file, a .ipynb notebook, or a folder holding one"
    assert not results.exists()
    checked = one_line_error(run("check", "README.md"))  # the student kit's check refuses it the same way
    assert checked == "grader: README.md: not a submission: give a .py file, a .ipynb notebook, or a folder holding one"


@pytest.mark.child
def test_the_table_says_why_a_file_could_not_be_loaded_where_every_row_points(tmp_path: Path) -> None:
    submission = tmp_path / "hw2.py"
    submission.write_text("def min_norm_solution(X, t:\n")
    results = tmp_path / "results.json"
    graded = run("grade", submission, "--assignment", "hw2", "--json", results)
    assert graded.returncode == 0, graded.stderr
    head = graded.stdout.split("\nQ ", 1)[0]  # above the table's header
    assert "Your file could not be loaded, so no check ran:" in head and "SyntaxError" in head
    assert "Not run: your file could not be loaded" in graded.stdout  # (each row, cut to fit)
    shown = run("show", results)
    assert shown.stdout.split("\nQ ", 1)[0].endswith(head.split("\n", 1)[1])  # show says it the same way


def test_show_into_a_pipe_closed_early_is_no_error(tmp_path: Path) -> None:
    """`grader show results.json | head`: the reader stops; the grader stops quietly, with no "internal error"."""
    from grader.results import Results, TestResult

    long = "\n".join(f"line {n}: " + "x" * 100 for n in range(3000))  # ~300 KB: more than a pipe holds
    results = Results(score=0.0, execution_time=0.0, tests=[
        TestResult(name="1 long", number="1", score=0.0, max_score=1.0, status="failed", output=long)])
    path = tmp_path / "results.json"
    path.write_text(results.to_json())
    process = subprocess.Popen([sys.executable, "-m", "grader", "show", str(path)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(100)
    process.stdout.close()
    error = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0 and "internal error" not in error and "Traceback" not in error, error


@pytest.mark.parametrize(("content", "why"), [
    (b"def f():\n    return 1\x00\n", "contains a NUL byte (line 2): it is not a text file"),
    (b"x = '\xff'\n", "is not UTF-8 text (byte 0xFF on line 1): save it with the UTF-8 encoding"),
    (b"PK\x03\x04rest of a zip", "is a zip archive, not Python source"),
])
def test_a_py_file_that_is_not_python_text_is_graded_zero_and_told_why(tmp_path: Path, content: bytes,
                                                                       why: str) -> None:
    """A student's hw2.py that is no Python text is still a submission: a zero and the reason,
    as on Gradescope (the hostile suite's zip named hostile.py holds the same line)."""
    submission = tmp_path / "hw2.py"
    submission.write_bytes(content)
    process = run("grade", submission, "--assignment", "hw2", "--json", tmp_path / "r.json", "--quiet")
    assert process.returncode == 0 and "Traceback" not in process.stderr, process.stderr
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["score"] == 0 and why in results["output"], results["output"]


def test_a_notebook_that_is_not_text_is_graded_zero_and_told_why(tmp_path: Path) -> None:
    submission = tmp_path / "hw2.ipynb"
    submission.write_bytes(b"\x89PNG\r\n\x1a\n")
    process = run("grade", submission, "--assignment", "hw2", "--json", tmp_path / "r.json", "--quiet")
    assert process.returncode == 0 and "Traceback" not in process.stderr, process.stderr
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["score"] == 0 and "notebook" in results["output"].lower(), results["output"]


def test_a_py_file_in_a_declared_encoding_is_still_graded(tmp_path: Path) -> None:
    submission = tmp_path / "tiny.py"  # (PEP 263: a declared encoding is honoured, as grading does)
    submission.write_bytes(b"# -*- coding: latin-1 -*-\n" + (TINY / "submissions" / "correct.py").read_bytes()
                           + b"\n# caf\xe9\n")
    process = run("grade", submission, "--assignment", TINY_RUBRIC, "--json", tmp_path / "r.json", "--quiet")
    assert process.returncode == 0, process.stderr
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 4.5


# -- 5. no rubric of that name: say which there are, and how to give a path ---------------------

def test_an_unknown_assignment_lists_the_assignments_there_are() -> None:
    line = one_line_error(run("grade", WORKED, "--assignment", "hw9"))
    assert line == ("grader: no assignment named 'hw9' (looked for hw9.yaml in rubrics/; assignments there: hw2); "
                    "to grade with a rubric elsewhere, give its path: --assignment path/to/rubric.yaml")


def test_an_installed_grader_without_rubrics_says_how_to_give_one(tmp_path: Path) -> None:
    # A non-editable install: the package alone in site-packages, no rubrics/ beside it.
    site, elsewhere = tmp_path / "site-packages", tmp_path / "course"
    shutil.copytree(ROOT / "grader", site / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    elsewhere.mkdir()
    process = run("grade", WORKED, "--assignment", "hw2", cwd=elsewhere, env={"PYTHONPATH": str(site)})
    line = one_line_error(process)
    assert line == (f"grader: no assignment named 'hw2' (looked for hw2.yaml in rubrics/ and {site / 'rubrics'}/; "
                    "no rubrics there); to grade with a rubric elsewhere, give its path: "
                    "--assignment path/to/rubric.yaml")
    graded = run("grade", WORKED, "--assignment", HW2_RUBRIC, "--quiet", cwd=elsewhere, env={"PYTHONPATH": str(site)})
    assert graded.returncode == 0, graded.stderr


# -- 6. messages whole: `grade --verbose` and `grader show` -------------------------------------

KNOWN_MISTAKE = ("This looks like a known mistake: backward pass as O(1). Back-propagating to η through t "
                 "unrolled iterations keeps every w_k")


def table_of(stdout: str) -> list[str]:
    """The table's lines: from the header to the total."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Q "))
    end = next(i for i, line in enumerate(lines) if line.startswith("Total: "))
    return lines[start:end + 1]


def test_grade_verbose_and_show_print_every_message_whole(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    plain = run("grade", WORKED, "--assignment", "hw2", "--json", results)
    assert plain.returncode == 0, plain.stderr
    assert KNOWN_MISTAKE not in plain.stdout and "This looks like a known mistake: back…" in plain.stdout

    verbose = run("grade", WORKED, "--assignment", "hw2", "--verbose")
    shown = run("show", results)
    assert verbose.returncode == 0 and shown.returncode == 0, (verbose.stderr, shown.stderr)
    for out in (verbose.stdout, shown.stdout):
        assert table_of(out) == table_of(plain.stdout)  # the one renderer, the same table
        below = out[out.index("\nTotal: "):]
        assert "\n2.1.2 Memory complexity in t: forward and backward memory:\n" in below
        assert KNOWN_MISTAKE in below
        failed = [t for t in json.loads(results.read_text())["tests"] if t.get("status") == "failed"]
        assert failed and all(t["output"].splitlines()[-1] in below for t in failed)


@pytest.mark.parametrize(("content", "why"), [
    (None, "cannot read it: No such file or directory"),
    ("not json", "not a results.json as `grader grade --json` writes it: the top level: Invalid JSON"),
    ('{"tests": []}', "not a results.json as `grader grade --json` writes it: score: Field required"),
])
def test_show_refuses_what_is_not_a_results_file(tmp_path: Path, content: str | None, why: str) -> None:
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content)
    assert one_line_error(run("show", path)).startswith(f"grader: {path}: {why}")


# -- 7. the table shows the score the results hold ----------------------------------------------

def test_the_table_shows_scores_as_the_results_hold_them(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    process = run("grade", EXAMPLES / "mistake_no_bias.py", "--assignment", "hw2", "--json", results)
    assert process.returncode == 0, process.stderr
    data = json.loads(results.read_text())
    assert data["score"] == 5.721011
    assert "Total: 5.721011 / 6.5 autograded points" in process.stdout
    row = re.compile(r"^(\S+) .*?  (\d[\d.]*/\d[\d.]*)  ", re.M)  # Q ... score/max
    shown = sorted((m.group(1), m.group(2)) for m in row.finditer(process.stdout))
    written = sorted((t["number"], f"{t['score']:g}/{t['max_score']:g}") for t in data["tests"] if "status" in t)
    assert shown == written and ("3.2", "0.045455/0.125") in shown


def test_make_demo_ends_with_one_summary_line() -> None:
    # `-o compile`: the demo's own recipe, without the set-up it depends on (no pip install here)
    process = subprocess.run(["make", "--no-print-directory", "-o", "compile", "demo"], cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stderr[-2000:]
    examples = sorted(EXAMPLES.glob("*.py"))
    assert process.stdout.splitlines()[-1] == (f"demo: {len(examples)} of {len(examples)} examples scored what "
                                               "submissions_example/hw2/expected.yaml declares")
