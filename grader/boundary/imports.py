"""In the child: the student's code imports the standard library, its own files and the course's
declared packages (grader/environment.py), nothing else, whatever this machine has installed.

A finder placed first on sys.meta_path answers for top-level names only: a name the usual finders
would take from an installed package's folder (site-packages) must be one of the declared
packages' (or what they need); any other one fails as a ModuleNotFoundError that says what is
available. The standard library (its private modules too) and the student's own files are never
in such a folder. Standard library only. A fairness rule, not a wall: the sandbox is the wall.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Imports:
    """What the child's code may import besides the standard library and its own files."""

    allowed: tuple[str, ...]  # top-level module names
    declared: tuple[str, ...]  # the rubric's requirements, for the message
    installed: tuple[str, ...] = ()  # the folders installed packages live in (site-packages)


class DeclaredOnly:  # a meta path finder (importlib.abc, ~15 ms to import, is not needed for one)
    def __init__(self, allowed: Sequence[str], declared: Sequence[str], installed: Sequence[str]) -> None:
        self.allowed = frozenset(allowed) | frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)
        self.declared = ", ".join(declared) or "none"
        self.installed = tuple(os.path.join(os.path.realpath(p), "") for p in installed)

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if path is not None or name in self.allowed or name in sys.modules:
            return None  # a submodule (its package was allowed), or a name that may be imported
        spec = importlib.machinery.PathFinder.find_spec(name, sys.path)
        where = (spec.origin or next(iter(spec.submodule_search_locations or []), "")) if spec else ""
        if not where or not os.path.realpath(where).startswith(self.installed):
            return None  # not an installed package: the student's own file, the standard library, or nothing
        raise ModuleNotFoundError(
            f"{name} is not available in this course's grading environment (available besides the standard "
            f"library and your own files: {self.declared})", name=name)


def allow_only(allowed: Sequence[str], declared: Sequence[str], installed: Sequence[str]) -> None:
    sys.meta_path.insert(0, DeclaredOnly(allowed, declared, installed))
