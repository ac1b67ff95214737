"""The boundary's vocabulary: one call to send (`Call`), and what happened to it (`Outcome`).

Standard library only: a call's request is packed by wire.py, imported when first needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal[
    "ok", "exception", "missing", "timeout", "crashed", "exited", "memory",
    "unsupported", "too_large", "protocol", "import_failed", "not_run",
]
# After these the child is not trusted to go on: the next call starts a fresh one.
RESTART_AFTER: tuple[Status, ...] = ("timeout", "crashed", "exited", "memory", "too_large", "protocol")


@dataclass(frozen=True)
class Outcome:
    """What happened to one call (or to the import)."""

    status: Status
    value: Any = None
    message: str = ""
    seconds: float = 0.0
    payload: bytes | None = field(default=None, repr=False, compare=False)  # an answer not decoded yet
    cause: Status | None = None  # for "import_failed": what ended the import ("timeout", "memory", ...)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def decoded(self) -> Outcome:
        """This outcome with its value, for an answer read raw (ChildSession(decode=False))."""
        if self.payload is None:
            return self
        from grader.boundary import wire

        try:
            value = wire.unpack(self.payload).get("value")
        except wire.WireError as error:
            return unreadable(error, self.seconds)
        return Outcome("ok", value=value, seconds=self.seconds)


def unreadable(error: Exception, seconds: float) -> Outcome:
    return Outcome("protocol", message=f"the answer could not be read: {error}", seconds=seconds)


@dataclass(frozen=True)
class Call:
    """One call to send: its request frame, packed once (wire.pack), and its time limit.

    Calls of one `group` are written to the child together (pipelined); a group's requests are
    written only once every answer of the groups before it has been read, so that a submission
    can never read ahead (on fd 0) into a later group, e.g. from visible checks into hidden ones.
    """

    function: str
    request: bytes
    seconds: float
    group: int = 0


def pack_call(function: str, args: Sequence[Any]) -> bytes:
    from grader.boundary import wire
    from grader.boundary.protocol import CallRequest

    request: CallRequest = {"op": "call", "function": function, "args": list(args)}
    return wire.pack(dict(request), 1 << 62)
