"""The budgets that keep a run inside Gradescope's limits (standard library only: the supervisor
reads them before anything heavy is imported).

From Gradescope's documented defaults (768 MB of memory per container, a 10 minute overall
time-out, both raised in the assignment's Autograder Settings; pass the new values to the
build as --memory-mb and --timeout):
  memory  the container holds the grader (GRADER_BASE_MB, plus MESSAGE_COPIES times the largest
          value a call may return, `limits.message_mb`) and the child, whose limit is the rubric's
          `limits.memory_mb`, capped to what is left. The container's own cgroup limit, when it
          is lower than the configured one, wins.
  time    the worker starts no check after `TimeBudget.grading_window` (the rubric's
          `submission_seconds` is capped to fit, so the checks left are recorded as not run);
          the supervisor stops the worker at `stop_after`; run_autograder's `timeout` stops the
          supervisor at `shell_after`; Gradescope's own time-out comes last.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.errors import GraderError

if TYPE_CHECKING:
    from grader.assignment import Assignment
    from grader.rubric import Limits

# Gradescope's documented defaults (docs: "Troubleshooting"): 768 MB per container, 10 minutes.
GRADESCOPE_MEMORY_MB = 768
GRADESCOPE_TIMEOUT_S = 600.0

# The grader's own processes: the supervisor (~11 MB) and the worker with numpy, sympy, pydantic,
# the rubric, the reference and its cases (~85 MB peak for the course's second homework, Python 3.11); the rest
# is headroom (page tables, the shell, a larger rubric). The worker reports its peak in extra_data.
GRADER_BASE_MB = 128
# While the parent reads a returned value it holds it about four times over (the read buffer, the
# frame, its copy and the decoded value): measured 3.8x for a 60 MB array.
MESSAGE_COPIES = 4
# The least a child that imports numpy is given (it maps ~140 MB of address space on its own).
MIN_CHILD_MB = 256

# What the student reads in a check the run could not reach.
NOT_RUN_REASON = "the autograder stopped before this check; why is recorded in these results for course staff"
_PLACEHOLDER = "(filled in by the supervisor)"





def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


@dataclass(frozen=True)
class TimeBudget:
    """Deadlines within Gradescope's overall time-out, in seconds from the start of the run."""

    timeout: float = GRADESCOPE_TIMEOUT_S

    @property
    def shell_after(self) -> float:
        """run_autograder's `timeout` ends the supervisor (600 s: at 590 s)."""
        return self.timeout - _clamp(0.02 * self.timeout, 1, 10)

    @property
    def stop_after(self) -> float:
        """The supervisor stops the worker and writes the fallback (600 s: at 540 s)."""
        return self.timeout - _clamp(0.10 * self.timeout, 2, 60)

    @property
    def grading_window(self) -> float:
        """The worker starts no check after this (600 s: 520 s), leaving time to write results."""
        return self.stop_after - _clamp(0.05 * self.timeout, 1, 20)


@dataclass(frozen=True)
class MemoryBudget:
    """How the container's memory is shared between the grader and the child."""

    container_mb: int
    grader_mb: int
    child_mb: int
    requested_mb: int  # the rubric's limits.memory_mb

    @property
    def capped(self) -> bool:
        return self.child_mb < self.requested_mb

    @property
    def needed_mb(self) -> int:
        """The container memory that would keep the rubric's own child limit."""
        return self.grader_mb + self.requested_mb

    def describe(self) -> str:
        text = (f"container {self.container_mb} MB: grader {self.grader_mb} MB "
                f"+ child limit {self.child_mb} MB = {self.grader_mb + self.child_mb} MB")
        if self.capped:
            text += f" (the rubric asks {self.requested_mb} MB: capped)"
        return text


def memory_budget(limits: Limits, container_mb: int) -> MemoryBudget:
    """The child's memory limit that fits the container beside the grader; raises if none does."""
    grader_mb = GRADER_BASE_MB + math.ceil(MESSAGE_COPIES * limits.message_mb)
    room = container_mb - grader_mb
    if room < MIN_CHILD_MB:
        raise GraderError(
            f"a {container_mb} MB container leaves the child {room} MB after the grader's {grader_mb} MB "
            f"({GRADER_BASE_MB} MB + {MESSAGE_COPIES} x limits.message_mb = {limits.message_mb:g} MB); "
            f"it needs at least {MIN_CHILD_MB} MB: lower limits.message_mb in the rubric, or raise the "
            f"container's memory in Gradescope's Autograder Settings and pass it as --memory-mb")
    return MemoryBudget(container_mb, grader_mb, min(limits.memory_mb, room), limits.memory_mb)


def cgroup_memory_limit_mb(proc_cgroup: Path = Path("/proc/self/cgroup"),
                           mount: Path = Path("/sys/fs/cgroup")) -> int | None:
    """This process's cgroup memory limit in MB (the lowest on its path), or None if unlimited/unknown."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        lines = []
    candidates: list[Path] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        relative = Path(path.lstrip("/"))
        if hierarchy == "0" and controllers == "":  # cgroup v2
            base, name = mount, "memory.max"
        elif "memory" in controllers.split(","):  # cgroup v1
            base, name = mount / "memory", "memory.limit_in_bytes"
        else:
            continue
        for folder in (relative, *relative.parents):
            candidates.append(base / folder / name)
    candidates += [mount / "memory.max", mount / "memory" / "memory.limit_in_bytes"]
    limits = []
    for candidate in candidates:
        try:
            text = candidate.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 50:  # v1 writes a huge number for "no limit"
            limits.append(int(text) // (1024 * 1024))
    return min(limits) if limits else None


def container_memory_mb(configured: int) -> int:
    """The memory to plan for: the configured container size, or the cgroup's limit if lower."""
    detected = cgroup_memory_limit_mb()
    return configured if detected is None else min(configured, detected)


def fit_to_gradescope(assignment: Assignment, memory: MemoryBudget, seconds_left: float) -> Assignment:
    """The assignment with its child memory limit and submission time capped to the run's budgets.

    grade() stops starting calls at `submission_seconds`; a call that restarts the child may then
    still spend `import_seconds`, so that much is kept in reserve.
    """
    limits = assignment.rubric.limits
    # Whole seconds (what students read in "not run: the time limit (N s) was reached"), at least one.
    available = seconds_left - limits.import_seconds
    seconds = limits.submission_seconds if available >= limits.submission_seconds else max(math.floor(available), 1)
    fitted = limits.model_copy(update={"memory_mb": memory.child_mb, "submission_seconds": seconds})
    rubric = assignment.rubric.model_copy(update={"limits": fitted})
    return dataclasses.replace(assignment, loaded=dataclasses.replace(assignment.loaded, rubric=rubric))
