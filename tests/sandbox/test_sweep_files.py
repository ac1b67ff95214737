"""What a submission leaves in the shared temporary folders when nothing gave it a private
filesystem (no mount namespace, no Landlock) is removed after its session: only what its leased
uid owns, a link itself and never what it points to, nothing for a uid outside the sandbox's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.sandbox.uids import sweep_files, uid_base

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="giving files to a sandbox uid needs root")


def test_only_the_sessions_own_files_are_removed(tmp_path: Path) -> None:
    shared, outside = tmp_path / "tmp", tmp_path / "outside"
    shared.mkdir()
    outside.mkdir()
    uid, other = uid_base() + 3, uid_base() + 4
    target = outside / "keep.txt"
    target.write_text("not the submission's")
    left = {"results.json": "file", "cache": "folder", "link": "link", "neighbour.json": "other", "mine.txt": "root"}
    (shared / "results.json").write_text("{}")
    (shared / "cache").mkdir()
    (shared / "cache" / "deep.bin").write_bytes(b"x")
    (shared / "cache" / "escape").symlink_to(target)
    (shared / "link").symlink_to(target)
    (shared / "neighbour.json").write_text("{}")
    (shared / "mine.txt").write_text("the grader's own")
    for name, kind in left.items():
        owner = {"other": other, "root": 0}.get(kind, uid)
        os.lchown(shared / name, owner, owner)
    os.lchown(shared / "cache" / "escape", uid, uid)
    (shared / "grader-work").mkdir()  # the session's own working folder, given to its uid: kept
    os.lchown(shared / "grader-work", uid, uid)
    removed = sweep_files(uid, [str(shared)], keep=[shared / "grader-work"])
    assert sorted(Path(p).name for p in removed) == ["cache", "link", "results.json"]
    assert sorted(p.name for p in shared.iterdir()) == ["grader-work", "mine.txt", "neighbour.json"]
    assert target.read_text() == "not the submission's"  # a link is removed, never followed
    assert sweep_files(0, [str(shared)]) == [] and sweep_files(os.geteuid(), [str(shared)]) == []
    assert (shared / "mine.txt").exists()  # root's files are never the sweep's
