"""The student's environment is declared in the rubric, and it is all the student's code can
import, whatever else the machine has installed (issue: real students' work, 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.boundary.environment import child_environment
from grader.environment import resolve, third_party_imports
from tests.support import ROOT, TESTS, TINY, TINY_RUBRIC, tiny_variant

STUDENTS = TESTS / "fixtures" / "students"


def _grade(submission: Path, rubric: Path | str, tmp_path: Path, **env: str) -> dict:
    out = tmp_path / f"{submission.stem}.json"
    process = subprocess.run([sys.executable, "-m", "grader", "grade", str(submission), "--assignment", str(rubric),
                              "--quiet", "--json", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=300,
                             env={**os.environ, **env})
    assert process.returncode == 0, process.stderr
    return dict(json.loads(out.read_text()))


def test_a_declared_package_brings_what_it_needs() -> None:
    hw2 = resolve(("numpy", "scipy", "matplotlib"))
    assert {"numpy", "scipy", "matplotlib", "pyparsing", "dateutil", "PIL"} <= set(hw2.modules)
    assert "jsonschema" not in hw2.modules and "pydantic" not in hw2.modules  # installed here, not declared
    assert resolve(("numpy",)).modules == ("numpy",)


def test_a_declared_package_that_is_not_installed_is_said_plainly() -> None:
    from grader.errors import GraderError

    with pytest.raises(GraderError, match="needs no-such-package-xyz, which is not installed here"):
        resolve(("no-such-package-xyz",))
    assert resolve(("no-such-package-xyz",), strict=False).missing == ("no-such-package-xyz",)


def test_what_a_source_imports_from_outside_the_standard_library() -> None:
    source = "import os, numpy as np\nfrom scipy import signal\nfrom . import local\nimport json.decoder\n"
    assert third_party_imports(source) == {"numpy", "scipy"}


def test_matplotlib_in_the_child_draws_to_files_only() -> None:
    assert child_environment()["MPLBACKEND"] == "Agg"


def _with_import(tmp_path: Path, module: str) -> Path:
    submission = tmp_path / "tiny.py"
    submission.write_text((TINY / "submissions" / "correct.py").read_text()
                          + f"\n\nimport {module}  # installed on this machine, not declared by the course\n")
    return submission


@pytest.mark.child
@pytest.mark.parametrize("module", ["scipy", "jsonschema", "yaml"])
def test_an_undeclared_import_fails_with_what_is_available(tmp_path: Path, module: str) -> None:
    results = _grade(_with_import(tmp_path, module), TINY_RUBRIC, tmp_path)
    assert results["score"] == 0
    assert (f"{module} is not available in this course's grading environment (available besides the standard "
            "library and your own files: numpy)") in results["output"]


@pytest.mark.child
def test_declaring_it_makes_it_importable(tmp_path: Path) -> None:
    rubric = tiny_variant(tmp_path / "course", environment={"packages": ["numpy", "scipy"]})
    results = _grade(_with_import(tmp_path, "scipy"), rubric, tmp_path)
    assert "not available" not in results["output"] and results["score"] > 0


@pytest.mark.child
def test_hw2_with_scipy_and_a_plot_left_in_scores_full_marks(tmp_path: Path) -> None:
    results = _grade(STUDENTS / "hw2_scipy_and_a_plot.py", "hw2", tmp_path)
    assert results["score"] == 6.5, results["output"]


@pytest.mark.child
def test_validate_finds_a_reference_that_imports_what_will_not_be_installed(tmp_path: Path) -> None:
    rubric = tiny_variant(tmp_path / "course")
    reference = tmp_path / "course" / "reference" / "tiny.py"
    reference.write_text("import pytest  # a grader-side convenience, never installed on Gradescope\n"
                         + reference.read_text())
    process = subprocess.run([sys.executable, "-m", "grader", "validate", "--assignment", str(rubric),
                              "--examples", str(TINY / "submissions")], capture_output=True, text=True, cwd=ROOT,
                             timeout=300)
    assert process.returncode == 1
    assert "the reference tiny.py imports pytest, which neither the grader nor" in process.stdout
