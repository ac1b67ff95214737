"""The pipelined exchange with one child: write a group's requests as the pipe takes them, read
one answer frame per call, capture the student's prints meanwhile, and time each call from the
arrival of the answer before it. What an answer means is the session's to say (`interpret`):
this module only reports what the pipes did, as events; how the pipes are watched is
pipes.py's. Standard library only."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from grader.boundary import protocol
from grader.boundary.outcome import RESTART_AFTER, Outcome
from grader.boundary.pipes import PRINTS, Pipes


@dataclass
class OutputCapture:
    """The student's stdout and stderr: the first `limit` bytes kept, the rest counted."""

    limit: int
    kept: bytearray = field(default_factory=bytearray)
    total: int = 0
    marks: dict[int, int] = field(default_factory=dict)  # call group -> bytes printed before its first call

    def mark(self, group: int) -> None:
        self.marks.setdefault(group, self.total)

    def text(self, before_group: int | None = None) -> str:
        """What was printed (with what was not kept, counted); with `before_group`, only what was
        printed before the first call of that group or a later one ran."""
        later = [at for g, at in self.marks.items() if before_group is not None and g >= before_group]
        end = min(later) if later else self.total
        shown = self.kept[:end].decode("utf-8", errors="replace")
        return shown + (f"\n[output cut: {end - len(self.kept)} more bytes not kept]" if end > len(self.kept) else "")

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += data[:room]


@dataclass(frozen=True)
class Answer:
    payload: bytes  # one frame's payload
    seconds: float


@dataclass(frozen=True)
class TimedOut:
    limit: float


@dataclass(frozen=True)
class Closed:
    """The child closed its answer pipe (it died, or ended)."""

    seconds: float


@dataclass(frozen=True)
class TooLarge:
    """A frame announced more bytes than the message limit."""


@dataclass(frozen=True)
class Trailing:
    """Bytes after the last expected answer: the child wrote what nobody asked for."""


@dataclass(frozen=True)
class NotRun:
    """The submission's deadline came before this call could start."""


Event = Answer | TimedOut | Closed | TooLarge | Trailing | NotRun


def exchange(pipes: Pipes, requests: Sequence[bytes], limits: Sequence[float], deadline: float,
             message_limit: int, output: OutputCapture, interpret: Callable[[Event], Outcome]) -> list[Outcome]:
    """Write `requests` and read one answer per entry of `limits`, each turned into an outcome by
    `interpret`; stop early after an outcome that leaves the channel unusable (RESTART_AFTER)
    or when the deadline comes. The import sends nothing and waits for one answer."""
    pipes.send(b"".join(requests))
    buffer = bytearray()
    results: list[Outcome] = []
    arrived = started = time.perf_counter()
    for index, seconds in enumerate(limits):
        if started >= deadline:
            results.append(interpret(NotRun()))
            return results
        limit = min(seconds, deadline - started)
        call_deadline = started + limit
        event: Event | None = None
        while event is None:
            payload = protocol.take_frame(buffer)
            if payload is not None:
                arrived = time.perf_counter()
                event = Trailing() if index == len(limits) - 1 and buffer else Answer(payload, arrived - started)
                break
            length = protocol.announced_length(buffer)
            if length is not None and length > message_limit + (1 << 16):
                event = TooLarge()
                break
            remaining = call_deadline - time.perf_counter()
            if remaining <= 0:
                event = TimedOut(limit)
                break
            chunk = pipes.next(remaining)
            if chunk is None:
                continue
            kind, data = chunk
            if kind == PRINTS:
                output.add(data)
            elif not data:
                event = Closed(time.perf_counter() - started)
            else:
                buffer += data
        outcome = interpret(event)
        results.append(outcome)
        if outcome.status in RESTART_AFTER:
            return results
        started = arrived  # the child took the next request as it sent this answer (decoding it is ours)
    return results
