"""Which stored results a rerun of the batch keeps: those graded against the same rubric,
reference and grader, of the same files, with the same times for the late policy, and final."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def stored_results(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_current(data: dict[str, Any] | None, fingerprint: str, submission_sha256: str,
               times: dict[str, Any] | None = None) -> bool:
    """A stored result a rerun keeps: same rubric, reference and grader; same files; final; and the
    same times the late policy reads (`times`: submitted_at and due, as the task's meta has them)."""
    if data is None:
        return False
    batch = data.get("extra_data", {}).get("batch", {})
    return (batch.get("fingerprint") == fingerprint and batch.get("submission_sha256") == submission_sha256
            and batch.get("final") is True
            and all(batch.get(name) == value for name, value in (times or {}).items()))
