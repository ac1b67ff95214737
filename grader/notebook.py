"""Jupyter notebook submissions: the code cells, in order, become the module the child imports.

Markdown and raw cells are ignored. IPython-only lines (magics `%…`, shell escapes `!…`,
`x = !…`, help lines `?x` / `x?`) are replaced by `pass` at the same indentation, so the
module keeps one line per notebook line; a cell magic (`%%…`) drops its whole cell, except
`%%time` and `%%capture`, whose body is ordinary Python. Every dropped line is listed in a
note for the results. The child reports "line N" of the converted module; `Program.message`
maps that back to "cell K, line M" (cells counted from the top of the notebook, markdown
cells included, as they appear on screen).

Notebooks are read with `nbformat`; a file that is not a notebook (not JSON, or not the
notebook format) becomes a clear import failure, like a syntax error: zero points, not a crash.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from grader.boundary.outcome import Outcome
from grader.errors import GraderError
from grader.safe_open import Refused, read_regular

SUFFIX = ".ipynb"
# Cell magics whose body is Python that Jupyter runs in the notebook's namespace.
_PYTHON_CELL_MAGICS = {"time", "capture"}
_LINE_MAGIC = re.compile(r"^\s*(?:[%!?]|[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[%!])")
_HELP_LINE = re.compile(r"^\s*[A-Za-z_][\w.]*\?\??\s*$")
# What the child appends to its messages: "(line N, column C)", "(line N, in f)", "(line N)",
# and SyntaxError texts such as "... does not match opening parenthesis '[' on line N".
_LOCATION = re.compile(r"\(line (\d{1,9})(?=[,)])")  # bounded: a line number of 5,000 digits is not one
_ON_LINE = re.compile(r"\bon line (\d{1,9})\b")
_MAX_NOTED = 12
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_LINES = 200_000  # lines of code in one notebook
MAX_CELLS = 10_000
CONVERT_SECONDS = 10.0


class NotebookError(GraderError):
    """The file is not a notebook that can be run."""


def is_notebook(path: Path) -> bool:
    return path.suffix.lower() == SUFFIX


@dataclass(frozen=True)
class Converted:
    """A notebook as one module: its source, where each line came from, what was dropped."""

    source: str
    origin: tuple[tuple[int, int], ...]  # module line i + 1 -> (cell number, line in the cell)
    dropped: tuple[str, ...] = ()

    def locate(self, line: int) -> tuple[int, int] | None:
        return self.origin[line - 1] if 1 <= line <= len(self.origin) else None

    def note(self, name: str) -> str:
        """The note for the results' output, or "" when nothing was dropped."""
        if not self.dropped:
            return ""
        shown = "; ".join(self.dropped[:_MAX_NOTED])
        more = f"; and {len(self.dropped) - _MAX_NOTED} more" if len(self.dropped) > _MAX_NOTED else ""
        return (f"{name}: IPython lines that are not Python were dropped (the rest of each cell ran): "
                f"{shown}{more}.")


class _Continuation:
    """Whether the lines fed so far leave a statement open (a bracket, a triple-quoted string, a
    trailing backslash), so that the next line continues it. One pass over each line, so that a
    cell converts in time linear in its size (tokenizing the cell again at every IPython-looking
    line was quadratic)."""

    def __init__(self) -> None:
        self.depth = 0  # open brackets
        self.quote = ""  # the quote of a string still open at the end of the last line, or ""
        self.backslash = False

    @property
    def open(self) -> bool:
        return self.depth > 0 or bool(self.quote) or self.backslash

    def feed(self, line: str) -> None:
        self.backslash = False
        i, end = 0, len(line)
        while i < end:
            if self.quote:  # inside a string opened on an earlier line: find its end
                close = _string_end(line, i, self.quote)
                if close < 0:
                    if len(self.quote) == 1 and not line.endswith("\\"):
                        self.quote = ""  # a one-line string not continued: a syntax error compiling reports
                    return
                self.quote, i = "", close
                continue
            char = line[i]
            if char == "#":
                return
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            elif char == "\\" and i == end - 1:
                self.backslash = True
            elif char in "'\"":
                triple = line.startswith(char * 3, i)
                quote = char * 3 if triple else char
                close = _string_end(line, i + len(quote), quote)
                if close < 0:
                    if triple or line.endswith("\\"):  # a one-line string goes on after a backslash
                        self.quote = quote
                    return
                i = close
                continue
            i += 1


def _string_end(line: str, start: int, quote: str) -> int:
    """The index after `quote` closing a string that runs from `start`, or -1 if it stays open."""
    i = start
    while i < len(line):
        if line[i] == "\\":
            i += 2
        elif line.startswith(quote, i):
            return i + len(quote)
        else:
            i += 1
    return -1


def _is_ipython_line(line: str) -> bool:
    return bool(_LINE_MAGIC.match(line) or _HELP_LINE.match(line))


def _shown(text: str, limit: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def convert_cells(cells: list[tuple[str, str]]) -> Converted:
    """(cell type, source) pairs → one module. Cell numbers count every cell, from 1."""
    out: list[str] = []
    origin: list[tuple[int, int]] = []
    dropped: list[str] = []
    deadline = time.monotonic() + CONVERT_SECONDS
    for number, (kind, source) in enumerate(cells, start=1):
        if kind != "code":
            continue
        lines = source.splitlines()
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is not None and lines[first].lstrip().startswith("%%"):
            magic = lines[first].strip()
            name = magic[2:].split(maxsplit=1)[0] if len(magic) > 2 else ""
            if name not in _PYTHON_CELL_MAGICS:
                dropped.append(f"cell {number} ({_shown(magic)} cell)")
                continue
            dropped.append(f"cell {number}, line {first + 1} ({_shown(magic)})")
            lines[first] = "pass"
        if len(out) >= MAX_LINES:  # an empty cell adds its separator line too
            raise NotebookError(f"the notebook is too long to convert (the limit is {MAX_LINES} lines of code)")
        kept: list[str] = []
        state = _Continuation()
        for index, line in enumerate(lines):
            if len(out) + len(kept) >= MAX_LINES or time.monotonic() > deadline:
                raise NotebookError(f"the notebook is too long to convert (the limit is {MAX_LINES} lines of code "
                                    f"and {CONVERT_SECONDS:g} s)")
            if not state.open and _is_ipython_line(line):
                dropped.append(f"cell {number}, line {index + 1} ({_shown(line)})")
                indent = line[: len(line) - len(line.lstrip())]
                line = f"{indent}pass"
            state.feed(line)
            kept.append(line)
        for index, line in enumerate(kept):
            out.append(line)
            origin.append((number, index + 1))
        out.append("")  # a blank line between cells: one cell never runs on into the next
        origin.append((number, len(kept) + 1))
    return Converted("\n".join(out) + "\n", tuple(origin), tuple(dropped))


def _json_problem(text: str) -> str:
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return f"it is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
    return "it is not in the Jupyter notebook format"


def read_notebook(path: Path) -> Converted:
    """Read and convert a notebook; raises NotebookError with a message for the student."""
    name = path.name
    advice = "Open it in Jupyter and save it again, or hand in a .py file."
    try:  # the grader's own process reads it: a link, a FIFO or a huge file is refused (safe_open)
        text = read_regular(path, MAX_NOTEBOOK_BYTES, "notebook").decode("utf-8-sig")
    except Refused as refused:
        raise NotebookError(str(refused)) from None
    except UnicodeDecodeError:
        raise NotebookError(f"{name} is not a Jupyter notebook: it is not UTF-8 text. {advice}") from None
    if text.count('"cell_type"') > MAX_CELLS:  # before nbformat, whose validation of each cell is slow
        raise NotebookError(f"{name} has more than {MAX_CELLS} cells: it is too long to grade")
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notebook = cast(Any, nbformat).reads(text, as_version=4)
        cells = [(str(cell.get("cell_type", "")), _source(cell.get("source", ""))) for cell in notebook.cells]
    except Exception:  # nbformat raises ValueError, jsonschema errors, AttributeError...
        raise NotebookError(f"{name} is not a Jupyter notebook: {_json_problem(text)}. {advice}") from None
    return convert_cells(cells)


def _source(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return str(value)


@dataclass(frozen=True)
class Program:
    """What the child imports for one submission, and how to read its messages back.

    For a .py file this is the file itself; for a notebook, a converted copy in a temporary
    folder (`error` is set instead when the notebook cannot be read).
    """

    path: Path
    submitted: Path
    converted: Converted | None = None
    error: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def message(self, text: str) -> str:
        """Module line numbers in a child's message, as notebook cells and lines."""
        converted = self.converted
        if converted is None or not text:
            return text

        def cell_line(match: re.Match[str], template: str) -> str:
            where = converted.locate(int(match.group(1)))
            return template.format(*where) if where else match.group(0)

        text = _LOCATION.sub(lambda m: cell_line(m, "(cell {0}, line {1}"), text)
        return _ON_LINE.sub(lambda m: cell_line(m, "on line {1} of cell {0}"), text)

    def outcome(self, outcome: Outcome) -> Outcome:
        """The runner's Outcome with its message mapped (values are left alone)."""
        if self.converted is None or not outcome.message:
            return outcome
        return replace(outcome, message=self.message(outcome.message))


@contextlib.contextmanager
def prepared(submission: Path, module_filename: str) -> Iterator[Program]:
    """The program to run for `submission`: the file itself, or its notebook converted.

    `module_filename` (the rubric's submission filename) names the converted file, so the
    child imports it under the module name the rubric expects.
    """
    if not is_notebook(submission):
        yield Program(submission, submission)
        return
    try:
        converted = read_notebook(submission)
    except NotebookError as error:
        yield Program(submission, submission, error=str(error))
        return
    folder = Path(tempfile.mkdtemp(prefix="grader-notebook-"))
    try:
        target = folder / (Path(module_filename).stem + ".py")
        target.write_text(converted.source, encoding="utf-8")
        note = converted.note(submission.name)
        yield Program(target, submission, converted, notes=(note,) if note else ())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
