"""The Gradescope container's layout: where the submission, its metadata, the source and the
results are, and what the metadata says (standard library only)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.errors import GraderError

DEFAULT_ROOT = Path("/autograder")
ROOT_VARIABLE = "GRADER_AUTOGRADER_ROOT"


@dataclass(frozen=True)
class AutograderPaths:
    """Gradescope's layout under the root: source/, submission/, results/, submission_metadata.json."""

    root: Path

    @classmethod
    def resolve(cls, option: str | None) -> AutograderPaths:
        return cls(Path(option or os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT).absolute())

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def submission(self) -> Path:
        return self.root / "submission"

    @property
    def results(self) -> Path:
        return self.root / "results" / "results.json"

    @property
    def metadata(self) -> Path:
        return self.root / "submission_metadata.json"

    def rubric(self, name: str | None) -> Path:
        """source/rubrics/NAME.yaml; without a name, the only rubric there is."""
        folder = self.source / "rubrics"
        if name:
            path = folder / f"{name}.yaml"
            if not path.is_file():
                raise GraderError(f"no rubric {path}")
            return path
        found = sorted(folder.glob("*.yaml"))
        if len(found) != 1:
            raise GraderError(f"expected one rubric in {folder}, found {len(found)}: pass --assignment")
        return found[0]


def read_submission_metadata(path: Path) -> dict[str, Any]:
    """What is worth keeping of Gradescope's submission_metadata.json; never raises.

    Kept: the submission's id and time, the assignment's ids and due dates, the submitters' ids
    (not their names or e-mails) and how many submissions came before. A missing file gives {};
    a malformed one gives what could be read and a `metadata_problems` list.
    """
    if not path.exists():
        return {}
    problems: list[str] = []
    kept: dict[str, Any] = {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return {"metadata_problems": [f"unreadable: {type(error).__name__}: {str(error)[:200]}"]}
    if not isinstance(data, dict):
        return {"metadata_problems": [f"not a JSON object but {type(data).__name__}"]}

    def take(source: dict[str, Any], key: str, target: str, kinds: tuple[type, ...]) -> None:
        value = source.get(key)
        if value is None:
            return
        if isinstance(value, kinds) and not isinstance(value, bool):
            kept[target] = value
        else:
            problems.append(f"{key}: unexpected {type(value).__name__}")

    take(data, "id", "submission_id", (int, str))
    take(data, "created_at", "created_at", (str,))
    assignment = data.get("assignment")
    if isinstance(assignment, dict):
        for key, target in (("id", "assignment_id"), ("course_id", "course_id")):
            take(assignment, key, target, (int, str))
        for key in ("title", "due_date", "late_due_date"):
            take(assignment, key, key, (str,))
    elif assignment is not None:
        problems.append("assignment: not an object")
    users = data.get("users")
    own_due: list[str] = []  # each submitter's own due date (an extension), when Gradescope gives one
    if isinstance(users, list):
        for user in users:
            mine = user.get("assignment") if isinstance(user, dict) else None
            if isinstance(mine, dict) and isinstance(mine.get("due_date"), str):
                own_due.append(mine["due_date"])
        ids = [u.get("id") for u in users if isinstance(u, dict)]
        kept["user_ids"] = [i for i in ids if isinstance(i, int | str) and not isinstance(i, bool)]
        if len(kept["user_ids"]) != len(users):
            problems.append("users: some entries have no id")
    elif users is not None:
        problems.append("users: not a list")
    previous = data.get("previous_submissions")
    if isinstance(previous, list):
        kept["previous_submissions"] = len(previous)
    created, due = kept.get("created_at"), kept.get("due_date")
    if isinstance(created, str) and (own_due or isinstance(due, str)):
        try:
            # Late against the submitters' own due dates (extensions), the latest of a group's;
            # the assignment's only when Gradescope gives none per user.
            deadline = max(datetime.fromisoformat(d) for d in (own_due or [str(due)]))
            kept["late"] = datetime.fromisoformat(created) > deadline
            if own_due:
                kept["own_due_date"] = deadline.isoformat()
        except (ValueError, TypeError) as error:  # TypeError: one has a time zone, the other not
            problems.append(f"dates: {error}")
    if problems:
        kept["metadata_problems"] = problems
    return kept
