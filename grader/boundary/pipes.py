"""The child's three pipes as the exchange sees them: requests to write, answers and prints to
read. `SelectorPipes` watches them with one selector (Linux, macOS); `ThreadPipes` reads each in a
thread of its own and writes from another (the portable mode: Windows cannot select on pipes).
Either way `next` hands out one chunk at a time, as (ANSWERS or PRINTS, bytes), with b"" at the
end of a pipe. Standard library only."""

from __future__ import annotations

import contextlib
import os
import queue
import selectors
import threading
import time
from typing import IO, Literal, Protocol

from grader.boundary.processes import ChildProcess

Kind = Literal["answers", "prints"]
ANSWERS: Kind = "answers"
PRINTS: Kind = "prints"
CHUNK = 1 << 20
_QUEUED = 16  # chunks a reader thread may hold before it waits, as a full pipe would


class Pipes(Protocol):
    def send(self, data: bytes) -> None:
        """Write `data` to the child's requests pipe, as the child takes it."""

    def next(self, timeout: float) -> tuple[Kind, bytes] | None:
        """The next chunk read from the answers or the prints pipe; None after `timeout` seconds."""

    def close(self) -> bool:
        """Stop watching; True when the pipes' descriptors may now be closed."""


def streams(process: ChildProcess) -> tuple[IO[bytes], IO[bytes], IO[bytes]]:
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    return process.stdin, process.stdout, process.stderr


class SelectorPipes:
    def __init__(self, process: ChildProcess) -> None:
        requests, answers, prints = streams(process)
        self._requests, self._answers, self._prints = requests.fileno(), answers.fileno(), prints.fileno()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._answers, selectors.EVENT_READ)
        self._selector.register(self._prints, selectors.EVENT_READ)
        self._pending: memoryview | None = None

    def send(self, data: bytes) -> None:
        if not data:
            return
        if self._pending is None:
            os.set_blocking(self._requests, False)
            self._selector.register(self._requests, selectors.EVENT_WRITE)
        self._pending = memoryview(data)

    def next(self, timeout: float) -> tuple[Kind, bytes] | None:
        deadline = time.perf_counter() + timeout
        while True:
            for key, _ in self._selector.select(max(0.0, deadline - time.perf_counter())):
                if key.fd == self._requests:
                    self._write()
                    continue
                data = os.read(key.fd, CHUNK)
                if not data:
                    self._selector.unregister(key.fd)
                return (ANSWERS if key.fd == self._answers else PRINTS), data
            if time.perf_counter() >= deadline:
                return None

    def _write(self) -> None:
        assert self._pending is not None
        try:
            self._pending = self._pending[os.write(self._requests, self._pending):]
        except BrokenPipeError:
            self._pending = memoryview(b"")
        if not self._pending:
            self._selector.unregister(self._requests)
            self._pending = None

    def close(self) -> bool:
        self._selector.close()
        return True


class ThreadPipes:
    """Two reader threads feed one bounded queue; each send() is written by a thread of its own."""

    def __init__(self, process: ChildProcess) -> None:
        requests, answers, prints = streams(process)
        self._requests = requests.fileno()
        self._chunks: queue.Queue[tuple[Kind, bytes]] = queue.Queue(_QUEUED)
        self._closed = threading.Event()
        self._readers = [threading.Thread(target=self._read, args=(stream.fileno(), kind), daemon=True,
                                          name=f"numgrader-{kind}")
                         for stream, kind in ((answers, ANSWERS), (prints, PRINTS))]
        for reader in self._readers:
            reader.start()
        self._writer: threading.Thread | None = None

    def _read(self, fd: int, kind: Kind) -> None:
        while not self._closed.is_set():
            try:
                data = os.read(fd, CHUNK)
            except OSError:
                data = b""
            while not self._closed.is_set():
                try:
                    self._chunks.put((kind, data), timeout=0.1)
                    break
                except queue.Full:
                    continue
            if not data:
                return

    def send(self, data: bytes) -> None:
        if data:
            self._writer = threading.Thread(target=self._write, args=(data,), daemon=True, name="numgrader-requests")
            self._writer.start()

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._closed.is_set():
            try:
                view = view[os.write(self._requests, view[:CHUNK]):]
            except OSError:  # the child is gone
                return

    def next(self, timeout: float) -> tuple[Kind, bytes] | None:
        try:
            return self._chunks.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def close(self) -> bool:
        """After the child was stopped: the readers end at the pipes' end. A process the student
        started may still hold them open; then the descriptors stay open (a thread still reads
        them, and a closed number could be reused by another file under it)."""
        self._closed.set()
        until = time.perf_counter() + 2.0
        for reader in self._readers:
            while reader.is_alive() and time.perf_counter() < until:  # a reader waiting on a full queue: let it go
                with contextlib.suppress(queue.Empty):
                    self._chunks.get(timeout=0.05)
        return not any(reader.is_alive() for reader in self._readers) and not (
            self._writer is not None and self._writer.is_alive())


def watch(process: ChildProcess, portable: bool) -> Pipes:
    return ThreadPipes(process) if portable else SelectorPipes(process)
