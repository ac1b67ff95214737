"""Gradescope: the supervisor of one run, which never loses a result.

`grader gradescope run` is a small supervisor (its own code uses the standard library only:
about 20 MB; a test imports it in a fresh interpreter to prove it) that starts the grading in a
worker process (worker.py) and waits for it, at most until the run's deadline:
  - the worker grades and hands its results.json to the supervisor, which writes it into place;
  - a grader bug in the worker becomes `error_results`: a zero with a hidden test for instructors;
  - a worker that crashes, is killed (out of memory) or hangs past the deadline is replaced by
    the fallback the worker prepared after loading the rubric: every check listed as not run, and
    a hidden test saying what happened and the end of the worker's log;
  - `run_autograder` wraps `run` in coreutils `timeout` and writes static results if even the
    supervisor failed.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from grader.boundary.environment import signal_name
from grader.files import write_atomically
from grader.gradescope.budgets import TimeBudget
from grader.gradescope.container import AutograderPaths, read_submission_metadata
from grader.gradescope.memory import peak_rss_mb


def minimal_error_results(message: str) -> dict[str, Any]:
    """error_results(message) as plain data, for the supervisor (which never imports pydantic)."""
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output": "The autograder could not grade this submission: a problem in the grader, not in your work. "
                  "The error is recorded in these results, where course staff can see it; please contact them.",
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [{
            "name": "Autograder error", "number": "0", "score": 0.0, "max_score": 0.0, "status": "failed",
            "output": message, "visibility": "hidden", "tags": ["grader-error"], "extra_data": {},
        }],
        "extra_data": {"grader_error": message},
    }



class _Terminated(Exception):
    """SIGTERM (run_autograder's `timeout`) reached the supervisor."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated(signum)


def _become_subreaper() -> None:
    """Adopt the worker's orphans (a double-forked child), so they can be found and stopped."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER (Linux)


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (Linux); empty where there is no /proc."""
    parents: dict[int, int] = {}
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()  # the name may hold spaces and brackets
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _stop_descendants(keep: set[int]) -> None:
    """SIGKILL every process below this one that was not there before the worker started, and reap them."""
    for _ in range(10):
        left = _descendants(os.getpid()) - keep
        if not left:
            return
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for _ in range(50):  # our own children (the worker, adopted orphans) are reaped here
            waiting = False
            for pid in left:
                try:
                    done, _status = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:  # not our child, or reaped already
                    continue
                waiting = waiting or done == 0
            if not waiting:
                break
            time.sleep(0.01)


def _exit_problem(code: int) -> str:
    if code < 0:
        name = signal_name(-code)
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        return f"the grader was killed by {name}{hint}"
    return f"the grader exited with status {code} without results"


def _accept(path: Path) -> str | None:
    """The worker's results, if they are there and look like results, with the supervisor's peak memory."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not (isinstance(data, dict) and isinstance(data.get("score"), int | float)
            and isinstance(data.get("tests"), list) and isinstance(data.get("extra_data"), dict)):
        return None
    info = data["extra_data"].get("autograder")
    if isinstance(info, dict):
        info["supervisor_peak_rss_mb"] = peak_rss_mb()
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def fallback_results(work_dir: Path, problem: str, metadata: dict[str, Any]) -> str:
    """The worker's prepared not-run results (or minimal ones), with what happened filled in."""
    data: Any = None
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError):
        data = json.loads((work_dir / "fallback.json").read_text(encoding="utf-8"))
    usable = isinstance(data, dict) and isinstance(data.get("tests"), list) and isinstance(data.get("extra_data"), dict)
    if not usable:
        data = minimal_error_results(problem)
    for test in data["tests"]:
        if isinstance(test, dict) and "grader-error" in test.get("tags", []):
            test["output"] = problem
    data["extra_data"]["grader_error"] = problem
    data["extra_data"]["gradescope"] = metadata
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _log_tail(log: Path, limit: int = 4000) -> str:
    try:
        data = log.read_bytes()
    except OSError:
        return ""
    text = data[-limit:].decode("utf-8", errors="replace")
    return ("..." if len(data) > limit else "") + text


def _run_worker(paths: AutograderPaths, name: str | None, budget: TimeBudget, memory_mb: int,
                work_dir: Path, started: float, keep: set[int]) -> str | None:
    """Start the worker and wait for it until the budget's stop; what went wrong, or None."""
    deadline = time.time() + budget.grading_window - (time.monotonic() - started)
    command = [sys.executable, "-m", "grader", "gradescope", "run", "--root", str(paths.root),
               "--timeout", repr(budget.timeout), "--memory-mb", str(memory_mb),
               "--worker-dir", str(work_dir), "--grading-deadline", repr(deadline)]
    if name:
        command += ["--assignment", name]
    with open(work_dir / "worker.log", "wb") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   cwd=work_dir, start_new_session=True)
        try:
            code = process.wait(max(0.0, budget.stop_after - (time.monotonic() - started)))
            return None if code == 0 else _exit_problem(code)
        except subprocess.TimeoutExpired:
            return (f"the grader did not finish within {budget.stop_after:g} s of the run "
                    f"(Gradescope's time-out: {budget.timeout:g} s) and was stopped")
        except _Terminated:
            return "the grader was stopped by SIGTERM (run_autograder's time-out?)"
        finally:
            _stop_descendants(keep)
            process.wait()


def supervise(paths: AutograderPaths, name: str | None, timeout: float, memory_mb: int) -> int:
    """Run the worker until the deadline; always leave a valid results.json. Exit 0 when it is written."""
    started = time.monotonic()
    written = False
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        paths.results.parent.mkdir(parents=True, exist_ok=True)
        paths.results.unlink(missing_ok=True)  # only this run's results may be left there
        keep = _descendants(os.getpid())
        _become_subreaper()
        with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as folder:
            work_dir = Path(folder)
            problem = _run_worker(paths, name, TimeBudget(timeout), memory_mb, work_dir, started, keep)
            sys.stdout.write(_log_tail(work_dir / "worker.log", 100_000))
            text = None if problem else _accept(work_dir / "results.json")
            if text is None:
                problem = problem or "the grader wrote no readable results"
                tail = _log_tail(work_dir / "worker.log")
                message = f"{problem}.\n\nThe end of its log:\n{tail}" if tail else f"{problem}."
                text = fallback_results(work_dir, message, read_submission_metadata(paths.metadata))
                print(f"grader gradescope run: {problem}; wrote the fallback results", file=sys.stderr)
            write_atomically(paths.results, text)
            written = True
    except BaseException as error:  # the last guard in Python: results, whatever happened here
        if written:
            return 0
        message = f"the autograder's supervisor failed: {type(error).__name__}: {error}"
        try:
            write_atomically(paths.results, json.dumps(minimal_error_results(message), indent=2) + "\n")
        except BaseException:
            return 2
        print(f"grader gradescope run: {message}", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
