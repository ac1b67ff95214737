"""Gradescope end to end: the autograder zip, installed and run in a temporary /autograder tree.

The tree is laid out as Gradescope lays it out (source/, submission/, results/,
submission_metadata.json, and run_autograder copied to the root). setup.sh runs for real into a
fresh virtual environment; the packages come from wheels rebuilt from this environment's own
installed files (no network). Then run_autograder grades every example submission.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from grader.assignment import load_assignment
from grader.errors import GraderError
from grader.gradescope.budgets import GRADER_BASE_MB, MESSAGE_COPIES, TimeBudget, cgroup_memory_limit_mb, memory_budget
from grader.gradescope.build import _reference_member, build, package_files, zip_bytes
from grader.gradescope.container import read_submission_metadata
from grader.gradescope.supervisor import _descendants, fallback_results, minimal_error_results
from grader.results import error_results
from grader.rubric import Limits, slug
from grader.validate import load_manifest
from tests.support import EXAMPLES, HW2_RUBRIC, ROOT, assert_valid_results, notebook_of, rubric_variant

MANIFEST = load_manifest(EXAMPLES / "expected.yaml")
HW2_LIMITS = load_assignment(HW2_RUBRIC).rubric.limits
METADATA = {
    "id": 123456,
    "created_at": "2025-03-01T14:22:32.365935-08:00",
    "assignment": {"id": 25828, "course_id": 1234, "title": "HW2", "due_date": "2025-03-02T23:00:00.000000-08:00",
                   "late_due_date": None, "group_size": 2, "total_points": "8.0"},
    "users": [{"email": "ada@example.com", "id": 1234, "name": "Ada"},
              {"email": "alan@example.com", "id": 5678, "name": "Alan"}],
    "previous_submissions": [{"submission_time": "2025-03-01T10:00:00-08:00", "score": 1.0, "results": {}}],
}


# -- helpers ---------------------------------------------------------------------------------


PACKAGE_TESTS = re.compile(r"/tests?/")  # a package's own test suite (numpy/_core/tests/...)


def repack(distribution: metadata.Distribution, folder: Path) -> Path:
    """A wheel of an installed distribution, rebuilt from the files its RECORD lists.

    Only what lives in site-packages is kept (console scripts are remade by pip from
    entry_points.txt), without bytecode, so pip can install it offline as from PyPI. The
    packages' own test suites are left out too: grading never imports them, and they are 40%
    of the files pip would unpack (numpy's and sympy's mostly), which keeps `make test` fast.
    """
    name = re.sub(r"[-_.]+", "_", distribution.metadata["Name"]).lower()
    wheel_text = distribution.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel_text.splitlines() if line.startswith("Tag:")]
    tag = "-".join(".".join(sorted({t.split("-")[i] for t in tags})) for i in range(3))
    site = Path(str(distribution.locate_file("")))
    wheel = folder / f"{name}-{distribution.version}-{tag}.whl"
    records, info = [], None
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as archive:
        for file in distribution.files or []:
            member = file.as_posix()
            if (member.startswith("../") or "__pycache__/" in member or member.endswith(".pyc")
                    or PACKAGE_TESTS.search(member)):
                continue
            if member.endswith(".dist-info/RECORD"):
                info = member.rsplit("/", 1)[0]
                continue
            if member.endswith((".dist-info/INSTALLER", ".dist-info/REQUESTED", ".dist-info/direct_url.json")):
                continue
            data = (site / member).read_bytes()
            archive.writestr(member, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            records.append(f"{member},sha256={digest},{len(data)}")
        archive.writestr(f"{info}/RECORD", "\n".join([*records, f"{info}/RECORD,,"]) + "\n")
    return wheel


def unpack(archive: Path, destination: Path) -> None:
    """Extract with the modes the zip records, as `unzip` does."""
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            path = destination / info.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(opened.read(info))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                path.chmod(mode)


def layout(root: Path, source: Path, submission: dict[str, str | bytes], meta: object = METADATA) -> Path:
    """A Gradescope tree: source/ (a copy), submission/ (these files), results/, submission_metadata.json."""
    shutil.copytree(source, root / "source")
    shutil.copy2(source / "run_autograder", root / "run_autograder")  # Gradescope copies it there
    (root / "results").mkdir()
    for name, content in submission.items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    (root / "submission").mkdir(exist_ok=True)
    if meta is not None:
        (root / "submission_metadata.json").write_text(meta if isinstance(meta, str) else json.dumps(meta))
    return root


def results_of(root: Path, schema: dict) -> dict:
    return assert_valid_results((root / "results" / "results.json").read_text(), schema)


def failed_keys(data: dict) -> set[str]:
    return {t["extra_data"]["check"].split("#")[0] for t in data["tests"]
            if t.get("status") == "failed" and "check" in t.get("extra_data", {})}


def run_here(root: Path, *options: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`grader gradescope run` with this environment's grader (the unit tests' way)."""
    command = [sys.executable, "-m", "grader", "gradescope", "run", "--root", str(root), *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=root)


# -- the build -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def autograder_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build") / "autograder.zip"
    run = subprocess.run([sys.executable, "-m", "grader", "gradescope", "build", "--assignment", "hw2",
                          "--out", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "memory on Gradescope: container 768 MB" in run.stdout
    return out


@pytest.fixture(scope="session")
def source(autograder_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zip, unpacked as Gradescope unpacks it into /autograder/source."""
    folder = tmp_path_factory.mktemp("unpacked") / "source"
    unpack(autograder_zip, folder)
    return folder


@pytest.mark.child
def test_the_zip_holds_exactly_the_autograder(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        members = {info.filename: (info.external_attr >> 16) & 0o777 for info in archive.infolist()}
        requirements = archive.read("requirements.txt").decode()
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
    packages = [init.parent for init in (ROOT / "grader").rglob("__init__.py") if "__pycache__" not in init.parts]
    grader_files = {p.relative_to(ROOT).as_posix() for folder in packages for p in folder.glob("*.py")}
    grader_files |= {"grader/schema/gradescope_results.schema.json", "grader/autograder_files/setup.sh",
                     "grader/autograder_files/run_autograder"}
    top = {"setup.sh", "run_autograder", "scripts/install-system-deps.sh", "requirements.txt",
           "rubrics/hw2.yaml", "reference/hw2.py"}
    assert set(members) == top | grader_files
    executable = {name for name, mode in members.items() if mode == 0o755}
    assert executable == {"setup.sh", "run_autograder", "scripts/install-system-deps.sh"}
    assert all(mode == 0o644 for name, mode in members.items() if name not in executable)
    with zipfile.ZipFile(autograder_zip) as archive:
        assert archive.read("scripts/install-system-deps.sh") == (ROOT / "scripts/install-system-deps.sh").read_bytes()
        assert archive.read("reference/hw2.py") == (ROOT / "reference/hw2.py").read_bytes()
    assert 'bash "$SOURCE/scripts/install-system-deps.sh"' in setup
    assert "--no-deps --only-binary=:all: --requirement" in setup and "pip check" in setup
    assert 'python" -m grader gradescope run --root "$ROOT" --assignment hw2 --timeout 600 --memory-mb 768' in run
    assert "timeout --preserve-status --kill-after=5 590" in run
    assert "@@" not in setup + run
    assert "pytest" not in requirements


@pytest.mark.child
def test_pins_are_the_installed_runtime_closure(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        lines = [line for line in archive.read("requirements.txt").decode().splitlines()
                 if line and not line.startswith("#")]
    pins = dict(line.split("==") for line in lines)
    assert all(metadata.version(name) == version for name, version in pins.items())
    names = {name.lower().replace("_", "-") for name in pins}
    assert {"numpy", "pydantic", "pydantic-core", "pyyaml", "sympy", "mpmath", "nbformat", "snowballstemmer"} <= names
    # The rubric's student environment, with what it needs, is pinned too: it must be there to grade.
    assert {"scipy", "matplotlib", "pyparsing", "python-dateutil"} <= names
    assert not names & {"pytest", "ruff", "mypy", "dask", "distributed", "gradescope-utils", "pip",
                        "setuptools", "numgrader"}  # the tools of the tests, never the grading


def test_the_build_is_reproducible_and_leaves_litter_out(tmp_path):
    first = zip_bytes(build(HW2_RUBRIC, timeout=600, memory_mb=768).members)
    assert zip_bytes(build(HW2_RUBRIC, timeout=600, memory_mb=768).members) == first
    project = tmp_path / "project"
    shutil.copytree(ROOT / "grader", project / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    for litter in ("grader/__pycache__/cli.cpython-311.pyc", "grader/.cli.py.swp", "grader/cli.py~",
                   "grader/autograder_files/.DS_Store", "grader/autograder_files/setup.sh~",
                   "grader/schema/__pycache__/x.json"):
        (project / litter).parent.mkdir(parents=True, exist_ok=True)
        (project / litter).write_text("litter")
    config = {"tool": {"setuptools": {"packages": ["grader", "grader.comparators"],
                                      "package-data": {"grader": ["schema/*.json", "autograder_files/*"]}}}}
    files = set(package_files(project, config))
    assert files == set(package_files(ROOT, config))
    assert not any("__pycache__" in f or f.endswith(("~", ".swp", ".DS_Store")) for f in files)


def test_the_reference_goes_where_the_rubric_points():
    rubric = Path("rubrics/hw2.yaml")
    assert _reference_member(rubric, None, "hw2", "rubrics/hw2.yaml") == "reference/hw2.py"
    assert _reference_member(rubric, "solutions.py", "hw2", "rubrics/hw2.yaml") == "rubrics/solutions.py"
    for outside in ("/srv/hw2.py", "../../hw2.py", ".."):
        with pytest.raises(GraderError):
            _reference_member(rubric, outside, "hw2", "rubrics/hw2.yaml")


@pytest.mark.child
def test_the_build_refuses_what_cannot_work(tmp_path):
    with pytest.raises(GraderError, match="leaves the child"):
        build(HW2_RUBRIC, timeout=600, memory_mb=384)
    run = subprocess.run([sys.executable, "-m", "grader", "gradescope", "build", "--assignment", "nope"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2 and run.stderr.startswith("grader: no assignment named 'nope'")


# -- budgets ---------------------------------------------------------------------------------


def test_memory_budget_fits_the_container():
    hw2 = load_assignment(HW2_RUBRIC).rubric.limits
    fits = memory_budget(hw2, 768)  # HW2's own limits are chosen to fit Gradescope's default
    assert fits.child_mb == hw2.memory_mb and not fits.capped
    assert fits.grader_mb + fits.child_mb <= 768
    limits = Limits(memory_mb=1024, message_mb=64)  # the defaults do not fit: the child is capped
    default = memory_budget(limits, 768)
    assert default.grader_mb == GRADER_BASE_MB + MESSAGE_COPIES * 64
    assert default.child_mb == 768 - default.grader_mb and default.capped
    assert default.grader_mb + default.child_mb <= 768
    raised = memory_budget(limits, default.needed_mb)
    assert raised.child_mb == limits.memory_mb == 1024 and not raised.capped
    small = limits.model_copy(update={"memory_mb": 200})
    assert memory_budget(small, 768).child_mb == 200
    with pytest.raises(GraderError, match="at least 256 MB"):
        memory_budget(limits, 600)


def test_time_budget_leaves_time_to_spare():
    budget = TimeBudget(600)
    assert (budget.grading_window, budget.stop_after, budget.shell_after) == (520, 540, 590)
    for timeout in (5, 30, 600, 2400):
        b = TimeBudget(timeout)
        assert 0 < b.grading_window < b.stop_after < b.shell_after < timeout


def test_cgroup_memory_limit(tmp_path):
    mount = tmp_path / "cgroup"
    (mount / "memory" / "job").mkdir(parents=True)
    (mount / "memory" / "job" / "memory.limit_in_bytes").write_text(f"{768 * 1024 * 1024}\n")
    (mount / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    proc = tmp_path / "cgroup.txt"
    proc.write_text("4:memory:/job\n1:cpu:/\n")
    assert cgroup_memory_limit_mb(proc, mount) == 768
    (mount / "job").mkdir()
    (mount / "job" / "memory.max").write_text("max\n")
    (mount / "memory.max").write_text(f"{2048 * 1024 * 1024}\n")
    proc.write_text("0::/job\n")
    assert cgroup_memory_limit_mb(proc, mount) == 2048
    assert cgroup_memory_limit_mb(tmp_path / "none", tmp_path / "none") is None


# -- metadata and fallbacks ------------------------------------------------------------------


def test_submission_metadata_keeps_ids_and_dates_and_never_raises(tmp_path):
    path = tmp_path / "submission_metadata.json"
    assert read_submission_metadata(path) == {}
    path.write_text(json.dumps(METADATA))
    assert read_submission_metadata(path) == {
        "submission_id": 123456, "created_at": METADATA["created_at"], "assignment_id": 25828, "course_id": 1234,
        "title": "HW2", "due_date": "2025-03-02T23:00:00.000000-08:00", "user_ids": [1234, 5678],
        "previous_submissions": 1, "late": False}
    for broken in ("{not json", "[1, 2]", '"text"', "\udcff", json.dumps({"id": [1], "users": "ada", "assignment": 3,
                                                                            "created_at": "2025-03-05T10:00:00",
                                                                            "previous_submissions": None})):
        path.write_text(broken, errors="surrogateescape")
        kept = read_submission_metadata(path)
        assert kept.get("metadata_problems"), broken
    path.write_bytes(b"\xff\xfe\x00")
    assert read_submission_metadata(path)["metadata_problems"]
    path.write_text(json.dumps({**METADATA, "created_at": "2025-03-05T10:00:00-08:00"}))
    assert read_submission_metadata(path)["late"] is True


def test_late_is_judged_by_each_submitters_own_due_date(tmp_path):
    """An extension lives in users[].assignment.due_date: a submission after the assignment's due
    date but before the student's own is not late; a group's latest due date counts."""
    path = tmp_path / "submission_metadata.json"
    after = {**METADATA, "created_at": "2025-03-05T10:00:00-08:00"}  # after the assignment's 2025-03-02
    extended = [{**METADATA["users"][0], "assignment": {"due_date": "2025-03-09T23:00:00.000000-08:00"}},
                {**METADATA["users"][1], "assignment": {"due_date": "2025-03-02T23:00:00.000000-08:00"}}]
    path.write_text(json.dumps({**after, "users": extended}))
    kept = read_submission_metadata(path)
    assert kept["late"] is False and kept["own_due_date"] == "2025-03-09T23:00:00-08:00"
    short = [{**u, "assignment": {"due_date": "2025-03-04T23:00:00.000000-08:00"}} for u in METADATA["users"]]
    path.write_text(json.dumps({**after, "users": short}))
    assert read_submission_metadata(path)["late"] is True


def test_minimal_error_results_match_error_results(results_schema):
    message = "the grader was killed by SIGKILL"
    assert minimal_error_results(message) == json.loads(error_results(message).to_json())
    assert_valid_results(minimal_error_results(message), results_schema)
    text = fallback_results(Path("/nonexistent"), message, {"user_ids": [1]})
    data = assert_valid_results(text, results_schema)
    assert data["extra_data"]["gradescope"] == {"user_ids": [1]}


# -- running, in this environment ------------------------------------------------------------

BOOM_RUBRIC = """\
assignment: boom
submission: {filename: boom.py}
limits: {call_seconds: 2, import_seconds: 1, submission_seconds: 60}
questions:
  - id: "1"
    name: Add
    points: 1
    checks:
      - {name: small, function: add, inputs: {literal: {a: 1, b: 2}}, compare: exact, points: 0.5}
      - {name: large, function: add, inputs: {literal: {a: 100, b: 2}}, compare: exact, points: 0.5}
  - id: "2"
    name: Judged
    points: 1
    checks:
      - {name: judged, function: add, inputs: {literal: {a: 1, b: 1}}, compare: {name: judge, function: judge},
         points: 1, visibility: hidden}
"""
BOOM_REFERENCE = """\
import os, signal, time

def add(a, b):
    return a + b

def judge(received, expected, args):
    {action}
    return (1.0, "") if received == expected else (0.0, "wrong")
"""
SUBMISSION_ADD = "def add(a, b):\n    return a + b\n"


def boom_tree(tmp_path: Path, action: str, rubric: str = BOOM_RUBRIC, submission: str = SUBMISSION_ADD,
              edit: Callable[[dict[str, Any]], object] | None = None) -> Path:
    """A Gradescope tree for the boom assignment: `action` in its judge; `edit` changes the rubric as data."""
    src = tmp_path / "src"
    (src / "rubrics").mkdir(parents=True)
    (src / "reference").mkdir()
    (src / "rubrics" / "boom.yaml").write_text(rubric)
    if edit is not None:
        rubric_variant(src / "rubrics" / "boom.yaml", src / "rubrics" / "boom.yaml", edit)
    (src / "reference" / "boom.py").write_text(BOOM_REFERENCE.format(action=action))
    (src / "run_autograder").write_text("#!/bin/sh\n")
    return layout(tmp_path / "autograder", src, {"boom.py": submission})


@pytest.mark.child
def test_a_grader_crash_still_gives_results_listing_every_check(tmp_path, results_schema):
    root = boom_tree(tmp_path, "os.kill(os.getpid(), signal.SIGKILL)")
    run = run_here(root, "--assignment", "boom")
    assert run.returncode == 0, run.stderr
    data = results_of(root, results_schema)
    error = next(t for t in data["tests"] if "grader-error" in t["tags"])
    assert error["visibility"] == "hidden" and "killed by SIGKILL" in error["output"]
    checks = {t["extra_data"]["check"]: t for t in data["tests"] if "check" in t["extra_data"]}
    assert list(checks) == ["1/small", "1/large", "2/judged"]
    # the checks scored before the crash keep their scores; the one it interrupted is not run
    assert checks["1/small"]["score"] == checks["1/large"]["score"] == 0.5
    assert checks["2/judged"]["score"] == 0 and "not run" in checks["2/judged"]["output"]
    assert data["score"] == 1.0
    assert data["extra_data"]["not_run"] == ["2/judged"]
    assert data["extra_data"]["gradescope"]["user_ids"] == [1234, 5678]
    assert data["stdout_visibility"] == "hidden"


# A hang the judging time budget (SIGALRM) cannot end, as a grader bug could make: only the
# supervisor's deadline stops it. (A judge that merely sleeps is stopped by limits.judge_seconds.)
UNINTERRUPTIBLE_HANG = "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM}); time.sleep(1000)"


@pytest.mark.child
def test_a_hanging_grader_is_stopped_before_the_time_out(tmp_path, results_schema):
    root = boom_tree(tmp_path, UNINTERRUPTIBLE_HANG)
    started = time.monotonic()
    # Gradescope's time-out 7 s: checks start until 4 s (less 1 s for an import), the worker is stopped at 5 s.
    run = run_here(root, "--assignment", "boom", "--timeout", "7")
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    assert elapsed < 7
    data = results_of(root, results_schema)
    error = next(t for t in data["tests"] if "grader-error" in t["tags"])
    assert "did not finish within 5 s" in error["output"]
    assert data["extra_data"]["not_run"] == ["2/judged"]  # the visible checks ran before the hang


@pytest.mark.child
def test_sigterm_from_run_autograder_still_gives_results(tmp_path, results_schema):
    root = boom_tree(tmp_path, UNINTERRUPTIBLE_HANG)
    command = [sys.executable, "-m", "grader", "gradescope", "run", "--root", str(root), "--assignment", "boom"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root)
    deadline = time.monotonic() + 30
    while not _descendants(process.pid) and time.monotonic() < deadline:  # the worker runs: SIGTERM is handled
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    error = next(t for t in results_of(root, results_schema)["tests"] if "grader-error" in t["tags"])
    assert "SIGTERM" in error["output"]


@pytest.mark.child
def test_a_grader_bug_is_a_hidden_zero_for_instructors(tmp_path, results_schema):
    root = boom_tree(tmp_path, "pass", edit=lambda data: data["questions"][0]["checks"][0].update(points=-1))
    assert run_here(root).returncode == 0  # the only rubric in source/rubrics is found without --assignment
    data = results_of(root, results_schema)
    assert data["score"] == 0 and "could not grade" in data["output"]
    [error] = data["tests"]
    assert error["visibility"] == "hidden" and "boom.yaml:" in error["output"]  # the rubric's file and line
    assert data["extra_data"]["gradescope"]["submission_id"] == 123456


SLOW_RUBRIC = """\
assignment: boom
submission: {filename: boom.py}
limits: {call_seconds: 2, import_seconds: 1, submission_seconds: 60}
questions:
  - id: "1"
    name: Slow
    points: 1
    checks:
      - {name: slow, function: add, inputs: {generator: pair, seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]},
         compare: exact, points: 1}
"""


@pytest.mark.child
def test_the_time_budget_records_checks_not_run(tmp_path, results_schema):
    slow = "import time\n\ndef add(a, b):\n    time.sleep(0.5)\n    return a + b\n"
    root = boom_tree(tmp_path, "pass", rubric=SLOW_RUBRIC, submission=slow)
    with (root / "source" / "reference" / "boom.py").open("a") as reference:
        reference.write("\ndef pair(rng):\n    return {'a': int(rng.integers(10)), 'b': 1}\n")
    # Gradescope's time-out 8 s: grading stops 5 s into the run, less the 1 s kept for a restart.
    run = run_here(root, "--assignment", "boom", "--timeout", "8")
    assert run.returncode == 0, run.stderr
    data = results_of(root, results_schema)
    info = data["extra_data"]["autograder"]
    keys = [f"1/slow#{i}" for i in range(1, 13)]
    assert info["not_run"] == keys[len(keys) - len(info["not_run"]):] and info["not_run"]
    assert f"{len(info['not_run'])} check(s) were not run" in data["output"]
    for test in data["tests"]:
        if test["extra_data"]["check"] in info["not_run"]:
            assert test["score"] == 0 and "not run" in test["output"]
    assert info["submission_seconds"] < 4 and info["rubric_submission_seconds"] == 60


@pytest.mark.child
def test_a_missing_file_tells_the_student_what_was_found(source, tmp_path, results_schema):
    files = {"notes.txt": "x", "hw2_final.py": "x", ".DS_Store": b"\0", "__MACOSX/._hw2.py": b"\0"}
    root = layout(tmp_path / "autograder", source, files, meta="{broken")
    run = run_here(root, "--assignment", "hw2")
    assert run.returncode == 0, run.stderr
    data = results_of(root, results_schema)
    assert data["score"] == 0
    [test] = data["tests"]
    assert test["visibility"] == "visible"
    assert "your submission has no hw2.py (expected hw2.py; found: hw2_final.py, notes.txt)" in test["output"]
    assert "MACOSX" not in test["output"] and "DS_Store" not in test["output"]
    assert data["extra_data"]["gradescope"]["metadata_problems"]


@pytest.mark.child
def test_a_file_one_folder_down_beside_litter_is_graded(source, tmp_path, results_schema):
    files = {"HW2 final/hw2.py": (EXAMPLES / "correct.py").read_text(), "__MACOSX/HW2 final/._hw2.py": b"\0",
             ".DS_Store": b"\0"}
    root = layout(tmp_path / "autograder", source, files, meta=None)
    run = run_here(root, "--assignment", "hw2")
    assert run.returncode == 0, run.stderr
    data = results_of(root, results_schema)
    assert data["score"] == pytest.approx(MANIFEST["correct.py"].score)
    assert data["extra_data"]["autograder"]["graded_file"] == "HW2 final/hw2.py"
    assert data["extra_data"]["gradescope"] == {}


@pytest.mark.child
def test_the_late_policy_holds_on_gradescope_against_each_students_own_due_date(source, tmp_path, results_schema):
    files = {"hw2.py": (EXAMPLES / "correct.py").read_text()}
    late = {"penalty": 0.25, "per": "day", "max_penalty": 0.5}
    meta = {**METADATA, "created_at": "2025-03-04T01:00:00-08:00"}  # 26 hours after the assignment's due date
    on_time = MANIFEST["correct.py"].score
    for users, expected, said in (
            (METADATA["users"], on_time * 0.5, "Submitted 1 day 2 hours after the due date"),  # 2 days: 50%
            ([{**METADATA["users"][0], "assignment": {"due_date": "2025-03-04T12:00:00-08:00"}}], on_time,
             None)):  # an extension on Gradescope: on time
        root = layout(tmp_path / f"autograder-{len(users)}", source, files, meta={**meta, "users": users})
        rubric_variant(root / "source" / "rubrics" / "hw2.yaml", root / "source" / "rubrics" / "hw2.yaml", late=late)
        run = run_here(root, "--assignment", "hw2")
        assert run.returncode == 0, run.stderr
        data = results_of(root, results_schema)
        assert data["score"] == pytest.approx(expected)
        penalties = [t for t in data["tests"] if "late" in t.get("tags", [])]
        if said is None:
            assert penalties == []
        else:
            assert penalties[0]["score"] == pytest.approx(-on_time * 0.5) and said in penalties[0]["output"]
            assert "25% per day late, at most 50%" in penalties[0]["output"] and said in data["output"]


@pytest.mark.child
def test_run_autograder_writes_results_even_without_a_grader(source, tmp_path, results_schema):
    root = layout(tmp_path / "autograder", source, {"hw2.py": "x = 1\n"})
    (root / "results" / "results.json").write_text('{"score": 100}')  # forged before the run: removed
    env = {"PATH": os.environ["PATH"], "GRADER_AUTOGRADER_ROOT": str(root), "GRADER_VENV": str(tmp_path / "none")}
    run = subprocess.run([str(root / "run_autograder")], capture_output=True, text=True, env=env, cwd=root)
    assert run.returncode == 0
    data = results_of(root, results_schema)
    assert data["score"] == 0 and "did not finish or wrote no results" in data["tests"][0]["output"]


# -- the cross-check against gradescope-utils ------------------------------------------------


def test_gradescope_utils_results_depart_from_the_schema_only_in_execution_time(results_schema):
    from tests.gradescope_utils_suite import run as run_suite

    validator = jsonschema.Draft202012Validator(results_schema)
    for name in ("correct.py", "worked_answers.py"):
        data = run_suite(EXAMPLES / name, io.StringIO())
        departures = [(list(error.absolute_path), error.validator) for error in validator.iter_errors(data)]
        assert departures == [(["execution_time"], "type")], name
        assert isinstance(data["execution_time"], str)
        data["execution_time"] = float(data["execution_time"])
        validator.validate(data)  # nothing else departs
        assert {t["number"] for t in data["tests"]} == {"1.1.1", "2.1.1", "2.1.2", "2.2.1", "2.2.2", "2.2.3",
                                                         "3.1", "3.2"}  # every autograded question
        # Its verdicts agree with the rubric's on the checks it repeats.
        failed = {f"{t['number']}/{slug(t['name'].split(': ', 1)[1])}" for t in data["tests"]
                  if t["status"] == "failed"}
        covered = {f"{t['number']}/{slug(t['name'].split(': ', 1)[1])}" for t in data["tests"]}
        assert failed == set(MANIFEST[name].fails or []) & covered, name


def test_the_suite_stays_out_of_pytest_collection():
    from tests.gradescope_utils_suite import HW2Checks

    assert issubclass(HW2Checks, unittest.TestCase) and not HW2Checks.__name__.startswith("Test")


# -- the zip, installed by its setup.sh and run by its run_autograder -------------------------


@dataclass(frozen=True)
class SetupJob:
    process: subprocess.Popen[bytes]
    source: Path
    venv: Path
    log: Path


@dataclass(frozen=True)
class Installed:
    source: Path
    venv: Path
    setup_log: str


@pytest.fixture(scope="session")
def setup_job(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SetupJob]:
    """setup.sh, run as Gradescope runs it, with this interpreter and a local wheelhouse for the pins.

    It runs in the background while this module's other tests (which mostly wait on time-outs) run.
    """
    base = tmp_path_factory.mktemp("gradescope")
    wheelhouse = base / "wheelhouse"
    wheelhouse.mkdir()
    for line in (source / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            repack(metadata.distribution(line.split("==")[0]), wheelhouse)
    root = base / "autograder"
    shutil.copytree(source, root / "source")
    venv = base / "venv"
    env = {"PATH": os.environ["PATH"], "HOME": str(base), "GRADER_PYTHON": sys.executable,
           "GRADER_VENV": str(venv), "GRADER_AUTOGRADER_ROOT": str(root),
           "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse), "PIP_NO_COMPILE": "1"}
    log = base / "setup.log"
    with log.open("wb") as output:
        process = subprocess.Popen(["bash", str(root / "source" / "setup.sh")], stdout=output,
                                   stderr=subprocess.STDOUT, env=env, cwd=root)
    job = SetupJob(process, root / "source", venv, log)
    yield job
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.fixture(scope="module", autouse=True)
def _start_setup_early(request: pytest.FixtureRequest) -> None:
    if any("installed" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue("setup_job")


@pytest.fixture(scope="session")
def installed(setup_job: SetupJob) -> Installed:
    code = setup_job.process.wait(timeout=600)
    log = setup_job.log.read_text()
    assert code == 0, log[-6000:]
    return Installed(setup_job.source, setup_job.venv, log)


@pytest.mark.child
def test_setup_installs_exactly_the_pins_and_passes_its_selftest(installed):
    log = installed.setup_log
    assert "setup.sh: 2. the sandbox's system packages (scripts/install-system-deps.sh)" in log
    assert "No broken requirements found." in log
    assert re.search(r"selftest: the reference passes all \d+ checks of hw2", log)
    freeze = subprocess.run([str(installed.venv / "bin" / "python"), "-m", "pip", "freeze"],
                            capture_output=True, text=True, check=True).stdout.split()
    pinned = [line for line in (installed.source / "requirements.txt").read_text().splitlines()
              if line and not line.startswith("#")]
    assert sorted(freeze, key=str.lower) == sorted(pinned, key=str.lower)


@pytest.fixture(scope="session")
def example_runs(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """run_autograder on every example, each in its own /autograder tree, two at a time."""
    base = tmp_path_factory.mktemp("runs")

    def run(name: str) -> tuple[Path, str]:
        root = layout(base / name.removesuffix(".py"), installed.source,
                      {"hw2.py": (EXAMPLES / name).read_text()})
        env = {"PATH": os.environ["PATH"], "GRADER_AUTOGRADER_ROOT": str(root), "GRADER_VENV": str(installed.venv)}
        done = subprocess.run([str(root / "run_autograder")], capture_output=True, text=True, env=env, cwd=root,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        return root, done.stdout + done.stderr

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(MANIFEST, pool.map(run, MANIFEST), strict=True))


@pytest.mark.child
@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_run_autograder_grades_each_example_as_declared(name, example_runs, results_schema):
    root, log = example_runs[name]
    data = results_of(root, results_schema)
    example = MANIFEST[name]
    assert data["score"] == pytest.approx(example.score, abs=1e-5), log
    if example.fails is not None:
        assert failed_keys(data) == set(example.fails)
    assert data["stdout_visibility"] == "hidden" and "grader_error" not in data["extra_data"]
    info = data["extra_data"]["autograder"]
    assert info["container_memory_mb"] == 768 and info["child_memory_mb"] == HW2_LIMITS.memory_mb
    assert info["peak_rss_mb"] + info["supervisor_peak_rss_mb"] < GRADER_BASE_MB  # the grader's budget holds
    assert data["extra_data"]["gradescope"]["user_ids"] == [1234, 5678]
    assert data["extra_data"]["gradescope"]["due_date"] == METADATA["assignment"]["due_date"]


@pytest.mark.child
def test_setup_refuses_a_release_candidate_python(source: Path, tmp_path: Path) -> None:
    """Ubuntu 22.04's python3.11 is 3.11.0rc1: setup.sh must not accept it for the final release.
    (Given as GRADER_PYTHON it stops with a message; from apt, it goes on to the deadsnakes PPA.)"""
    candidate = tmp_path / "python-rc"
    candidate.write_text(f'#!/bin/sh\ncase "$*" in *releaselevel*) echo "{sys.version_info[0]}.'
                         f'{sys.version_info[1]} candidate";; *) exec {sys.executable} "$@";; esac\n')
    candidate.chmod(0o755)
    root = tmp_path / "autograder"
    shutil.copytree(source, root / "source")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GRADER_PYTHON": str(candidate),
           "GRADER_VENV": str(tmp_path / "venv"), "GRADER_AUTOGRADER_ROOT": str(root)}
    process = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True,
                             env=env, cwd=root, timeout=60)
    assert process.returncode == 1
    assert "is not a final Python" in process.stderr and not (tmp_path / "venv").exists()
    setup = (source / "setup.sh").read_text()
    assert "using the deadsnakes PPA" in setup  # the apt path falls through to the final release


@pytest.mark.child
def test_helper_modules_and_data_beside_the_file_are_used_on_gradescope(source, tmp_path, results_schema):
    helpers = ROOT / "tests" / "fixtures" / "students" / "hw2_with_helpers"
    files = {path.relative_to(helpers).as_posix(): path.read_bytes() for path in helpers.rglob("*") if path.is_file()}
    root = layout(tmp_path / "autograder", source, files, meta=None)
    run = run_here(root, "--assignment", "hw2")
    assert run.returncode == 0, run.stderr
    data = results_of(root, results_schema)
    assert data["score"] == pytest.approx(6.5), data["output"]
    assert data["extra_data"]["files"]["used"] == ["hw2.py", "data/__init__.py", "data/scale.txt", "linalg_utils.py"]


# -- one grade, whichever way it is graded -----------------------------------------------------------

STUDENTS = ROOT / "tests" / "fixtures" / "students"


def _students(folder: Path) -> dict[str, Path]:
    """A class as students hand it in: one folder each (a file, helper modules, a notebook)."""
    out: dict[str, Path] = {}
    for name, source in (("own-words", "hw2_own_words.py"), ("float32-and-sign", "hw2_float32_and_sign.py"),
                         ("scipy-and-a-plot", "hw2_scipy_and_a_plot.py"), ("no-bias", None)):
        out[name] = folder / name
        out[name].mkdir(parents=True)
        shutil.copyfile(STUDENTS / source if source else EXAMPLES / "mistake_no_bias.py", out[name] / "hw2.py")
    out["helpers"] = folder / "helpers"
    shutil.copytree(STUDENTS / "hw2_with_helpers", out["helpers"])
    out["notebook-and-helpers"] = folder / "notebook-and-helpers"
    shutil.copytree(STUDENTS / "hw2_with_helpers", out["notebook-and-helpers"])
    notebook_of((out["notebook-and-helpers"] / "hw2.py").read_text(), out["notebook-and-helpers"] / "hw2.ipynb")
    (out["notebook-and-helpers"] / "hw2.py").unlink()
    return out


def _scores(results: dict) -> dict[str, float]:
    scores = {t["extra_data"]["check"]: t.get("score", 0.0) for t in results["tests"] if "check" in t["extra_data"]}
    return {**scores, "total": results["score"]}


@pytest.mark.child
def test_every_way_of_grading_gives_the_same_grade(source: Path, tmp_path: Path, results_schema: dict) -> None:
    """`grader grade`, `grader batch` and the Gradescope run give each student the same score on
    every check, and `grader check` passes exactly the visible checks that grading passes."""
    from grader.kit.build import build_kit
    from grader.kit.check import check_submission, load_kit

    students = _students(tmp_path / "class")
    batch = subprocess.run([sys.executable, "-m", "grader", "batch", str(tmp_path / "class"), "--assignment", "hw2",
                            "--out", str(tmp_path / "batch"), "--jobs", "2"],
                           capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert batch.returncode == 0, batch.stderr
    build_kit(str(HW2_RUBRIC), tmp_path / "kit", install="pip install numgrader")
    kit = load_kit(tmp_path / "kit" / "check")
    for name, folder in students.items():
        graded = tmp_path / f"{name}.json"
        done = subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "--assignment", "hw2", "--quiet",
                               "--json", str(graded)], capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert done.returncode == 0, done.stderr
        by_grade = json.loads(graded.read_text())
        files = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        root = layout(tmp_path / f"gradescope-{name}", source, files, meta=None)
        assert run_here(root, "--assignment", "hw2").returncode == 0
        by_gradescope = results_of(root, results_schema)
        by_batch = json.loads(next((tmp_path / "batch" / "results").glob(f"*{name}*.json")).read_text())
        assert _scores(by_grade) == _scores(by_batch) == _scores(by_gradescope), name
        assert by_grade["score"] > 0, name  # (each student's work ran: helpers found, notebook converted)
        full = {t["extra_data"]["check"]: t.get("score", 0.0) == t.get("max_score") for t in by_grade["tests"]
                if "check" in t["extra_data"]}
        judged = [line for line in check_submission(kit, folder).lines if line.status != "submit"]
        assert judged and {line.item.case.key: line.status == "pass" for line in judged} == {
            line.item.case.key: full[line.item.case.key] for line in judged}, name
