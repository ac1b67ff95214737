"""Hostile submissions, round two: every path, byte, second and megabyte a submission controls
has a bound (docs/threat-model.md, "Bounds").

Every attack here goes through the CLI (`grader grade`, as Gradescope runs it) and each test
asserts the grade the work deserves, and that the grader exited 0 with valid results.json
within its size budget, in bounded time and memory (`bounded_grade`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import (
    BOUNDS,
    BOUNDS_RUBRIC,
    HOSTILE,
    HOSTILE_REFERENCE,
    HOSTILE_RUBRIC,
    ROOT,
    SUBMISSIONS,
    assert_valid_results,
    linux_only,
    root_only,
    rubric_variant,
    with_limits,
    with_namespaces,
)

RESULTS_BUDGET = 1024 * 1024  # the default limits.results_kb
GRADER_MB = 400  # the grader's own peak (it holds numpy, pydantic, sympy): far below the attacks' gigabytes

pytestmark = linux_only

# Runs the console script's entry() in this interpreter and writes the grader's own peak RSS
# (KiB) to argv[1] when it exits: the grader's memory, not the child's.
_MEASURED = (
    "import atexit, resource, sys; out = sys.argv.pop(1); "
    "atexit.register(lambda: open(out, 'w').write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))); "
    "sys.argv[0] = 'grader'; from grader.cli import entry; entry()"
)


@dataclass(frozen=True)
class Graded:
    results: dict[str, Any]
    seconds: float
    grader_mb: float
    size: int
    stdout: str
    stderr: str

    def test(self, function: str) -> dict[str, Any]:
        return next(t for t in self.results["tests"] if t.get("extra_data", {}).get("function") == function)


def bounded_grade(submission: Path, tmp_path: Path, results_schema: dict[str, Any], *, rubric: Path = HOSTILE_RUBRIC,
                  seconds: float = 60, env: dict[str, str] | None = None, budget: int = RESULTS_BUDGET,
                  quiet: bool = True, cwd: Path | None = None) -> Graded:
    """`grader grade SUBMISSION --json` in a process of its own (in `cwd`, default tmp_path);
    asserts exit 0, a valid results file within `budget` bytes, and the grader's time and memory
    bounds."""
    out = tmp_path / "out" / "results.json"
    rss = tmp_path / "out" / "rss"
    out.parent.mkdir(exist_ok=True)
    command = [sys.executable, "-c", _MEASURED, str(rss), "grade", str(submission), "--assignment", str(rubric),
               "--json", str(out)] + (["--quiet"] if quiet else [])
    started = time.perf_counter()
    process = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, cwd=cwd or tmp_path,
                             env={**os.environ, "PYTHONPATH": str(ROOT), "NUMGRADER_CACHE": "off", **(env or {})})
    elapsed = time.perf_counter() - started
    assert process.returncode == 0, process.stderr[-4000:]
    size = out.stat().st_size
    assert size <= budget, f"results.json is {size} bytes, over its budget of {budget}"
    results = assert_valid_results(out.read_text(encoding="utf-8"), results_schema)
    grader_mb = int(rss.read_text()) / 1024
    assert elapsed < seconds, f"grading took {elapsed:.1f} s"
    assert grader_mb < GRADER_MB, f"the grader's own peak was {grader_mb:.0f} MB"
    return Graded(results, elapsed, grader_mb, size, process.stdout, process.stderr)


# -- 7. values the wire cannot encode -------------------------------------------------------------

@pytest.mark.child
def test_values_the_wire_cannot_carry_fail_their_own_check_clearly(tmp_path: Path, results_schema: dict) -> None:
    graded = bounded_grade(BOUNDS / "unencodable.py", tmp_path, results_schema)
    assert graded.test("add")["score"] == 1  # a correct longdouble crosses as a float
    assert "returned a numpy complex128 value (only bool, int and float values)" in graded.test("mean")["output"]
    assert "returned an integer of more than 3,000 digits" in graded.test("secret")["output"]


@pytest.mark.child
def test_an_answer_whose_encoding_raises_fails_that_answer_only(tmp_path: Path, results_schema: dict) -> None:
    graded = bounded_grade(BOUNDS / "encoding_raises.py", tmp_path, results_schema)
    assert graded.test("add")["score"] == 1
    assert "could not be encoded (RuntimeError)" in graded.test("mean")["output"]
    assert "nested deeper than 32 levels" in graded.test("secret")["output"]
    assert "ended the process" not in json.dumps(graded.results)


# -- 6. time limits and the call plan -------------------------------------------------------------

@pytest.mark.child
@with_namespaces  # call plans are kept only where the sandbox has a private filesystem
def test_a_dropped_call_plan_costs_the_submission_no_time(tmp_path: Path, results_schema: dict) -> None:
    """The first run saves a call plan; the second starts the calls from it, sees a time-out it
    cannot trust (the machine was busy loading), and grades the ordinary way. Both runs must give
    every call its time, and the second may not take much longer than the first (the dropped run
    stops at its first untrusted outcome: the submission never gets twice its time)."""
    rubric = with_limits(HOSTILE_RUBRIC, tmp_path, submission_seconds=3.5)
    cache = tmp_path / "cache"
    env = {"NUMGRADER_CACHE": str(cache)}
    first = bounded_grade(BOUNDS / "slow_but_honest.py", tmp_path, results_schema, rubric=rubric, env=env)
    assert list(cache.glob("plan-*.json")), "the first run saved no call plan"
    second = bounded_grade(BOUNDS / "slow_but_honest.py", tmp_path, results_schema, rubric=rubric, env=env)
    for graded in (first, second):
        outcomes = {t["extra_data"]["function"]: t["extra_data"]["outcome"] for t in graded.results["tests"]
                    if "function" in t.get("extra_data", {})}
        assert outcomes == {"add": "timeout", "mean": "ok", "secret": "ok"}
        assert graded.results["score"] == 1
    assert second.seconds < first.seconds + 1.0 + 1.0  # the dropped run's one call limit, and some noise


# -- 2. the size of everything the child says ----------------------------------------------------

LONGEST_MESSAGE = 2_200  # grader.text.MESSAGE_CHARS and the note that says what was cut


def _longest_text(results: dict[str, Any]) -> int:
    return max(len(t["output"]) for t in results["tests"])


@pytest.mark.child
def test_an_honest_bounds_submission_scores_everything_but_the_secret(tmp_path: Path, results_schema: dict) -> None:
    graded = bounded_grade(BOUNDS / "bounds_correct.py", tmp_path, results_schema, rubric=BOUNDS_RUBRIC)
    assert graded.results["score"] == 4


@pytest.mark.child
def test_megabytes_of_text_from_the_child_are_capped_in_the_grader(tmp_path: Path, results_schema: dict) -> None:
    graded = bounded_grade(BOUNDS / "huge_texts.py", tmp_path, results_schema, rubric=BOUNDS_RUBRIC)
    assert graded.size < 64 * 1024, graded.size  # from over 12 MB of text
    assert _longest_text(graded.results) < LONGEST_MESSAGE
    assert "more characters not shown" in graded.test("secret")["output"]  # the forged frame's message
    assert "more characters not shown" in graded.test("graph")["output"]  # the comparator's message
    assert graded.test("order")["output"].count("raised ValueError") == 1
    assert "the function ended the process (exit('xxx" in graded.test("add")["output"]
    # Partial credit for the graph alone: 1 of its 2 edges is one of the 3 expected, F1 = 2PR/(P+R) with
    # P = 1/2, R = 1/3, i.e. 0.4.
    assert graded.results["score"] == pytest.approx(2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3))


@pytest.mark.child
def test_an_import_failure_is_written_once_and_capped(tmp_path: Path, results_schema: dict) -> None:
    graded = bounded_grade(BOUNDS / "huge_exception_name.py", tmp_path, results_schema, rubric=BOUNDS_RUBRIC)
    assert graded.results["score"] == 0 and graded.size < 16 * 1024
    assert "raised EEEE" in graded.results["output"] and len(graded.results["output"]) < 5000
    for test in (t for t in graded.results["tests"] if "function" in t["extra_data"]):  # the checks
        assert "could not be loaded (the reason is at the top" in test["output"]
        assert "EEEE" not in test["output"]


@pytest.mark.child
def test_a_syntax_error_on_a_line_of_megabytes(tmp_path: Path, results_schema: dict) -> None:
    submission = tmp_path / "bounds.py"
    submission.write_text("def add(a, b):\n    return a + b\nx = 1 " + "a" * 1_800_000 + " 2\n")
    graded = bounded_grade(submission, tmp_path, results_schema, rubric=BOUNDS_RUBRIC)
    assert "SyntaxError" in graded.results["output"] and "(line 3" in graded.results["output"]
    assert graded.size < 16 * 1024


@pytest.mark.child
def test_results_never_exceed_the_rubrics_budget(tmp_path: Path, results_schema: dict) -> None:
    """64 KB of the submission's own output, in a results budget of 16 KB: cut, and the cut is said."""
    rubric = with_limits(HOSTILE_RUBRIC, tmp_path, results_kb=16)
    graded = bounded_grade(SUBMISSIONS / "flood.py", tmp_path, results_schema, rubric=rubric, budget=16 * 1024)
    assert "Some texts were cut to keep these results under 16 KB" in graded.results["output"]
    assert graded.results["score"] == 2  # the scores stand


def test_fit_keeps_the_scores_whatever_the_texts() -> None:
    from grader.results import Results, TestResult, fit, size_of

    tests = [TestResult(name=f"check {i}", number="1", score=1.0, max_score=1.0, status="passed",
                        output="é" * 300_000) for i in range(4)]
    huge = Results(score=4.0, execution_time=1.0, output="x" * 100_000, tests=tests,
                   extra_data={"student_output": "y" * 2_000_000})
    for budget in (1 << 20, 64 << 10, 20 << 10):
        fitted = fit(huge, budget)
        assert size_of(fitted) <= budget and fitted.score == 4.0
        assert "were cut" in fitted.output
        assert [t.score for t in fitted.tests] == [1.0] * 4
    many = Results(score=5000.0, execution_time=1.0, tests=[TestResult(name=f"c{i}", number="1", score=1.0,
                                                                       max_score=1.0) for i in range(5000)])
    fitted = fit(many, 16 << 10)
    assert size_of(fitted) <= 16 << 10 and fitted.score == 5000.0 and fitted.tests == []


# -- 4. student text always serializes, and never dresses up as something else --------------------

UNSAFE = ("\x00", "\x1b", "\r", "\x07", "\x9b", "\u202e", "\u202c", "\u2066")


def _unsafe_characters(text: str) -> list[str]:
    return [char for char in UNSAFE if char in text] + [c for c in text if 0xD800 <= ord(c) <= 0xDFFF]


@pytest.mark.child
def test_control_characters_bidi_and_surrogates_are_shown_as_escapes(tmp_path: Path, results_schema: dict) -> None:
    graded = bounded_grade(BOUNDS / "control_text.py", tmp_path, results_schema, rubric=BOUNDS_RUBRIC, quiet=False)
    raw = (tmp_path / "out" / "results.json").read_text(encoding="utf-8")
    assert "\\u001b" not in raw and "\\u0000" not in raw  # not even JSON-escaped: cleaned before
    assert not _unsafe_characters(json.dumps(graded.results, ensure_ascii=False))
    assert not _unsafe_characters(graded.stdout)  # the instructor's terminal table
    message = graded.test("add")["output"]
    assert "\\x1b[2J" in message and "\\u202e" in message and "\\x00" in message and "\ufffd" in message
    assert "\\x1b[2J" in graded.results["extra_data"]["student_output"]


@pytest.mark.child
def test_a_notebook_line_with_a_lone_surrogate(tmp_path: Path, results_schema: dict) -> None:
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": "%load_ext \\udcff\\u001b[2J\ndef add(a, b):\n    return a + b\n"}]
    escaped = json.dumps(cells).replace("\\\\u", "\\u")  # JSON escapes in the file: a lone surrogate, an ESC
    text = f'{{"cells": {escaped}, "metadata": {{}}, "nbformat": 4, "nbformat_minor": 5}}'
    notebook = tmp_path / "bounds.ipynb"
    notebook.write_text(text, encoding="utf-8")
    graded = bounded_grade(notebook, tmp_path, results_schema, rubric=BOUNDS_RUBRIC)
    assert graded.test("add")["score"] == 1
    assert "IPython lines that are not Python were dropped" in graded.results["output"]
    assert not _unsafe_characters(json.dumps(graded.results, ensure_ascii=False))


# -- 3. the grader's own work on student data has a time bound ------------------------------------

@pytest.mark.child
def test_answers_that_would_take_the_grader_minutes_fail_fast(tmp_path: Path, results_schema: dict) -> None:
    graded = bounded_grade(BOUNDS / "costly_to_judge.py", tmp_path, results_schema, rubric=BOUNDS_RUBRIC,
                           seconds=25)
    assert "an exponent over 10000 cannot be read" in graded.test("order")["output"]
    assert "judging it took longer than the grader allows (2 s)" in graded.test("iterations")["output"]
    assert graded.results["score"] == 2  # add and graph: the grading went on


@pytest.mark.parametrize("answer", ["O(t^(2^2^2^2^2))", "O(2**65536 * t)", "O(9^9^9 + exp(t))"])
def test_big_o_constants_are_bounded_before_any_reader(answer: str) -> None:
    from grader.comparators.base import CompareContext
    from grader.comparators.big_o import BigOSpec, compare

    started = time.perf_counter()
    verdict = compare(answer, "O(t)", BigOSpec(variable="t"), CompareContext())
    assert verdict.fraction == 0 and "cannot be read" in verdict.message
    assert time.perf_counter() - started < 1


def test_the_time_budget_stops_python_loops_on_any_thread() -> None:
    import threading

    from grader.time_budget import OverBudget, time_budget

    def spin() -> float:
        started = time.perf_counter()
        try:
            with time_budget(0.2):
                while True:
                    pass
        except OverBudget:
            return time.perf_counter() - started
        return -1.0

    def quick() -> str:
        try:
            with time_budget(0.05):
                total = sum(range(100))
            time.sleep(0.15)  # after the block: a budget that ran out later must never fire
            return str(total)
        except OverBudget:
            return "fired late"

    found: list[tuple[float, str]] = []
    workers = [threading.Thread(target=lambda: found.append((spin(), quick()))) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    # Stopped at the budget, plus what three spinning threads sharing the GIL add (a few switch intervals).
    spun, done = spin(), quick()
    assert 0.2 <= spun < 0.3 and done == "4950"
    assert len(found) == 3
    assert all(0.2 <= seconds < 1.0 and text == "4950" for seconds, text in found), found


@pytest.mark.child
def test_a_notebook_of_thirty_thousand_magic_lines_converts_in_linear_time(tmp_path: Path,
                                                                         results_schema: dict) -> None:
    source = "def add(a, b):\n    return a + b\n" + "%time x = 1\n" * 30_000
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": source}]
    notebook = tmp_path / "bounds.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert notebook.stat().st_size > 300_000
    graded = bounded_grade(notebook, tmp_path, results_schema, rubric=BOUNDS_RUBRIC, seconds=20)
    assert graded.test("add")["score"] == 1 and "and 29988 more" in graded.results["output"]


@pytest.mark.child
def test_a_line_number_of_five_thousand_digits(tmp_path: Path, results_schema: dict) -> None:
    """A forged answer whose message names "line <5,000 digits>": mapping it back to the notebook's
    cells must not parse the number (int() refuses 5,000 digits, and the results were lost)."""
    forge = ("import json, os, struct\n"
             "def add(a, b):\n"
             "    body = json.dumps({'body': {'op': 'exception', 'message': '(line ' + '9' * 5000 + ')'},"
             " 'arrays': []}).encode()\n"
             "    payload = struct.pack('>I', len(body)) + body\n"
             "    os.write(1, struct.pack('>Q', len(payload)) + payload)\n"
             "    os._exit(0)\n")
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": forge}]
    notebook = tmp_path / "bounds.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    graded = bounded_grade(notebook, tmp_path, results_schema, rubric=BOUNDS_RUBRIC)
    assert "(line 999" in graded.test("add")["output"] and graded.results["score"] == 0


# -- 1. submission paths -------------------------------------------------------------------------

REFERENCE_FOLDER = HOSTILE / "reference"  # the hostile assignment's answer keys


@pytest.mark.child
@pytest.mark.parametrize("through", ["the reference folder", "/proc/self/cwd"])
def test_a_linked_folder_is_never_searched(through: str, tmp_path: Path, results_schema: dict) -> None:
    """`solutions -> reference/` made the reference module the student's work: full marks."""
    upload = tmp_path / "upload"
    upload.mkdir()
    if through == "/proc/self/cwd":  # the grader's working folder, seen from the grader itself
        (upload / "solutions").symlink_to("/proc/self/cwd")
        cwd = REFERENCE_FOLDER
    else:
        (upload / "solutions").symlink_to(REFERENCE_FOLDER)
        cwd = tmp_path
    graded = bounded_grade(upload, tmp_path, results_schema, cwd=cwd)
    assert graded.results["score"] == 0
    assert "has no hostile.py" in graded.results["output"]
    assert "solutions (a link, not followed)" in graded.results["output"]


@pytest.mark.child
@pytest.mark.parametrize(("name", "what"), [("hostile.ipynb", "notebook"), ("hostile.py", "Python file")])
def test_a_fifo_where_the_file_was_expected_does_not_hang(name: str, what: str, tmp_path: Path,
                                                          results_schema: dict) -> None:
    upload = tmp_path / "upload"
    upload.mkdir()
    os.mkfifo(upload / name)
    graded = bounded_grade(upload, tmp_path, results_schema, seconds=20)
    assert graded.results["score"] == 0
    assert f"{name} is a named pipe (FIFO), not a {what}" in graded.results["output"]


@pytest.mark.child
def test_a_link_inside_the_submission_is_refused_too(tmp_path: Path, results_schema: dict) -> None:
    """Even a link to a file of the submission itself: a file graded is never reached through a link."""
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "real.py").write_text((SUBMISSIONS / "correct.py").read_text())
    (upload / "hostile.py").symlink_to("real.py")
    graded = bounded_grade(upload, tmp_path, results_schema)
    assert graded.results["score"] == 0 and "hostile.py is a symbolic link to real.py" in graded.results["output"]


def test_a_batch_reads_no_linked_folder_fifo_or_device(tmp_path: Path) -> None:
    from grader.batch.source import submission_files

    student = tmp_path / "alice"
    (student / "hw").mkdir(parents=True)
    (student / "hw" / "hostile.py").write_text("x = 1\n")
    (student / "secret").symlink_to(REFERENCE_FOLDER)
    (student / "hw" / "link.py").symlink_to(HOSTILE_REFERENCE)
    os.mkfifo(student / "pipe")
    (student / "null").symlink_to("/dev/zero")
    assert submission_files(student) == [("alice/hw/hostile.py", b"x = 1\n")]


# -- 5. memory is bounded for the whole sandbox --------------------------------------------------

def _memory_cgroup_available() -> bool:
    from grader.sandbox import cgroup

    made = cgroup.create(f"numgrader-probe-{os.getpid()}", 64 << 20, 8)
    if made is None:
        return False
    made.remove()
    return True


@pytest.mark.child
def test_the_sandbox_refuses_shared_memory_and_is_the_oom_killers_first_choice(tmp_path: Path,
                                                                             results_schema: dict) -> None:
    graded = bounded_grade(BOUNDS / "memory_together.py", tmp_path, results_schema, rubric=BOUNDS_RUBRIC)
    assert "not expected: memfd -> PermissionError" in graded.test("graph")["output"]  # memfd_create refused
    assert graded.test("order")["score"] == 1  # shmget refused: the answer it gives only then
    seccomp = graded.results["extra_data"]["sandbox"]["seccomp"]
    assert "memfd and SysV shared memory refused" in seccomp


@pytest.mark.child
def test_the_submissions_processes_are_the_oom_killers_first_choice(tmp_path: Path) -> None:
    from grader.assignment import load_assignment
    from grader.boundary.session import ChildSession

    probe = tmp_path / "hostile.py"
    probe.write_text("import os\n"
                     "def add(a, b):\n"
                     "    try:\n"
                     "        return int(open('/proc/self/oom_score_adj').read())\n"
                     "    except OSError:\n"
                     "        return None  # Landlock keeps /proc closed\n")
    with ChildSession(probe, "hostile", load_assignment(HOSTILE_RUBRIC).rubric.limits) as session:
        assert session.start().ok
        seen = session.call("add", [1, 2], 5)
        fenced = session.sandbox is not None and session.sandbox.filesystem.startswith("landlock")
    assert seen.ok and (seen.value == 1000 or (seen.value is None and fenced)), seen


@pytest.mark.child
@root_only
def test_processes_holding_memory_together_are_bounded_by_the_sandboxs_cgroup(tmp_path: Path,
                                                                             results_schema: dict) -> None:
    if not _memory_cgroup_available():
        pytest.skip("this machine gives the grader no memory cgroup")
    graded = bounded_grade(BOUNDS / "memory_together.py", tmp_path, results_schema, rubric=BOUNDS_RUBRIC)
    assert graded.test("add")["score"] == 0  # 4 x 300 MB > 1 GiB for the whole sandbox: not all held
    assert graded.results["extra_data"]["sandbox"]["memory"].startswith("cgroup: 1 GiB for all")
    # The control: without the cgroup, the same four processes all hold their memory.
    control = bounded_grade(BOUNDS / "memory_together.py", tmp_path, results_schema, rubric=BOUNDS_RUBRIC,
                            env={"NUMGRADER_SANDBOX_CGROUP": "off"})
    assert control.test("add")["score"] == 1
    assert "(no memory cgroup on this machine)" in control.results["extra_data"]["sandbox"]["memory"]


def _container_cgroup(mb: int) -> Any:
    """A memory cgroup like Docker's --memory (v2, or v1 with swap counted), for a whole grader run."""
    from grader.sandbox import cgroup

    return cgroup.create(f"numgrader-container-{os.getpid()}", mb << 20, 4096)


@pytest.mark.child
@root_only
@pytest.mark.parametrize("mode", ["auto", "nonamespaces"])
def test_the_grader_survives_a_768_mb_container(mode: str, tmp_path: Path, results_schema: dict) -> None:
    """The whole grader in 768 MB, the sandbox without a cgroup of its own (as in Docker): the
    OOM killer acts (asserted), ends the submission's processes, and the grade is written."""
    container = _container_cgroup(768)
    if container is None:
        pytest.skip("this machine gives the grader no memory cgroup")
    try:
        out = tmp_path / "results.json"
        launcher = f"open({container.procs[0]!r}, 'w').write(str(__import__('os').getpid())); " + \
            "import sys; sys.argv[0] = 'grader'; from grader.cli import entry; entry()"
        command = [sys.executable, "-c", launcher, "grade", str(BOUNDS / "container_hog.py"), "--assignment",
                   str(BOUNDS_RUBRIC), "--json", str(out), "--quiet"]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMGRADER_CACHE": "off", "NUMGRADER_SANDBOX": mode,
               "NUMGRADER_SANDBOX_CGROUP": "off"}
        process = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
        kills = container.oom_kills()
        assert process.returncode == 0, process.stderr[-3000:]
        results = assert_valid_results(out.read_text(), results_schema)
    finally:
        for _ in range(50):
            try:
                container.remove()
                if not Path(container.folders[0]).exists():
                    break
            except OSError:
                pass
            time.sleep(0.1)
    assert kills > 0  # the container's limit was reached: the attack is real
    scores = {t["extra_data"]["function"]: t["score"] for t in results["tests"] if "function" in t["extra_data"]}
    assert scores["graph"] == 1  # no SysV segment was made at all
    assert scores["order"] == 1 and scores["iterations"] == 1  # the grading went on, with the real grade


@pytest.mark.child
def test_the_grader_outlives_a_submission_that_fills_its_container(tmp_path: Path, results_schema: dict) -> None:
    """In every mode, with no cgroup of the sandbox's own: 31 processes of 24 MB and 13 SysV segments
    of 64 MB. Under tests/docker_like.py --memory-mb 768 (make test-container) the whole run is in
    768 MB, and this is the attack that got the grader OOM-killed; elsewhere it must merely pass."""
    graded = bounded_grade(BOUNDS / "container_hog.py", tmp_path, results_schema, rubric=BOUNDS_RUBRIC,
                           env={"NUMGRADER_SANDBOX_CGROUP": "off"})
    scores = {t["extra_data"]["function"]: t["score"] for t in graded.results["tests"]
              if "function" in t["extra_data"]}
    assert scores["graph"] == 1 and scores["order"] == 1 and scores["iterations"] == 1


# -- found in review --------------------------------------------------------------------------

def test_the_grader_refuses_huge_integers_whatever_the_child_sent() -> None:
    from grader.boundary import wire
    from grader.boundary.protocol import JSON_HEADER

    body = ('{"body": {"op": "result", "value": %s}, "arrays": []}' % ("9" * 3500)).encode()
    with pytest.raises(wire.WireError, match="more than 3,000 digits"):
        wire.unpack(JSON_HEADER.pack(len(body)) + body)


def test_an_error_result_quoting_file_names_serializes_clean() -> None:
    from grader.results import error_results

    text = error_results("found: x\udcff.py, evil\x1b[2J.py" + "y" * 10_000).to_json()
    assert "\\x1b[2J" in text and "\\u001b" not in text and len(text) < 10_000  # 4,000 characters, twice


@pytest.mark.parametrize("filename", ["src/hw.py", "..", "a\\b.py"])
def test_a_rubrics_file_name_has_no_folders(filename: str, tmp_path: Path) -> None:
    from grader.assignment import load_assignment
    from grader.errors import RubricError

    bad = tmp_path / "bad.yaml"
    rubric_variant(HOSTILE_RUBRIC, bad, lambda data: data["submission"].update(filename=filename))
    with pytest.raises(RubricError, match="must be a file name"):
        load_assignment(bad)


@pytest.mark.skipif(os.geteuid() != 0, reason="sealing applies when the grader is root")
def test_sealing_never_closes_a_folder_on_the_way_to_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.sandbox import seal

    project = tmp_path / "project"
    (project / "venv" / "lib").mkdir(parents=True)
    (project / "venv" / "lib" / "numpy.py").write_text("")
    (project / "reference.py").write_text("ANSWER = 42\n")
    for path in (project, project / "venv", project / "venv" / "lib"):
        path.chmod(0o755)
    (project / "reference.py").chmod(0o644)
    monkeypatch.setattr(seal, "python_paths", lambda: [str(project / "venv" / "lib")])
    monkeypatch.setattr(sys, "prefix", str(project / "venv"))
    seal.seal([project])
    mode = lambda path: path.stat().st_mode & 0o777  # noqa: E731
    assert mode(project / "reference.py") == 0o600  # the answer key is sealed
    assert mode(project) == 0o755 and mode(project / "venv") == 0o755  # the way to Python stays open


def test_judging_time_is_bounded_for_the_whole_submission_too() -> None:
    from grader.assignment import load_assignment
    from grader.boundary.outcome import Outcome
    from grader.judging import JudgingClock

    case = load_assignment(HOSTILE_RUBRIC).cases[0]
    clock = JudgingClock(per_case=5.0, left=0.0)
    result = clock.judge(case, Outcome("ok", value=5), {})
    assert result.score == 0 and "time for judging this submission ran out" in result.verdict.message


def test_a_notebook_of_more_cells_than_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    from grader.notebook import MAX_CELLS, NotebookError, read_notebook

    cell = {"cell_type": "markdown", "metadata": {}, "source": ""}
    notebook = tmp_path / "bounds.ipynb"
    notebook.write_text(json.dumps({"cells": [cell] * (MAX_CELLS + 1), "metadata": {}, "nbformat": 4,
                                    "nbformat_minor": 5}))
    started = time.perf_counter()
    with pytest.raises(NotebookError, match="more than 10000 cells"):
        read_notebook(notebook)
    assert time.perf_counter() - started < 1


@pytest.mark.child
def test_no_call_plan_without_a_private_filesystem(tmp_path: Path, results_schema: dict) -> None:
    """Without a private view, a dropped prefetch's child (which ran hidden calls) could leave their
    inputs in a world-writable folder for the ordinary run's visible checks: no plan is kept there."""
    cache = tmp_path / "cache"
    env = {"NUMGRADER_CACHE": str(cache)}
    bounded_grade(SUBMISSIONS / "correct.py", tmp_path, results_schema,
                  env={**env, "NUMGRADER_SANDBOX": "nonamespaces"})
    assert not list(cache.glob("plan-*.json"))
    graded = bounded_grade(SUBMISSIONS / "correct.py", tmp_path, results_schema, env=env)
    if graded.results["extra_data"]["sandbox"].get("private_root") is True:  # the full sandbox: plans are kept
        assert list(cache.glob("plan-*.json"))
