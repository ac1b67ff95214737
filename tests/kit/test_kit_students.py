"""The student kit where students are: installable from the kit, helper files and the course's
packages as in grading, a warning for a file Gradescope would not take, NaN flagged at once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from grader.boundary.outcome import Outcome
from grader.kit.build import build_kit
from grader.kit.check import check_submission, judge_item, load_kit, non_finite
from tests.support import EXAMPLES, HW2_RUBRIC, ROOT, TESTS

STUDENTS = TESTS / "fixtures" / "students"


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kit")
    build_kit(str(HW2_RUBRIC), out, install="pip install numgrader==0.1.0")
    return out


def test_the_readme_starts_with_how_to_install_and_run(kit: Path) -> None:
    lines = (kit / "README.md").read_text().splitlines()
    assert "    pip install numgrader==0.1.0" in lines[:8] and "    grader check hw2.py" in lines[:8]
    assert "numpy, scipy, matplotlib" in (kit / "README.md").read_text()


def test_by_default_the_kit_carries_the_grader_as_a_wheel(tmp_path: Path) -> None:
    build_kit(str(HW2_RUBRIC), tmp_path)
    wheel = next(tmp_path.glob("numgrader-*-py3-none-any.whl"))
    assert f"pip install ./{wheel.name} numpy scipy matplotlib" in (tmp_path / "README.md").read_text()
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
        metadata = archive.read(f"{info}/METADATA").decode()
    assert {"grader/cli.py", "grader/kit/check.py", "grader/boundary/child.py", f"{info}/RECORD"} <= names
    assert "grader = grader.cli:entry" in entry_points and "Requires-Dist: numpy>=1.24" in metadata
    assert not any(name.startswith(("reference/", "rubrics/", "tests/")) for name in names)  # no answer key


def test_a_copy_named_as_browsers_name_it_is_warned_about(kit: Path, tmp_path: Path) -> None:
    copy = tmp_path / "hw2 (1).py"
    shutil.copyfile(EXAMPLES / "correct.py", copy)
    report = check_submission(load_kit(kit / "check"), copy, question="3.1")
    assert any("'hw2 (1).py'" in note and "'hw2.py'" in note for note in report.notes)
    named = tmp_path / "hw2.py"
    shutil.copyfile(EXAMPLES / "correct.py", named)
    fine = check_submission(load_kit(kit / "check"), named, question="3.1")
    assert not any("rename it" in note for note in fine.notes)


def test_nan_in_an_answer_judged_at_grading_is_flagged_at_once(kit: Path) -> None:
    the_kit = load_kit(kit / "check")
    later = next(item for item in the_kit.checks if item.mode == "on_submit")
    assert judge_item(later, Outcome("ok", value=np.array([1.0, np.nan]))).status == "fail"
    assert "holds inf, which never passes" in judge_item(later, Outcome("ok", value=[1.0, [2.0, float("inf")]])).text
    assert judge_item(later, Outcome("ok", value=np.array([1.0, 2.0]))).status == "submit"
    assert non_finite({"a": [1, 2], "b": "x"}) is None


@pytest.mark.child
def test_helper_modules_beside_the_file_are_used_as_when_graded(kit: Path, tmp_path: Path) -> None:
    folder = tmp_path / "work"
    shutil.copytree(kit, folder)
    for path in (STUDENTS / "hw2_with_helpers").iterdir():
        (shutil.copytree if path.is_dir() else shutil.copyfile)(path, folder / path.name)
    process = subprocess.run([sys.executable, "-m", "grader", "check", "hw2.py", "--question", "1.1.1"],
                             cwd=folder, capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr
    assert "No module named" not in process.stdout and "FAIL" not in process.stdout, process.stdout


@pytest.mark.child
def test_an_import_outside_the_courses_packages_fails_in_the_kit_too(kit: Path, tmp_path: Path) -> None:
    submission = tmp_path / "hw2.py"
    submission.write_text((EXAMPLES / "correct.py").read_text() + "\nimport yaml  # installed here, not for grading\n")
    report = check_submission(load_kit(kit / "check"), submission, question="3.1")
    assert report.import_error is not None and "yaml is not available in this course's grading environment" \
        in report.import_error


def test_the_kit_manifest_says_the_environment(kit: Path) -> None:
    manifest = json.loads((kit / "check" / "bundle.json").read_text())
    assert manifest["environment"] == {"packages": ["numpy", "scipy", "matplotlib"]}
    assert str(ROOT) not in (kit / "README.md").read_text()


@pytest.mark.child
def test_a_check_that_carries_errors_forward_is_left_to_grading_when_it_fails(kit: Path, tmp_path: Path) -> None:
    """The kit has no reference to compute L1 from the student's own wrong w1: it says grading will."""
    student = tmp_path / "hw2.py"
    shutil.copyfile(STUDENTS / "hw2_float32_and_sign.py", student)
    lines = check_submission(load_kit(kit / "check"), student, question="2.2.1").lines
    gd = [line for line in lines if line.item.case.function == "gd_step"]
    loss = [line for line in lines if line.item.case.function == "loss_after_one_step"]
    assert gd and all(line.status == "fail" for line in gd)
    assert loss and all(line.status == "submit" and "error carried forward" in line.text
                        and "which fails its own checks" in line.text for line in loss)
    correct = tmp_path / "right" / "hw2.py"
    correct.parent.mkdir()
    shutil.copyfile(EXAMPLES / "correct.py", correct)
    assert all(line.status == "pass" for line in check_submission(load_kit(kit / "check"), correct, "2.2.1").lines)
