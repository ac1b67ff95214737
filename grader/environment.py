"""The student's environment: which installed distributions a rubric's `environment.packages`
stand for, and the top-level modules they (and what they need) provide. The child may import
those, its own files and the standard library, nothing else (boundary/imports.py applies it),
so a submission gets the same grade whatever else this machine has installed.

Parent side only (importlib.metadata and packaging); the result is plain data for the child.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.files import write_atomically
from grader.paths import cache_folder


@dataclass(frozen=True)
class StudentEnvironment:
    declared: tuple[str, ...]  # the rubric's requirements, as written
    modules: tuple[str, ...]  # the top-level modules they provide, sorted
    missing: tuple[str, ...] = ()  # declared but not installed here


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _top_level(distribution: Any) -> set[str]:  # an importlib.metadata.Distribution
    text = distribution.read_text("top_level.txt")
    if text:
        return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("_")}
    names = set()
    for path in distribution.files or ():
        first = path.parts[0] if path.parts else ""
        if first.endswith((".dist-info", ".egg-info", ".data")) or first in ("..", "") or first.startswith("_"):
            continue
        name = first[:-3] if first.endswith(".py") else first
        if name.isidentifier() and (len(path.parts) > 1 or first.endswith((".py", ".so", ".pyd"))):
            names.add(name.split(".")[0])
    return names


def _needs(distribution: Any) -> Iterable[str]:
    from packaging.requirements import Requirement

    for text in distribution.requires or ():
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            yield requirement.name


@functools.cache
def installed_folders() -> tuple[str, ...]:
    """Where this interpreter's installed packages live (site-packages, the user's too)."""
    import site
    import sysconfig

    paths = sysconfig.get_paths()
    folders = {paths[key] for key in ("purelib", "platlib") if key in paths}
    folders.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    if site.ENABLE_USER_SITE and site.getusersitepackages():
        folders.add(site.getusersitepackages())
    return tuple(sorted(folders))


@functools.cache
def resolve(declared: tuple[str, ...], strict: bool = True) -> StudentEnvironment:
    """The modules of `declared` and of everything they need, as installed here. A declared package
    that is not installed is a GraderError when `strict` (grading), else listed as missing (a
    student's `grader check` says what to install).

    Reading the installed metadata takes ~150 ms for numpy, scipy and matplotlib, so the answer
    is kept in the grader's private cache while the folders packages are installed in stay as
    they are (their modification times: installing or removing a package changes them)."""
    stamp = _stamp(declared)
    found = _cached(stamp)
    if found is None:
        found = _resolve(declared)
        _keep(stamp, found)
    if found.missing and strict:
        raise GraderError(f"the rubric's environment needs {', '.join(found.missing)}, which is not installed here: "
                          f"pip install {' '.join(found.missing)} (make install does it for the project's rubrics)")
    return found


def _stamp(declared: tuple[str, ...]) -> dict[str, Any]:
    folders = installed_folders()
    times = {}
    for folder in folders:
        with contextlib.suppress(OSError):
            times[folder] = os.stat(folder).st_mtime_ns
    return {"format": 1, "declared": list(declared), "python": sys.version, "folders": times}


def _cache_file(stamp: dict[str, Any]) -> Path | None:
    folder = cache_folder()
    if folder is None:
        return None
    key = hashlib.sha256(json.dumps(stamp["declared"]).encode()).hexdigest()[:24]
    return folder / f"environment-{key}.json"


def _cached(stamp: dict[str, Any]) -> StudentEnvironment | None:
    path = _cache_file(stamp)
    try:
        data = json.loads(path.read_bytes()) if path is not None else None
        if not isinstance(data, dict) or data.get("stamp") != stamp:
            return None
        return StudentEnvironment(tuple(stamp["declared"]), tuple(map(str, data["modules"])),
                                  tuple(map(str, data["missing"])))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _keep(stamp: dict[str, Any], found: StudentEnvironment) -> None:
    path = _cache_file(stamp)
    if path is None:
        return
    with contextlib.suppress(OSError):
        write_atomically(path, json.dumps({"stamp": stamp, "modules": found.modules, "missing": found.missing}),
                         mode=0o600)


def _resolve(declared: tuple[str, ...]) -> StudentEnvironment:
    from importlib import metadata  # ~45 ms to import: only when the cache cannot answer

    from packaging.requirements import Requirement

    modules: set[str] = set()
    missing: list[str] = []
    seen: set[str] = set()
    todo = [Requirement(text).name for text in declared]
    top = set(map(_canonical, todo))
    while todo:
        name = todo.pop()
        if _canonical(name) in seen:
            continue
        seen.add(_canonical(name))
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if _canonical(name) in top:
                missing.append(name)
            continue
        modules |= _top_level(distribution)
        todo += list(_needs(distribution))
    return StudentEnvironment(tuple(declared), tuple(sorted(modules)), tuple(missing))


def third_party_imports(source: str) -> set[str]:
    """The top-level modules a Python source imports that are not the standard library's."""
    import ast
    import sys

    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name != "__future__"}


def grader_requirements() -> list[str]:
    """The grader's own runtime requirements (its installed metadata; extras left out)."""
    from importlib import metadata

    from packaging.requirements import Requirement

    try:
        requires = metadata.distribution("numgrader").requires or []
    except metadata.PackageNotFoundError:
        return []
    return [text for text in requires if (r := Requirement(text)).marker is None or r.marker.evaluate({"extra": ""})]


def reference_imports_outside(reference: Path, requirements: Iterable[str]) -> list[str]:
    """The third-party modules the reference imports that none of `requirements` (and what they
    need) provides: the grader would fail to import it where only those are installed."""
    provided = set(resolve(tuple(requirements), strict=False).modules)
    return sorted(third_party_imports(reference.read_text(encoding="utf-8")) - provided)
