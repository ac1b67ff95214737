"""Finding the file to grade in what a student handed in.

A submission is the expected file itself, or a folder holding it: at the top, or one
folder down (an upload that kept its folder). Archive litter (`__MACOSX/`, `.DS_Store`,
other hidden files) is ignored. A Jupyter notebook of the same name (`.ipynb`) is taken
when the expected `.py` is absent. When neither is there, the message says what was
expected and what was found, so a student can fix the upload.
"""

from __future__ import annotations

from pathlib import Path

from grader.errors import GraderError

LITTER = {"__MACOSX", ".DS_Store", "__pycache__", ".ipynb_checkpoints"}


def is_litter(path: Path) -> bool:
    return path.name in LITTER or path.name.startswith(".")


def listing(folder: Path, limit: int = 20) -> list[str]:
    """What a folder holds, one level down, without litter: for error messages."""
    names: list[str] = []
    for entry in sorted(folder.iterdir()):
        if is_litter(entry):
            continue
        if entry.is_dir():
            inner = [f"{entry.name}/{e.name}" for e in sorted(entry.iterdir()) if not is_litter(e)]
            names += inner or [f"{entry.name}/"]
        else:
            names.append(entry.name)
    return names[:limit] + ([f"... {len(names) - limit} more"] if len(names) > limit else [])


def alternatives(expected: str) -> list[str]:
    """The names a submission may have: the expected file, then (for a .py) its notebook."""
    path = Path(expected)
    return [expected] + ([str(path.with_suffix(".ipynb"))] if path.suffix == ".py" else [])


def locate(submission: Path, expected: str) -> Path:
    """The file to grade; raises GraderError with what was expected and found.

    In a folder, the expected file wins; when it is absent, a Jupyter notebook with the same
    stem (`hw.ipynb` for `hw.py`) is taken instead, at the top or one folder down.
    """
    if not submission.exists() and not submission.is_symlink():
        raise GraderError(f"no such file: {submission}")
    if not submission.is_dir():
        return submission
    for name in alternatives(expected):
        top = submission / name
        if top.exists() or top.is_symlink():
            # Even a folder or a dangling link of that name: the runner then says what is wrong
            # with it (zero points), rather than the grader refusing to grade.
            return top
        nested = [d / name for d in sorted(submission.iterdir())
                  if d.is_dir() and not is_litter(d) and (d / name).is_file()]
        if len(nested) == 1:
            return nested[0]
        if len(nested) > 1:
            raise GraderError(f"{submission} holds {len(nested)} copies of {name} in different folders "
                              f"({', '.join(str(p.relative_to(submission)) for p in nested)}); hand in one")
    found = ", ".join(listing(submission)) or "nothing"
    raise GraderError(f"{submission} has no {expected} (expected {expected}; found: {found})")
