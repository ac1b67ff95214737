"""A memory cgroup around one sandbox: a bound on all of a submission's memory together.

RLIMIT_AS bounds one process's address space; it does not count memfd pages, SysV shared
memory, or the sum over 32 processes (4 of 300 MB each pass every per-process limit). A memory
cgroup counts all of it. Where the grader may make one (root on cgroup v1, or a cgroup v2
subtree whose parent delegates the memory controller), each session gets its own, under the
grader's own cgroup:
  v2  memory.max = the rubric's memory_mb, memory.swap.max = 0, pids.max = processes;
  v1  memory.limit_in_bytes and memory.memsw.limit_in_bytes (no swap) in the memory hierarchy,
      pids.max in the pids hierarchy.
The child's first process joins it (writes its pid to cgroup.procs) before it forks the
student's, so every process of the submission is inside. Elsewhere (Docker mounts cgroups read
only, a normal user owns no cgroup) there is none: the sandbox says so, and oom_score_adj and
the seccomp refusal of shared memory are what remain (docs/threat-model.md).
`NUMGRADER_SANDBOX_CGROUP=off` turns it off. Standard library only.
"""

from __future__ import annotations

import atexit
import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class SandboxCgroup:
    """The folders of one session's cgroup (one on v2; memory and pids on v1)."""

    name: str
    folders: tuple[str, ...]
    version: int
    memory_bytes: int
    pids: int

    @property
    def procs(self) -> list[str]:
        return [os.path.join(folder, "cgroup.procs") for folder in self.folders]

    def oom_kills(self) -> int:
        """How many of the sandbox's processes the kernel killed for its memory limit so far."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        for folder in self.folders:
            with contextlib.suppress(OSError, ValueError):
                for line in Path(folder, name).read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        return 0

    def empty(self) -> bool:
        try:
            return all(not Path(path).read_text().strip() for path in self.procs)
        except OSError:
            return False

    def limit(self) -> bool:
        """(Re)write the limits; False if the cgroup is gone."""
        files = ([("memory.max", self.memory_bytes), ("memory.swap.max", 0), ("pids.max", self.pids)]
                 if self.version == 2 else
                 [("memory.limit_in_bytes", self.memory_bytes), ("memory.memsw.limit_in_bytes", self.memory_bytes),
                  ("pids.max", self.pids)])
        written = False
        for folder in self.folders:
            for name, value in files:
                if Path(folder, name).exists():
                    written = _write(Path(folder, name), str(value)) or written
        return written

    def remove(self) -> None:
        """Remove the folders (once every process in them has ended)."""
        for folder in self.folders:
            with contextlib.suppress(OSError):
                os.rmdir(folder)


def _own_paths() -> dict[str, str]:
    """This process's cgroup per controller ("" for v2's unified hierarchy)."""
    paths: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                paths[controller] = path
    return paths


def _write(path: Path, text: str) -> bool:
    try:
        path.write_text(text)
        return True
    except OSError:
        return False


def _fresh(folder: Path) -> Path | None:
    """`folder`, made anew (one left by a grader that died is reused if empty)."""
    try:
        folder.mkdir(mode=0o755)
    except FileExistsError:
        with contextlib.suppress(OSError):
            folder.rmdir()
        try:
            folder.mkdir(mode=0o755)
        except OSError:
            return None
    except OSError:
        return None
    return folder


# Making and removing a memory cgroup costs the kernel several milliseconds (v1): a process
# keeps its sessions' cgroups, empty, for its next session of the same uid, and removes them when
# it exits (atexit; a batch worker also from multiprocessing's exit hook). A grader that is killed
# leaves its empty `numgrader-<uid>` folders behind: at most one per sandbox uid, and the next
# session of that uid, in any process, removes and remakes it (_fresh).
_idle: dict[str, SandboxCgroup] = {}


def create(name: str, memory_bytes: int, pids: int) -> SandboxCgroup | None:
    """A cgroup for one session, or None where this machine gives the grader none."""
    if os.environ.get("NUMGRADER_SANDBOX_CGROUP", "").strip().lower() in ("off", "0", "no"):
        return None
    kept = _idle.pop(name, None)
    if kept is not None:
        # Written again each time: another process leasing the same uid may have remade it.
        if (kept.memory_bytes, kept.pids) == (memory_bytes, pids) and kept.empty() and kept.limit():
            return kept
        kept.remove()
    own = _own_paths()
    made = None
    if "" in own and (ROOT / "cgroup.controllers").exists():
        made = _create_v2(name, ROOT / own[""].lstrip("/") / name, memory_bytes, pids)
    elif "memory" in own and (ROOT / "memory").is_dir():
        made = _create_v1(name, own, memory_bytes, pids)
    if made is not None and not _registered:
        _register_exit()
    return made


def release(made: SandboxCgroup) -> None:
    """A session is over (every process of it has ended): keep its cgroup for the next one."""
    if made.empty():
        _idle.setdefault(made.name, made)
    else:
        made.remove()


def remove_idle() -> None:
    """Remove the cgroups kept for later sessions (at exit)."""
    while _idle:
        _idle.popitem()[1].remove()


_registered = False


def _register_exit() -> None:
    global _registered
    _registered = True
    atexit.register(remove_idle)


def _create_v2(name: str, folder: Path, memory_bytes: int, pids: int) -> SandboxCgroup | None:
    if not _fresh(folder):
        return None
    try:
        controllers = (folder / "cgroup.controllers").read_text().split()
    except OSError:
        controllers = []
    ok = "memory" in controllers and _write(folder / "memory.max", str(memory_bytes))
    if ok and (folder / "memory.swap.max").exists():  # absent when the kernel accounts no swap
        ok = _write(folder / "memory.swap.max", "0")
    if ok and "pids" in controllers:
        _write(folder / "pids.max", str(pids))
    if not ok:
        with contextlib.suppress(OSError):
            folder.rmdir()
        return None
    return SandboxCgroup(name, (str(folder),), 2, memory_bytes, pids)


def _create_v1(name: str, own: dict[str, str], memory_bytes: int, pids: int) -> SandboxCgroup | None:
    memory = _fresh(ROOT / "memory" / own["memory"].lstrip("/") / name)
    if memory is None:
        return None
    if not _write(memory / "memory.limit_in_bytes", str(memory_bytes)):
        with contextlib.suppress(OSError):
            memory.rmdir()
        return None
    if (memory / "memory.memsw.limit_in_bytes").exists():
        _write(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))
    folders = [str(memory)]
    if "pids" in own and (ROOT / "pids").is_dir():
        tasks = _fresh(ROOT / "pids" / own["pids"].lstrip("/") / name)
        if tasks is not None and _write(tasks / "pids.max", str(pids)):
            folders.append(str(tasks))
    return SandboxCgroup(name, tuple(folders), 1, memory_bytes, pids)


def join(procs: list[str]) -> bool:
    """In the child's first process, as root: move this process into the sandbox's cgroup."""
    try:
        for path in procs:
            with open(path, "w") as stream:
                stream.write(str(os.getpid()))
    except OSError:
        return False
    return True
