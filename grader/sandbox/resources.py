"""The sandbox's resources for one session: a leased uid and, where the machine allows, a
memory cgroup (both only when the grader is root), and the plan made with them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grader.sandbox import cgroup, policy
from grader.sandbox.host import enabled, host
from grader.sandbox.plan import Plan
from grader.sandbox.uids import UidLease, sweep, sweep_files

if TYPE_CHECKING:
    from grader.rubric import Limits


class SessionSandbox:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.enabled = enabled()
        self.lease: UidLease | None = None
        self.cgroup: cgroup.SandboxCgroup | None = None
        self._oom_kills = 0
        if self.enabled and host().root:
            self.lease = UidLease()
            try:
                self.cgroup = cgroup.create(f"numgrader-{self.lease.uid}", limits.memory_mb * 1024 * 1024,
                                            limits.processes)
            except BaseException:
                self.release()
                raise

    @property
    def uid(self) -> int | None:
        return self.lease.uid if self.lease is not None else None

    def plan(self, workdir: Path, submission: Path, source: Path, mountpoint: Path, hide: Sequence[Path],
             files: tuple[tuple[str, str], ...] = ()) -> Plan:
        """The next child's plan; its memory cgroup's OOM kills are counted from now."""
        self._oom_kills = self.cgroup.oom_kills() if self.cgroup else 0
        return policy.make(self.limits, workdir, submission, source, mountpoint, self.uid, hide,
                           self.cgroup.procs if self.cgroup else (), files)

    def oom_killed(self) -> bool:
        """Did the memory cgroup kill a process of the child since its plan was made?"""
        return self.cgroup is not None and self.cgroup.oom_kills() > self._oom_kills

    def sweep(self) -> None:
        """Kill whatever still runs as the session's uid (no pid namespace did it)."""
        if self.lease is not None:
            sweep(self.lease.uid)

    def sweep_files(self, keep: Iterable[Path]) -> None:
        """Remove what the session's uid left in the shared temporary folders (no private filesystem
        kept it in the child's own), but the session's own folders (`keep`)."""
        if self.lease is not None:
            sweep_files(self.lease.uid, keep=keep)

    def release(self) -> None:
        if self.cgroup is not None:  # empty now: every process of the session has ended
            cgroup.release(self.cgroup)
            self.cgroup = None
        if self.lease is not None:
            self.lease.release()
            self.lease = None
