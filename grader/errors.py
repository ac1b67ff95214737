"""Errors that end a command with one clear line instead of a traceback."""

from __future__ import annotations


class GraderError(Exception):
    """Grading could not start: the message is shown as it is, exit code 2."""


class RubricError(GraderError):
    """Something is wrong in a rubric or its reference module: says where."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.detail = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class MissingFile(GraderError):
    """A submission folder does not hold the file to grade (or holds several): the student's to fix."""
