"""What a child process starts with: a small explicit environment, one BLAS thread, and how
the boundary names the signals that end processes. Standard library only."""

from __future__ import annotations

import os
import signal
from collections.abc import MutableMapping

# One BLAS thread: deterministic sums, and no pool of threads that spins beside the student's
# child (in the grader) or oversubscribes the cores (in a batch).
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def one_blas_thread(env: MutableMapping[str, str]) -> None:
    """One BLAS thread in `env` (os.environ, before numpy is imported), unless it says otherwise."""
    for name, value in ONE_BLAS_THREAD.items():
        env.setdefault(name, value)


def child_environment() -> dict[str, str]:
    """A small, explicit environment: nothing of the grader's leaks into the child."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",  # matplotlib draws into files only: plt.show() opens nothing, waits for nothing
        **ONE_BLAS_THREAD,
    }
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # needed on some CPUs for correct results
        if name in os.environ:
            env[name] = os.environ[name]
    if os.name == "nt":  # Python itself does not start on Windows without these
        env["PATH"] = os.environ.get("PATH", "")
        for name in ("SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT"):
            if name in os.environ:
                env[name] = os.environ[name]
    return env


def signal_name(number: int) -> str:
    """SIGKILL, SIGSEGV, ...; "signal 42" for a number without a name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
