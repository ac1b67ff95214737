"""Start a submission's calls before the grader has loaded its assignment, from a saved call plan.

Most of a cold `grader grade` is the grader's own start: importing numpy and pydantic,
validating the rubric, preparing the cases. The child needs none of that, only its
requests. A call plan is exactly what it needs, saved by an earlier run of the same rubric:
the submission's file and module name, the limits, and every call's request frame in run
order (grading.planned_calls). With one, `grader grade` forks the child at once and a
thread runs the calls while the grader loads the assignment as always; before anything is
judged, the grader checks that the calls it prepared itself are exactly the plan's (the same
request bytes, limits, groups and file). A plan that differs in anything is dropped and the
submission graded the ordinary way: a plan can make grading faster, never different.

The plan is tied to its rubric and reference files (their sha256, checked before it is
used); it also keeps the rubric file's content as read, so that the grader does not import
and run the YAML parser again for an unchanged file. It holds the hidden inputs (not the
expected outputs): it is kept in the grader's private cache folder (paths.cache_folder:
owner-only, refused when anyone else could write it), which the sandboxed child never sees.
Standard library only until a value is decoded.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from grader import __version__, paths
from grader.boundary.imports import Imports
from grader.boundary.outcome import Call, Outcome
from grader.boundary.session import ChildSession
from grader.errors import GraderError
from grader.submission import locate

if TYPE_CHECKING:
    from grader.rubric import Limits, LoadedRubric, Submission

log = logging.getLogger("grader.boundary.prefetch")
FORMAT = f"5/{__version__}"  # a plan written by another version of the grader is not read
# Prefetched outcomes that are not trusted: those a time limit may have caused (the child ran
# while the grader was busy loading: it competed for the CPU), an import that failed (perhaps
# its time limit too), and an answer that cannot be read (the ordinary run would have given the
# next calls a fresh child). Any of them and the submission is graded the ordinary way.
_UNTRUSTED = ("timeout", "not_run", "import_failed", "protocol")


@dataclass(frozen=True)
class Plan:
    filename: str
    module: str
    limits: dict[str, Any]  # the rubric's validated limits, as model_dump() gave them
    calls: tuple[Call, ...]
    sources: dict[str, str]  # file -> sha256: the plan is used only while these files are unchanged
    rubric_data: Any = None  # the rubric file's content as read (when JSON holds it exactly)
    imports: Imports | None = None  # what the student's code may import


def _plan_path(rubric_path: Path) -> Path | None:
    folder = paths.cache_folder()
    if folder is None:
        return None
    key = hashlib.sha256(str(rubric_path.resolve()).encode()).hexdigest()[:32]
    return folder / f"plan-{key}.json"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def describe(loaded: LoadedRubric, calls: list[Call], sources: list[Path], imports: Imports | None = None) -> Plan:
    rubric = loaded.rubric
    return Plan(rubric.submission.filename, rubric.submission.module_name, rubric.limits.model_dump(),
                tuple(calls), {str(p.resolve()): _digest(p) for p in sources},
                loaded.data if _json_exact(loaded.data) else None, imports)


def _json_exact(data: Any) -> bool:
    """Whether JSON gives `data` back exactly (YAML can also make dates, NaN, non-text keys)."""
    try:
        return bool(json.loads(json.dumps(data, allow_nan=False)) == data)
    except (TypeError, ValueError):
        return False


def save(rubric_path: Path, plan: Plan) -> None:
    """Keep `plan` for the next run of this rubric (a cache: failing to write it is not an error)."""
    path = _plan_path(rubric_path)
    if path is None:
        return
    data = {"format": FORMAT, "filename": plan.filename, "module": plan.module, "limits": plan.limits,
            "sources": plan.sources, "rubric_data": plan.rubric_data,
            "imports": None if plan.imports is None else [list(plan.imports.allowed), list(plan.imports.declared),
                                                          list(plan.imports.installed)],
            "calls": [{"function": c.function, "seconds": c.seconds, "group": c.group,
                       "request": base64.b64encode(c.request).decode("ascii")} for c in plan.calls]}
    with contextlib.suppress(OSError):
        from grader.files import write_atomically

        write_atomically(path, json.dumps(data))
        path.chmod(0o600)


def forget(rubric_path: Path) -> None:
    """Remove this rubric's saved plan, if there is one."""
    path = _plan_path(rubric_path)
    if path is not None:
        path.unlink(missing_ok=True)


def load(rubric_path: Path) -> Plan | None:
    """The saved plan of this rubric, if there is one and its rubric and reference are unchanged."""
    path = _plan_path(rubric_path)
    if path is None:
        return None
    try:
        data = json.loads(path.read_bytes())
        if data.get("format") != FORMAT:
            return None
        sources = {str(k): str(v) for k, v in data["sources"].items()}
        if any(_digest(Path(file)) != digest for file, digest in sources.items()):
            return None
        calls = tuple(Call(str(c["function"]), base64.b64decode(c["request"]), float(c["seconds"]), int(c["group"]))
                      for c in data["calls"])
        imports = data.get("imports")
        return Plan(str(data["filename"]), str(data["module"]), dict(data["limits"]), calls, sources,
                    data.get("rubric_data"), None if imports is None else
                    Imports(tuple(map(str, imports[0])), tuple(map(str, imports[1])), tuple(map(str, imports[2]))))
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None


class Prefetch:
    """The calls of a plan, running in a child on a thread of their own while the grader loads."""

    def __init__(self, plan: Plan, submission: Path) -> None:
        self.plan = plan
        self.submission = submission
        # The limits the plan was saved with; grade() checks them against the rubric's before
        # any of this is used. Only their fields are read (runner.py, sandbox.py).
        limits = cast("Limits", SimpleNamespace(**plan.limits))
        seconds = float(limits.submission_seconds)  # before the session: nothing to clean up if it is missing
        self.session = ChildSession(submission, plan.module, limits, decode=False, imports=plan.imports)
        self.deadline = time.perf_counter() + seconds
        self.first = Outcome("not_run")
        self.outcomes: list[Outcome] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="numgrader-prefetch", daemon=True)
        try:
            self._thread.start()
        except BaseException:
            self.session.close()
            raise

    def _run(self) -> None:
        try:
            self.first = self.session.start()
            if not self.first.ok:
                return
            for outcome in self.session.run(self.plan.calls, self.deadline):
                self.outcomes.append(outcome)
                if outcome.status in _UNTRUSTED:
                    # Stop here: these outcomes will not be used, and the ordinary run that
                    # replaces them gets the submission's whole time from its own start.
                    self.session.stop()
                    return
        except BaseException as error:  # reported by take(): the ordinary path then runs
            self._error = error

    def take(self, submission: Path, spec: Submission, limits: Limits, calls: list[Call],
             imports: Imports | None = None) -> bool:
        """Whether these prefetched outcomes are the ones `calls` on `submission` would get now;
        waits for them when they are. When they are not, the child is stopped."""
        same = (submission == self.submission and spec.filename == self.plan.filename
                and spec.module_name == self.plan.module
                and limits.model_dump() == self.plan.limits and tuple(calls) == self.plan.calls
                and imports == self.plan.imports)
        if not same:
            log.info("numgrader: the saved call plan is out of date; grading the ordinary way")
            self.close()
            return False
        self._thread.join()
        if self._error is not None:
            log.warning("numgrader: prefetching failed (%s); grading the ordinary way", self._error)
            self.close()
            return False
        self.outcomes = [outcome.decoded() for outcome in self.outcomes]
        if len(self.outcomes) != len(calls) or not usable(self.first, self.outcomes):
            log.info("numgrader: a prefetched call timed out or sent what cannot be read; grading the ordinary way")
            self.close()
            return False
        return True

    def close(self) -> None:
        """Stop the child (if it still runs) and clean up; safe to call twice."""
        if self._thread.is_alive():
            self.session.cancel()
            self._thread.join()
        self.session.close()


def usable(first: Outcome, outcomes: list[Outcome]) -> bool:
    """Whether decoded prefetched outcomes can stand for the ordinary run's (see _UNTRUSTED)."""
    return first.ok and not any(o.status in _UNTRUSTED for o in outcomes)


def start(rubric_path: Path, submission: Path) -> Prefetch | None:
    """Start prefetching when this rubric has a current plan and the submission is a .py file."""
    plan = load(rubric_path)
    if plan is None:
        return None
    try:
        path = locate(submission, plan.filename)
    except GraderError:
        return None  # the ordinary path says what is wrong
    if path.suffix != ".py":
        return None  # a notebook is converted first: the ordinary path
    try:
        return Prefetch(plan, path)
    except Exception as error:  # e.g. a plan whose limits this grader cannot use: grade the ordinary way
        log.warning("numgrader: cannot prefetch (%s: %s)", type(error).__name__, error)
        return None
