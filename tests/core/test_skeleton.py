"""`grader new NAME` writes an assignment that holds together as written: it validates, grades its
own examples as declared, builds for Gradescope and makes a student kit whose check runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.skeleton import write_skeleton
from grader.validate import load_manifest

GRADER = [sys.executable, "-m", "grader"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GRADER, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.child
def test_a_new_assignment_validates_grades_builds_and_makes_a_kit_as_written(tmp_path: Path) -> None:
    course = tmp_path / "course"
    course.mkdir()
    made = run("new", "hw3", cwd=course)
    assert made.returncode == 0, made.stderr
    assert "next: grader validate --assignment rubrics/hw3.yaml" in made.stdout
    checked = run("validate", "--assignment", "hw3", cwd=course)  # found in ./rubrics, as a course keeps it
    assert checked.returncode == 0, checked.stdout + checked.stderr
    declared = load_manifest(course / "submissions_example" / "hw3" / "expected.yaml")
    for name, example in declared.items():
        graded = run("grade", f"submissions_example/hw3/{name}", "--assignment", "hw3", "--json", f"{name}.json",
                     cwd=course)
        assert graded.returncode == 0, graded.stderr
        assert f"Total: {example.score:g} / 2 autograded points" in graded.stdout
    built = run("gradescope", "build", "--assignment", "hw3", "--out", "autograder.zip", cwd=course)
    assert built.returncode == 0 and (course / "autograder.zip").is_file(), built.stderr
    kit = run("student-kit", "--assignment", "hw3", "--out", "kit", cwd=course)
    assert kit.returncode == 0, kit.stderr
    assert "reference" not in {p.stem for p in (course / "kit").rglob("*")}  # no answer key in it
    (course / "kit" / "hw3.py").write_text((course / "submissions_example" / "hw3" / "correct.py").read_text())
    check = subprocess.run([sys.executable, "-m", "grader", "check", "hw3.py"], capture_output=True, text=True,
                           cwd=course / "kit", timeout=300)
    assert check.returncode == 0 and "1 of 1 visible checks pass" in check.stdout, check.stdout + check.stderr


def test_a_new_assignment_never_overwrites_and_needs_a_plain_name(tmp_path: Path) -> None:
    write_skeleton("hw3", tmp_path)
    before = (tmp_path / "rubrics" / "hw3.yaml").read_text()
    with pytest.raises(GraderError, match="already exists: nothing was written"):
        write_skeleton("hw3", tmp_path)
    assert (tmp_path / "rubrics" / "hw3.yaml").read_text() == before
    for bad in ("HW 3", "../x", "3hw", ""):
        with pytest.raises(GraderError, match="an assignment name is lower case"):
            write_skeleton(bad, tmp_path / "other")
    assert not (tmp_path / "other").exists()
