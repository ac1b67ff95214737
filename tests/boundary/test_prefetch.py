"""A saved call plan starts a submission's calls before the grader has loaded: faster, never different."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import cli, paths
from grader.assignment import Assignment, load_assignment
from grader.boundary import prefetch, wire
from grader.boundary.outcome import Call, Outcome, pack_call
from grader.grading import Report, execution_order, grade, imports_of, planned_calls
from grader.results import to_results
from grader.rubric import Limits
from grader.sandbox import host as sandbox_host
from grader.sandbox import view
from tests.support import EXAMPLES, HOSTILE_RUBRIC, HW2_RUBRIC, ROOT, SUBMISSIONS, rubric_variant


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("NUMGRADER_CACHE", str(folder))
    return folder


@pytest.fixture(scope="module")
def hw2() -> Assignment:
    return load_assignment(HW2_RUBRIC)


def plan_of(assignment: Assignment) -> prefetch.Plan:
    calls = planned_calls(execution_order(assignment.calls), assignment.rubric.limits)
    return prefetch.describe(assignment.loaded, calls, [assignment.loaded.path, assignment.reference_path],
                             imports_of(assignment.rubric))


def comparable(report: Report) -> dict:
    data = json.loads(to_results(report).to_json())
    data.pop("execution_time")
    data["extra_data"].pop("sandbox", None)  # names the session's uid, which may differ
    return data


@pytest.fixture
def used(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """What every Prefetch.take answered: whether prefetched outcomes were used."""
    answers: list[bool] = []
    real = prefetch.Prefetch.take

    def spy(self: prefetch.Prefetch, *args: object) -> bool:
        answers.append(real(self, *args))  # type: ignore[arg-type]
        return answers[-1]

    monkeypatch.setattr(prefetch.Prefetch, "take", spy)
    yield answers


def grade_prefetched(assignment: Assignment, rubric: Path, submission: Path) -> Report:
    """grade() with the calls prefetched from the rubric's saved plan, as `grader grade` does."""
    early = prefetch.start(rubric, submission)
    assert early is not None
    try:
        return grade(assignment, submission, early=early)
    finally:
        early.close()


@pytest.mark.child
@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.stem)
def test_a_prefetched_grade_is_the_ordinary_grade(hw2: Assignment, example: Path, used: list[bool]) -> None:
    prefetch.save(HW2_RUBRIC, plan_of(hw2))
    fast = grade_prefetched(hw2, HW2_RUBRIC, example)
    assert used == [True]
    assert comparable(fast) == comparable(grade(hw2, example))


@pytest.mark.child
def test_the_cli_saves_a_plan_and_the_next_run_uses_it(tmp_path: Path, cache: Path, used: list[bool]) -> None:
    submission = EXAMPLES / "worked_answers.py"
    outputs = [tmp_path / "first.json", tmp_path / "second.json"]
    assert cli.main(["grade", str(submission), "--assignment", "hw2", "--json", str(outputs[0]), "--quiet"]) == 0
    assert used == [] and len(list(cache.glob("plan-*.json"))) == 1
    assert cli.main(["grade", str(submission), "--assignment", "hw2", "--json", str(outputs[1]), "--quiet"]) == 0
    assert used == [True]
    first, second = (json.loads(p.read_text()) for p in outputs)
    for data in (first, second):
        data.pop("execution_time")
        data["extra_data"].pop("sandbox")
    assert first == second and first["score"] == 5.75
    assert (cache.stat().st_mode & 0o777, next(cache.glob("plan-*.json")).stat().st_mode & 0o777) == (0o700, 0o600)
    assert str(cache.resolve()) in view.hidden_paths()  # kept out of every child's view


def copy_of_hw2(tmp_path: Path) -> Path:
    for folder in ("rubrics", "reference"):
        (tmp_path / folder).mkdir()
    shutil.copy(HW2_RUBRIC, tmp_path / "rubrics" / "hw2.yaml")
    shutil.copy(ROOT / "reference" / "hw2.py", tmp_path / "reference" / "hw2.py")
    return tmp_path / "rubrics" / "hw2.yaml"


def test_a_plan_is_dropped_when_its_rubric_or_reference_changes(tmp_path: Path) -> None:
    rubric = copy_of_hw2(tmp_path)
    prefetch.save(rubric, plan_of(load_assignment(rubric)))
    assert prefetch.load(rubric) is not None
    reference = tmp_path / "reference" / "hw2.py"
    reference.write_text(reference.read_text() + "\n# edited\n")
    assert prefetch.load(rubric) is None
    prefetch.save(rubric, plan_of(load_assignment(rubric)))
    rubric_variant(rubric, rubric, lambda data: data.update(title=f"(edited) {data['title']}"))
    assert prefetch.load(rubric) is None


@pytest.mark.child
@pytest.mark.parametrize("tamper", ["requests", "limits"])
def test_a_plan_that_differs_from_the_cases_is_not_used(hw2: Assignment, cache: Path, tamper: str,
                                                        used: list[bool]) -> None:
    """Same rubric and reference files, but a plan whose content is not what they make:
    the prefetched outcomes are thrown away and the submission is graded the ordinary way."""
    prefetch.save(HW2_RUBRIC, plan_of(hw2))
    (path,) = cache.glob("plan-*.json")
    data = json.loads(path.read_text())
    if tamper == "requests":  # two calls' inputs swapped
        first, second = data["calls"][0], data["calls"][1]
        first["request"], second["request"] = second["request"], first["request"]
    else:
        data["limits"]["memory_mb"] *= 2
    path.write_text(json.dumps(data))
    submission = EXAMPLES / "correct.py"
    report = grade_prefetched(hw2, HW2_RUBRIC, submission)
    assert used == [False]
    assert report.score == pytest.approx(6.5) and comparable(report) == comparable(grade(hw2, submission))


def test_no_plan_for_a_notebook_or_from_an_unsafe_cache(hw2: Assignment, tmp_path: Path, cache: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    prefetch.save(HW2_RUBRIC, plan_of(hw2))
    notebook = tmp_path / "hw2.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert prefetch.start(HW2_RUBRIC, notebook) is None
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setenv("NUMGRADER_CACHE", str(shared))
    assert paths.cache_folder() is None
    prefetch.save(HW2_RUBRIC, plan_of(hw2))
    assert list(shared.iterdir()) == [] and prefetch.load(HW2_RUBRIC) is None
    swappable = tmp_path / "open"  # others may write here, and no sticky bit: they could swap the cache
    swappable.mkdir()
    swappable.chmod(0o777)
    monkeypatch.setenv("NUMGRADER_CACHE", str(swappable / "cache"))
    assert paths.cache_folder() is None
    swappable.chmod(0o777 | 0o1000)  # as /tmp: sticky
    assert paths.cache_folder() == swappable / "cache"
    monkeypatch.setenv("NUMGRADER_CACHE", "off")
    assert paths.cache_folder() is None


@pytest.mark.child
def test_closing_a_prefetch_stops_its_child_at_once(tmp_path: Path) -> None:
    source = tmp_path / "slow.py"
    source.write_text("import time\ndef hang():\n    time.sleep(60)\n")
    calls = (Call("hang", pack_call("hang", []), 50.0), Call("hang", pack_call("hang", []), 50.0))
    plan = prefetch.Plan("slow.py", "slow", Limits(call_seconds=50).model_dump(), calls, {})
    early = prefetch.Prefetch(plan, source)
    waited = time.perf_counter()
    while early.first.status == "not_run" and time.perf_counter() - waited < 30:  # until imported
        time.sleep(0.05)
    assert early.first.ok
    time.sleep(0.2)  # the first call has started
    started = time.perf_counter()
    early.close()
    assert time.perf_counter() - started < 5
    assert early._error is None and not early._thread.is_alive()
    # the call was killed (or, had the thread not reached it yet, never started)
    assert [o.status for o in early.outcomes] in (["crashed", "not_run"], ["exited", "not_run"],
                                                   ["not_run", "not_run"])


@pytest.mark.child
def test_closing_a_prefetch_without_the_sandbox_ignores_a_student_ignoring_sigterm(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMGRADER_SANDBOX", "off")
    sandbox_host.host.cache_clear()
    try:
        source = tmp_path / "stubborn.py"
        source.write_text("import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                          "def hang():\n    time.sleep(60)\n")
        calls = (Call("hang", pack_call("hang", []), 50.0),)
        plan = prefetch.Plan("stubborn.py", "stubborn", Limits(call_seconds=50).model_dump(), calls, {})
        early = prefetch.Prefetch(plan, source)
        waited = time.perf_counter()
        while early.first.status == "not_run" and time.perf_counter() - waited < 30:
            time.sleep(0.05)
        time.sleep(0.2)
        started = time.perf_counter()
        early.close()
        assert time.perf_counter() - started < 5
    finally:
        sandbox_host.host.cache_clear()


@pytest.mark.child
def test_a_prefetched_time_out_is_run_again(used: list[bool]) -> None:
    """A prefetched call that hit its time limit may have lost the CPU to the grader's own start:
    the submission is graded the ordinary way instead."""
    hostile = load_assignment(HOSTILE_RUBRIC)
    prefetch.save(HOSTILE_RUBRIC, plan_of(hostile))
    report = grade_prefetched(hostile, HOSTILE_RUBRIC, SUBMISSIONS / "cpu_loop_call.py")
    assert used == [False]
    assert [c.outcome.status for c in report.checks] == ["ok", "timeout", "ok"]


def test_prefetched_outcomes_that_cannot_stand_for_the_ordinary_run() -> None:
    ready = Outcome("ok")
    fine = [Outcome("ok", value=1), Outcome("exception", message="raised ValueError")]
    assert prefetch.usable(ready, fine)
    header = json.dumps({"body": {"op": "result", "value": {"$array": 0}}, "arrays": [["<f3", [1], 3]]})
    unreadable = Outcome("ok", payload=wire.JSON_HEADER.pack(len(header)) + header.encode() + b"\0\0\0")
    assert unreadable.decoded().status == "protocol"
    assert not prefetch.usable(ready, [*fine, unreadable.decoded()])
    for status in ("timeout", "not_run", "import_failed"):
        assert not prefetch.usable(ready, [*fine, Outcome(status)])  # type: ignore[arg-type]
    assert not prefetch.usable(Outcome("import_failed", message="exceeded the time limit"), fine)


def test_the_rubric_data_a_plan_keeps_loads_the_same_assignment(hw2: Assignment, tmp_path: Path) -> None:
    plan = plan_of(hw2)
    assert plan.rubric_data is not None
    again = load_assignment(HW2_RUBRIC, data=plan.rubric_data)
    assert again.loaded.rubric == hw2.loaded.rubric
    assert [(c.key, c.request, c.points) for c in again.cases] == [(c.key, c.request, c.points) for c in hw2.cases]
    # Data that does not validate: the file is read after all (a message with its line would come from it).
    broken = dict(plan.rubric_data, questions="not a list")
    assert load_assignment(HW2_RUBRIC, data=broken).loaded.rubric == hw2.loaded.rubric


@pytest.mark.child
def test_a_second_run_does_not_read_the_yaml_again(tmp_path: Path, cache: Path) -> None:
    submission = EXAMPLES / "correct.py"
    command = [sys.executable, "-X", "importtime", "-m", "grader", "grade", str(submission), "--assignment",
               "hw2", "--json", str(tmp_path / "r.json"), "--quiet"]
    env = dict(os.environ, NUMGRADER_CACHE=str(cache))
    imported = []
    for _ in range(2):
        run = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        imported.append({line.split("|")[-1].strip() for line in run.stderr.splitlines() if "|" in line})
    assert "yaml" in imported[0] and "yaml" not in imported[1]
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 6.5
