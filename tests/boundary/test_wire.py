"""The plain data inside frames (grader/boundary/wire.py): JSON plus raw array bytes, never a
pickle; what may not cross is refused, and what a child forges is an unreadable answer."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from grader.boundary import wire


class Boom:
    def __reduce__(self):
        return (Path.touch, (Path("/tmp/grader-unpickled-marker"),))


def test_parent_never_unpickles_even_a_forged_message():
    marker = Path("/tmp/grader-unpickled-marker")
    marker.unlink(missing_ok=True)
    buffer = io.BytesIO()
    np.save(buffer, np.array([Boom()], dtype=object), allow_pickle=True)
    forged_json = json.dumps({"body": {"op": "result", "value": {"$array": 0}}, "blobs": [len(buffer.getvalue())]})
    payload = wire.JSON_HEADER.pack(len(forged_json)) + forged_json.encode() + buffer.getvalue()
    with pytest.raises(wire.WireError):
        wire.unpack(payload)
    # the same bytes announced as an array of objects, or of any dtype outside bool/int/float
    for dtype in ("|O", "|O8", "<c16", "|V8", "<U1", "|S4", "<M8[s]"):
        header = json.dumps({"body": {"op": "result", "value": {"$array": 0}},
                             "arrays": [[dtype, [1], len(buffer.getvalue())]]})
        with pytest.raises(wire.WireError):
            wire.unpack(wire.JSON_HEADER.pack(len(header)) + header.encode() + buffer.getvalue())
    raw_pickle = pickle.dumps(Boom())
    with pytest.raises(wire.WireError):
        wire.unpack(wire.JSON_HEADER.pack(len(raw_pickle)) + raw_pickle)
    assert not marker.exists()


def test_wire_round_trip_keeps_types():
    value = {"a": [1, 2.5, None, True, "x", (1, 2)], 3: np.arange(6).reshape(2, 3), "f": float("nan"),
             "b": np.array([True, False]), "s": np.float32(1.5)}
    frame = wire.pack({"op": "result", "value": value}, 1 << 20)
    back = wire.unpack(frame[wire.FRAME_HEADER.size:])["value"]
    assert back["a"] == [1, 2.5, None, True, "x", (1, 2)]
    assert isinstance(back["a"][5], tuple)
    np.testing.assert_array_equal(back[3], np.arange(6).reshape(2, 3))
    assert back["b"].dtype == bool and back["s"] == 1.5 and np.isnan(back["f"])
    assert back["s"].dtype == np.float32 and back["s"].shape == ()  # a float32 number keeps its precision
    assert type(wire.unpack(wire.pack({"v": np.float64(0.1)}, 1 << 10)[wire.FRAME_HEADER.size:])["v"]) is float


def test_wire_refuses_what_may_not_cross():
    for value in (object(), np.array(["a"]), np.array([1 + 2j]), {1, 2}, [1, object()], b"bytes"):
        with pytest.raises(wire.WireError):
            wire.pack({"value": value}, 1 << 20)
    with pytest.raises(wire.TooLarge):
        wire.pack({"value": np.zeros(1000)}, 4000)
    deep: list = []
    for _ in range(40):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.pack({"value": deep}, 1 << 20)


def test_wire_rejects_inconsistent_array_headers():
    good = wire.pack({"value": np.arange(6, dtype=np.int64).reshape(2, 3)}, 1 << 20)[wire.FRAME_HEADER.size:]
    assert wire.unpack(good)["value"].shape == (2, 3)
    (length,) = wire.JSON_HEADER.unpack_from(good)
    header = json.loads(good[wire.JSON_HEADER.size:wire.JSON_HEADER.size + length])
    data = good[wire.JSON_HEADER.size + length:]
    for spec in (["<i8", [3, 3], 48], ["<i8", [2, 3], 72], ["<i8", [-1], 48], ["<i8", "2,3", 48], ["<i8", [2, 3]]):
        forged = json.dumps({**header, "arrays": [spec]}).encode()
        with pytest.raises(wire.WireError):
            wire.unpack(wire.JSON_HEADER.pack(len(forged)) + forged + data)
    received = wire.unpack(good)["value"]
    received[0, 0] = 99  # an array of its own, not a read-only view of the message


def test_answers_a_child_forges_never_crash_the_grader():
    """Student-controlled bytes that numpy or Python reject in ways other than WireError (a
    dtype of 3 bytes, a tuple holding a list as a dict key) are an unreadable answer."""
    forged = [
        ({"op": "result", "value": {"$array": 0}}, [["<f3", [1], 3]], b"\0\0\0"),
        ({"op": "result", "value": {"$dict": [[{"$tuple": [[1]]}, 1]]}}, [], b""),
        ({"op": "result", "value": {"$array": 0}}, [["<b2", [1], 2]], b"\0\0"),
    ]
    for body, arrays, data in forged:
        header = json.dumps({"body": body, "arrays": arrays})
        with pytest.raises(wire.WireError):
            wire.unpack(wire.JSON_HEADER.pack(len(header)) + header.encode() + data)
