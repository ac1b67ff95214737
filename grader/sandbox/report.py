"""What the child says held: a typed record whose decisions are fields, and its wording.

The child's first processes fill it in (jail.py) before any student code runs and send it as
one JSON line on the status pipe; the parent reads it back with `from_json`, bounding every
value. Decisions read the booleans; the texts are for people (`summary`, `weaknesses`).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from grader.text import cap

log = logging.getLogger("grader.sandbox")

# Each protection: the text field that describes it and the boolean field that says it held.
STRONG = {
    "user": "user_isolated",
    "filesystem": "filesystem_isolated",
    "network": "network_cut",
    "processes": "processes_contained",
    "seccomp": "seccomp_on",
}
_TEXT_CHARS, _WARNINGS = 500, 32


@dataclass
class SandboxReport:
    mode: str = ""
    warnings: list[str] = field(default_factory=list)
    memory: str = ""  # which memory bound applied
    user: str = ""
    filesystem: str = ""
    network: str = ""
    processes: str = ""
    seccomp: str = ""
    limits: str = ""
    error: str = ""  # the sandbox could not be set up (no student code ran)
    private_root: bool = False  # a private mount namespace root (nothing of the host's files but Python's)
    pid_namespace: bool = False
    sandbox_uid: bool = False  # a uid of the session's own
    user_isolated: bool = False
    filesystem_isolated: bool = False
    network_cut: bool = False
    processes_contained: bool = False
    seccomp_on: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[Any, Any]) -> SandboxReport:
        """The record from the child's status line: known fields only, of their own types, each
        text capped (it is written before the student's code runs, but everything read from the
        child is bounded in the parent)."""
        values: dict[str, Any] = {}
        for spec in fields(cls):
            value = data.get(spec.name)
            if spec.type == "bool":
                values[spec.name] = value is True
            elif spec.name == "warnings":
                items = value if isinstance(value, list) else []
                values[spec.name] = [cap(str(item), _TEXT_CHARS) for item in items[:_WARNINGS]]
            elif value is not None:
                values[spec.name] = cap(str(value), _TEXT_CHARS)
        return cls(**values)

    @classmethod
    def off(cls) -> SandboxReport:
        return cls(mode="off")

    @classmethod
    def portable(cls) -> SandboxReport:
        """No sandbox on this OS (grader/boundary/portable.py): time limits only."""
        return cls(mode="portable")


def weaknesses(report: SandboxReport | None) -> list[str]:
    """The protections that did not hold, one phrase each (empty when all held)."""
    if report is None:
        return ["no sandbox report (the child did not start)"]
    if report.mode == "off":
        return ["the sandbox is off (NUMGRADER_SANDBOX=off)"]
    if report.mode == "portable":
        return ["no sandbox on this operating system (portable mode)"]
    values = report.to_json()
    missing = [f"{key}: {values[key] or 'unknown'}" for key, held in STRONG.items() if values[held] is not True]
    return missing + list(report.warnings)


def summary(report: SandboxReport | None) -> str:
    """One line for instructors: which protections were active for this submission."""
    if report is None:
        return "Sandbox: unknown (the submission's process did not report)."
    if report.mode == "off":
        return "Sandbox: OFF (NUMGRADER_SANDBOX=off): the submission ran unprotected."
    if report.mode == "portable":
        return "Sandbox: none (portable mode, for a self-check on Windows or macOS): time limits only."
    values = report.to_json()
    parts = [f"{key} {values[key]}" for key in ("user", "filesystem", "network", "processes", "seccomp", "limits")
             if values[key]]
    weak = weaknesses(report)
    head = "Sandbox" if not weak else "Sandbox (DEGRADED: " + "; ".join(weak) + ")"
    return f"{head}: " + "; ".join(parts) + "."


_warned: set[str] = set()


def warn_once(report: SandboxReport | None) -> None:
    """Say on the grader's stderr (once per process) when protections are missing."""
    weak = weaknesses(report)
    key = "|".join(weak)
    if weak and key not in _warned:
        _warned.add(key)
        log.warning("numgrader sandbox is degraded on this machine: %s. See docs/threat-model.md.",
                    "; ".join(weak))
