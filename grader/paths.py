"""Where things are: the project, a rubric named on the command line, the grader's private cache.

Standard library only: `grader grade` resolves these before it imports anything heavy.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from grader.errors import GraderError

# The one place that says where the package is: the child's boot path, the sandbox's hidden
# folders and the Gradescope upload all read these.
PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent  # a checkout's root; for an installed package, the folder holding it


def project_root() -> Path:
    return PROJECT_ROOT


def resolve_rubric(name_or_path: str) -> Path:
    """A rubric path, or an assignment name looked up in ./rubrics then the project's rubrics."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.is_file():
        if not candidate.is_file():
            raise GraderError(f"no rubric at {candidate}")
        return candidate  # as the user wrote it, so messages name the file they know
    folders = _rubric_folders()
    for folder in folders:
        path = folder / f"{name_or_path}.yaml"
        if path.is_file():
            return path
    raise GraderError(unknown_assignment(name_or_path, folders))


def _rubric_folders() -> list[Path]:
    local, shipped = Path("rubrics"), project_root() / "rubrics"
    return [local] if local.resolve() == shipped.resolve() else [local, shipped]


def unknown_assignment(name: str, folders: list[Path]) -> str:
    """What to do when no rubric has this name: the names there are, and the way to give a path
    (an installed grader ships no rubrics/: a course keeps its rubrics in its own folder)."""
    names = sorted({p.stem for folder in folders if folder.is_dir() for p in folder.glob("*.yaml")})
    looked = " and ".join(os.path.join(folder, "") for folder in folders)  # (a trailing separator: folders)
    known = f"assignments there: {', '.join(names)}" if names else "no rubrics there"
    return (f"no assignment named {name!r} (looked for {name}.yaml in {looked}; {known}); "
            "to grade with a rubric elsewhere, give its path: --assignment path/to/rubric.yaml")


def cache_location() -> Path | None:
    """Where the grader's private cache is (call plans, prefetch.py), or None when it is turned
    off: $NUMGRADER_CACHE (off: none), else $XDG_CACHE_HOME/numgrader (on
    Windows %LOCALAPPDATA%\\numgrader), else ~/.cache/numgrader."""
    configured = os.environ.get("NUMGRADER_CACHE")
    if configured is not None and configured.strip().lower() in ("", "off", "0", "no"):
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.environ.get("LOCALAPPDATA") \
        or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "numgrader"


def cache_folder() -> Path | None:
    """The grader's private cache, created owner-only; None when there is none to trust.

    What it holds is written and read by the grader's own user only: a folder that someone
    else owns, or that others may read or write, is not used; nor one whose parent another
    user owns, or others may write without the sticky bit (they could swap the folder). The
    folders above the parent are not checked. The sandbox hides it from submissions
    (sandbox.hidden_paths)."""
    folder = cache_location()
    if folder is None:
        return None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
        parent = os.stat(folder.resolve().parent)
    except OSError:
        return None
    if not hasattr(os, "geteuid"):  # Windows: no uids or mode bits; the user's profile is private by its ACLs
        return folder if stat.S_ISDIR(info.st_mode) else None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        return None
    if parent.st_uid not in (0, os.geteuid()) or (parent.st_mode & 0o022 and not parent.st_mode & stat.S_ISVTX):
        return None
    return folder
