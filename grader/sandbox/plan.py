"""The child's instructions: a typed record the parent makes (policy.py) and the child applies
(jail.py).

It crosses to the child as JSON (`to_json` / `from_json`), so nothing of the parent's memory
reaches the child; every decision the child makes reads one of its fields.

What a child gets, strongest first (each layer is tried, and the child reports which held):
  - as root: a dedicated unprivileged uid and gid per session, no supplementary groups;
    not root: an unprivileged user namespace when the kernel allows one (no capabilities
    left), otherwise the grader's own user;
  - a private mount namespace whose root is a fresh tmpfs holding read-only binds of the
    system folders and of Python, and a copy of the submission: the reference, the rubrics,
    the results and the grader's files are simply not there. Without namespaces, Landlock
    (Linux >= 5.13) restricts the same allow-list instead;
  - new network (no interfaces up), pid, IPC, UTS and cgroup namespaces: when the session
    ends its init dies and the kernel kills every process left in it;
  - a seccomp filter refusing IP sockets, new namespaces, ptrace, mount, keyrings, bpf,
    io_uring and other kernel attack surface (filters.py);
  - resource limits (address space, CPU, file size, open files, processes), set after the
    privilege drop; every fd above 2 closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from grader.sandbox.view import PRELOAD

# NUMGRADER_SANDBOX (host.py); "portable": no sandbox on this OS (grader/boundary/portable.py)
Mode = Literal["auto", "off", "userns", "nonamespaces", "portable"]
Namespaces = Literal["root", "user"]  # root: a uid of its own inside namespaces; user: a user namespace


@dataclass(frozen=True)
class LandlockPlan:
    abi: int
    handled_fs: int  # the access rights this ruleset handles (everything the ABI knows)
    handled_net: int  # bind_tcp, connect_tcp: refused (ABI 4)
    scoped: int  # abstract unix sockets, signals outside the sandbox (ABI 6)
    rules: tuple[tuple[str, int], ...]  # (path, access allowed beneath it)
    uncovered: tuple[str, ...]  # hidden folders inside allowed ones: Landlock cannot carve them out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LandlockPlan:
        return cls(**{**data, "rules": tuple((str(p), int(a)) for p, a in data["rules"]),
                      "uncovered": tuple(data["uncovered"])})


@dataclass(frozen=True)
class Rlimits:
    """Resource limits, soft = hard except CPU (SIGXCPU first, then SIGKILL a second later)."""

    address_space: int
    cpu_seconds: int
    file_bytes: int
    open_files: int
    processes: int  # RLIMIT_NPROC counts every process of the real uid: set only for a uid of its own

    def settings(self) -> Iterator[tuple[str, int, int]]:
        """(RLIMIT_ name, soft, hard), in the order they are set."""
        yield "AS", self.address_space, self.address_space
        yield "CPU", self.cpu_seconds, self.cpu_seconds + 1
        yield "FSIZE", self.file_bytes, self.file_bytes
        yield "NOFILE", self.open_files, self.open_files
        yield "NPROC", self.processes, self.processes
        yield "CORE", 0, 0


@dataclass(frozen=True)
class Plan:
    mode: Mode
    namespaces: Namespaces | None  # None: none are tried
    uid: int | None  # the session's own uid (and gid), when the grader is root
    uid_range: tuple[int, int] | None  # (first uid, how many): what P0 may sweep (uid_guard)
    links: tuple[tuple[str, str], ...]  # symlinks of the new root (merged-/usr systems)
    binds: tuple[str, ...]  # folders bound read-only
    devices: tuple[str, ...]
    covers: tuple[str, ...]  # hidden folders inside bound ones, covered by an empty tmpfs
    workdir: str  # the student's folder and file (the same paths inside the sandbox)
    submission: str
    source: str  # the pristine copy the child copies from
    mountpoint: str  # where the new root is built (a folder the student can never write)
    disk_bytes: int
    landlock: LandlockPlan | None
    seccomp: str | None  # the BPF program, hex
    shared_memory: bool
    pivot_root: int | None  # the system call's number on this CPU
    rlimits: Rlimits
    memory_text: str
    cgroup: tuple[str, ...] = ()  # cgroup.procs files the child's first process joins (cgroup.py)
    python_paths: tuple[str, ...] = ()
    preload: tuple[str, ...] = field(default=PRELOAD)
    files: tuple[tuple[str, str], ...] = ()  # the submission's other files: (path in workdir, pristine copy)

    @property
    def gid(self) -> int | None:
        return self.uid

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        """The plan the parent sent (trusted: it crosses before any student code runs)."""
        landlock = data["landlock"]
        return cls(**{
            **data,
            "uid_range": None if data["uid_range"] is None else tuple(data["uid_range"]),
            "links": tuple(tuple(link) for link in data["links"]),
            "files": tuple((str(name), str(source)) for name, source in data.get("files", ())),
            **{name: tuple(data[name]) for name in ("binds", "devices", "covers", "cgroup", "python_paths",
                                                    "preload")},
            "landlock": None if landlock is None else LandlockPlan.from_json(landlock),
            "rlimits": Rlimits(**data["rlimits"]),
        })
