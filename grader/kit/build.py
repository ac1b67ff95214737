"""`grader student-kit`: write the template and the visible checks, without the answer key.

The kit folder holds:

    <submission file>     the rubric's template (rubric `template:`, default ../templates/NAME.py)
    README.md             how to run the check
    check/bundle.json     questions, visible checks, comparator options, hints, points, seals
    check/values.wire     inputs, expected outputs and mistakes' outputs, in grader.boundary.wire's
                          encoding (JSON + .npy blobs; read with allow_pickle=False)

Only visible checks are written, each in one of three ways:

- "values": inputs, expected output and the known mistakes' outputs, judged in the kit by
  the same comparator and the same code as grading (grading.judge);
- "sealed": a fixed-answer check (see `is_fixed`): its inputs, and seals of the accepted
  answers and of the mistakes' outputs instead of the values (see grader/kit/seal.py);
- "on_submit": a check judged by a judge function of the reference module (the kit carries
  no reference code), or one whose comparator options cannot be sealed soundly: the kit
  runs the call, reports an error or a time-out, and leaves the verdict to grading.

Nothing of a hidden check, and nothing of the reference module, is written.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from grader import comparators
from grader.assignment import Assignment, Case, load_assignment
from grader.boundary import wire
from grader.comparators.base import CannotSeal
from grader.comparators.exact import normalize_text
from grader.errors import GraderError
from grader.kit import seal as kit
from grader.paths import resolve_rubric
from grader.rubric import Rubric

README = """# {title}

Install the checker once (Python 3.10 to 3.13, on Windows, macOS or Linux), then check your
work from this folder:

    {install}
    grader check {filename}
    grader check {filename} --question {question}

Your work goes in `{filename}`: fill in every function, keep the names and parameters. You may
also hand in a Jupyter notebook `{notebook}` with the same functions (code cells run in order
from the top; IPython magics such as `%matplotlib` are left out). Your code may import
{packages} and the standard library, and your own helper modules beside the file (hand them in
with it).

This runs the visible checks of the autograder as grading does, with the same messages, hints
and time limits (on Linux also in the same sandbox; on Windows and macOS your code simply runs
on your computer). Some answers are only confirmed, not shown: the kit does not contain
them. Hidden checks (other inputs) run only when you submit.
"""


def is_fixed(assignment: Assignment, case: Case) -> bool:
    """A fixed-answer case: every student gets the same call, so its answer is one value.

    That is a call without arguments, with literal inputs, or with a generator that ignores
    its random generator (the same inputs for another seed). These are the handout's own
    questions; a case on seeded random inputs is an exercise whose answer may be shown.
    """
    inputs = case.check.inputs
    if not case.args or inputs.literal is not None or inputs.generator is None:
        return True
    generator = getattr(assignment.reference, inputs.generator)
    try:
        other = generator(np.random.default_rng((case.seed or 0) + 7919), **inputs.kwargs)
        return bool(_wire_bytes(other) == _wire_bytes(case.args))
    except Exception:
        return False


def _wire_bytes(value: Any) -> bytes:
    return wire.pack({"value": value}, 1 << 62)


def _round_trip(value: Any) -> Any:
    """The value as it reaches the kit (and as a student's answer reaches the grader)."""
    return wire.unpack(_wire_bytes(value)[wire.FRAME_HEADER.size:])["value"]


# -- sealing one case ------------------------------------------------------------------------


def _sealed_form(text: str, params: dict[str, Any], salt: bytes, note: tuple[str, dict[str, Any]] | None
                 ) -> dict[str, Any]:
    tag, key = kit.seal(text, salt)
    form: dict[str, Any] = {"tag": tag, **params}
    if note is not None:
        label, content = note
        form["note"] = kit.lock(key, label, json.dumps(content, ensure_ascii=False))
    return form


def hint_reveals(hint: str, texts: list[str]) -> bool:
    """Whether the hint contains one of the texts, as words (case and spacing aside)."""
    folded = normalize_text(hint)
    squashed = folded.replace(" ", "")

    def found(needle: str, haystack: str) -> bool:
        return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None

    def squashed_in(needle: str) -> bool:  # "O( t )" for "O(t)", "intensitychanges" for "intensity changes"
        return not needle.isalnum() and needle.replace(" ", "") in squashed

    return any(found(normalize_text(t), folded) or squashed_in(normalize_text(t)) for t in texts)


def _seal_case(case: Case, expected: Any, mistakes: list[tuple[Any, Any]]) -> dict[str, Any]:
    spec = case.check.compare
    comparator = comparators.of(spec)
    salt = secrets.token_bytes(16)
    sealed: dict[str, Any] = {"salt": salt.hex(), "iterations": kit.ITERATIONS}
    sealed["accept"] = [_sealed_form(text, params, salt, None)
                        for text, params in comparator.forms(spec, expected, accepted=True)]
    sealed.update(comparator.sealed_facts(spec, expected))
    sealed["mistakes"] = []
    for index, (mistake, output) in enumerate(mistakes):
        note = {"name": mistake.name, "message": mistake.message, "credit": mistake.credit}
        try:
            forms = comparator.forms(spec, output, accepted=False)
        except CannotSeal:  # recognized at grading only
            sealed["mistakes"].append([])
            continue
        sealed["mistakes"].append([
            _sealed_form(text, params, salt, (f"mistake {index} form {n}", note))
            for n, (text, params) in enumerate(forms)
        ])
    return sealed


# -- the kit ---------------------------------------------------------------------------------


def _check_fields(case: Case, *, with_mistakes: bool, feedback: str) -> dict[str, Any]:
    check = case.check
    spec = comparators.of(check.compare).kit_spec(check.compare)
    fields: dict[str, Any] = {
        "name": check.name, "function": check.function, "compare": spec, "points": check.points,
        "partial": check.partial, "visibility": "visible", "feedback": feedback,
    }
    if check.call_seconds is not None:
        fields["call_seconds"] = check.call_seconds
    if with_mistakes:
        fields["mistakes"] = [{"name": m.name, "function": "", "message": m.message, "credit": m.credit,
                               "nonfinite": m.nonfinite} for m in check.mistakes]
    if check.depends_on:
        fields["depends_on"] = list(check.depends_on)
    if check.carry_forward is not None:  # (the kit cannot carry it forward: it says so, grading does it)
        fields["carry_forward"] = {"function": check.carry_forward.function, "reference": "",
                                   "credit": check.carry_forward.credit}
    return fields


def _template_warnings(template: Path, functions: set[str]) -> list[str]:
    if template.suffix != ".py":
        return []
    try:
        tree = ast.parse(template.read_text(encoding="utf-8"))
    except SyntaxError as error:
        return [f"the template {template.name} does not compile: line {error.lineno}: {error.msg}"]
    defined = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    notes = [f"the template has no function {name}()" for name in sorted(functions - set(defined))]
    notes += [f"the template's {name}() has no docstring" for name, node in sorted(defined.items())
              if not name.startswith("_") and ast.get_docstring(node) is None]
    return notes


def build_wheel(out: Path) -> str:
    """The grader as a wheel in `out` (its name): what a student installs the checker from."""
    from grader.distribution import wheel
    from grader.paths import PROJECT_ROOT

    return wheel(PROJECT_ROOT, out).name


def out_problem(out: Path, force: bool) -> str | None:
    """Why the kit cannot go into `out`, or None: a new or empty folder takes it; one that holds
    a kit (its check/ bundle) only with `force`, which replaces that kit whole, stale files
    included; a folder of other files never (the instructor's own files are not the kit's)."""
    if out.exists() and not out.is_dir():
        return "is a file, not a folder: name a new or empty folder for the kit"
    if not out.is_dir() or not any(out.iterdir()):
        return None
    if not (out / kit.BUNDLE_FOLDER / kit.MANIFEST).is_file():
        return (f"the folder is not empty and holds no student kit ({kit.BUNDLE_FOLDER}/{kit.MANIFEST}): "
                "name a new or empty folder for the kit")
    if not force:
        return "the folder already holds a kit: add --force to replace it, or name a new or empty folder"
    return None


@contextlib.contextmanager
def _staged(out: Path) -> Iterator[Path]:
    """A fresh folder inside `out` to write the kit into; once it is complete, it replaces what
    `out` held. A kit that fails half-way leaves `out` as it was (and no folder it created)."""
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out, prefix=".kit-"))
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()
        raise
    for old in out.iterdir():  # the previous kit, stale files and all (out_problem allowed it)
        if old != stage:
            shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()
    for new in stage.iterdir():
        new.rename(out / new.name)
    stage.rmdir()


def build_kit(assignment_name: str, out: Path, install: str | None = None, force: bool = False) -> list[str]:
    """Write the kit for an assignment into `out` (see out_problem: a kit there is replaced only
    with `force`); returns notes for the instructor. `install`: the command that installs the
    checker, as the course gives it (e.g. `pip install numgrader==0.1`); by default the grader's
    wheel goes into the kit and the command installs it."""
    problem = out_problem(out, force)
    if problem:
        raise GraderError(f"--out {out}: {problem}")
    rubric_path = resolve_rubric(assignment_name)
    assignment = load_assignment(rubric_path)
    rubric = assignment.rubric
    template = rubric.template_path(rubric_path)
    if not template.is_file():
        raise GraderError(f"no template at {template} (set `template:` in {rubric_path.name})")
    notes = _template_warnings(template, {c.function for c in assignment.cases})

    checks: list[dict[str, Any]] = []
    values: dict[str, Any] = {}
    questions: dict[str, str] = {}
    for case in assignment.cases:
        if case.visibility != "visible":
            continue
        questions.setdefault(case.question.id, case.question.name)
        spec = case.check.compare
        try:
            expected = _round_trip(case.expected_value())
            mistakes = [(m, _round_trip(out)) for m, (_, out) in zip(case.check.mistakes, case.mistakes, strict=True)]
        except wire.WireError as error:  # a reference output no submission could return either
            raise GraderError(f"{case.key}: the reference's output cannot be written to the kit: {error}") from None
        entry: dict[str, Any] = {"key": case.key, "question": case.question.id, "name": case.name,
                                 "points": case.points}
        mode, why, sealed = "values", "", None
        if not comparators.of(spec).in_kit:
            mode, why = "on_submit", "judged by the course's own code, which the kit does not carry"
        elif is_fixed(assignment, case):
            try:
                sealed = _seal_case(case, expected, mistakes)
                mode = "sealed"
            except CannotSeal as error:
                mode, why = "on_submit", "its answer is not in the kit"
                notes.append(f"{case.key}: fixed answer left to grading: {error}")
        feedback = case.check.feedback.strip()
        comparator = comparators.of(spec)
        answer_texts = [t for t in comparator.answer_texts(spec, expected) if t.strip()]
        if mode != "values" and feedback and (hint_reveals(feedback, answer_texts)
                                              or comparator.hint_passes(spec, expected, feedback)):
            notes.append(f"{case.key}: its hint contains the answer; the kit leaves the hint out "
                         "(students see it after submitting)")
            feedback, entry["hint_withheld"] = "", True
        entry["mode"] = mode
        if why:
            entry["why"] = why
        entry["check"] = _check_fields(case, with_mistakes=mode == "values", feedback=feedback)
        if sealed is not None:
            entry["sealed"] = sealed
        values[case.key] = {"args": case.args}
        if mode == "values":
            values[case.key].update(expected=expected, mistakes=[output for _, output in mistakes])
        checks.append(entry)

    on_submit = [c["key"] for c in checks if c["mode"] == "on_submit"]
    if on_submit:
        notes.append(f"{len(on_submit)} visible check(s) run in the kit but are judged only at grading: "
                     + ", ".join(on_submit))
    manifest = {
        "format": kit.FORMAT, "version": kit.FORMAT_VERSION,
        "assignment": rubric.assignment, "title": rubric.title,
        "submission": rubric.submission.model_dump(mode="json"),
        "limits": rubric.limits.model_dump(mode="json"),
        "environment": rubric.environment.model_dump(mode="json"),
        "questions": [{"id": qid, "name": name} for qid, name in questions.items()],
        "checks": checks,
    }
    with _staged(out) as stage:
        _write_kit(stage, manifest, values, template, rubric, install, next(iter(questions), "1"))
    return notes


def _write_kit(out: Path, manifest: dict[str, Any], values: dict[str, Any], template: Path, rubric: Rubric,
               install: str | None, question: str) -> None:
    folder = out / kit.BUNDLE_FOLDER
    folder.mkdir()
    (folder / kit.MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    payload = wire.pack({"values": values}, 1 << 62)[wire.FRAME_HEADER.size:]
    (folder / kit.VALUES).write_bytes(payload)
    filename = Path(rubric.submission.filename)
    shutil.copyfile(template, out / (filename.stem + template.suffix))
    packages = rubric.environment.packages
    if install is None:
        install = f"pip install ./{build_wheel(out)} " + " ".join(f'"{p}"' if set(p) & set("<>=!~ ") else p
                                                                  for p in packages)
    (out / "README.md").write_text(README.format(
        title=rubric.title or rubric.assignment, filename=filename.name, notebook=filename.stem + ".ipynb",
        question=question, install=install.strip(), packages=", ".join(packages) or "nothing else"),
        encoding="utf-8")

