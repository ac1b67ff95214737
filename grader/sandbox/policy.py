"""Sandbox policy: the plan for each child, from the rubric's limits and what this machine
allows (host.py). The grader's own process decides here; the child applies the plan
mechanically (jail.py) before any of the student's code runs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grader.sandbox import filters
from grader.sandbox.host import host
from grader.sandbox.plan import LandlockPlan, Namespaces, Plan, Rlimits
from grader.sandbox.uid_guard import UID_SLOTS
from grader.sandbox.uids import uid_base
from grader.sandbox.view import DEVICES, covered, hidden_paths, python_paths, system_view

if TYPE_CHECKING:  # only its fields are read: a plan can be made before pydantic is imported
    from grader.rubric import Limits


def memory_text(limits: Limits) -> str:
    mb = limits.memory_mb
    return f"{mb // 1024} GiB" if mb % 1024 == 0 else f"{mb} MiB"


def make(limits: Limits, workdir: Path, submission: Path, source: Path, mountpoint: Path, uid: int | None,
         hide: Sequence[Path] = (), cgroup: Sequence[str] = (), files: tuple[tuple[str, str], ...] = ()) -> Plan:
    """The plan for one child, from the rubric's limits and what this machine allows."""
    machine = host()
    links, binds = system_view()
    hidden = hidden_paths(hide)
    # A hidden folder inside a bound one (a project kept in /usr/src, a grader installed in
    # site-packages) is covered by an empty read-only tmpfs in the child's view; never one that
    # holds Python itself (the "project" of a grader installed in site-packages is site-packages).
    python = python_paths()
    covers = tuple(h for h in hidden if any(h != b and covered(h, [b]) for b in binds)
                   and not any(covered(p, [h]) for p in python))
    namespaces: Namespaces | None = None
    if machine.mode in ("auto", "userns"):
        namespaces = "root" if machine.root and machine.mode == "auto" else ("user" if machine.userns else None)
    cpu = limits.cpu_seconds if limits.cpu_seconds is not None else limits.submission_seconds + limits.import_seconds
    return Plan(
        mode=machine.mode,
        namespaces=namespaces,
        uid=uid,
        uid_range=(uid_base(), UID_SLOTS) if uid is not None else None,
        links=links,
        binds=binds,
        devices=tuple(d for d in DEVICES if os.path.exists(d)),
        covers=covers,
        workdir=str(workdir),
        submission=str(submission),
        source=str(source),
        mountpoint=str(mountpoint),
        disk_bytes=limits.disk_mb * 1024 * 1024,
        landlock=landlock_plan(machine.landlock_abi, binds, links, workdir, covers),
        seccomp=filters.seccomp_program(machine.arch, limits.shared_memory).hex() if machine.arch else None,
        shared_memory=limits.shared_memory,
        pivot_root=filters.PIVOT_ROOT.get(machine.arch or ""),
        rlimits=Rlimits(address_space=limits.memory_mb * 1024 * 1024, cpu_seconds=math.ceil(cpu),
                        file_bytes=limits.file_mb * 1024 * 1024, open_files=limits.open_files,
                        processes=limits.processes),
        memory_text=memory_text(limits),
        cgroup=tuple(cgroup),
        python_paths=python,
        files=files,
    )


# -- Landlock (the filesystem fence when there is no mount namespace) -------------------------

_LL_EXECUTE, _LL_WRITE_FILE, _LL_READ_FILE, _LL_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_LL_FILE_ONLY = _LL_EXECUTE | _LL_WRITE_FILE | _LL_READ_FILE | (1 << 14) | (1 << 15)  # + TRUNCATE, IOCTL_DEV


def landlock_plan(abi: int, binds: Sequence[str], links: Sequence[tuple[str, str]], workdir: Path,
                  covers: Sequence[str]) -> LandlockPlan | None:
    if abi <= 0:
        return None
    handled = (1 << 13) - 1  # ABI 1: execute .. make_sym
    if abi >= 2:
        handled |= 1 << 13  # refer
    if abi >= 3:
        handled |= 1 << 14  # truncate
    if abi >= 5:
        handled |= 1 << 15  # ioctl_dev
    read = _LL_EXECUTE | _LL_READ_FILE | _LL_READ_DIR
    rules = [(path, read & handled) for path in binds]
    rules += [(os.path.realpath(link), read & handled) for link, _ in links if os.path.isdir(link)]
    rules.append((str(workdir), handled))
    for device in DEVICES:
        if os.path.exists(device):
            rules.append((device, (_LL_READ_FILE | _LL_WRITE_FILE) & handled & _LL_FILE_ONLY))
    for name in ("/proc/cpuinfo", "/proc/meminfo", "/proc/stat"):
        rules.append((name, _LL_READ_FILE))
    return LandlockPlan(abi=abi, handled_fs=handled, handled_net=0b11 if abi >= 4 else 0,
                        scoped=0b11 if abi >= 6 else 0, rules=tuple(rules), uncovered=tuple(covers))


