"""What the benchmarks read from /proc: the memory of a process tree, and CPU time.

Standard library only, Linux only; imported by the benchmark scripts (any python3 >= 3.10 runs it,
the project's .venv or not). Nothing here starts or signals a process.

Memory, in bytes:
  descendants(root)   the pids below `root` (and `root`), found from the parent pid in every
                      /proc/PID/stat (which, unlike /proc/PID/task/TID/children, every kernel has)
  rss(pid), pss(pid)  resident set (/proc/PID/statm), proportional set (/proc/PID/smaps_rollup:
                      shared pages divided among the processes that share them)
  tree_memory(root)   their sums over the tree, and the root's own RSS
  TreeSampler         the peaks of tree_memory, sampled every `interval` seconds by a thread

CPU, in seconds:
  busy_ticks()        clock ticks the whole machine was busy (all of /proc/stat's first line but
                      idle and iowait); divide by CLK_TCK
  cpu_snapshot()      (wall, machine busy, this process and its waited children), for
  others_cores(a, b)  the average number of cores OTHER processes kept busy between two snapshots
  process_cpu(pid)    a process's own CPU and that of the children it waited for (/proc/PID/stat)

A process that ends while it is being read counts as 0 (its memory) or is left out.

Importing this module adds nothing that runs at fork (threading is imported by TreeSampler only):
what a fork costs depends on it (sandbox_cost.py --part structure forks from a process that
imported this).
"""

from __future__ import annotations

import os
import time
from typing import NamedTuple

PAGE = os.sysconf("SC_PAGE_SIZE")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# -- memory ----------------------------------------------------------------------------------


def children_map() -> dict[int, list[int]]:
    """Every process's children, by parent pid (one pass over /proc)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])  # after "pid (comm) state"
        children.setdefault(ppid, []).append(int(name))
    return children


def descendants(root: int, *, include_root: bool = True) -> list[int]:
    """`root`'s children, their children, and so on (and `root` first, unless include_root=False)."""
    children = children_map()
    tree, todo = ([root] if include_root else []), list(children.get(root, []))
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def rss(pid: int) -> int:
    """Resident set size of `pid` in bytes (the same counter as VmRSS); 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def pss(pid: int) -> int:
    """Proportional set size of `pid` in bytes; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class TreeMemory(NamedTuple):
    rss: int        # sum of RSS over the tree (shared pages count once per process)
    pss: int        # sum of PSS over the tree
    root_rss: int   # RSS of the root alone (0 when it is not part of the tree)
    processes: int  # processes in the tree


def tree_memory(root: int | None = None, *, include_root: bool = False) -> TreeMemory:
    """The memory of `root`'s tree (default: this process's descendants, not itself)."""
    root = os.getpid() if root is None else root
    tree = descendants(root, include_root=include_root)
    sizes = {pid: rss(pid) for pid in tree}
    return TreeMemory(sum(sizes.values()), sum(pss(pid) for pid in tree), sizes.get(root, 0), len(tree))


class TreeSampler:
    """`with TreeSampler(interval) as s: ...`: the peaks of tree_memory(root, include_root=...)
    while the block runs, sampled every `interval` seconds by a daemon thread (and once at the
    start). Each peak is the largest of its own samples; `peak_procs` is the size of the tree
    when the RSS peaked."""

    def __init__(self, interval: float, root: int | None = None, *, include_root: bool = False) -> None:
        import threading

        self.interval = interval
        self.root = root
        self.include_root = include_root
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_root_rss = 0
        self.peak_procs = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            memory = tree_memory(self.root, include_root=self.include_root)
            if memory.rss > self.peak_rss:
                self.peak_rss, self.peak_procs = memory.rss, memory.processes
            self.peak_pss = max(self.peak_pss, memory.pss)
            self.peak_root_rss = max(self.peak_root_rss, memory.root_rss)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# -- CPU -------------------------------------------------------------------------------------


def busy_ticks() -> int:
    """Clock ticks the machine's CPUs spent busy since boot: all but idle and iowait."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)


class CpuSnapshot(NamedTuple):
    wall: float  # time.perf_counter()
    busy: float  # CPU seconds the whole machine was busy
    own: float   # CPU seconds (user + system) of this process and the children it waited for


def cpu_snapshot() -> CpuSnapshot:
    busy = busy_ticks() / CLK_TCK
    own = os.times()
    return CpuSnapshot(time.perf_counter(), busy, own.user + own.system + own.children_user + own.children_system)


def others_cores(before: CpuSnapshot, after: CpuSnapshot) -> float:
    """Average number of cores that OTHER processes kept busy between two snapshots."""
    elapsed = after.wall - before.wall
    if elapsed <= 0:
        return 0.0
    return max(0.0, ((after.busy - before.busy) - (after.own - before.own)) / elapsed)


def process_cpu(pid: int) -> tuple[float, float]:
    """(user + system seconds of `pid` itself, of the children it has waited for)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()  # fields[0] is the state, field 3 of stat(5)
    return sum(map(int, fields[11:13])) / CLK_TCK, sum(map(int, fields[13:15])) / CLK_TCK
