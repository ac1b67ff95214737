"""The portable mode: how the boundary runs where Linux's tools are missing (Windows, macOS).

On Linux the child is forked from a warm worker, confined by the sandbox (namespaces, seccomp,
Landlock, rlimits), and its pipes are watched with a selector. None of that exists on Windows,
and most of it not on macOS. There the boundary runs the same child in a fresh interpreter
(`subprocess`), reads its pipes with threads, and still ends every call at its time limit; what it
does not do is confine the student's code: on a student's own machine it is the student's own
code, which is what `grader check` runs. Grading for credit happens on Linux.

`NUMGRADER_PORTABLE=1` forces the mode on Linux (the tests run it so). Standard library only.
"""

from __future__ import annotations

import os
import sys

FORCE = "NUMGRADER_PORTABLE"
NOTE = ("This self-check is not sandboxed on this system: your own code runs on your own computer, "
        "with the course's time limits but not its memory limit.")


def active() -> bool:
    """True where the boundary runs portably: not on Linux, or when forced."""
    return sys.platform != "linux" or os.environ.get(FORCE, "").strip() == "1"
