"""Starting a child, one start method per class behind one interface (`Launcher`): a fork of
the warm worker (`ZygoteFork`, a few milliseconds) or a fresh interpreter (`Spawn`, an
interpreter and a numpy import). `start` tries them in order. Standard library only.

Either way the child starts from nothing the parent has loaded: a fresh interpreter imports
only grader.boundary.child (and through it wire.py and numpy), then forgets where grader
lives; the zygote was started exactly so (zygote.py).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Sequence
from typing import Protocol

from grader.boundary import zygote
from grader.boundary.processes import ChildProcess, SpawnedProcess
from grader.boundary.protocol import ChildConfig
from grader.paths import PROJECT_ROOT

log = logging.getLogger("grader.boundary")

BOOT = (
    "import sys; root = sys.argv.pop(1); sys.path.insert(0, root); "
    "import grader.boundary.child as child; sys.path.remove(root); child.main()"
)


class Launcher(Protocol):
    def launch(self, config: ChildConfig, env: dict[str, str], cwd: str,
               status_fd: int | None) -> ChildProcess | None:
        """The child running `grader.boundary.child.main(config)` in `cwd` with `env` and the
        private status pipe `status_fd` (if any); None when this start method is unavailable."""


class Spawn:
    """A fresh interpreter: `python -I -c BOOT ROOT CONFIG`, in a session of its own."""

    def launch(self, config: ChildConfig, env: dict[str, str], cwd: str,
               status_fd: int | None) -> ChildProcess | None:
        return SpawnedProcess(
            [sys.executable, "-I", "-c", BOOT, str(PROJECT_ROOT), json.dumps(config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=cwd, env=env, start_new_session=True, close_fds=True,
            pass_fds=(status_fd,) if status_fd is not None else (),
        )


class ZygoteFork:
    """A fork of `warm`, or of the process's shared zygote when there is one (zygote.serving)."""

    def __init__(self, warm: zygote.Zygote | None = None) -> None:
        self.warm = warm

    def launch(self, config: ChildConfig, env: dict[str, str], cwd: str,
               status_fd: int | None) -> ChildProcess | None:
        warm = self.warm or zygote.shared()
        if warm is None:
            return None
        forked = config.copy()
        if status_fd is not None:  # the zygote is the child's parent, and the status fd is its fd 3
            forked["status_fd"], forked["parent"] = 3, warm.pid
        try:
            return warm.fork(forked, env, cwd, status_fd)
        except zygote.ZygoteError as error:
            log.warning("numgrader: the warm worker failed (%s); starting the child directly", error)
            return None


def start(config: ChildConfig, env: dict[str, str], cwd: str, status_fd: int | None,
          launchers: Sequence[Launcher]) -> ChildProcess:
    """The child, from the first launcher that can start it (the last should be Spawn)."""
    for launcher in launchers:
        process = launcher.launch(config, env, cwd, status_fd)
        if process is not None:
            return process
    raise RuntimeError("no way to start the child")
