"""The plain-data encoding that crosses the process boundary, in both directions.

Only None, bool, int, float, str, lists, tuples and dicts of these, and numpy arrays of
bool, int or float cross. A message is JSON (arrays replaced by {"$array": i}) followed by
the arrays as .npy bytes, read back with allow_pickle=False: decoding never runs code.

Frame:  8-byte big-endian payload length | payload
Payload: 4-byte big-endian JSON length | JSON | npy blob 0 | npy blob 1 | ...
"""

from __future__ import annotations

import io
import json
import math
import struct
from typing import Any

import numpy as np

ALLOWED_KINDS = "biuf"  # bool, signed int, unsigned int, float
MAX_DEPTH = 32
FRAME_HEADER = struct.Struct(">Q")
JSON_HEADER = struct.Struct(">I")


class WireError(ValueError):
    """A value that may not cross, or bytes that are not a valid message."""


class TooLarge(WireError):
    """The value is larger than the message size limit."""


def _encode(value: Any, blobs: list[bytes], depth: int, budget: list[int]) -> Any:
    if depth > MAX_DEPTH:
        raise WireError(f"nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        if kind is str:
            budget[0] -= len(value)
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if kind is list:
        return [_encode(v, blobs, depth + 1, budget) for v in value]
    if kind is tuple:
        return {"$tuple": [_encode(v, blobs, depth + 1, budget) for v in value]}
    if kind is dict:
        return {"$dict": [[_encode(k, blobs, depth + 1, budget), _encode(v, blobs, depth + 1, budget)]
                          for k, v in value.items()]}
    if isinstance(value, np.generic) and value.dtype.kind in ALLOWED_KINDS:
        return _encode(value.item(), blobs, depth, budget)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in ALLOWED_KINDS:
            raise WireError(f"a numpy array of dtype {value.dtype} (only bool, int and float arrays)")
        budget[0] -= value.nbytes
        if budget[0] < 0:
            raise TooLarge("output too large")
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(value).view(np.ndarray), allow_pickle=False)
        blobs.append(buffer.getvalue())
        return {"$array": len(blobs) - 1}
    raise WireError(f"an object of type {kind.__module__}.{kind.__qualname__}")


def pack(message: dict[str, Any], limit: int) -> bytes:
    """Encode one message as a frame; raises WireError or TooLarge."""
    blobs: list[bytes] = []
    budget = [limit]
    body = {key: _encode(value, blobs, 0, budget) for key, value in message.items()}
    text = json.dumps({"body": body, "blobs": [len(b) for b in blobs]}, allow_nan=False).encode()
    payload_length = JSON_HEADER.size + len(text) + sum(len(b) for b in blobs)
    if payload_length > limit:
        raise TooLarge("output too large")
    return b"".join([FRAME_HEADER.pack(payload_length), JSON_HEADER.pack(len(text)), text, *blobs])


def _decode(value: Any, blobs: list[np.ndarray], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is list:
        return [_decode(v, blobs, depth + 1) for v in value]
    if type(value) is dict and len(value) == 1:
        (tag, inner), = value.items()
        if tag == "$tuple" and type(inner) is list:
            return tuple(_decode(v, blobs, depth + 1) for v in inner)
        if tag == "$dict" and type(inner) is list:
            items = {}
            for pair in inner:
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("malformed dict entry")
                key = _decode(pair[0], blobs, depth + 1)
                if isinstance(key, list | dict | np.ndarray):
                    raise WireError("unhashable dict key")
                items[key] = _decode(pair[1], blobs, depth + 1)
            return items
        if tag == "$array" and type(inner) is int and 0 <= inner < len(blobs):
            return blobs[inner]
        if tag == "$float" and inner in ("nan", "inf", "-inf"):
            return float(inner)
    raise WireError("malformed value")


def unpack(payload: bytes) -> dict[str, Any]:
    """Decode a frame's payload (without its 8-byte length). Never unpickles."""
    try:
        (json_length,) = JSON_HEADER.unpack_from(payload)
        end = JSON_HEADER.size + json_length
        header = json.loads(payload[JSON_HEADER.size:end].decode("utf-8"))
        sizes = header["blobs"]
        body = header["body"]
    except (struct.error, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
        raise WireError(f"malformed message: {error}") from None
    if type(body) is not dict or type(sizes) is not list:
        raise WireError("malformed message")
    blobs: list[np.ndarray] = []
    offset = end
    for size in sizes:
        if type(size) is not int or size < 0 or offset + size > len(payload):
            raise WireError("malformed array data")
        try:
            array = np.load(io.BytesIO(payload[offset:offset + size]), allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise WireError(f"malformed array data: {error}") from None
        if not isinstance(array, np.ndarray) or array.dtype.kind not in ALLOWED_KINDS:
            raise WireError("array of a type that may not cross")
        blobs.append(array)
        offset += size
    return {key: _decode(value, blobs, 0) for key, value in body.items()}
