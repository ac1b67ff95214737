"""The hostile-submission suite: one submission per attack (tests/hostile/submissions/).

Each is graded through the public engine (load_assignment, grade, to_results; the CLI for
the attacks that need the grader's own process), and each test asserts the grade the work
deserves AND that nothing changed outside the grader's temporary folders. CI runs this as
root, with the whole sandbox; the last tests force the degraded modes (no namespaces, an
unprivileged user namespace) and check what must still hold there. See docs/threat-model.md.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.assignment import Assignment, load_assignment
from grader.boundary.outcome import Call, pack_call
from grader.boundary.session import ChildSession
from grader.grading import Report, grade
from grader.results import to_results
from grader.rubric import Limits
from grader.sandbox import host as sandbox_host
from grader.sandbox import policy, uid_guard, uids
from grader.sandbox import report as sandbox_report
from grader.sandbox.plan import Plan
from grader.sandbox.report import SandboxReport
from tests.support import (
    HOSTILE,
    HOSTILE_REFERENCE,
    HOSTILE_RUBRIC,
    ROOT,
    SECRET,
    SUBMISSIONS,
    linux_only,
    namespaces_available,
    root_only,
    with_limits,
    with_namespaces,
)

MARKER = b"PWNED-BY-HOSTILE"  # in everything fake_results.py writes
INITIAL_PID_NAMESPACE = 0xEFFFFFFC  # the kernel's inode number of the first pid namespace
pytestmark = linux_only


@pytest.fixture(scope="module")
def hostile() -> Assignment:
    return load_assignment(HOSTILE_RUBRIC)


@pytest.fixture(autouse=True)
def _sandbox_mode(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts in the default mode (a test may force another); host() is re-read."""
    monkeypatch.delenv("NUMGRADER_SANDBOX", raising=False)
    sandbox_host.host.cache_clear()
    yield
    sandbox_host.host.cache_clear()


def force_mode(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setenv("NUMGRADER_SANDBOX", mode)
    sandbox_host.host.cache_clear()


# -- "nothing changed outside the temporary directory" -----------------------------------------

def _tree(path: Path) -> dict[str, tuple[int, int, int]]:
    if not path.exists():
        return {str(path): (-1, -1, -1)}
    found = {}
    for folder, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in [*files, *dirs]:
            full = os.path.join(folder, name)
            info = os.lstat(full)
            # Group and other permissions are left out: the grader itself takes them from the answer
            # key (sandbox/seal.py), which is no change a submission made.
            found[full] = (info.st_size, info.st_mtime_ns, info.st_mode & ~0o077)
    return found


def _suspicious(folder: Path) -> set[str]:
    """Names in a folder others share (/tmp, the project, home) that an attack would create."""
    try:
        names = os.listdir(folder)
    except OSError:
        return set()
    return {n for n in names if n in ("results.json", "results", "autograder") or "pwned" in n.lower()}


def _marked(folder: Path) -> list[str]:
    """Files holding an attack's marker (a check that other people's concurrent edits cannot upset)."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".json", ".yaml", ".yml") and MARKER in path.read_bytes():
            found.append(str(path))
    return found


def snapshot(*extra: Path) -> dict[str, object]:
    site = Path(np.__file__).parent.parent
    state: dict[str, object] = {
        "fixture": _tree(HOSTILE),
        "autograder": _tree(Path("/autograder")),
        "site-packages": sorted(os.listdir(site)),
    }
    for folder in (ROOT / "grader", ROOT / "reference", ROOT / "rubrics"):
        state[f"marked files in {folder}"] = _marked(folder)
    for folder in (Path("/tmp"), ROOT, ROOT / "grader", ROOT / "reference", ROOT / "rubrics", Path.home(), Path("/")):
        state[f"names in {folder}"] = _suspicious(folder)
    for path in extra:
        state[str(path)] = _tree(path)
    return state


@contextmanager
def unchanged(*extra: Path) -> Iterator[None]:
    before = snapshot(*extra)
    yield
    after = snapshot(*extra)
    for key in before:
        assert after[key] == before[key], f"the submission changed {key}"


def graded(assignment: Assignment, submission: Path, *extra: Path) -> Report:
    with unchanged(submission.parent, *extra):
        return grade(assignment, submission)


def outcome(report: Report, function: str) -> tuple[str, str]:
    result = next(r for r in report.checks if r.case.function == function)
    return result.outcome.status, result.verdict.message


def grade_cli(submission: Path, out: Path, rubric: Path = HOSTILE_RUBRIC, env: dict[str, str] | None = None,
              cwd: Path | None = None) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    """`grader grade` in a process of its own, as Gradescope runs it; returns (process, results)."""
    command = [sys.executable, "-m", "grader", "grade", str(submission), "--assignment", str(rubric),
               "--json", str(out), "--quiet"]
    process = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd or out.parent,
                             env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    assert process.returncode == 0, process.stderr
    return process, json.loads(out.read_text())


def sleepers(tmp_path: Path) -> tuple[Path, bytes]:
    """sleepers.py with a duration of its own, so that concurrent test runs cannot be confused."""
    mark = f"4242.{os.getpid()}{time.monotonic_ns() % 100000}"
    submission = tmp_path / "sleepers.py"
    submission.write_text((SUBMISSIONS / "sleepers.py").read_text().replace('MARK = "4242.4242"', f'MARK = "{mark}"'))
    return submission, b"sleep\x00" + mark.encode() + b"\x00"


def survivors(mark: bytes) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as stream:
                if stream.read() == mark:
                    found.append(int(pid))
        except OSError:
            continue
    return found


# -- the sandbox itself ------------------------------------------------------------------------

PROBE = '''
import ctypes, os, resource, socket
def add(a, b):
    libc = ctypes.CDLL(None, use_errno=True)
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=0.2)
        net = "open"
    except OSError as error:
        net = type(error).__name__
    return {
        "ids": [os.getuid(), os.geteuid(), os.getgid(), os.getegid(), list(os.getgroups())],
        "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "root": sorted(os.listdir("/")),
        "project": sorted(os.listdir(%(project)r)) if os.path.isdir(%(project)r) else [],
        "reference": os.path.exists(%(reference)r),
        "fds": fds[:4], "net": net,
        "seccomp": status["Seccomp"].strip(), "no_new_privs": status["NoNewPrivs"].strip(),
        "caps": status["CapEff"].strip(),
        "unshare": libc.unshare(0x00020000), "errno": ctypes.get_errno(),
        "as": resource.getrlimit(resource.RLIMIT_AS)[0], "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0],
        "cwd": os.getcwd(), "cwd_files": sorted(os.listdir(".")),
        "python": os.access(os.path.dirname(os.__file__), os.R_OK),
    }
def mean(xs):
    return 0.0
def secret():
    return 0
'''


@pytest.mark.child
@root_only
@with_namespaces
def test_as_root_the_child_runs_jailed_as_its_own_user(tmp_path: Path) -> None:
    probe = tmp_path / "hostile.py"
    probe.write_text(PROBE % {"project": str(ROOT), "reference": str(HOSTILE_REFERENCE)})
    with unchanged(tmp_path), ChildSession(probe, "hostile", load_assignment(HOSTILE_RUBRIC).rubric.limits) as session:
        assert session.start().ok
        result = session.call("add", [1, 2], 5)
        report = session.sandbox
    assert result.ok, result.message
    seen = result.value
    uid = seen["ids"][0]
    assert uid >= uid_guard.UID_BASE and seen["ids"] == [uid, uid, uid, uid, []]  # its own uid, no groups
    assert seen["pids"] == [1, 2]  # a pid namespace: the grader is not even visible
    assert not seen["reference"]
    # The project's folder exists in the child's view only if the venv lives inside it, and then
    # it holds nothing but the venv's (read-only) folder.
    assert set(seen["project"]) <= {Path(sys.prefix).name}
    assert seen["fds"] == [0, 1, 2, 3]  # the protocol, the prints, and the listing's own fd: nothing inherited
    assert seen["net"] != "open"
    assert seen["seccomp"] == "2" and seen["no_new_privs"] == "1" and int(seen["caps"], 16) == 0
    assert seen["unshare"] == -1 and seen["errno"] == 1  # EPERM from the filter
    assert seen["as"] == 1024 * 1024 * 1024 and seen["nproc"] == 32
    assert seen["cwd_files"] == ["hostile.py"] and seen["python"]
    assert sandbox_report.weaknesses(report) == [], report
    assert "DEGRADED" not in sandbox_report.summary(report)


def test_the_report_names_missing_protections() -> None:
    assert sandbox_report.weaknesses(SandboxReport.off()) == ["the sandbox is off (NUMGRADER_SANDBOX=off)"]
    assert sandbox_report.weaknesses(None) == ["no sandbox report (the child did not start)"]
    weak = {"mode": "auto", "user": "the grader's own user (1000)", "filesystem": "NOT isolated (no Landlock)",
            "network": "NOT cut", "processes": "descendants killed", "seccomp": "unavailable", "limits": "x",
            "warnings": ["no process limit"]}
    missing = sandbox_report.weaknesses(SandboxReport.from_json(weak))
    assert len(missing) == 6 and "DEGRADED" in sandbox_report.summary(SandboxReport.from_json(weak))
    # Decided by the report's fields, not its wording: "descendants killed (no pid namespace)" and
    # "NOT isolated (no mount namespace ...)" once read as held because they contain those words.
    held = {"mode": "auto", "user_isolated": True, "filesystem_isolated": True, "network_cut": True,
            "processes_contained": True, "seccomp_on": True, "warnings": []}
    assert sandbox_report.weaknesses(SandboxReport.from_json(held)) == []
    # Only a real True holds: a child that wrote "true" or 1 has not proved anything.
    unproved = SandboxReport.from_json({**held, "network_cut": "true", "seccomp_on": 1})
    assert len(sandbox_report.weaknesses(unproved)) == 2
    texts = {"processes": "descendants killed when grading ends (no pid namespace)",
             "filesystem": "NOT isolated (no mount namespace, no Landlock): the reference may be readable"}
    assert sandbox_report.weaknesses(SandboxReport.from_json(
            {**held, **texts, "processes_contained": False, "filesystem_isolated": False})) == [
        f"filesystem: {texts['filesystem']}", f"processes: {texts['processes']}"]


@pytest.mark.child
def test_an_honest_submission_is_graded_normally(hostile: Assignment) -> None:
    report = graded(hostile, SUBMISSIONS / "correct.py")
    assert report.score == 2 and outcome(report, "secret")[0] == "ok"


# -- the attacks -------------------------------------------------------------------------------

@pytest.mark.child
def test_fake_results_json_reaches_nothing(tmp_path: Path) -> None:
    out = tmp_path / "results" / "results.json"
    out.parent.mkdir()
    canary = tmp_path / "autograder" / "results.json"
    canary.parent.mkdir()
    canary.write_text("{}")
    with unchanged(HOSTILE, canary.parent):
        process, results = grade_cli(SUBMISSIONS / "fake_results.py", out, cwd=canary.parent)
    assert results["score"] == 0 and all(t.get("score", 0) == 0 for t in results["tests"])  # type: ignore[union-attr]
    assert "PWNED" not in process.stdout + process.stderr  # the fake JSON never reached the grader's output
    assert "PWNED" in str(results["extra_data"])  # it is there only as the student's (captured) output
    assert canary.read_text() == "{}"


@pytest.mark.child
def test_values_that_claim_equality_are_not_believed(hostile: Assignment) -> None:
    report = graded(hostile, SUBMISSIONS / "always_true.py")
    assert report.score == 0
    assert outcome(report, "add") == ("unsupported", "returned an object of type hostile.Anything")
    assert outcome(report, "secret") == ("unsupported", "returned an object of type hostile.SneakyFloat")
    status, message = outcome(report, "mean")  # the ndarray subclass crosses as plain data: its values count
    assert status == "ok" and "received 0, expected 3" in message


@pytest.mark.child
def test_monkeypatching_the_child_changes_nothing_in_the_grader(hostile: Assignment) -> None:
    report = graded(hostile, SUBMISSIONS / "monkeypatch.py")
    assert report.score == 0
    assert "received 5.5, expected 5" in outcome(report, "add")[1]
    assert not np.allclose(1.0, 2.0) and not math.isclose(1.0, 2.0) and abs(-1) == 1
    with pytest.raises(AssertionError):
        unittest.TestCase().assertEqual(1, 2)


@pytest.mark.child
def test_searching_the_filesystem_finds_no_answer_key(hostile: Assignment) -> None:
    report = graded(hostile, SUBMISSIONS / "find_reference.py")
    # In every mode: the answer key is not read (by a private view, Landlock, or its mode alone).
    assert report.score == 0 and "stolen=False" in report.student_output
    assert "outside_usr_complete=True" in report.student_output  # it did search everything but /usr
    if namespaces_available() or sandbox_host.host().landlock_abi > 0:  # a fenced view: not even the names
        assert "references=[] rubrics=[]" in report.student_output


@pytest.mark.child
def test_without_the_sandbox_the_same_search_succeeds(hostile: Assignment, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: the attack is real, so the test above tests something."""
    force_mode(monkeypatch, "off")
    monkeypatch.chdir(ROOT)
    report = grade(hostile, SUBMISSIONS / "find_reference.py")
    assert report.score == 3, report.student_output


@pytest.mark.child
def test_the_graders_environment_and_memory_are_out_of_reach(tmp_path: Path) -> None:
    secret_env = {"HOSTILE_ANSWER": str(SECRET)}
    out = tmp_path / "results.json"
    with unchanged(HOSTILE):
        _, results = grade_cli(SUBMISSIONS / "proc_snoop.py", out, env=secret_env)
    assert results["score"] == 2, results["extra_data"]
    assert str(SECRET) not in json.dumps(results)
    # The control: without the sandbox, the child reads its parent's /proc and finds the secret.
    _, control = grade_cli(SUBMISSIONS / "proc_snoop.py", out, env={**secret_env, "NUMGRADER_SANDBOX": "off"})
    assert control["score"] == 3


@pytest.mark.child
def test_ending_the_process_fails_only_that_call(hostile: Assignment) -> None:
    report = graded(hostile, SUBMISSIONS / "exit_in_call.py")
    assert report.score == 1 and outcome(report, "add")[0] == "ok"
    assert outcome(report, "mean") == ("exited", "the function ended the process (exit code 0)")
    status, message = outcome(report, "secret")
    assert status == "exited" and message.startswith("the function ended the process")


@pytest.mark.child
def test_a_memory_bomb_at_import(hostile: Assignment) -> None:
    report = graded(hostile, SUBMISSIONS / "memory_bomb_import.py")
    assert report.score == 0
    assert report.import_error == "exceeded the memory limit (1 GiB) while importing the module"


@pytest.mark.child
def test_a_memory_bomb_in_a_call(hostile: Assignment) -> None:
    report = graded(hostile, SUBMISSIONS / "memory_bomb_call.py")
    assert report.score == 1
    assert outcome(report, "mean") == ("memory", "exceeded the memory limit (1 GiB)")


@pytest.mark.child
def test_a_process_killed_while_using_its_memory(tmp_path: Path) -> None:
    assignment = load_assignment(with_limits(HOSTILE_RUBRIC, tmp_path, memory_mb=512, call_seconds=20))
    report = graded(assignment, SUBMISSIONS / "memory_killed.py")
    status, message = outcome(report, "mean")
    assert status == "memory" and message == "exceeded the memory limit (512 MiB): the process was killed by SIGKILL"
    assert report.score == 1


@pytest.mark.child
def test_a_cpu_loop_at_import(hostile: Assignment) -> None:
    started = time.perf_counter()
    report = graded(hostile, SUBMISSIONS / "cpu_loop_import.py")
    assert report.import_error == "exceeded the time limit (2 s) while importing the module"
    assert report.score == 0 and time.perf_counter() - started < 10


@pytest.mark.child
def test_a_cpu_loop_in_a_call(hostile: Assignment) -> None:
    report = graded(hostile, SUBMISSIONS / "cpu_loop_call.py")
    assert outcome(report, "mean") == ("timeout", "exceeded the time limit (1 s)")
    assert report.score == 1 and outcome(report, "secret")[0] == "ok"  # the next call got a fresh child


@pytest.mark.child
def test_detached_children_do_not_survive_grading(hostile: Assignment, tmp_path: Path) -> None:
    submission, mark = sleepers(tmp_path)
    report = graded(hostile, submission)
    assert report.score == 2
    assert survivors(mark) == []


@pytest.mark.child
def test_a_200_mb_flood_of_output_is_cut_and_fast(hostile: Assignment) -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = graded(hostile, SUBMISSIONS / "flood.py")
    elapsed = time.perf_counter() - started
    assert report.score == 2
    kept = 64 * 1024
    assert len(report.student_output) < kept + 200 and "[output cut: " in report.student_output
    cut = int(report.student_output.rsplit("[output cut: ", 1)[1].split()[0])
    assert cut + kept >= 200 * 1024 * 1024  # the whole flood was counted
    assert elapsed < 15  # about 0.5 s here
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 50 * 1024  # KiB: nothing piled up


@pytest.mark.child
def test_deep_recursion_names_the_exception(hostile: Assignment) -> None:
    report = graded(hostile, SUBMISSIONS / "recursion.py")
    status, message = outcome(report, "mean")
    assert status == "exception" and message.startswith("raised RecursionError: maximum recursion depth exceeded")
    assert report.score == 1


@pytest.mark.child
def test_a_crash_names_the_signal(hostile: Assignment) -> None:
    report = graded(hostile, SUBMISSIONS / "crash.py")
    assert outcome(report, "mean") == ("crashed", "the process was killed by SIGSEGV")
    assert report.score == 1


@pytest.mark.child
def test_a_huge_array_is_output_too_large(hostile: Assignment) -> None:
    report = graded(hostile, SUBMISSIONS / "huge_output.py")
    status, message = outcome(report, "mean")
    assert status == "too_large" and message.startswith("output too large")
    assert report.score == 1


class AnswerServer:
    """A loopback server that gives the secret to whoever connects, and counts them."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            with connection:
                connection.sendall(str(SECRET).encode())

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


@pytest.mark.child
def test_the_network_is_cut(hostile: Assignment, tmp_path: Path) -> None:
    server = AnswerServer()
    try:
        submission = tmp_path / "network.py"
        source = (SUBMISSIONS / "network.py").read_text().replace("PORT = 0", f"PORT = {server.port}")
        submission.write_text(source)
        with socket.create_connection(("127.0.0.1", server.port)) as check:  # the server does answer
            assert int(check.recv(64)) == SECRET
        report = graded(hostile, submission)
    finally:
        server.close()
    assert server.connections == 1  # only ours
    assert report.score == 2 and outcome(report, "secret")[0] == "ok"
    assert f"connection to 127.0.0.1:{server.port} failed" in report.student_output


# -- bad files: a clear message, zero points, and `grader grade` still exits 0 -----------------
# (A bad file is refused before any child starts: the tests graded in-process here start none.)

def _zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hostile.py", (SUBMISSIONS / "correct.py").read_text())


BAD_FILES = {
    "not UTF-8": (lambda p: p.write_bytes("def add(a, b):\n    return a + b  # caf\u00e9\n".encode("latin-1")),
                  "is not UTF-8 text (byte 0xE9 on line 2)"),
    "a NUL byte": (lambda p: p.write_bytes(b"def add(a, b):\n    return a + b\x00\n"), "contains a NUL byte (line 2)"),
    "50 MB": (lambda p: p.write_bytes(b"x = 1\n" + b"#" * (50 * 1024 * 1024) + b"\n"), "is too large (50.0 MB"),
    "a zip": (_zip, "is a zip archive, not Python source"),
    "a notebook": (lambda p: p.write_text('{"cells": [], "metadata": {}, "nbformat": 4}'), "is a Jupyter notebook"),
    "a link out": (lambda p: p.symlink_to(HOSTILE_REFERENCE), "is a symbolic link to"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_file_gets_a_clear_message_and_zero(kind: str, hostile: Assignment, tmp_path: Path) -> None:
    make, message = BAD_FILES[kind]
    submission = tmp_path / "hostile.py"
    make(submission)
    report = graded(hostile, submission)
    assert report.score == 0
    assert report.import_error is not None and message in report.import_error, report.import_error
    assert all(r.outcome.status == "import_failed" for r in report.checks)
    assert to_results(report).score == 0


@pytest.mark.child
def test_a_bad_file_still_exits_0_from_the_cli(tmp_path: Path) -> None:
    submission = tmp_path / "hostile.py"
    _zip(submission)
    _, results = grade_cli(submission, tmp_path / "results.json")
    assert results["score"] == 0 and "zip archive" in str(results["output"])


def test_a_folder_where_the_file_was_expected(tmp_path: Path) -> None:
    folder = tmp_path / "hostile.py"
    folder.mkdir()
    with ChildSession(folder, "hostile", load_assignment(HOSTILE_RUBRIC).rubric.limits) as session:
        first = session.start()
        assert first.status == "import_failed" and first.message == "hostile.py is a folder, not a Python file"
        assert session.call("add", [1, 2], 1).status == "import_failed"


@pytest.mark.child
def test_a_folder_where_the_file_was_expected_exits_0_from_the_cli(tmp_path: Path) -> None:
    upload = tmp_path / "upload"
    (upload / "hostile.py").mkdir(parents=True)
    _, results = grade_cli(upload, tmp_path / "results.json")
    assert results["score"] == 0 and "hostile.py is a folder, not a Python file" in str(results["output"])


def test_a_notebook_linking_outside_the_submission_is_refused(hostile: Assignment, tmp_path: Path) -> None:
    secret = tmp_path / "secret.ipynb"
    secret.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "hostile.ipynb").symlink_to(secret)
    report = graded(hostile, upload)
    assert report.score == 0
    assert report.import_error is not None and "is a symbolic link to" in report.import_error


# -- the degraded modes: what must still hold --------------------------------------------------

def _modes() -> list[str]:
    modes = ["nonamespaces"]
    if sandbox_host.host().userns or os.geteuid() == 0:
        modes.append("userns")
    return modes


@pytest.mark.child
@pytest.mark.parametrize("mode", _modes())
def test_degraded_modes_still_hold(mode: str, hostile: Assignment, monkeypatch: pytest.MonkeyPatch,
                                   tmp_path: Path) -> None:
    force_mode(monkeypatch, mode)
    honest = graded(hostile, SUBMISSIONS / "correct.py")
    assert honest.score == 2
    search = graded(hostile, SUBMISSIONS / "find_reference.py")
    assert search.score == 0 and "stolen=True" not in search.student_output
    submission, mark = sleepers(tmp_path)
    report = graded(hostile, submission)
    assert report.score == 2 and survivors(mark) == []
    forged = graded(hostile, SUBMISSIONS / "fake_results.py")
    assert forged.score == 0
    with ChildSession(SUBMISSIONS / "correct.py", "hostile", hostile.rubric.limits) as session:
        assert session.start().ok
        weak = sandbox_report.weaknesses(session.sandbox)
    # Without Landlock (Docker before 23) the filesystem is not fenced, and the report says so: the
    # answer key then holds by its file mode alone (the search above read nothing).
    fenced = sandbox_host.host().landlock_abi != 0
    expected_weak = ("filesystem", "network", "seccomp") if fenced else ("network", "seccomp")
    assert not any(w.startswith(expected_weak) for w in weak), weak
    if sandbox_host.host().landlock_abi == 0:
        assert any(w.startswith("filesystem: NOT isolated") for w in weak), weak


@pytest.mark.child
@root_only
def test_the_child_fails_closed_when_it_cannot_drop_privileges(monkeypatch: pytest.MonkeyPatch) -> None:
    real_plan = policy.make

    def as_root(*args: Any, **kwargs: Any) -> Plan:
        return dataclasses.replace(real_plan(*args, **kwargs), uid=0)

    monkeypatch.setattr(policy, "make", as_root)
    with ChildSession(SUBMISSIONS / "correct.py", "hostile", load_assignment(HOSTILE_RUBRIC).rubric.limits) as session:
        first = session.start()
    assert first.status == "import_failed"
    assert first.message == "the grader's sandbox could not be set up: ValueError: refusing to run as uid 0, gid 0"


def _in_own_pid_namespace(*args: str) -> dict[str, object]:
    """tests/hostile/probes/fail_closed.py in a pid namespace of its own (so that a regression can
    only ever kill that namespace), as root without the sandbox's namespaces. Already inside one
    that is not the machine's first (tests/docker_like.py makes one), it runs there."""
    probe = [sys.executable, str(HOSTILE / "probes" / "fail_closed.py"), *args]
    inside = os.stat("/proc/self/ns/pid").st_ino != INITIAL_PID_NAMESPACE  # e.g. tests/docker_like.py made one
    command = probe if inside else ["unshare", "--pid", "--fork", "--mount-proc", *probe]
    process = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr[-3000:]
    return dict(json.loads(process.stdout.strip().splitlines()[-1]))


@pytest.mark.child
@root_only
@pytest.mark.parametrize(("forced", "why"), [
    (("0",), "the plan names root"),
    (("0", "0"), "the plan names root and a range that holds it"),
    (("65534", "65000"), "the plan names a real account's uid, in a range it claims is the sandbox's"),
])
def test_failing_closed_without_a_pid_namespace_signals_no_other_uid(forced: tuple[str, ...], why: str) -> None:
    """The clean-up of a child that could not (or did not) drop to a leased uid, with no pid
    namespace: canaries running as root and as `nobody` must survive it, and uid_guard refuses
    to sweep root, a real account or the grader itself."""
    seen = _in_own_pid_namespace(*forced)
    assert seen["alive"] == {"root": True, "nobody": True}, why
    assert seen["sent"] == {"root": False, "nobody": False, "self": False}
    if forced[0] == "0":
        assert seen["status"] == "import_failed"
        assert seen["message"] == ("the grader's sandbox could not be set up: "
                                   "ValueError: refusing to run as uid 0, gid 0")


def test_uid_guard_refuses_every_uid_but_a_free_leased_one() -> None:
    base = uids.uid_base()
    assert uid_guard.refusal(base + 1, base) is None  # a leased uid no account has
    assert "below" in str(uid_guard.refusal(0, 0))
    assert "outside" in str(uid_guard.refusal(0, base))
    assert "outside" in str(uid_guard.refusal(base + uid_guard.UID_SLOTS, base))
    assert "own" in str(uid_guard.refusal(os.getuid(), os.getuid())) or os.getuid() < uid_guard.MIN_SANDBOX_UID
    assert "account" in str(uid_guard.refusal(65534, 65000))  # nobody
    assert uid_guard.refusal(True, base) is not None  # type: ignore[arg-type]
    assert not uid_guard.kill_all_of(0, 0) and not uid_guard.kill_all_of(65534, 65000)


@pytest.mark.child
@root_only
def test_the_uid_sweep_kills_what_a_uid_left_behind() -> None:
    lease = uids.UidLease()
    try:
        child = subprocess.Popen(["sleep", "60"], user=lease.uid, group=lease.gid, extra_groups=[],
                                 start_new_session=True)
        time.sleep(0.05)
        assert uids.sweep(lease.uid) == 1
        assert child.wait(timeout=5) == -signal.SIGKILL
        assert uids.sweep(lease.uid) == 0
    finally:
        lease.release()


@pytest.mark.child
@pytest.mark.parametrize("same_group", [False, True])
def test_a_call_cannot_read_ahead_into_a_later_group(same_group: bool) -> None:
    """Requests are pipelined within a group only: reading fd 0 during a visible call finds no
    input of a hidden one. Within one group it does (the control: the attack itself works)."""
    marker = "HIDDEN-INPUT-7731"
    calls = [Call("peek", pack_call("peek", []), 2.0, group=0),
             Call("echo", pack_call("echo", [marker]), 2.0, group=0 if same_group else 1)]
    with ChildSession(SUBMISSIONS / "read_ahead.py", "read_ahead", Limits(call_seconds=2)) as session:
        peeked, echoed = session.run(calls, time.perf_counter() + 20)
    assert peeked.ok
    if same_group:
        assert marker.encode().hex() in peeked.value
    else:
        assert marker.encode().hex() not in peeked.value
        assert echoed.ok and echoed.value == marker
