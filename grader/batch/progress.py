"""A one-line progress bar for `grader batch`: done/total, rate, time left, failures.

Drawn on stderr, and only when stderr is a terminal (and TERM is not "dumb"): piped or
redirected output, CI logs and tests see nothing of it. Small on purpose: one line,
redrawn at most a few times a second, so no dependency is needed for it.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    def __init__(self, total: int, *, skipped: int = 0, stream: TextIO | None = None,
                 enabled: bool | None = None, label: str = "grading") -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        self.enabled = enabled
        self.total, self.skipped, self.label = total, skipped, label
        self.done = self.failures = 0
        self.started = time.monotonic()
        self._drawn = 0.0
        self._width = 0

    def advance(self, *, failed: bool = False) -> None:
        self.done += 1
        self.failures += failed
        self.refresh(force=self.done == self.total)

    def line(self, columns: int = 100) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if self.done else None
        tail = (f" {self.done}/{self.total}  {rate:.1f}/s  "
                f"{'left ' + _clock(left) if left is not None else 'left --:--'}  "
                f"failures {self.failures}")
        if self.skipped:
            tail += f"  (skipped {self.skipped})"
        room = columns - len(self.label) - len(tail) - 4
        if room >= 10:
            width = min(room, 40)
            filled = int(width * self.done / self.total) if self.total else width
            bar = f" [{'#' * filled}{'-' * (width - filled)}]"
        else:
            bar = ""
        return f"{self.label}{bar}{tail}"[: max(columns - 1, 20)]

    def refresh(self, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._drawn < 0.2:
            return
        self._drawn = now
        text = self.line(shutil.get_terminal_size((100, 20)).columns)
        self.stream.write("\r" + text + " " * max(0, self._width - len(text)))
        self._width = len(text)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._width:
            self.refresh(force=True)
            self.stream.write("\n")
            self.stream.flush()
