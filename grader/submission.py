"""Finding the file to grade in what a student handed in.

A submission is the expected file itself, or a folder holding it: at the top, or one
folder down (an upload that kept its folder). Archive litter (`__MACOSX/`, `.DS_Store`,
other hidden files) is ignored. A Jupyter notebook of the same name (`.ipynb`) is taken
when the expected `.py` is absent. When neither is there, the message says what was
expected and what was found, so a student can fix the upload.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError, MissingFile
from grader.safe_open import Refused, entries, is_real_dir, read_regular

LITTER = {"__MACOSX", ".DS_Store", "__pycache__", ".ipynb_checkpoints"}


def is_litter(path: Path) -> bool:
    return path.name in LITTER or path.name.startswith(".")


def _shown(entry: os.DirEntry[str]) -> str:
    return f"{entry.name} (a link, not followed)" if entry.is_symlink() else entry.name


def listing(folder: Path, limit: int = 20) -> list[str]:
    """What a folder holds, one level down, without litter and without following links: for
    error messages."""
    names: list[str] = []
    for entry in entries(folder):
        if is_litter(Path(entry.name)):
            continue
        if is_real_dir(entry):
            inner = [f"{entry.name}/{_shown(e)}" for e in entries(Path(entry.path)) if not is_litter(Path(e.name))]
            names += inner or [f"{entry.name}/"]
        else:
            names.append(_shown(entry))
        if len(names) > limit + 1000:  # a folder of a million files: enough to say "more"
            break
    return names[:limit] + ([f"... {len(names) - limit} more"] if len(names) > limit else [])


def alternatives(expected: str) -> list[str]:
    """The names a submission may have: the expected file, then (for a .py) its notebook."""
    path = Path(expected)
    return [expected] + ([str(path.with_suffix(".ipynb"))] if path.suffix == ".py" else [])


def locate(submission: Path, expected: str) -> Path:
    """The file to grade; raises GraderError with what was expected and found.

    In a folder, the expected file wins; when it is absent, a Jupyter notebook with the same
    stem (`hw.ipynb` for `hw.py`) is taken instead, at the top or one folder down. Only real
    folders are looked into: a folder reached through a symbolic link (`solutions -> the
    reference`) is never searched, so every component between the submission and the file is
    a real folder; the file itself is read with safe_open.read_regular (no link, no FIFO).
    """
    if not submission.exists() and not submission.is_symlink():
        raise GraderError(f"no such file: {submission}")
    if not submission.is_dir():
        return submission
    for name in alternatives(expected):
        top = submission / name
        if top.exists() or top.is_symlink():
            # Even a folder, a link or a FIFO of that name: the runner then says what is wrong
            # with it (zero points), rather than the grader refusing to grade.
            return top
        nested = [Path(d.path) / name for d in entries(submission)
                  if is_real_dir(d) and not is_litter(Path(d.name)) and _is_entry(Path(d.path) / name)]
        if len(nested) == 1:
            return nested[0]
        if len(nested) > 1:
            raise MissingFile(f"{submission} holds {len(nested)} copies of {name} in different folders "
                              f"({', '.join(str(p.relative_to(submission)) for p in nested)}); hand in one")
    found = ", ".join(listing(submission)) or "nothing"
    raise MissingFile(f"{submission} has no {expected} (expected {expected}; found: {found})")


def _is_entry(path: Path) -> bool:
    """Whether anything (a file, or a link or FIFO the runner will refuse) has this name."""
    try:
        os.lstat(path)
    except OSError:
        return False
    return True


# -- the other files of a submission ---------------------------------------------------------

MAX_FILES = 100  # beside the graded file
MAX_DEPTH = 3  # folders below the graded file's own
MAX_ENTRIES = 2000  # names looked at in one folder: a folder of a million files costs no more
_SAFE_NAME = re.compile(r"^[^\x00-\x1f/\\]{1,200}$")


@dataclass(frozen=True)
class Companions:
    """The files a submission holds beside the one graded (helper modules, data), as the child
    gets them, and those left out with the reason (for the results)."""

    files: tuple[tuple[str, bytes], ...] = ()  # (path relative to the graded file's folder, content)
    left_out: tuple[tuple[str, str], ...] = ()  # (path, why)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.files]


def companions(graded: Path, file_bytes: int, total_bytes: int, leave_out: Sequence[str] = ()) -> Companions:
    """The regular files in the graded file's folder and its subfolders (at most MAX_DEPTH down),
    but the graded file and the top-level names of `leave_out`: real folders only (never through
    a link), no litter, at most MAX_FILES, each at most `file_bytes` and all together at most
    `total_bytes` (read with safe_open)."""
    files: list[tuple[str, bytes]] = []
    left_out: list[tuple[str, str]] = []
    room = total_bytes

    def walk(folder: Path, prefix: str, depth: int) -> None:
        nonlocal room
        found = entries(folder, MAX_ENTRIES)
        if len(found) == MAX_ENTRIES:
            left_out.append((prefix or "./", f"more than {MAX_ENTRIES} names in one folder: the rest is not read"))
        for entry in found:
            name = f"{prefix}{entry.name}"
            if is_litter(Path(entry.name)) or (not prefix and entry.name in (graded.name, *leave_out)):
                continue
            if not _SAFE_NAME.match(entry.name):
                left_out.append((name, "its name cannot be copied"))
            elif is_real_dir(entry):
                if depth < MAX_DEPTH:
                    walk(Path(entry.path), f"{name}/", depth + 1)
                else:
                    left_out.append((f"{name}/", f"more than {MAX_DEPTH} folders down"))
            elif len(files) >= MAX_FILES:
                left_out.append((name, f"more than {MAX_FILES} files"))
            else:
                try:
                    data = read_regular(Path(entry.path), min(file_bytes, room))
                except Refused as refused:
                    why = "too large" if refused.size is not None else str(refused)
                    left_out.append((name, why))
                    continue
                files.append((name, data))
                room -= len(data)

    walk(graded.parent, "", 0)
    return Companions(tuple(files), tuple(left_out))


SUBMISSION_SUFFIXES = (".py", ".ipynb")


def submission_problem(path: Path) -> str | None:
    """Why the file named on the command line (`grader grade`, `grader check`) is no submission
    (one line), or None.

    Only its kind is judged here (README.md, a .csv): that is a mistake of whoever typed the
    command. A .py or .ipynb whose content is not Python (a zip, binary, NUL bytes) is a
    student's submission all the same: it is graded, as on Gradescope, and its results say why
    it scores 0 (a grade is always written, whatever the submission holds)."""
    if path.is_dir() or not os.path.lexists(path) or path.is_symlink():
        return None
    if path.suffix.lower() not in SUBMISSION_SUFFIXES:
        return f"{path}: not a submission: give a .py file, a .ipynb notebook, or a folder holding one"
    return None
