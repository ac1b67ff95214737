"""The child process: imports one submission and runs the calls the parent asks for.

It is started fresh by runner.py, or forked by a zygote that was itself started fresh and
loaded nothing but this module, grader.boundary.wire and numpy (zygote.py): never forked from a
process that loaded a reference or a rubric. It knows only the submission and the call in
hand, and answers with plain data (wire.py).
Protocol: requests arrive on fd 0, answers leave on fd 1, one frame each; the student's
own prints go to fd 2, which the parent captures and caps.

Before the student's code runs, the child applies the parent's sandbox plan
(grader/sandbox/jail.py: P0 waits, P1 is the pid namespace's init, P2 runs the student's code);
in P2 it imports wire.py (and numpy) while it still can, before the jail closes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import traceback
from types import ModuleType
from typing import TYPE_CHECKING

from grader.boundary import imports
from grader.boundary.protocol import Answer, CallAnswer, CallRequest, ChildConfig, ImportAnswer, ImportFailure

if TYPE_CHECKING:
    from grader.boundary import wire

REQUESTS, ANSWERS = 0, 1


def _load_wire() -> None:
    """Import grader.boundary.wire (and with it numpy) — in the student's process, before the jail."""
    global wire
    from grader.boundary import wire


def _send(message: Answer, limit: int) -> None:
    try:
        frame = wire.pack(dict(message), limit)
    except wire.TooLarge:
        frame = wire.pack({"op": "too_large"}, limit)
    except wire.WireError as error:
        frame = wire.pack({"op": "unsupported", "message": f"returned {error}"}, limit)
    except BaseException as error:  # an answer's own code (a subclass, a signal handler) may raise anything
        frame = wire.pack({"op": "unsupported", "message": f"returned a value that could not be encoded "
                                                           f"({type(error).__name__})"}, limit)
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


def _receive() -> CallRequest | None:
    """The next call from the parent (trusted: the grader wrote it), or None at the end."""
    header = _read_exactly(wire.FRAME_HEADER.size)
    if header is None:
        return None
    (length,) = wire.FRAME_HEADER.unpack(header)
    payload = _read_exactly(length)
    message = None if payload is None else wire.unpack(payload)
    if message is None or message.get("op") != "call":
        return None
    return {"op": "call", "function": str(message["function"]), "args": list(message["args"])}


def _where(error: BaseException, filename: str) -> str:
    """The innermost line of the student's own file in the traceback, if any."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (line {frame.lineno}, in {frame.name})"


def _short(text: str, limit: int = 500) -> str:
    """A bound on what the child itself sends (the grader caps everything again on its side)."""
    return text if len(text) <= limit else text[:limit] + "..."


def _exit_code(error: SystemExit) -> str:
    try:
        return _short(repr(error.code), 100)
    except BaseException:  # the student's object's own __repr__
        return "..."


def _describe(error: BaseException, filename: str) -> str:
    try:
        text = _short(str(error))
    except BaseException:  # a student's exception whose __str__ raises
        text = "(its message could not be read)"
    name = _short(type(error).__name__, 100)
    where = _short(_where(error, filename), 200)
    return f"{name}: {text}{where}" if text else f"{name}{where}"


def _import(path: str, module_name: str) -> tuple[ModuleType | None, ImportAnswer]:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        return None, {"op": "import_error", "kind": "exception", "message": "cannot be imported as a module"}
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    out_of_memory = False
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        where = f"line {error.lineno}" + (f", column {error.offset}" if error.offset else "")
        detail = f"{type(error).__name__}: {_short(str(error.msg))} ({where})"
        if error.text:
            detail += f"\n    {_short(error.text.rstrip())}"
        failure: ImportFailure = {"op": "import_error", "kind": "syntax", "message": detail, "line": error.lineno}
        return None, failure
    except SystemExit as error:
        return None, {"op": "import_error", "kind": "exit",
                      "message": f"the module ended the process while being imported (exit({_exit_code(error)}))"}
    except MemoryError:  # not bound to a name: leaving this block frees the traceback and its frames
        out_of_memory = True
    except BaseException as error:  # the student's code may raise anything
        return None, {"op": "import_error", "kind": "exception",
                      "message": f"raised {_describe(error, path)} while being imported"}
    if out_of_memory:
        sys.modules.pop(module_name, None)
        return None, {"op": "import_error", "kind": "memory", "message": "exceeded the memory limit"}
    return module, {"op": "ready"}


def _call(module: ModuleType, path: str, request: CallRequest) -> CallAnswer:
    name = request["function"]
    function = getattr(module, name, None)
    if not callable(function):
        return {"op": "missing", "function": name}
    started = time.perf_counter()
    out_of_memory = False
    try:
        value = function(*request["args"])
    except SystemExit as error:
        return {"op": "exited", "message": f"the function ended the process (exit({_exit_code(error)}))"}
    except MemoryError:
        out_of_memory = True
    except BaseException as error:
        return {"op": "exception", "message": f"raised {_describe(error, path)}"}
    finally:
        sys.stdout.flush()
    if out_of_memory:
        return {"op": "memory"}
    return {"op": "result", "value": value, "seconds": time.perf_counter() - started}


def _isolate_output() -> None:
    """Send the student's prints to fd 2 and give them no stdin: fds 0/1 carry the protocol."""
    # These streams live as long as the process: no context manager.
    student_output = open(2, "w", closefd=False, buffering=1, encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
    sys.stdout = sys.stderr = student_output
    vars(sys).update(__stdout__=student_output, __stderr__=student_output)  # "the real stdout" is this one too
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115


def main(config: ChildConfig | None = None) -> None:
    """Run the child: `config` from runner.py (as argv[1] when spawned, directly when forked
    by the zygote, zygote.py)."""
    if config is None:
        config = json.loads(sys.argv[1])
    sys.dont_write_bytecode = True
    plan = config.get("sandbox")
    if plan is not None:  # (Linux only: a portable child has no plan, portable.py)
        from grader.sandbox import jail  # standard library only, like this module
        from grader.sandbox.plan import Plan

        jail.enter(Plan.from_json(plan), int(config["status_fd"]), int(config["parent"]), before=_load_wire)
        # returns in P2 only, sandboxed
    _load_wire()
    limit = int(config["message_limit"])
    path = config["submission"]
    _isolate_output()
    os.chdir(os.path.dirname(path))
    sys.path.insert(0, os.path.dirname(path))
    if "allowed_modules" in config:  # (imports.py is loaded with this module: the jail hides the grader)
        imports.allow_only(config["allowed_modules"], config.get("declared", []), config.get("installed", []))
    sys.argv = [path]
    module, answer = _import(path, config["module"])
    _send(answer, limit)
    if module is None:
        return
    while True:
        request = _receive()
        if request is None:
            return
        _send(_call(module, path, request), limit)
