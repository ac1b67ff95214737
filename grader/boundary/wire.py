"""The plain-data encoding that crosses the process boundary, in both directions.

Only None, bool, int, float, str, lists, tuples and dicts of these, and numpy arrays of
bool, int or float cross. A message is JSON (arrays replaced by {"$array": i}) followed by
the arrays' raw bytes; the JSON gives each array's dtype (checked against a short list of
numeric kinds), shape and size. Decoding builds arrays with numpy.frombuffer: it never runs
code and never unpickles (.npy files with np.save/np.load did the same, 4x slower).

The frame layout (a length, a JSON part, the arrays' bytes) is framing.py's.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from grader.boundary.protocol import FRAME_HEADER, JSON_HEADER, FrameError, read_json

ALLOWED_KINDS = "biuf"  # bool, signed int, unsigned int, float
MAX_DEPTH = 32
MAX_INT_BITS = 10_000  # ~3,000 digits: JSON (and Python's int-to-text limit) stop at 4,300
__all__ = ["FRAME_HEADER", "JSON_HEADER", "TooLarge", "WireError", "pack", "unpack"]


class WireError(ValueError):
    """A value that may not cross, or bytes that are not a valid message."""


class TooLarge(WireError):
    """The value is larger than the message size limit."""


_SCALAR = {"b": bool, "i": int, "u": int, "f": float}


def _encode(value: Any, blobs: list[np.ndarray], depth: int, budget: list[int]) -> Any:
    if depth > MAX_DEPTH:
        raise WireError(f"nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        if kind is str:
            budget[0] -= len(value)
        elif kind is int and value.bit_length() > MAX_INT_BITS:
            raise WireError("an integer of more than 3,000 digits")
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
    if isinstance(value, np.generic) and value.dtype.kind == "f" and value.dtype.itemsize < 8:
        value = np.asarray(value)  # a float32 number keeps its precision as a 0-d array: "right to float32" is said
    elif isinstance(value, np.generic) and value.dtype.kind in ALLOWED_KINDS:
        # Not .item(): a longdouble's is a longdouble again. float() keeps a float64's value exactly.
        plain = _SCALAR[value.dtype.kind](value)
        return plain if type(plain) is not float or math.isfinite(plain) else {"$float": repr(plain)}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in ALLOWED_KINDS:
            raise WireError(f"a numpy array of dtype {value.dtype} (only bool, int and float arrays)")
        budget[0] -= value.nbytes
        if budget[0] < 0:
            raise TooLarge("output too large")
        # (not ascontiguousarray: it makes a 0-d array 1-d)
        plain = (value if value.flags.c_contiguous else value.copy(order="C")).view(np.ndarray)
        blobs.append(plain)
        return {"$array": len(blobs) - 1}
    if isinstance(value, np.generic):
        raise WireError(f"a numpy {value.dtype} value (only bool, int and float values)")
    raise WireError(f"an object of type {kind.__module__}.{kind.__qualname__}")


def pack(message: dict[str, Any], limit: int) -> bytes:
    """Encode one message as a frame; raises WireError or TooLarge."""
    arrays: list[np.ndarray] = []
    budget = [limit]
    body = {key: _encode(value, arrays, 0, budget) for key, value in message.items()}
    specs = [[a.dtype.str, list(a.shape), a.nbytes] for a in arrays]
    text = json.dumps({"body": body, "arrays": specs}, allow_nan=False).encode()
    payload_length = JSON_HEADER.size + len(text) + sum(a.nbytes for a in arrays)
    if payload_length > limit:
        raise TooLarge("output too large")
    return b"".join([FRAME_HEADER.pack(payload_length), JSON_HEADER.pack(len(text)), text,
                     *(a.tobytes() for a in arrays)])


def _decode(value: Any, blobs: list[np.ndarray], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    if type(value) is int and value.bit_length() > MAX_INT_BITS:
        raise WireError("an integer of more than 3,000 digits")  # the child's encoder cannot be trusted to bound it
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
        header, end = read_json(payload)
    except FrameError as error:
        raise WireError(str(error)) from None
    specs, body = header["arrays"], header["body"]
    try:
        blobs: list[np.ndarray] = []
        offset = end
        for spec in specs:
            array = _array(payload, offset, spec)
            blobs.append(array)
            offset += array.nbytes
        return {key: _decode(value, blobs, 0) for key, value in body.items()}
    except WireError:
        raise
    except (TypeError, ValueError, OverflowError, MemoryError, RecursionError) as error:
        # Bytes a child wrote may be anything: whatever numpy or Python makes of them, the
        # answer is unreadable (e.g. dtype "<f3", or a tuple holding a list as a dict key).
        raise WireError(f"malformed message ({type(error).__name__})") from None


_DTYPE = re.compile(r"[<>|=][biuf][1-9][0-9]?")


def _array(payload: bytes, offset: int, spec: Any) -> np.ndarray:
    """One array from its [dtype, shape, nbytes] and the payload's bytes at `offset`."""
    if type(spec) is not list or len(spec) != 3:
        raise WireError("malformed array header")
    dtype_text, shape, nbytes = spec
    if type(dtype_text) is not str or not _DTYPE.fullmatch(dtype_text):
        raise WireError("array of a type that may not cross")
    dtype = np.dtype(dtype_text)
    if dtype.kind not in ALLOWED_KINDS:
        raise WireError("array of a type that may not cross")
    if (type(shape) is not list or len(shape) > MAX_DEPTH
            or not all(type(n) is int and n >= 0 for n in shape) or type(nbytes) is not int):
        raise WireError("malformed array header")
    count = math.prod(shape)
    if count * dtype.itemsize != nbytes or offset + nbytes > len(payload):
        raise WireError("malformed array data")
    flat = np.frombuffer(payload, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape).copy()  # its own writable memory, not a view of the message
