"""What crosses the pipes between the grader and a child: frames, and the messages inside.

Standard library only, so that the grader can move frames and read what an answer says
(its "op") before it has imported numpy; wire.py encodes and decodes the values inside.
Both sides build and read messages by the shapes below: the parent sends `CallRequest`s;
the child answers the import with `Ready` or `ImportFailure`, and each call with one of
`Result`, `Missing`, `Failed`, `Refused` (no value: memory, too large). What the child sends is
untrusted: the parent reads every field as possibly missing or of another type.

Frame:   8-byte big-endian payload length | payload
Payload: 4-byte big-endian JSON length | JSON {"body": …, "arrays": [[dtype, shape, nbytes], …]}
         | array 0 bytes | array 1 bytes | ...
"""

from __future__ import annotations

import json
import struct
from typing import Any, Literal, TypedDict

FRAME_HEADER = struct.Struct(">Q")
JSON_HEADER = struct.Struct(">I")


class ChildConfig(TypedDict, total=False):
    """What a child starts with (argv[1] as JSON when spawned; the zygote's fork request)."""

    submission: str  # the file to import, inside the child's working folder
    module: str  # the name to import it as
    message_limit: int  # the largest answer, in bytes
    status_fd: int  # the private status pipe (with a sandbox)
    parent: int  # the pid the sandbox's first process must have as its parent
    sandbox: dict[str, Any]  # the plan (grader/sandbox/plan.py: Plan.to_json)
    allowed_modules: list[str]  # third-party modules the student's code may import (boundary/imports.py)
    declared: list[str]  # the rubric's environment, for the message naming what is available
    installed: list[str]  # where installed packages live (site-packages): imports from there are checked


class CallRequest(TypedDict):
    op: Literal["call"]
    function: str
    args: list[Any]


class Ready(TypedDict):
    op: Literal["ready"]


class ImportFailure(TypedDict, total=False):
    op: Literal["import_error"]
    kind: Literal["syntax", "exit", "exception", "memory"]
    message: str
    line: int | None  # a SyntaxError's


class Result(TypedDict):
    op: Literal["result"]
    value: Any
    seconds: float


class Missing(TypedDict):
    op: Literal["missing"]
    function: str


class Failed(TypedDict):
    op: Literal["exception", "exited", "unsupported"]  # raised / ended the process / returned what cannot cross
    message: str


class Refused(TypedDict):
    op: Literal["memory", "too_large"]


ImportAnswer = Ready | ImportFailure
CallAnswer = Result | Missing | Failed | Refused
Answer = ImportAnswer | CallAnswer


class FrameError(ValueError):
    """Bytes that are not a valid message."""


def read_json(payload: bytes) -> tuple[dict[str, Any], int]:
    """The payload's JSON part (body and array specs) and the offset where the arrays begin."""
    try:
        (json_length,) = JSON_HEADER.unpack_from(payload)
        end = JSON_HEADER.size + json_length
        if end > len(payload):
            raise FrameError("malformed message: truncated")
        header = json.loads(payload[JSON_HEADER.size:end].decode("utf-8"))
    except (struct.error, ValueError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise FrameError(f"malformed message: {error}") from None
    except (RecursionError, MemoryError) as error:  # e.g. 100,000 nested "[": the child's bytes are anything
        raise FrameError(f"malformed message ({type(error).__name__})") from None
    if type(header) is not dict or type(header.get("body")) is not dict or type(header.get("arrays")) is not list:
        raise FrameError("malformed message")
    return header, end


def take_frame(buffer: bytearray) -> bytes | None:
    """The first whole frame's payload, removed from `buffer`; None until one has fully arrived."""
    if len(buffer) < FRAME_HEADER.size:
        return None
    (length,) = FRAME_HEADER.unpack_from(buffer)
    end = FRAME_HEADER.size + length
    if len(buffer) < end:
        return None
    payload = bytes(buffer[FRAME_HEADER.size:end])
    del buffer[:end]
    return payload


def announced_length(buffer: bytearray) -> int | None:
    """The payload length the next frame announces (to refuse an oversized one early)."""
    if len(buffer) < FRAME_HEADER.size:
        return None
    return int(FRAME_HEADER.unpack_from(buffer)[0])
