"""The child process: imports one submission and runs the calls the parent asks for.

It is started fresh by runner.py (never forked from a process that loaded a reference),
knows only the submission and the call in hand, and answers with plain data (wire.py).
Protocol: requests arrive on fd 0, answers leave on fd 1, one frame each; the student's
own prints go to fd 2, which the parent captures and caps.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import traceback
from types import ModuleType
from typing import Any

from grader import wire

REQUESTS, ANSWERS = 0, 1


def _send(message: dict[str, Any], limit: int) -> None:
    try:
        frame = wire.pack(message, limit)
    except wire.TooLarge:
        frame = wire.pack({"op": "too_large"}, limit)
    except wire.WireError as error:
        frame = wire.pack({"op": "unsupported", "message": f"returned {error}"}, limit)
    view = memoryview(frame)
    while view:
        written = os.write(ANSWERS, view)
        view = view[written:]


def _read_exactly(count: int) -> bytes | None:
    chunks, remaining = [], count
    while remaining:
        chunk = os.read(REQUESTS, min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _receive() -> dict[str, Any] | None:
    header = _read_exactly(wire.FRAME_HEADER.size)
    if header is None:
        return None
    (length,) = wire.FRAME_HEADER.unpack(header)
    payload = _read_exactly(length)
    return None if payload is None else wire.unpack(payload)


def _where(error: BaseException, filename: str) -> str:
    """The innermost line of the student's own file in the traceback, if any."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (line {frame.lineno}, in {frame.name})"


def _describe(error: BaseException, filename: str) -> str:
    text = str(error)
    if len(text) > 500:
        text = text[:500] + "..."
    name = type(error).__name__
    return f"{name}: {text}{_where(error, filename)}" if text else f"{name}{_where(error, filename)}"


def _import(path: str, module_name: str) -> tuple[ModuleType | None, dict[str, Any]]:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        return None, {"op": "import_error", "kind": "exception", "message": "cannot be imported as a module"}
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        where = f"line {error.lineno}" + (f", column {error.offset}" if error.offset else "")
        detail = f"{type(error).__name__}: {error.msg} ({where})"
        if error.text:
            detail += f"\n    {error.text.rstrip()}"
        return None, {"op": "import_error", "kind": "syntax", "message": detail, "line": error.lineno}
    except SystemExit as error:
        return None, {"op": "import_error", "kind": "exit",
                      "message": f"the module ended the process while being imported (exit({error.code!r}))"}
    except BaseException as error:  # the student's code may raise anything
        return None, {"op": "import_error", "kind": "exception",
                      "message": f"raised {_describe(error, path)} while being imported"}
    return module, {"op": "ready"}


def _call(module: ModuleType, path: str, request: dict[str, Any]) -> dict[str, Any]:
    name = request["function"]
    function = getattr(module, name, None)
    if not callable(function):
        return {"op": "missing", "function": name}
    started = time.perf_counter()
    try:
        value = function(*request["args"])
    except SystemExit as error:
        return {"op": "exited", "message": f"the function ended the process (exit({error.code!r}))"}
    except BaseException as error:
        return {"op": "exception", "message": f"raised {_describe(error, path)}"}
    finally:
        sys.stdout.flush()
    return {"op": "result", "value": value, "seconds": time.perf_counter() - started}


def _isolate_output() -> None:
    """Send the student's prints to fd 2 and give them no stdin: fds 0/1 carry the protocol."""
    # These streams live as long as the process: no context manager.
    student_output = open(2, "w", closefd=False, buffering=1, encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
    sys.stdout = sys.stderr = student_output
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115


def main() -> None:
    config = json.loads(sys.argv[1])
    limit = int(config["message_limit"])
    path = config["submission"]
    _isolate_output()
    os.chdir(os.path.dirname(path))
    sys.path.insert(0, os.path.dirname(path))
    sys.argv = [path]
    module, answer = _import(path, config["module"])
    _send(answer, limit)
    if module is None:
        return
    while True:
        request = _receive()
        if request is None or request.get("op") != "call":
            return
        _send(_call(module, path, request), limit)
