"""Fixtures only: what tests share as values lives in tests/support.py (nothing imports this file)."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

import pytest

from grader.assignment import Assignment, load_assignment
from grader.results import SCHEMA_PATH
from grader.sandbox import uid_guard, uids
from tests.support import TINY_RUBRIC


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Call plans (prefetch.py) that tests and the commands they run save go to a folder of the run's own."""
    os.environ["NUMGRADER_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(autouse=True)
def _reap_orphans() -> Iterator[None]:
    """Run as the init of a pid namespace of its own (`unshare --pid --fork`, as the suite is run),
    pytest inherits what a test orphaned: the children of a zygote a test killed, a killed batch's
    workers. Reaped after each test, as an init would, none of them lingers as a zombie of a
    sandbox uid that a later test leases again (and whose processes it counts). Only zombies of
    sandbox uids are reaped: a child of the tests' own (a Popen) is left to its owner."""
    yield
    if os.getpid() != 1:
        return
    base = uids.uid_base()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue
        uid = int(fields.get("Uid", "-1").split()[0])
        if (fields.get("State", "").split()[:1] == ["Z"] and fields.get("PPid", "").strip() == "1"
                and base <= uid < base + uid_guard.UID_SLOTS):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(int(pid), os.WNOHANG)


@pytest.fixture(scope="session")
def tiny() -> Assignment:
    """The tiny second assignment (tests/fixtures/tiny/): the engine knows nothing of HW2."""
    return load_assignment(TINY_RUBRIC)


@pytest.fixture(scope="session")
def results_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())
