"""`grader check`: run a student kit's visible checks on a student's file, as grading would.

The file (a .py or a Jupyter notebook) runs in the same isolated child process as in grading
(grader.boundary.session.ChildSession, with the rubric's limits), so an endless loop ends with a
time-out message. "values" checks are judged by grading's own code (grading.judge and
grading.feedback) on the kit's expected values; "sealed" checks by comparing seals (see
grader.kit.seal); "on_submit" checks are run, and fail here only when the call itself fails.
Only visible checks are in a kit, so nothing of a hidden check can be shown.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import ValidationError

from grader import comparators
from grader.assignment import Case
from grader.boundary import portable, wire
from grader.boundary.imports import Imports
from grader.boundary.outcome import Outcome
from grader.comparators import Verdict
from grader.comparators.base import Unmatchable
from grader.environment import installed_folders, resolve
from grader.errors import GraderError
from grader.grading import execute
from grader.judging import CheckResult, dependency_text, feedback, judge
from grader.kit import seal as kit
from grader.rubric import Check, Environment, Limits, Question, Submission
from grader.submission import alternatives
from grader.table import columns

Mode = Literal["values", "sealed", "on_submit"]
Status = Literal["pass", "fail", "submit"]
NOT_CONFIRMED = "not the expected answer"
PARTIAL_NOTE = "the kit confirms only a complete answer here; partial credit is worked out when you submit"
ON_SUBMIT = "ran without errors; judged when you submit"


@dataclass(frozen=True)
class KitCheck:
    case: Case
    mode: Mode
    why: str = ""
    sealed: dict[str, Any] | None = None
    hint_withheld: bool = False


@dataclass(frozen=True)
class Kit:
    folder: Path
    assignment: str
    title: str
    submission: Submission
    limits: Limits
    checks: tuple[KitCheck, ...]
    questions: tuple[tuple[str, str], ...]
    environment: Environment = field(default_factory=Environment)


def find_kit(kit_dir: Path | None, submission: Path) -> Path:
    """The folder holding bundle.json: given, or under ./check, or beside the submission."""
    if kit_dir is not None:
        candidates = [kit_dir, kit_dir / kit.BUNDLE_FOLDER]
    else:
        beside = submission if submission.is_dir() else submission.parent
        candidates = [Path.cwd() / kit.BUNDLE_FOLDER, beside / kit.BUNDLE_FOLDER, beside.parent / kit.BUNDLE_FOLDER]
    for folder in candidates:
        if (folder / kit.MANIFEST).is_file():
            return folder
    where = kit_dir if kit_dir is not None else Path.cwd()
    raise GraderError(f"no student kit in {where} (looked for {kit.BUNDLE_FOLDER}/{kit.MANIFEST}); "
                      "run this from the kit's folder or give --kit FOLDER")


def load_kit(folder: Path) -> Kit:
    try:
        manifest = json.loads((folder / kit.MANIFEST).read_text(encoding="utf-8"))
        values = wire.unpack((folder / kit.VALUES).read_bytes())["values"]
    except (OSError, ValueError, KeyError) as error:
        raise GraderError(f"the student kit in {folder} cannot be read ({error}); get a fresh copy") from None
    if manifest.get("format") != kit.FORMAT or manifest.get("version") != kit.FORMAT_VERSION:
        raise GraderError(f"the student kit in {folder} is for another version of the grader "
                          f"(format {manifest.get('format')} {manifest.get('version')})")
    try:
        return _kit_of(folder, manifest, values)
    except (ValidationError, KeyError, TypeError, ValueError) as error:
        raise GraderError(f"the student kit in {folder} does not fit this version of the grader "
                          f"({type(error).__name__}: {str(error).splitlines()[0]}); get a fresh copy") from None


def _kit_of(folder: Path, manifest: dict[str, Any], values: dict[str, Any]) -> Kit:
    names = {q["id"]: q["name"] for q in manifest["questions"]}
    checks = []
    for entry in manifest["checks"]:
        check = Check.model_validate(entry["check"])
        question = Question(id=entry["question"], name=names[entry["question"]], checks=[check])
        data = values[entry["key"]]
        mistakes = tuple(zip((m.name for m in check.mistakes), data.get("mistakes", []), strict=True))
        case = Case(key=entry["key"], question=question, check=check, name=entry["name"], args=data["args"],
                    expected=data.get("expected"), mistakes=mistakes, points=float(entry["points"]),
                    visibility="visible")
        checks.append(KitCheck(case, entry["mode"], entry.get("why", ""), entry.get("sealed"),
                               bool(entry.get("hint_withheld"))))
    return Kit(folder, manifest["assignment"], manifest.get("title", ""),
               Submission.model_validate(manifest["submission"]), Limits.model_validate(manifest["limits"]),
               tuple(checks), tuple(names.items()), Environment.model_validate(manifest.get("environment", {})))


# -- judging -------------------------------------------------------------------------------


def judge_sealed(item: KitCheck, outcome: Outcome) -> CheckResult:
    """Confirm (or not) a fixed answer from its seals; recognize sealed mistakes."""
    case = item.case
    if not outcome.ok:
        return CheckResult(case, 0.0, Verdict(0.0, outcome.message), outcome)
    sealed = item.sealed or {}
    spec = case.check.compare
    comparator = comparators.of(spec)
    received = outcome.value
    salt, iterations = bytes.fromhex(sealed["salt"]), int(sealed["iterations"])
    seals: dict[str, tuple[str, bytes]] = {}

    def matches(form: dict[str, Any]) -> tuple[bool, bytes]:
        text = comparator.canonical_text(spec, received, form)
        if text not in seals:
            seals[text] = kit.seal(text, salt, iterations)
        tag, key = seals[text]
        return kit.same_tag(tag, form["tag"]), key

    problem = comparator.shape_problem(sealed, received)
    for form in sealed.get("accept", []):
        try:
            if matches(form)[0]:
                return CheckResult(case, case.points, Verdict(1.0), outcome)
        except Unmatchable as error:
            problem = problem or str(error)
    for index, forms in enumerate(sealed.get("mistakes", [])):
        for number, form in enumerate(forms):
            try:
                hit, key = matches(form)
            except Unmatchable:
                continue
            if hit:
                note = json.loads(kit.unlock(key, f"mistake {index} form {number}", form["note"]))
                text = f"This looks like a known mistake: {note['name']}." + (
                    f" {note['message']}" if note.get("message") else "")
                return CheckResult(case, 0.0, Verdict(0.0, text, note["name"]), outcome, note["name"])
    message = problem or NOT_CONFIRMED
    if case.check.partial and not problem:
        message += f" ({PARTIAL_NOTE})"
    return CheckResult(case, 0.0, Verdict(0.0, message), outcome)


@dataclass(frozen=True)
class Line:
    """One row of the check's table."""

    item: KitCheck
    status: Status
    text: str  # the feedback a student reads (Call:, message, Hint:), as grading writes it
    mistake: str | None = None
    message: str = ""  # the verdict's own message (what was wrong)

    @property
    def hint(self) -> str:
        """The table's short hint."""
        check = self.item.case.check
        if self.status == "pass":
            return ""
        if self.status == "submit":
            return "ran; judged when you submit"
        if self.mistake:
            return f"known mistake: {self.mistake}"
        if check.feedback:
            return check.feedback.strip().splitlines()[0]
        lines = [line for line in self.message.splitlines() if line]
        return lines[0] if lines else "failed"


MAX_SCANNED = 100_000  # numbers looked at for NaN and inf in an answer the kit cannot judge


def non_finite(value: Any, budget: list[int] | None = None) -> str | None:
    """"NaN" or "inf" when the answer holds one (a number, an array, nested lists and dicts), else None."""
    budget = budget if budget is not None else [MAX_SCANNED]
    if budget[0] <= 0:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "inf"
    if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        flat = value.ravel()[: budget[0]]
        budget[0] -= flat.size
        return "NaN" if bool(np.isnan(flat).any()) else "inf" if bool(np.isinf(flat).any()) else None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple) else ()
    for item in items:
        budget[0] -= 1
        found = non_finite(item, budget)
        if found or budget[0] <= 0:
            return found
    return None


def judge_item(item: KitCheck, outcome: Outcome) -> Line:
    if item.mode == "values":
        result = judge(item.case, outcome, {})
    elif item.mode == "sealed":
        result = judge_sealed(item, outcome)
    else:
        bad = non_finite(outcome.value) if outcome.ok else None
        if outcome.ok and bad is None:
            return Line(item, "submit", f"{ON_SUBMIT} ({item.why})." if item.why else f"{ON_SUBMIT}.")
        message = outcome.message if not outcome.ok else f"your answer holds {bad}, which never passes"
        result = CheckResult(item.case, 0.0, Verdict(0.0, message), outcome)
    text = feedback(result)
    if not result.passed and item.hint_withheld:
        text += "\nThe hint for this check is shown when you submit."
    carry = item.case.check.carry_forward
    if not result.passed and carry is not None and outcome.ok:  # the kit has no reference to carry it forward
        text += (f"\nIf your {carry.function}() is wrong, this check is judged when you submit against what your own "
                 f"{carry.function}() returns (error carried forward).")
        return Line(item, "submit", text, result.mistake, result.verdict.message)
    return Line(item, "pass" if result.passed else "fail", text, result.mistake, result.verdict.message)


@dataclass
class CheckReport:
    kit: Kit
    submission: Path
    lines: list[Line] = field(default_factory=list)
    import_error: str | None = None
    notes: list[str] = field(default_factory=list)
    student_output: str = ""
    seconds: float = 0.0

    @property
    def judged(self) -> list[Line]:
        return [line for line in self.lines if line.status != "submit"]


def selected(checks: tuple[KitCheck, ...], question: str | None) -> list[KitCheck]:
    if question is None:
        return list(checks)
    wanted = question.strip().rstrip(".")
    chosen = [c for c in checks if c.case.question.id == wanted or c.case.question.id.startswith(wanted + ".")]
    if not chosen:
        ids = ", ".join(dict.fromkeys(c.case.question.id for c in checks))
        raise GraderError(f"the kit has no visible checks for question {question} (it has: {ids})")
    return chosen


def check_submission(the_kit: Kit, submission: Path, question: str | None = None) -> CheckReport:
    """Run the kit's visible checks (of one question, or all) on a submission: grading's own
    driver (grading.execute), each outcome judged from the kit (judge_item)."""
    items = selected(the_kit.checks, question)
    by_key = {item.case.key: item for item in items}
    lines: dict[str, Line] = {}
    started = time.perf_counter()

    def each(case: Case, outcome: Outcome, upstream: Outcome | None) -> None:
        lines[case.key] = judge_item(by_key[case.key], outcome)

    # The student's folder is what they will upload: its helper modules and data go with the file
    # (the kit's own files do not).
    environment = resolve(tuple(the_kit.environment.packages), strict=False)
    imports = Imports(environment.modules, environment.declared, installed_folders())
    ran = execute(submission, the_kit.submission, the_kit.limits, [item.case for item in items], each,
                  shown="visible", beside=True, leave_out=(kit.BUNDLE_FOLDER, "README.md"), imports=imports)
    notes = list(ran.notes)
    if portable.active():
        notes.insert(0, portable.NOTE)
    if environment.missing:
        notes.insert(0, f"Note: the course grades with {', '.join(environment.missing)}, which this computer does not "
                        f"have: pip install {' '.join(environment.missing)}")
    if ran.files.left_out:
        notes.append("Left out (your code cannot read them, here or when graded): "
                     + "; ".join(f"{name} ({why})" for name, why in ran.files.left_out[:10]))
    graded = the_kit.submission.filename
    if ran.submission.name not in alternatives(graded):
        notes.insert(0, f"Note: your file is named {ran.submission.name!r}; the autograder looks for {graded!r} "
                        f"(or {Path(graded).with_suffix('.ipynb').name!r}): rename it before you submit.")
    return CheckReport(the_kit, ran.submission, with_dependencies([lines[item.case.key] for item in items]),
                       ran.import_error, notes, ran.student_output, time.perf_counter() - started)


def with_dependencies(lines: list[Line]) -> list[Line]:
    """As grading does (judging.with_dependencies): a line that did not pass says which of the
    functions it uses fail their own checks here."""
    failing = {line.item.case.function for line in lines if line.status == "fail"}
    out = []
    for line in lines:
        names = [name for name in line.item.case.check.depends_on if name in failing]
        if line.status != "pass" and names and line.message:
            told = "\n".join(dependency_text(name) for name in names)
            text, hint, rest = line.text.partition("\nHint: ")
            line = replace(line, text=f"{text}\n{told}{hint}{rest}")
        out.append(line)
    return out


# -- output --------------------------------------------------------------------------------


def summary(report: CheckReport) -> list[str]:
    judged = report.judged
    passed = sum(1 for line in judged if line.status == "pass")
    lines = [f"{passed} of {len(judged)} visible checks pass; hidden checks run when you submit."]
    later = len(report.lines) - len(judged)
    if later:
        lines.append(f"{later} more visible check{'s' if later > 1 else ''} ran without errors here "
                     "and will be judged when you submit (the kit does not carry their judge).")
    return lines


def render(report: CheckReport, width: int | None = None) -> str:
    the_kit = report.kit
    out = [f"{the_kit.assignment}: {the_kit.title}".rstrip(": "),
           f"Checking {report.submission.name} against the visible checks of the student kit.", ""]
    if report.import_error:
        out += [f"Your file could not be loaded, so every check fails: {report.import_error}", ""]
    out += report.notes + ([""] if report.notes else [])
    mark = {"pass": "pass", "fail": "FAIL", "submit": "later"}
    rows = [(line.item.case.question.id, line.item.case.function, line.item.case.name, mark[line.status], line.hint)
            for line in report.lines]
    out += columns(("Q", "function", "check", "result", "hint"), rows, width, caps={1: 24, 2: 40})
    out += summary(report)
    failed = [line for line in report.lines if line.status == "fail"]
    if failed and not report.import_error:
        out += ["", "What went wrong:"]
        for line in failed:
            case = line.item.case
            out.append(f"\n{case.question.id} {case.function}: {case.name}")
            out += [f"    {text}" for text in line.text.splitlines()]
    return "\n".join(out)


def run_check(submission: Path, kit_dir: Path | None = None, question: str | None = None,
              show_output: bool = False) -> int:
    folder = find_kit(kit_dir, submission)
    report = check_submission(load_kit(folder), submission, question)
    print(render(report))
    if show_output and report.student_output:
        print("\n--- your file's own output ---")
        print(report.student_output)
    sys.stdout.flush()
    return 0
