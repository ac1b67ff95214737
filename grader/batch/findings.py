"""After a batch: the class's shared wrong answers (clusters.py), the mistakes to paste for them
(snippets.py), the pairs to look at (collusion.py), and the mutants that reproduce them; read
from an OUTDIR's results and answers, written as OUTDIR/clusters.html and clusters.json.

`grader batch ... --clusters` runs it at the end of a batch; `grader clusters OUTDIR
--assignment NAME` runs it on an existing OUTDIR without grading anything again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.assignment import Assignment
from grader.batch.answers import FOLDER, Answers, AnswersError, path_of, read
from grader.batch.clusters import Cluster, cluster_answers, match_mutants
from grader.batch.collusion import DEFAULT_THRESHOLD, Pair, pairs
from grader.batch.snippets import Group, groups
from grader.batch.task import fingerprint
from grader.text import cap, clean

RESULTS_BYTES = 8 << 20  # a results file larger than this is not ours (results_kb bounds what we write)


@dataclass(frozen=True)
class Options:
    min_size: int = 2  # smallest cluster reported
    threshold: float = DEFAULT_THRESHOLD  # a pair's score above which it is listed
    mutants: bool = False  # run the reference's mutants and match them
    jobs: int | None = None  # for the mutants' run


@dataclass
class Findings:
    assignment: str
    options: Options
    records: int = 0  # answers records used
    clusters: list[Cluster] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)  # the clusters by mistake, with their snippets
    pairs: list[Pair] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # submission key → its students' names
    notes: list[str] = field(default_factory=list)  # what was left out, and why
    mutants: str = "not run (--clusters-mutants runs them)"


def _batch_of(path: Path) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > RESULTS_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    batch = data.get("extra_data", {}).get("batch") if isinstance(data, dict) else None
    return batch if isinstance(batch, dict) else None


def _names(batch: dict[str, Any]) -> str:
    students = batch.get("students")
    if not isinstance(students, list):
        return ""
    names = [str(s.get("name") or "") for s in students if isinstance(s, dict)]  # (an id is the key, or a sid)
    return clean(cap(", ".join(n for n in names if n), 200))


def read_records(out: Path, current: str) -> tuple[list[Answers], dict[str, str], list[str]]:
    """The answers records of OUTDIR that belong to its current results, graded against the
    fingerprint `current`; each submission's names; and a note for each kind left out."""
    records, names = [], {}
    missing, stale, other, problems = [], [], [], []
    for path in sorted((out / "results").glob("*.json")):
        key, batch = path.stem, _batch_of(path)
        if batch is None:
            continue
        names[key] = _names(batch)
        if batch.get("status") in ("missing file", "error", "grader error"):
            continue  # nothing was returned
        answers_path = path_of(out, key)
        if not answers_path.is_file():
            missing.append(key)
            continue
        try:
            record = read(answers_path)
        except AnswersError as error:
            problems.append(str(error))
            continue
        if batch.get("fingerprint") != current:
            other.append(key)
        elif (record.key, record.fingerprint, record.submission_sha256) != (
                key, batch.get("fingerprint"), batch.get("submission_sha256")):
            stale.append(key)
        else:
            records.append(record)
            problems += [f"{key}: {note}" for note in record.notes]

    def some(keys: list[str]) -> str:
        return ", ".join(keys[:8]) + (f" and {len(keys) - 8} more" if len(keys) > 8 else "")

    notes = [clean(cap(p, 300)) for p in problems[:20]]
    if len(problems) > 20:
        notes.append(f"{len(problems) - 20} more such problems")
    if missing:
        notes.append(f"{len(missing)} graded submission(s) have no {FOLDER}/ record (graded before answers were "
                     f"kept; `grader batch --force` regrades them): {clean(some(missing))}")
    if other:
        notes.append(f"{len(other)} submission(s) were graded against another rubric or reference than the current "
                     f"one and are left out (rerun the batch): {clean(some(other))}")
    if stale:
        notes.append(f"{len(stale)} answers record(s) do not belong to their submission's current result and are "
                     f"left out: {clean(some(stale))}")
    return records, names, notes


def _mutant_results(assignment: Assignment, options: Options, findings: Findings) -> list[Any]:
    try:
        from grader.mutants import run_mutants
    except ImportError:
        findings.mutants = "not run: this grader has no grader.mutants"
        return []
    try:
        run = run_mutants(assignment, jobs=options.jobs)
    except Exception as error:  # its own failure must not cost the clusters
        findings.mutants = clean(cap(f"not run: the mutants failed: {type(error).__name__}: {error}", 300))
        return []
    results = list(run.results)
    findings.mutants = f"{len(results)} mutant(s) of the reference run and matched"
    return results


def find(out: Path, assignment: Assignment, options: Options,
         mutant_results: Callable[[], list[Any]] | None = None) -> Findings:
    """Everything clusters.html shows, from OUTDIR. `mutant_results`: the mutants' results to
    match (a test's own); by default grader.mutants runs them when `options.mutants` asks."""
    findings = Findings(assignment.rubric.assignment, options)
    current = fingerprint(assignment.loaded.path.resolve(), assignment.reference_path.resolve())
    records, findings.names, findings.notes = read_records(out, current)
    findings.records = len(records)
    every = cluster_answers(assignment.cases, records, min_size=2)
    findings.pairs = pairs(every, threshold=options.threshold)
    shown = [c for c in every if c.size >= options.min_size]
    if mutant_results is not None:
        results = mutant_results()
        findings.mutants = f"{len(results)} mutant(s) of the reference matched"
    else:
        results = _mutant_results(assignment, options, findings) if options.mutants and shown else []
    if results:
        shown = match_mutants(shown, assignment.cases, results)
    findings.clusters = shown
    findings.groups = groups(shown, assignment.cases, assignment.reference)
    return findings


def write(out: Path, findings: Findings, generated: str = "") -> None:
    """OUTDIR/clusters.json and OUTDIR/clusters.html, atomically."""
    from grader.batch.cluster_page import page_html, to_json
    from grader.files import write_atomically

    write_atomically(out / "clusters.json", to_json(findings))
    write_atomically(out / "clusters.html", page_html(findings, generated))
