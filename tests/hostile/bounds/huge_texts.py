"""Texts of megabytes wherever a submission's words reach the results."""

import json
import os
import struct
import sys

HUGE = 3_000_000


def secret():
    # A forged answer frame on the protocol pipe, with a 3.9 MB message, then the end.
    body = json.dumps({"body": {"op": "exception", "message": "F" * 3_900_000}, "arrays": []}).encode()
    payload = struct.pack(">I", len(body)) + body
    os.write(1, struct.pack(">Q", len(payload)) + payload)
    os._exit(0)


def graph():
    return [("w" * HUGE, "L0"), ("w0", "w1")]  # quoted in the comparator's message


def order():
    namespace = {}
    exec(f"def {'f' * HUGE}():\n    raise ValueError('V' * {HUGE})\n", namespace)  # a huge function name too
    namespace["f" * HUGE]()


def add(a, b):
    sys.exit("x" * HUGE)
