"""`grader gradescope build`: the zip to upload as a Gradescope autograder.

The zip holds exactly (for an assignment whose rubric is rubrics/NAME.yaml):

    setup.sh                         installs Python, the sandbox's system packages, the pins
    run_autograder                   executable; calls `grader gradescope run`
    scripts/install-system-deps.sh   the project's own script, called by setup.sh
    requirements.txt                 the grader's runtime dependencies, pinned (==) to this environment
    grader/...                       the grader's source: pyproject.toml's packages and package data
    rubrics/NAME.yaml                the rubric
    reference/NAME.py                its reference module (where the rubric's `reference` points)

Nothing else: no tests, no examples, no caches or editor litter. The archive is reproducible:
the same sources give the same bytes (sorted members, fixed timestamps and modes).

First the build runs what `grader validate` runs (the rubric, reference, template and examples
agree) and refuses, printing its problems, unless given --no-validate: a mistake in a rubric
would otherwise surface only once students submit. Nothing is written then.

Why source and not a wheel: in the container the grader lives in /autograder/source/grader,
beside the rubric and the reference, as in a checkout. The sandbox hides the folder above the
grader's package from the child, which here is exactly /autograder/source; in a venv's
site-packages it would be every installed package. setup.sh puts /autograder/source on the
venv's path with a .pth file, so `python -m grader` works there.

The pins are the installed versions of the closure of pyproject.toml's runtime
dependencies (extras excluded), resolved through the installed packages' own metadata:
what the tests ran with. setup.sh installs them with --no-deps, so nothing unpinned comes
in, and `pip check` proves the set is complete.
"""

from __future__ import annotations

import argparse
import posixpath
import re
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from grader.distribution import package_files, project_config, zip_bytes
from grader.environment import reference_imports_outside
from grader.errors import GraderError
from grader.files import write_atomically
from grader.gradescope.budgets import MemoryBudget, TimeBudget, memory_budget
from grader.paths import PACKAGE_DIR

if TYPE_CHECKING:
    from grader.assignment import Assignment

VENV = "/opt/numgrader/venv"  # outside /autograder: the sandbox may hide that tree from the child
SYSTEM_DEPS = "scripts/install-system-deps.sh"
EXECUTABLE, REGULAR = 0o755, 0o644
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# Seconds the run needs besides grading: interpreters starting, imports, loading the rubric.
STARTUP_ALLOWANCE_S = 10.0


@dataclass(frozen=True)
class Pin:
    name: str
    version: str

    def __str__(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass
class Build:
    """The zip's members (name -> bytes, mode) and what the build decided."""

    members: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    pins: list[Pin] = field(default_factory=list)
    memory: MemoryBudget | None = None
    warnings: list[str] = field(default_factory=list)

    def add(self, name: str, data: bytes, mode: int = REGULAR) -> None:
        if name in self.members:
            raise GraderError(f"two files of the autograder would be {name}")
        self.members[name] = (data, mode)


# -- pins ------------------------------------------------------------------------------------


def runtime_pins(requirements: list[str]) -> list[Pin]:
    """The installed versions of `requirements` and of everything they need, extras excluded."""
    try:
        from packaging.requirements import InvalidRequirement, Requirement
        from packaging.utils import canonicalize_name
    except ModuleNotFoundError:
        raise GraderError("building the autograder needs the `packaging` library: pip install packaging") from None

    def parse(text: str) -> Requirement:
        try:
            return Requirement(text)
        except InvalidRequirement as error:
            raise GraderError(f"cannot read the requirement {text!r}: {error}") from None

    pins: dict[str, Pin] = {}
    done: set[tuple[str, str]] = set()  # (distribution, extra) already expanded
    todo: list[tuple[Requirement, str]] = [(parse(text), "pyproject.toml") for text in requirements]
    while todo:
        requirement, wanted_by = todo.pop()
        key = canonicalize_name(requirement.name)
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            raise GraderError(f"{requirement} (needed by {wanted_by}) is not installed here: "
                              f"run `make install`, then build again") from None
        version = distribution.version
        if not requirement.specifier.contains(version, prereleases=True):
            raise GraderError(f"{wanted_by} needs {requirement}, but {version} is installed")
        pins[key] = Pin(distribution.metadata["Name"], version)
        for extra in ["", *sorted(requirement.extras)]:
            if (key, extra) in done:
                continue
            done.add((key, extra))
            for text in distribution.requires or []:
                child = parse(text)
                if child.marker is None or child.marker.evaluate({"extra": extra}):
                    todo.append((child, f"{pins[key].name} {version}"))
    return sorted(pins.values(), key=lambda pin: canonicalize_name(pin.name))


def requirements_text(pins: list[Pin]) -> str:
    python = ".".join(map(str, sys.version_info[:3]))
    return (
        "# The grader's runtime dependencies and everything they need, pinned to the versions it was\n"
        f"# tested with (Python {python}, {sys.platform}). Written by `grader gradescope build`;\n"
        "# setup.sh installs exactly these, with --no-deps.\n"
        + "".join(f"{pin}\n" for pin in pins)
    )


# -- the autograder --------------------------------------------------------------------------


def _template(name: str, values: dict[str, str]) -> bytes:
    text = (PACKAGE_DIR / "autograder_files" / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    if "@@" in text:
        left = sorted(set(re.findall(r"@@([A-Z_]+)@@", text)))
        raise GraderError(f"template {name}: no value for {', '.join(left)}")
    return text.encode()


def _reference_member(rubric_path: Path, declared: str | None, assignment: str, rubric_member: str) -> str:
    """Where the reference goes in the zip: where the rubric's `reference` points from its member."""
    relative = declared or f"../reference/{assignment}.py"
    if posixpath.isabs(relative):
        raise GraderError(f"{rubric_path}: `reference: {relative}` is absolute; make it relative to the rubric "
                          f"so that the autograder can hold it")
    member = posixpath.normpath(posixpath.join(posixpath.dirname(rubric_member), relative))
    if member.startswith("../") or member in (".", ".."):
        raise GraderError(f"{rubric_path}: `reference: {relative}` points outside the autograder's folders")
    return member


def build(rubric_path: Path, *, timeout: float, memory_mb: int, project: Path | None = None,
          assignment: Assignment | None = None) -> Build:
    """Every member of the autograder zip for the rubric, and the budget decisions. `assignment`:
    the rubric's, loaded already."""
    from grader.assignment import load_assignment
    from grader.paths import project_root
    from grader.results import error_results

    project = project or project_root()
    config = project_config(project)
    assignment = assignment or load_assignment(rubric_path)  # the rubric and its reference must load
    rubric = assignment.rubric
    name = rubric_path.stem
    if not _NAME.match(name):
        raise GraderError(f"rename the rubric {rubric_path.name}: use letters, digits, '.', '_' and '-'")
    result = Build()

    result.memory = memory = memory_budget(rubric.limits, memory_mb)
    if memory.capped:
        result.warnings.append(
            f"the rubric lets the child use {memory.requested_mb} MB, but a {memory_mb} MB container leaves it "
            f"{memory.child_mb} MB beside the grader's {memory.grader_mb} MB: on Gradescope the child's limit is "
            f"{memory.child_mb} MB. To keep {memory.requested_mb} MB, raise the memory in Gradescope's Autograder "
            f"Settings to at least {memory.needed_mb} MB and build with --memory-mb set to it.")
    times = TimeBudget(timeout)
    worst = STARTUP_ALLOWANCE_S + rubric.limits.submission_seconds + rubric.limits.import_seconds
    if worst > times.grading_window:
        result.warnings.append(
            f"a submission may take {worst:g} s (submission_seconds + import_seconds + {STARTUP_ALLOWANCE_S:g} s), "
            f"but with Gradescope's {timeout:g} s time-out grading stops at {times.grading_window:g} s: checks "
            f"left then are recorded as not run. Raise the time-out in Gradescope's settings and pass --timeout.")

    # The grader's own dependencies and the student's environment, as installed here: the same
    # versions on Gradescope, and nothing the student's code may import is missing there.
    result.pins = runtime_pins([*config["project"].get("dependencies", []), *rubric.environment.packages])
    unpinned = reference_imports_outside(assignment.reference_path, [pin.name for pin in result.pins])
    if unpinned:
        raise GraderError(f"the reference {assignment.reference_path.name} imports {', '.join(unpinned)}, which "
                          "the autograder would not install: add it to the rubric's environment.packages")
    system_deps = project / SYSTEM_DEPS
    if not system_deps.is_file():
        raise GraderError(f"no {system_deps}: setup.sh must install the sandbox's system packages with it")

    rubric_member = f"rubrics/{name}.yaml"
    reference_member = _reference_member(rubric_path, rubric.reference, rubric.assignment, rubric_member)
    budget_options = f"--timeout {timeout:g} --memory-mb {memory_mb}"
    fallback = error_results(
        "run_autograder: `grader gradescope run` did not finish or wrote no results; "
        "the autograder's output (stdout) says why").to_json().rstrip("\n")
    values = {"ASSIGNMENT": name, "VENV": VENV, "BUDGET_OPTIONS": budget_options,
              "PYTHON_VERSION": f"{sys.version_info.major}.{sys.version_info.minor}",
              "TIMEOUT": f"{timeout:g}", "SHELL_SECONDS": f"{times.shell_after:g}", "FALLBACK_JSON": fallback}

    result.add("setup.sh", _template("setup.sh", values), EXECUTABLE)
    result.add("run_autograder", _template("run_autograder", values), EXECUTABLE)
    result.add(SYSTEM_DEPS, system_deps.read_bytes(), EXECUTABLE)
    result.add("requirements.txt", requirements_text(result.pins).encode())
    for member, path in package_files(project, config).items():
        result.add(member, path.read_bytes())
    result.add(rubric_member, rubric_path.read_bytes())
    result.add(reference_member, assignment.reference_path.read_bytes())
    return result


def write_zip(result: Build, out: Path) -> None:
    """Write, then rename: an interrupted build never leaves half a zip to upload."""
    write_atomically(out, zip_bytes(result.members), mode=0o644)


def refusal(problems: list[str]) -> str:
    return (f"not built: `grader validate` finds {len(problems)} problem(s), above; an autograder built now would "
            "show them only once students submit. Fix them, or build anyway with --no-validate")


def main(args: argparse.Namespace) -> int:
    from grader.assignment import load_assignment
    from grader.paths import resolve_rubric

    out = Path(args.out)
    rubric_path = resolve_rubric(args.assignment)
    assignment = load_assignment(rubric_path)
    result = build(rubric_path, timeout=args.timeout, memory_mb=args.memory_mb, assignment=assignment)
    if not args.no_validate:  # after the build's own quick refusals, before anything is written
        from grader.validate import validate

        problems = validate(assignment)
        if problems:
            for line in problems:
                print(line, file=sys.stderr)
            print(refusal(problems), file=sys.stderr)
            return 1
    else:
        result.warnings.append("not validated (--no-validate): run `grader validate` before students submit")
    write_zip(result, out)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB):")
    package = sorted(name for name in result.members if name.startswith("grader/"))
    for name in sorted(result.members):
        if name not in package:
            data, mode = result.members[name]
            print(f"  {'x' if mode & 0o111 else ' '} {name} ({len(data):,} bytes)")
    size = sum(len(result.members[name][0]) for name in package)
    print(f"    grader/ ({len(package)} files, {size:,} bytes: the grader's source)")
    print(f"pinned {len(result.pins)} packages: {', '.join(map(str, result.pins))}")
    assert result.memory is not None
    print(f"memory on Gradescope: {result.memory.describe()}")
    times = TimeBudget(args.timeout)
    print(f"time on Gradescope ({args.timeout:g} s time-out): grading stops by {times.grading_window:g} s, "
          f"the grader is stopped at {times.stop_after:g} s, run_autograder at {times.shell_after:g} s")
    if not args.no_validate:
        print("validated first, as `grader validate` does: the rubric, reference, template and examples agree")
    print("upload it on Gradescope: the assignment's Configure Autograder page, Zip file upload (docs/gradescope.md)")
    return 0
