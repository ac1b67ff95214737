"""`grader check` and `grader grade` where Linux's process tools do not exist (Windows, macOS).

The grader runs under tests/fixtures/portable/not_linux.py, which takes away what Windows lacks
(fcntl, resource, pwd, fork, pipe2, pidfds, killpg, selectors and select on pipes, SIGALRM,
uids); its child runs under it too. What must hold there: the same visible results as on
Linux, every call still ends at its time limit, a process the student left behind does not hold
the grader, and the output says plainly that nothing was sandboxed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.boundary.portable import NOTE
from grader.kit.build import build_kit
from tests.support import EXAMPLES, HW2_RUBRIC, TESTS

pytestmark = pytest.mark.child

NOT_LINUX = TESTS / "fixtures" / "portable" / "not_linux.py"


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kit")
    build_kit(str(HW2_RUBRIC), out, install="pip install numgrader==0.1.0")
    return out


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `python` that runs not_linux.py first: the grader's sys.executable, so its child too."""
    wrapper = tmp_path_factory.mktemp("bin") / "python"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -I "{NOT_LINUX}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def run(python: Path | None, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NUMGRADER_CACHE="off")
    command = [sys.executable, "-m", "grader", *args]
    if python is not None:
        env["NOT_LINUX_EXECUTABLE"] = str(python)
        command = [str(python), "-m", "grader", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def results(output: str) -> list[tuple[str, ...]]:
    """(question, function, result) of each row of the check's table."""
    rows = [re.split(r"\s{2,}", line.strip()) for line in output.splitlines() if re.match(r"^\d+(\.\d+)*\s", line)]
    return [(row[0], row[1], row[3]) for row in rows if len(row) >= 4]


def test_the_self_check_gives_the_linux_results_without_linux(kit: Path, python: Path, tmp_path: Path) -> None:
    folder = tmp_path / "student"
    shutil.copytree(kit, folder)
    shutil.copyfile(EXAMPLES / "mistake_no_bias.py", folder / "hw2.py")
    portable = run(python, "check", "hw2.py", cwd=folder)
    linux = run(None, "check", "hw2.py", cwd=folder)
    assert portable.returncode == 0, portable.stderr
    assert NOTE in portable.stdout and NOTE not in linux.stdout
    assert results(portable.stdout) == results(linux.stdout) and len(results(linux.stdout)) >= 13
    assert ("3.2", "conv_net_table", "FAIL") in results(portable.stdout)  # the mistake is still seen


HOSTILE = """
import subprocess, sys, os
def min_norm_solution(X, t):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(90)"])  # holds the child's pipes
    while True:
        pass
def memory_complexity():
    print("x" * 5_000_000)
    os._exit(3)
"""


def test_a_hang_an_exit_and_a_process_left_behind_end_as_on_linux(kit: Path, python: Path, tmp_path: Path) -> None:
    folder = tmp_path / "student"
    shutil.copytree(kit, folder)
    (folder / "hw2.py").write_text(HOSTILE)
    try:
        portable = run(python, "check", "hw2.py", cwd=folder, timeout=60)  # not the 90 s of the one left behind
    finally:
        subprocess.run(["pkill", "-f", "time.sleep\\(90\\)"], check=False)
    assert portable.returncode == 0, portable.stderr
    out = portable.stdout
    assert re.search(r"min_norm_solution: minimum-norm solution\n.*\n\s+exceeded the time limit \(\d+ s\)", out)
    assert "the function ended the process (exit code 3)" in out


def test_grade_gives_the_same_scores_without_linux(python: Path, tmp_path: Path) -> None:
    for example in ("correct.py", "mistake_no_bias.py"):
        scores = {}
        for name, wrapper in (("portable", python), ("linux", None)):
            out = tmp_path / f"{name}-{example}.json"
            done = run(wrapper, "grade", "--assignment", str(HW2_RUBRIC), str(EXAMPLES / example), "--json", str(out),
                       "--quiet", cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            graded = json.loads(out.read_text())
            scores[name] = [(t["name"], t.get("score")) for t in graded["tests"] if "Sandbox" not in t["name"]]
            scores[name].append(("total", graded["score"]))
        assert scores["portable"] == scores["linux"]


def test_the_emulation_takes_away_what_it_says(python: Path, tmp_path: Path) -> None:
    probe = ("import os, selectors, signal\n"
             "for name in ('fcntl', 'resource', 'pwd'):\n"
             "    try:\n        __import__(name)\n        print('has', name)\n    except ImportError:\n        pass\n"
             "print(hasattr(os, 'fork'), hasattr(os, 'pipe2'), hasattr(os, 'geteuid'), hasattr(signal, 'SIGALRM'))\n"
             "try:\n    selectors.DefaultSelector()\nexcept OSError:\n    print('no selector')\n")
    done = subprocess.run([str(python), "-I", "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.split("\n")[:2] == ["False False False False", "no selector"], done.stdout + done.stderr
