"""The process's own peak memory, for the run's report (standard library only)."""

from __future__ import annotations

import contextlib
from pathlib import Path


def peak_rss_mb() -> int:
    """This program's peak resident memory in MB.

    VmHWM, not ru_maxrss: on Linux ru_maxrss also counts what the launching process had
    resident when it forked this one (pytest's hundred MB, say).
    """
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)  # kB on Linux
