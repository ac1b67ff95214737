"""What this machine's kernel and our privileges allow, found without side effects.

`NUMGRADER_SANDBOX` chooses: auto (default), off (no sandbox: for benchmarks and debugging),
userns (force an unprivileged user namespace, as a normal user gets), nonamespaces (no
namespaces: what a container without CAP_SYS_ADMIN gets). docs/threat-model.md explains.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from grader.boundary import portable
from grader.sandbox.plan import Mode

log = logging.getLogger("grader.sandbox")

MODES: tuple[Mode, ...] = ("auto", "off", "userns", "nonamespaces")
Arch = Literal["x86_64", "aarch64"]
_ARCHES: dict[str, Arch] = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Host:
    mode: Mode
    root: bool
    userns: bool  # may an unprivileged process create a user namespace?
    landlock_abi: int  # 0: unavailable
    arch: Arch | None  # a seccomp syscall table we have for this CPU, or None


def _read_int(path: str) -> int | None:
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None


def _landlock_abi() -> int:
    """landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION): the ABI, or 0."""
    if sys.platform != "linux":
        return 0
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        abi = int(libc.syscall(ctypes.c_long(444), None, ctypes.c_size_t(0), ctypes.c_uint32(1)))
    except (OSError, AttributeError):
        return 0
    return max(abi, 0)


def _mode() -> Mode:
    text = os.environ.get("NUMGRADER_SANDBOX", "auto").strip().lower() or "auto"
    for mode in MODES:
        if text == mode:
            return mode
    log.warning("NUMGRADER_SANDBOX=%s is not one of %s; using auto", text, ", ".join(MODES))
    return "auto"


def _has_seccomp() -> bool:
    try:
        return "Seccomp:" in Path("/proc/self/status").read_text()
    except OSError:
        return False


@functools.cache
def host() -> Host:
    userns = (_read_int("/proc/sys/user/max_user_namespaces") or 0) > 0 \
        and _read_int("/proc/sys/kernel/unprivileged_userns_clone") != 0
    arch = _ARCHES.get(os.uname().machine.lower() if hasattr(os, "uname") else "")
    root = hasattr(os, "geteuid") and os.geteuid() == 0  # (Windows has no uids)
    mode: Mode = "portable" if portable.active() else _mode()
    return Host(mode=mode, root=root, userns=userns, landlock_abi=_landlock_abi(),
                arch=arch if _has_seccomp() and sys.byteorder == "little" else None)


def enabled() -> bool:
    return host().mode not in ("off", "portable")
