"""What of the host a child sees: the system folders, Python, a few devices; and what it must
never see (the project, the grader, its cache)."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from pathlib import Path

from grader.paths import PACKAGE_DIR, PROJECT_ROOT, cache_location

# Top-level system folders a Python program may need, bound read-only (or re-created as the
# symlinks they are on merged-/usr systems). Nothing else of the host is in the child's view.
SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
# Imported before the privilege drop when the sandbox's uid cannot read Python's own files
# (Python installed under a private home, e.g. pyenv in /root, and no mount namespace).
PRELOAD = (
    "abc", "array", "bisect", "calendar", "cmath", "collections", "contextlib", "copy", "csv", "dataclasses",
    "datetime", "decimal", "enum", "fractions", "functools", "heapq", "io", "itertools", "json", "math",
    "numbers", "operator", "pprint", "random", "re", "statistics", "string", "subprocess", "textwrap",
    "time", "typing", "unittest", "warnings", "glob", "pathlib", "shutil", "tempfile", "socket", "pickle",
    "struct", "hashlib", "base64", "logging", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.polynomial",
)


def covered(path: str, folders: Iterable[str]) -> bool:
    """Is `path` one of `folders` or inside one?"""
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


@functools.cache
def system_view() -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(symlinks, read-only binds) that make Python and the system usable in the child."""
    links: list[tuple[str, str]] = []
    binds: list[str] = []
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            links.append((folder, os.readlink(folder)))
        elif os.path.isdir(folder):
            binds.append(folder)
    wanted = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
              os.path.dirname(os.path.realpath(sys.executable))]
    paths = sysconfig.get_paths()
    wanted += [paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths]
    for path in wanted:
        for candidate in (path, os.path.realpath(path)):
            if os.path.isdir(candidate) and not covered(candidate, binds) \
                    and not covered(candidate, [link for link, _ in links]):
                # A deeper folder of one already bound is covered; a parent replaces its children.
                binds = [b for b in binds if not covered(b, [candidate])] + [candidate]
    return tuple(links), tuple(sorted(set(binds), key=lambda p: (p.count("/"), p)))


@functools.cache
def python_paths() -> tuple[str, ...]:
    """Python's own library folders (the standard library and site-packages)."""
    paths = sysconfig.get_paths()
    return tuple(sorted({paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}))


def hidden_paths(extra: Sequence[Path] = ()) -> list[str]:
    """Folders that must never be visible: the project (reference/, rubrics/), the grader's
    package, the grader's working directory, its cache (call plans hold hidden inputs), and
    what the caller names."""
    paths = {str(PROJECT_ROOT), str(PACKAGE_DIR)}
    with contextlib.suppress(OSError):  # a working directory that was deleted
        paths.add(os.getcwd())
    cache = cache_location()
    if cache is not None and cache.exists():
        paths.add(str(cache.resolve()))
    paths.update(str(Path(p).resolve()) for p in extra)
    env = os.environ.get("NUMGRADER_SANDBOX_HIDE", "")
    paths.update(str(Path(p).resolve()) for p in env.split(os.pathsep) if p)
    return sorted(paths)
