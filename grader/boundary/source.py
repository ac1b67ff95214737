"""The student's file, read and vetted before any child starts: a folder, a link out of the
submission, a zip or notebook, a NUL byte, text that is not UTF-8 or a file over the size
limit each get one clear message and no child at all. Standard library only."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from grader.safe_open import Refused, read_regular

_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_NOT_PYTHON = (
    (b"PK\x03\x04", "a zip archive, not Python source: unzip it and submit the .py file inside"),
    (b"PK\x05\x06", "an (empty) zip archive, not Python source"),
    (b"\x1f\x8b", "a gzip archive, not Python source"),
    (b"%PDF", "a PDF document, not Python source"),
    (b"\x7fELF", "a compiled program, not Python source"),
)


def check_source(data: bytes, name: str) -> str | None:
    """Why `data` is not a Python source file to import, or None when it looks like one."""
    for magic, what in _NOT_PYTHON:
        if data.startswith(magic):
            return f"{name} is {what}"
    head = data[:4096].lstrip()
    if head.startswith(b"{") and b'"cells"' in data[:1 << 20]:
        return (f"{name} is a Jupyter notebook, not a Python file: export it as Python "
                "(File > Download as > Python (.py)) and submit that")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        return f"{name} contains a NUL byte (line {line}): it is not a text file"
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError as error:
        bad = error.start
    for first_lines in data.split(b"\n", 2)[:2]:  # PEP 263: a declared encoding is honoured
        match = _CODING.match(first_lines)
        if match:
            try:
                data.decode(codecs.lookup(match.group(1).decode("ascii")).name)
                return None
            except (LookupError, UnicodeDecodeError):
                break
    line = data.count(b"\n", 0, bad) + 1
    return (f"{name} is not UTF-8 text (byte 0x{data[bad]:02X} on line {line}): "
            "save it with the UTF-8 encoding")


def read_submission(path: Path, max_bytes: int) -> tuple[bytes | None, str | None]:
    """The submission's bytes, or a clear reason why it cannot be graded (never raises): a link,
    a folder, a FIFO or device, or a file over the size limit is refused (safe_open)."""
    try:
        data = read_regular(path, max_bytes, "Python file")
    except Refused as refused:
        return None, str(refused)
    problem = check_source(data, path.name)
    return (None, problem) if problem else (data, None)
