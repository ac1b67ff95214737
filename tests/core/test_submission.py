"""Finding the file to grade in what a student handed in (grader/submission.py)."""

from __future__ import annotations

import pytest

from grader.errors import GraderError
from grader.submission import locate
from tests.support import TINY

CORRECT = (TINY / "submissions" / "correct.py").read_text()


def test_submission_folder_rules(tmp_path):
    upload = tmp_path / "upload"
    (upload / "__MACOSX" / "hw").mkdir(parents=True)
    (upload / "__MACOSX" / "hw" / "tiny.py").write_text("litter")
    (upload / ".DS_Store").write_text("")
    (upload / "hw").mkdir()
    (upload / "hw" / "tiny.py").write_text(CORRECT)
    assert locate(upload, "tiny.py") == upload / "hw" / "tiny.py"  # one folder down, litter ignored
    (upload / "tiny.py").write_text(CORRECT)
    assert locate(upload, "tiny.py") == upload / "tiny.py"  # the top wins
    other = tmp_path / "other"
    (other / "a").mkdir(parents=True)
    (other / "a" / "solution.py").write_text("")
    with pytest.raises(GraderError, match=r"expected tiny.py; found: a/solution.py\)"):
        locate(other, "tiny.py")
