"""What one process fewer per sandboxed submission would save: the fork structure alone.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/process_structure.py     (as root: namespaces)

From a process that has imported numpy (as the warm worker has), it repeats two ways of
reaching a student process inside new pid, mount, network, IPC and UTS namespaces, and
reports the wall time and the whole machine's CPU per repetition:

  three   as grader/boundary/child.py does now: a first process (P0) unshares, forks the namespace's
          init (P1) and the student's process (P2), waits, kills init;
  two     the first process is itself the namespace's init: the forking process unshares
          only CLONE_NEWPID, forks it, and returns to its own pid namespace with setns();
          init unshares the rest and forks the student's process.

The student's process does a little numpy and Python work and exits. Nothing of grader/ is used.
"""

from __future__ import annotations

import ctypes
import os
import time

import numpy

libc = ctypes.CDLL(None, use_errno=True)
NEWPID, NEWNS, NEWNET, NEWIPC, NEWUTS = 0x20000000, 0x20000, 0x40000000, 0x08000000, 0x04000000
REST = NEWNS | NEWNET | NEWIPC | NEWUTS


def busy_cpu_ticks() -> int:
    values = list(map(int, open("/proc/stat").readline().split()[1:]))
    return sum(values) - values[3] - values[4]  # all but idle and iowait


def student() -> None:
    x = numpy.arange(100.0)
    _ = x @ x, {str(i): i for i in range(200)}
    os._exit(0)


def three() -> None:
    p0 = os.fork()
    if p0 == 0:
        libc.unshare(NEWPID | REST)
        init = os.fork()
        if init == 0:
            while True:
                try:
                    os.wait()
                except ChildProcessError:
                    time.sleep(10)
        p2 = os.fork()
        if p2 == 0:
            student()
        os.waitpid(p2, 0)
        os.kill(init, 9)
        os.waitpid(init, 0)
        os._exit(0)
    os.waitpid(p0, 0)


OWN_PID_NAMESPACE = os.open("/proc/self/ns/pid", os.O_RDONLY)


def two() -> None:
    if libc.unshare(NEWPID) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWPID) (run as root)")
    init = os.fork()
    if init == 0:
        libc.unshare(REST)
        p2 = os.fork()
        if p2 == 0:
            student()
        os.waitpid(p2, 0)
        os._exit(0)
    if libc.setns(OWN_PID_NAMESPACE, NEWPID) != 0:
        raise OSError(ctypes.get_errno(), "setns back to our own pid namespace")
    os.waitpid(init, 0)


def main(repeats: int = 200) -> None:
    tick = os.sysconf("SC_CLK_TCK")
    for way in (three, two, three, two):
        way()
        busy, started = busy_cpu_ticks(), time.perf_counter()
        for _ in range(repeats):
            way()
        wall = (time.perf_counter() - started) / repeats * 1000
        cpu = (busy_cpu_ticks() - busy) / tick / repeats * 1000
        print(f"{way.__name__:5s}  wall {wall:5.2f} ms  machine CPU {cpu:5.2f} ms per submission")


if __name__ == "__main__":
    main()
