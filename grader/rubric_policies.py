"""The rubric's policies for a whole submission: the resource limits of its child process and
the late policy (late.py applies it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from grader.rubric_model import Model


class Limits(Model):
    """Resource limits for one submission's child process."""

    call_seconds: float = Field(
        10.0, gt=0, description="wall-clock limit of one call (a check's own `call_seconds` overrides it); a call "
                                "that overruns is killed with its process, and the next call gets a fresh child")
    import_seconds: float = Field(
        10.0, gt=0, description="wall-clock limit for importing the submission (running its top level); an import "
                                "that fails or times out fails every check with that one message")
    submission_seconds: float = Field(
        300.0, gt=0, description="wall-clock limit for all of a submission: the import and every call (the checks "
                                 "not run by then score 0); also the grader's time for judging all its cases")
    memory_mb: int = Field(
        1024, ge=64, description="address-space limit of the child (and of all its processes together where a "
                                 "memory cgroup is available); `grader gradescope build` caps it to what fits the "
                                 "container (docs/gradescope.md)")
    output_kb: int = Field(
        64, ge=1, description="student stdout/stderr kept per submission; the number of bytes cut is recorded")
    message_mb: float = Field(
        64.0, gt=0, description="largest value one call may return, as encoded; a larger answer fails its check")
    # The sandbox's limits (see docs/threat-model.md); each applies to the child process.
    cpu_seconds: float | None = Field(
        None, gt=0, description="CPU time of the child process (default: import_seconds + submission_seconds)")
    file_mb: int = Field(16, ge=1, description="largest file the submission may write")
    disk_mb: int = Field(64, ge=1, description="room for the files it writes (a private tmpfs, then discarded)")
    open_files: int = Field(64, ge=16, description="open file descriptors the child may hold")
    processes: int = Field(32, ge=1, description="processes and threads the submission may run at once")
    source_mb: float = Field(
        2.0, gt=0, description="largest submission file accepted; a larger one is refused before anything runs")
    shared_memory: bool = Field(
        False, description="allow memfd and SysV shared memory (memory no per-process limit counts)")
    # The grader's own work on what a submission sent (docs/threat-model.md, "Bounds").
    judge_seconds: float = Field(
        5.0, gt=0, description="grader-side time to judge one case; past it the check fails as unreadable")
    results_kb: int = Field(
        1024, ge=16, description="largest results.json written: longer texts are cut to fit, and the cut is said")


class LatePolicy(Model):
    """What a late submission costs: a share of its autograded score per hour or day late."""

    due: str | None = Field(
        None, description="the due date with its time zone, ISO 8601 (`2026-10-01T23:59:00-07:00`); used when the "
        "platform gives none: on Gradescope the assignment's due date holds, and each student's own (an extension)")
    penalty: float = Field(gt=0, le=1, description="share of the score taken off per started `per` late (0.1: 10%)")
    per: Literal["hour", "day"] = Field("day", description="the period `penalty` is counted in")
    grace_minutes: float = Field(0.0, ge=0, description="minutes after the deadline that still count as on time")
    max_penalty: float = Field(1.0, gt=0, le=1, description="the most taken off, as a share (0.5: at most half)")
    of: Literal["earned", "possible"] = Field(
        "earned", description="what the share is of: the autograded score earned, or the autograded points possible "
                              "(never below a zero total); manual questions' scores are not touched")

    @field_validator("due", mode="before")
    @classmethod
    def _as_read(cls, value: Any) -> Any:
        """YAML reads an unquoted date and time as a datetime (and a date alone as a date)."""
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"{value.isoformat()!r} has no time zone: write it as 2026-10-01T23:59:00-07:00")
            return value.isoformat()
        if isinstance(value, date):
            raise ValueError(f"{value.isoformat()} is a date without a time: write 2026-10-01T23:59:00-07:00")
        return value

    @field_validator("due")
    @classmethod
    def _a_time(cls, value: str | None) -> str | None:
        if value is not None:
            parse_time(value)
        return value


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with its offset ("2026-10-01T23:59:00-07:00", or a trailing Z); raises
    ValueError saying what to write, also for one without a time zone, which would be read in
    whatever zone the grader runs in."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time such as 2026-10-01T23:59:00-07:00") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone: write it as 2026-10-01T23:59:00-07:00")
    return moment
