"""A time budget for the grader's own work on a submission's data (judging one case).

Comparators and judges run in the grader's process on values a submission chose: a big-O text,
a graph, an array. Each is given `limits.judge_seconds`; past it, `OverBudget` is raised in the
thread doing the work, at its next Python bytecode, and the check fails as "could not be read"
while grading goes on. On the main thread an interval timer (SIGALRM) raises it; on any other
thread (a batch's thread pool) one watchdog thread does, through PyThreadState_SetAsyncExc.

Neither can stop a single long C call (a huge integer power, a BLAS product): the inputs that
would make one are refused before they reach it (each comparator bounds what it parses), and
this budget catches the Python-level loops that remain (sympy's algorithms are Python).
`OverBudget` is a BaseException, so that a comparator's `except Exception` cannot swallow it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
import time
from collections.abc import Iterator


class OverBudget(BaseException):
    """The grader's work on one check took longer than its budget."""


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise OverBudget in this thread if the block runs longer than `seconds`.

    Use it inside `try: ... except OverBudget:`: the exception may surface anywhere up to the
    end of the block, never after it."""
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM"):  # (not on Windows)
        with _alarm(seconds):
            yield
    else:
        token = _watchdog().arm(seconds)
        try:
            yield
        finally:
            _watchdog().disarm(token)


def _raise(signum: int, frame: object) -> None:
    raise OverBudget


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_SetAsyncExc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_SetAsyncExc.argtypes = [ctypes.c_ulong, ctypes.py_object]


class _Watchdog:
    """One thread that raises OverBudget in the threads whose budget ran out."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._armed: dict[int, tuple[int, float]] = {}  # token -> (thread ident, deadline)
        self._next = 0
        self.pid = os.getpid()
        threading.Thread(target=self._run, name="numgrader-time-budget", daemon=True).start()

    def arm(self, seconds: float) -> int:
        with self._condition:
            self._next += 1
            self._armed[self._next] = (threading.get_ident(), time.monotonic() + seconds)
            self._condition.notify()
            return self._next

    def disarm(self, token: int) -> None:
        with self._condition:
            if self._armed.pop(token, None) is None:  # it fired: clear it if it is still pending
                _SetAsyncExc(threading.get_ident(), ctypes.py_object())  # NULL: no exception pending

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                for token, (ident, deadline) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[token]
                        _SetAsyncExc(ident, ctypes.py_object(OverBudget))
                soonest = min((deadline for _, deadline in self._armed.values()), default=None)
                self._condition.wait(None if soonest is None else max(soonest - now, 0.001))


_instance: _Watchdog | None = None
_instance_lock = threading.Lock()


def _watchdog() -> _Watchdog:
    global _instance
    with _instance_lock:
        if _instance is None or _instance.pid != os.getpid():  # a forked process has no such thread
            _instance = _Watchdog()
        return _instance
