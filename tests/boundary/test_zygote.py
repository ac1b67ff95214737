# ruff: noqa: F401, F403  (the hostile suite and its fixtures are imported to run here again)
"""The warm worker (grader/boundary/zygote.py): children forked from it are the children launch.py spawns.

The whole hostile suite (tests/sandbox/test_hostile.py) runs again here with every child forked
from a shared zygote (its tests are imported below and collected in this module, with the
autouse fixture that turns the zygote on), then the zygote's own promises: it is a fresh process
that never loaded a reference, it survives crashes and time-outs of its children, it is replaced
when it dies, and what the student sees is what a spawned child sees.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.assignment import Assignment
from grader.boundary import zygote
from grader.boundary.session import ChildSession
from grader.grading import grade
from tests.sandbox.test_hostile import *  # the hostile suite, run again through the zygote
from tests.sandbox.test_hostile import _sandbox_mode  # its autouse fixture
from tests.support import SECRET, SUBMISSIONS

pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="the zygote is Linux-only"), pytest.mark.child]


@pytest.fixture(autouse=True)
def _warm() -> Iterator[zygote.Zygote]:
    with zygote.serving() as warm:
        yield warm


def _forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    original = zygote.Zygote.fork

    def fork(self: zygote.Zygote, *args: object, **kwargs: object) -> zygote.ForkedProcess:
        process = original(self, *args, **kwargs)  # type: ignore[arg-type]
        seen.append(process.pid)
        return process

    monkeypatch.setattr(zygote.Zygote, "fork", fork)
    return seen


def _write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "hostile.py"
    path.write_text(source)
    return path


def test_sessions_fork_from_the_zygote_and_grade_the_same(hostile: Assignment, monkeypatch: pytest.MonkeyPatch,
                                                          _warm: zygote.Zygote) -> None:
    forks = _forks(monkeypatch)
    report = grade(hostile, SUBMISSIONS / "correct.py")
    assert report.score == 2 and report.import_error is None
    assert len(forks) == 1
    if os.geteuid() == 0:
        assert "DEGRADED" not in report.sandbox_summary, report.sandbox_summary


def test_the_zygote_is_fresh_and_holds_nothing_of_the_grader(hostile: Assignment, _warm: zygote.Zygote) -> None:
    """Started with exec (not forked from this process, which loaded the reference), with the
    child's small environment; its memory does not hold the reference's secret."""
    with ChildSession(SUBMISSIONS / "correct.py", "hostile", hostile.rubric.limits) as session:
        assert session.start().ok  # the zygote is up
    pid = _warm.pid
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert cmdline[1:3] == [b"-I", b"-c"] and cmdline[3] == zygote.BOOT.encode()
    environ = dict(line.split(b"=", 1) for line in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if line)
    assert set(environ) == {k.encode() for k in zygote.child_environment()}
    maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    secret = str(SECRET).encode()
    with open(f"/proc/{pid}/mem", "rb") as memory:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1] or (len(fields) > 5 and fields[5].startswith("/")):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                memory.seek(start)
                data = memory.read(end - start)
            except (OSError, OverflowError):
                continue
            assert secret not in data, f"the zygote's memory holds the secret ({line})"


def test_the_student_sees_an_isolated_fresh_process(tmp_path: Path, hostile: Assignment) -> None:
    source = (
        "import os, sys\n"
        "import numpy as np\n"
        "def add(a, b):\n"
        "    return [sys.flags.isolated, sys.flags.no_user_site, os.getcwd() in sys.path or '' in sys.path,\n"
        "            sorted(os.environ), os.getcwd(), list(map(int, os.listdir('/proc/self/fd')))]\n"
        "def mean(xs):\n"
        "    return float(np.random.random())\n"
    )
    submission = _write(tmp_path, source)
    with ChildSession(submission, "hostile", hostile.rubric.limits) as session:
        first = session.call("add", [1, 2], 10)
        draw = session.call("mean", [[1.0]], 10)
        cwd = str(session._workdir)
    assert first.ok, first.message
    isolated, no_user_site, _, names, where, fds = first.value
    assert isolated == 1 and no_user_site == 1
    assert set(names) == set(zygote.child_environment()) | {"HOME", "TMPDIR"}
    assert where == cwd
    assert sorted(fds)[:3] == [0, 1, 2] and all(fd < 4 for fd in fds[:-1])  # the last: listdir's own
    with ChildSession(submission, "hostile", hostile.rubric.limits) as session:
        other = session.call("mean", [[1.0]], 10)
    assert draw.ok and other.ok and draw.value != other.value  # numpy's global seed is fresh per child


def test_time_outs_and_crashes_get_a_fresh_forked_child(tmp_path: Path, hostile: Assignment,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    source = (
        "import os, signal, time\n"
        "def add(a, b):\n"
        "    if a == 0: time.sleep(60)\n"
        "    if a == 1: os.kill(os.getpid(), signal.SIGSEGV)\n"
        "    return a + b\n"
    )
    submission = _write(tmp_path, source)
    forks = _forks(monkeypatch)
    with ChildSession(submission, "hostile", hostile.rubric.limits) as session:
        started = time.perf_counter()
        hung = session.call("add", [0, 1], 0.5)
        assert hung.status == "timeout" and time.perf_counter() - started < 8
        crashed = session.call("add", [1, 1], 5)
        assert crashed.status == "crashed" and "SIGSEGV" in crashed.message
        fine = session.call("add", [2, 3], 5)
        assert fine.ok and fine.value == 5
    assert len(forks) == 3 and len(set(forks)) == 3
    for pid in forks:  # every child is gone
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_a_dead_zygote_is_replaced(hostile: Assignment, _warm: zygote.Zygote, monkeypatch: pytest.MonkeyPatch) -> None:
    assert grade(hostile, SUBMISSIONS / "correct.py").score == 2
    os.kill(_warm.pid, signal.SIGKILL)
    _warm._process.wait()
    forks = _forks(monkeypatch)
    assert grade(hostile, SUBMISSIONS / "correct.py").score == 2
    assert len(forks) == 1
    replacement = zygote.shared()
    assert replacement is not None and replacement is not _warm and replacement.alive


def test_a_zygote_killed_mid_session_costs_only_that_call(tmp_path: Path, hostile: Assignment,
                                                          _warm: zygote.Zygote) -> None:
    submission = _write(tmp_path, "def add(a, b):\n    return a + b\n")
    with ChildSession(submission, "hostile", hostile.rubric.limits) as session:
        assert session.call("add", [1, 2], 5).value == 3
        os.kill(_warm.pid, signal.SIGKILL)  # its children die with it (PDEATHSIG)
        assert session._process is not None
        assert session._process.wait(timeout=10) == -signal.SIGKILL
        lost = session.call("add", [1, 2], 5)
        assert lost.status in ("crashed", "protocol"), lost
        again = session.call("add", [2, 2], 5)  # a new zygote, or a spawned child
        assert again.ok and again.value == 4


def test_without_a_zygote_sessions_spawn(hostile: Assignment, monkeypatch: pytest.MonkeyPatch) -> None:
    zygote.stop_shared()
    forks = _forks(monkeypatch)
    assert zygote.shared() is None
    assert grade(hostile, SUBMISSIONS / "correct.py").score == 2
    assert forks == []


def test_a_forked_batch_worker_gets_a_warm_worker_of_its_own(hostile: Assignment, _warm: zygote.Zygote) -> None:
    """Batch workers are forked from the batch (batch.worker_context): one that inherited the
    batch's warm worker forgets it and starts its own; the batch's keeps serving the batch."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked "worker"
        code = 1
        try:
            zygote.forget_inherited()
            mine = zygote.start_shared()
            with ChildSession(SUBMISSIONS / "correct.py", "hostile", hostile.rubric.limits) as session:
                ok = session.call("add", [2, 3], 10).value == 5
            os.write(write, f"{mine.pid} {ok}".encode())
            zygote.stop_shared()
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    theirs, ok = os.read(read, 100).decode().split()
    os.close(read)
    assert os.waitpid(pid, 0)[1] == 0
    assert ok == "True" and int(theirs) != _warm.pid
    assert _warm.alive
    with ChildSession(SUBMISSIONS / "correct.py", "hostile", hostile.rubric.limits) as session:
        assert session.call("add", [1, 1], 10).value == 2  # the batch's own warm worker still answers


def test_batch_workers_fork_only_from_a_single_threaded_batch() -> None:
    import threading

    from grader.batch.run import worker_context

    alone = sys.platform == "linux" and threading.active_count() == 1  # (an earlier test may have left a thread)
    assert worker_context().get_start_method() == ("fork" if alone else "spawn")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert worker_context().get_start_method() == "spawn"
    finally:
        stop.set()
        other.join()
