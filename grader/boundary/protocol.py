"""Frames on the pipes between the grader and a child: a length, then a payload.

Standard library only, so that the grader can move frames and read what an answer says
(its "op") before it has imported numpy; wire.py encodes and decodes the values inside.

Frame:   8-byte big-endian payload length | payload
Payload: 4-byte big-endian JSON length | JSON {"body": …, "arrays": [[dtype, shape, nbytes], …]}
         | array 0 bytes | array 1 bytes | ...
"""

from __future__ import annotations

import json
import struct
from typing import Any

FRAME_HEADER = struct.Struct(">Q")
JSON_HEADER = struct.Struct(">I")


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
