"""The child's private status pipe: the sandbox's report (written before the student's code
runs) and how the student's process ended (written by its first process, which the student
cannot reach). Everything read here is bounded. Standard library only."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from grader.sandbox import report as sandbox_report
from grader.sandbox.report import SandboxReport

_LINE = 1 << 16  # the sandbox's report is a few hundred bytes


@dataclass(frozen=True)
class Exit:
    code: int  # as Popen.returncode: negative for a signal
    maxrss_bytes: int


def _exit(message: dict[str, object]) -> Exit | None:
    code, kb = message.get("code"), message.get("maxrss_kb")
    if type(code) is not int or not -256 < code < 256:
        return None
    return Exit(code, kb * 1024 if type(kb) is int and 0 <= kb < 1 << 40 else 0)


class StatusPipe:
    def __init__(self) -> None:
        self.read_fd: int | None
        self.read_fd, self.write_fd = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self.report: SandboxReport | None = None
        self.exit: Exit | None = None
        self._pending = bytearray()

    def close_write(self) -> None:
        """After the child has started: its copy is the only writer left."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def read(self) -> None:
        """Take what the child has written so far."""
        if self.read_fd is None:
            return
        while True:
            try:
                data = os.read(self.read_fd, 1 << 16)
            except BlockingIOError:
                break
            if not data:
                break
            self._pending += data
        *lines, rest = self._pending.split(b"\n")
        self._pending = bytearray(rest[:_LINE])
        for line in lines:
            try:
                message = json.loads(line[:_LINE])
            except (ValueError, RecursionError):
                continue
            if not isinstance(message, dict):
                continue
            if message.get("kind") == "sandbox" and isinstance(message.get("report"), dict):
                self.report = SandboxReport.from_json(message["report"])
                sandbox_report.warn_once(self.report)
            elif message.get("kind") == "exit":
                self.exit = _exit(message)

    def close(self) -> None:
        self.read()
        self.close_write()
        if self.read_fd is not None:
            os.close(self.read_fd)
            self.read_fd = None
