"""ChildSession (grader/boundary/session.py): pipelined calls, each with its own limit, a fresh
child after a failure, the submission's deadline, and answers decoded when the grader wants them.
Each test runs twice: as on Linux, and in the portable mode of Windows and macOS (threads read
the pipes, the child is spawned, no sandbox: grader/boundary/portable.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from grader.boundary.outcome import Call, pack_call
from grader.boundary.session import ChildSession
from grader.rubric import Limits

pytestmark = pytest.mark.child


@pytest.fixture(autouse=True, params=["linux", "portable"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NUMGRADER_PORTABLE", "1" if request.param == "portable" else "0")
    return str(request.param)


PIPELINED = """
import os, time
TOKEN = os.urandom(8).hex()  # a new value in every fresh child
def token():
    return TOKEN
def hang():
    time.sleep(30)
def boom():
    os.kill(os.getpid(), 11)
"""


def test_pipelined_calls_keep_their_own_limits_and_restart_after_a_failure(tmp_path: Path) -> None:
    source = tmp_path / "piped.py"
    source.write_text(PIPELINED)
    names = ("token", "hang", "token", "boom", "token", "token")
    calls = [Call(name, pack_call(name, []), 1.0) for name in names]  # one group: written at once
    started = time.perf_counter()
    with ChildSession(source, "piped", Limits(call_seconds=1)) as session:
        outcomes = list(session.run(calls, started + 60))
    assert [o.status for o in outcomes] == ["ok", "timeout", "ok", "crashed", "ok", "ok"]
    tokens = [o.value for o in outcomes if o.ok]
    assert len(set(tokens[:3])) == 3 and tokens[2] == tokens[3]  # fresh after each failure, then kept
    assert time.perf_counter() - started < 8  # the hang cost its 1 s limit, not 30 s


def test_calls_after_the_submission_deadline_are_not_run(tmp_path: Path) -> None:
    source = tmp_path / "piped.py"
    source.write_text(PIPELINED)
    calls = [Call(name, pack_call(name, []), 10.0) for name in ("token", "hang", "token")]
    with ChildSession(source, "piped", Limits(call_seconds=10, submission_seconds=1.5)) as session:
        started = time.perf_counter()
        outcomes = list(session.run(calls, started + 1.5))
        elapsed = time.perf_counter() - started
    assert [o.status for o in outcomes] == ["ok", "timeout", "not_run"]
    assert outcomes[1].message.startswith("exceeded the time limit (1.") and elapsed < 5
    assert outcomes[2].message == "not run: the submission's time limit (1.5 s) was reached"


def test_raw_answers_are_decoded_later(tmp_path: Path) -> None:
    source = tmp_path / "arrays.py"
    source.write_text("import numpy as np\ndef ramp(n):\n    return np.arange(n, dtype=float)\n")
    with ChildSession(source, "arrays", Limits(), decode=False) as session:
        (raw,) = session.run([Call("ramp", pack_call("ramp", [4]), 5.0)], time.perf_counter() + 30)
    assert raw.ok and raw.value is None and raw.payload is not None
    assert np.array_equal(raw.decoded().value, [0.0, 1.0, 2.0, 3.0])


def test_a_slow_judge_does_not_lengthen_the_next_calls_limit(tmp_path: Path) -> None:
    """The calls of a group run back to back in the child: each one's limit counts from the
    previous answer, not from when the grader, busy judging, asks for the next outcome."""
    source = tmp_path / "timed.py"
    source.write_text("import time\ndef quick():\n    return 1\ndef slow(seconds):\n    time.sleep(seconds)\n"
                      "    return 2\n")
    calls = [Call("quick", pack_call("quick", []), 1.0), Call("slow", pack_call("slow", [1.6]), 1.0),
             Call("slow", pack_call("slow", [0.2]), 1.0)]
    seen = []
    with ChildSession(source, "timed", Limits(call_seconds=1)) as session:
        for outcome in session.run(calls, time.perf_counter() + 60):
            seen.append(outcome.status)
            time.sleep(1.0)  # judging that takes a second
    assert seen == ["ok", "timeout", "ok"]


def test_a_deeply_nested_answer_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    """json.loads raises RecursionError on 100,000 nested brackets: the child's answer is
    unreadable (a fresh child for the next call), never an exception in the grader."""
    source = tmp_path / "nested.py"
    source.write_text(
        "import json, os, struct\n"
        "def deep():\n"
        "    text = ('{\"body\": {\"op\": \"result\", \"value\": ' + '[' * 100000 + ']' * 100000"
        " + '}, \"arrays\": []}').encode()\n"
        "    payload = struct.pack('>I', len(text)) + text\n"
        "    os.write(1, struct.pack('>Q', len(payload)) + payload)\n"
        "    import time; time.sleep(30)\n"
        "def fine():\n"
        "    return 7\n")
    for decode in (True, False):
        calls = [Call("deep", pack_call("deep", []), 5.0), Call("fine", pack_call("fine", []), 5.0)]
        with ChildSession(source, "nested", Limits(call_seconds=5), decode=decode) as session:
            deep, fine = session.run(calls, time.perf_counter() + 60)
        assert deep.status == "protocol" and "malformed message" in deep.message
        assert fine.decoded().value == 7


def test_a_flood_of_prints_is_capped_and_a_process_left_behind_does_not_hold_the_grader(
        tmp_path: Path, mode: str) -> None:
    """The student's prints are kept up to the limit, counted beyond it; a process the student
    started that keeps the child's pipes open does not make the session wait for it."""
    source = tmp_path / "noisy.py"
    source.write_text(
        "import subprocess, sys\n"
        "def noisy():\n"
        "    print('x' * 3_000_000)\n"
        "    return 1\n"
        "def leave():\n"
        "    return subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(40)']).pid\n")
    started = time.perf_counter()
    left = None
    try:
        with ChildSession(source, "noisy", Limits(call_seconds=10, output_kb=64)) as session:
            noisy, leave = session.run([Call("noisy", pack_call("noisy", []), 10.0),
                                        Call("leave", pack_call("leave", []), 10.0)], time.perf_counter() + 60)
            left = leave.decoded().value
            printed = session.output
        assert noisy.decoded().value == 1 and isinstance(left, int)
        assert len(printed.kept) == 64 * 1024 and printed.total > 3_000_000
        assert time.perf_counter() - started < 30  # not the 40 s of the process left behind
    finally:
        if mode == "portable" and isinstance(left, int):  # (sandboxed, it had its own pid namespace)
            with contextlib.suppress(OSError):
                os.kill(left, signal.SIGKILL)
