"""Shared wrong answers after a batch: clusters by the check's comparator, snippets that name
them, the collusion signal, the page, and (one real batch) `grader batch --clusters` and
`grader clusters` on the class fixture tests/fixtures/stats/."""

from __future__ import annotations

import ast
import base64
import json
import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from grader.assignment import Assignment, Case, load_assignment
from grader.batch.answers import Answer, Answers, read
from grader.batch.cluster_page import page_html, to_json
from grader.batch.clusters import Cluster, cluster_answers, match_mutants, same
from grader.batch.collusion import pairs, placeholder
from grader.batch.findings import Findings, Options
from grader.batch.snippets import Group, groups
from grader.boundary import wire
from grader.boundary.outcome import Outcome
from grader.cli import main
from grader.judging import judge
from tests.support import TESTS

STATS = TESTS / "fixtures" / "stats"
STATS_RUBRIC = STATS / "rubrics" / "stats.yaml"


@pytest.fixture(scope="module")
def stats() -> Assignment:
    return load_assignment(STATS_RUBRIC)


def _case(assignment: Assignment, key: str) -> Case:
    return next(c for c in assignment.cases if c.key == key)


def _answer(case: str, value: Any, *, passed: bool = False, mistake: str | None = None) -> Answer:
    payload = wire.pack({"value": value}, 1 << 30)[wire.FRAME_HEADER.size:]
    return Answer(case, passed, mistake, value, True, "", payload)


def _records(answers: dict[str, list[Answer]]) -> list[Answers]:
    return [Answers(key, "", "", tuple(given)) for key, given in answers.items()]


def sample_variance(x: np.ndarray) -> float:  # the wrong formula the fixture's ann, ben and cal use
    return float(np.var(x, ddof=1))


def _on_variance_cases(assignment: Assignment, formula: Any) -> list[Answer]:
    return [_answer(c.key, formula(*c.args.values())) for c in assignment.cases if c.function == "variance"]


# -- clusters ----------------------------------------------------------------------------------


def test_two_answers_are_one_when_the_checks_comparator_says_so(stats: Assignment) -> None:
    loose, strict = _case(stats, "1/fixed-sample"), _case(stats, "1/random-samples#1")  # rtol 1e-6, 1e-9
    assert same(loose, 5.0 * (1 + 1e-7), 5.0) and not same(strict, 5.0 * (1 + 1e-7), 5.0)
    assert same(strict, 5.0 * (1 + 1e-12), 5.0)
    assert same(_case(stats, "2/random-samples#1"), [[1.0, 2.0]], np.array([1.0, 2.0]))  # numeric's squeeze
    assert not same(strict, "five", 5.0)  # unreadable by the comparator: equal to nothing


def test_wrong_answers_cluster_per_case_and_right_or_lost_ones_do_not(stats: Assignment) -> None:
    case = _case(stats, "1/random-samples#1")
    x = case.args["x"]
    answers = {
        "ann": [_answer(case.key, sample_variance(x))],
        "ben": [_answer(case.key, sample_variance(x) * (1 + 1e-12))],  # summed in another order: within rtol
        "cal": [_answer(case.key, sample_variance(x))],
        "dee": [_answer(case.key, float(np.var(x)), passed=True)],
        "eve": [_answer(case.key, float(np.var(x)), passed=True)],
        "fay": [_answer(case.key, 99.0)],
        "gus": [Answer(case.key, False, None, None, kept=False, note="over 64 KB")],
        "hal": [_answer("9/no-such-check", 99.0)],
    }
    assert answers["ann"][0].encoded != answers["ben"][0].encoded  # equal only by the comparator
    found = cluster_answers(stats.cases, _records(answers))
    assert [(c.case, c.members) for c in found] == [(case.key, ("ann", "ben", "cal"))]
    cluster = found[0]
    assert (cluster.check, cluster.function, cluster.reference, cluster.hidden, cluster.random) == (
        "1/random-samples", "variance", "variance", True, True)
    assert cluster.value == pytest.approx(sample_variance(x))
    assert cluster_answers(stats.cases, _records(answers), min_size=4) == []
    answers["fay"] = [_answer(case.key, 99.0 * (1 + 1e-12))]
    answers["ivy"] = [_answer(case.key, 99.0)]
    sizes = [(c.size, c.members) for c in cluster_answers(stats.cases, _records(answers))]
    assert sizes == [(3, ("ann", "ben", "cal")), (2, ("fay", "ivy"))]


def test_a_judged_check_is_clustered_by_equal_values(tiny: Assignment) -> None:
    case = _case(tiny, "2/unit-length")  # a judge reads no expected value: each answer would "equal" any other
    v = np.array([3.0, 4.0, 0.0, 0.0, 0.0])
    answers = {"a": [_answer(case.key, v)], "b": [_answer(case.key, v * (1 + 1e-9))], "c": [_answer(case.key, 2 * v)]}
    assert [c.members for c in cluster_answers(tiny.cases, _records(answers))] == [("a", "b")]
    text = _case(tiny, "3/colour")  # one_of: another student's text is no synonym
    words = {"a": [_answer(text.key, "Blue ")], "b": [_answer(text.key, "blue")], "c": [_answer(text.key, "navy")]}
    assert [c.members for c in cluster_answers(tiny.cases, _records(words))] == [("a", "b")]


# -- snippets: the done-when, in the fast subset -------------------------------------------------


def paste_under_check(rubric_text: str, check_name: str, snippet_yaml: str) -> str:
    """What an instructor does: the snippet's lines under the check named `check_name`, at the
    indentation of its keys, after its last key."""
    lines = rubric_text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.fullmatch(rf"\s*- name: {re.escape(check_name)}", line))
    indent = lines[start].index("- name") + 2
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) >= indent):
        end += 1
    pasted = [" " * indent + line if line else line for line in snippet_yaml.splitlines()]
    return "\n".join(lines[:end] + pasted + lines[end:]) + "\n"


def named_copy(tmp_path: Path, group: Group, body: str) -> Path:
    """The fixture with the group's snippet pasted: YAML under each check, the function in the
    reference with `body` written in place of the stub's raise. Returns the new rubric."""
    copy = tmp_path / "stats"
    shutil.copytree(STATS, copy)
    assert group.snippet is not None
    rubric = copy / "rubrics" / "stats.yaml"
    text = rubric.read_text()
    for check_key, item in group.snippet.items:
        name = next(c.check_name for c in group.clusters if c.check == check_key)
        assert check_key.startswith("1/")  # (question 2 has a check of the same name, found after question 1's)
        text = paste_under_check(text, name, item)
    rubric.write_text(text)
    python = re.sub(r"raise NotImplementedError\(.*\)", body, group.snippet.python)
    reference = copy / "reference" / "stats.py"
    reference.write_text(reference.read_text() + "\n\n" + python)
    return rubric


def _variance_group(stats: Assignment, mutants: list[Any] | None = None) -> Group:
    answers = {name: _on_variance_cases(stats, sample_variance) for name in ("ann", "ben", "cal")}
    answers["dee"] = [_answer(c.key, float(np.var(c.args["x"])), passed=True) for c in stats.cases
                      if c.function == "variance"]
    found = cluster_answers(stats.cases, _records(answers))
    if mutants is not None:
        found = match_mutants(found, stats.cases, mutants)
    made = groups(found, stats.cases, stats.reference)
    assert len(made) == 1
    return made[0]


def test_one_shared_mistake_is_one_group_with_a_snippet_that_names_it_once_pasted(stats: Assignment,
                                                                                 tmp_path: Path) -> None:
    group = _variance_group(stats)
    assert group.members == ("ann", "ben", "cal") and group.known is None
    assert [c.case for c in group.clusters] == ["1/fixed-sample", "1/random-samples#1", "1/random-samples#2"]
    snippet = group.snippet
    assert snippet is not None and snippet.mutant is None and snippet.function == "variance_mistake_1"
    assert [check for check, _ in snippet.items] == ["1/fixed-sample", "1/random-samples"]
    stub = ast.parse(snippet.python).body[0]
    assert isinstance(stub, ast.FunctionDef) and [a.arg for a in stub.args.args] == ["x"]  # the reference's
    for _, item in snippet.items:
        (mistake,) = yaml.safe_load(item)["mistakes"]
        assert mistake["function"] == "variance_mistake_1" and mistake["name"].startswith("TODO")
    rubric = named_copy(tmp_path, group, "return float(((x - x.mean()) ** 2).sum() / (len(x) - 1))")
    named = load_assignment(rubric)  # the pasted rubric and reference load
    for cluster in group.clusters:
        case = _case(named, cluster.case)
        assert [m.function for m in case.check.mistakes] == ["variance_mistake_1"]
        result = judge(case, Outcome("ok", value=cluster.value), named.judges())
        assert not result.passed and result.mistake == yaml.safe_load(snippet.items[0][1])["mistakes"][0]["name"]


def test_snippet_names_are_fresh_and_carry_nothing_a_student_returned(tiny: Assignment) -> None:
    hostile = 'x"""\nimport os; os.system("rm -rf ~")\n"""'
    case = _case(tiny, "3/colour")
    answers = {"a": [_answer(case.key, hostile)], "b": [_answer(case.key, hostile)]}
    (group,) = groups(cluster_answers(tiny.cases, _records(answers)), tiny.cases, tiny.reference)
    assert group.snippet is not None
    assert "os.system" not in group.snippet.python and "os.system" not in group.snippet.yaml
    ast.parse(group.snippet.python)
    dot = _case(tiny, "1/random-vectors#1")
    twice = {"a": [_answer(dot.key, 1.0), _answer(case.key, "x")], "b": [_answer(dot.key, 1.0), _answer(case.key, "x")],
             "c": [_answer(dot.key, 2.0)], "d": [_answer(dot.key, 2.0)]}
    made = groups(cluster_answers(tiny.cases, _records(twice)), tiny.cases, tiny.reference)
    names = [g.snippet.function for g in made if g.snippet]
    assert sorted(names) == ["colour_mistake_1", "dot_mistake_1", "dot_mistake_2"]
    assert not any(hasattr(tiny.reference, name) for name in names)


def test_no_mistake_is_suggested_under_a_check_judged_by_a_property(tiny: Assignment) -> None:
    """2/unit-length is decided by a judge (is the vector of length 1?): a known mistake's output means
    nothing there, so the snippet names the mistake only under 2/same-direction, which compares."""
    judged, compared = _case(tiny, "2/unit-length"), _case(tiny, "2/same-direction")
    wrong = [3.0, 4.0]
    answers = {name: [_answer(judged.key, wrong), _answer(compared.key, wrong)] for name in ("a", "b")}
    (group,) = groups(cluster_answers(tiny.cases, _records(answers)), tiny.cases, tiny.reference)
    assert group.snippet is not None
    items = dict(group.snippet.items)
    assert yaml.safe_load(items["2/same-direction"])["mistakes"][0]["function"] == group.snippet.function
    assert yaml.safe_load(items["2/unit-length"]) is None and "judged by a property" in items["2/unit-length"]


def test_a_cluster_of_a_known_mistake_gets_no_snippet(stats: Assignment) -> None:
    keys = [c.key for c in stats.cases if c.function == "standardize"]
    answers = {name: [_answer(k, [1.0, 2.0], mistake="mean not subtracted") for k in keys] for name in ("a", "b")}
    (group,) = groups(cluster_answers(stats.cases, _records(answers)), stats.cases, stats.reference)
    assert group.known == "mean not subtracted" and group.snippet is None


# -- mutants -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeMutant:  # grader.mutants.Mutant's fields, as clustering reads them
    id: str
    function: str
    operator: str
    line: int
    description: str
    function_source: str


@dataclass(frozen=True)
class FakeResult:
    mutant: FakeMutant
    outputs: dict[str, Any] = field(default_factory=dict)


def _mutant_run(stats: Assignment) -> list[FakeResult]:
    """What a mutation run of the fixture's reference would give: the `len(x)` → `len(x) - 1`
    mutant of variance (the students' mistake), one of standardize, and a variance mutant that
    reproduces nothing."""
    n_minus_1 = FakeMutant("variance:constant:9:30", "variance", "constant", 9, "`len(x)` → `len(x) - 1` in variance",
                           "def variance(x):\n    d = x - x.mean()\n    return float((d * d).sum() / (len(x) - 1))\n")
    other = FakeMutant("standardize:sign:13:12", "standardize", "sign", 13, "`-` → `+`", "def standardize(x): ...")
    wrong = FakeMutant("variance:sign:8:10", "variance", "sign", 8, "`-` → `+`",
                       "def variance(x):\n    d = x + x.mean()\n    return float((d * d).sum() / len(x))\n")
    variance_cases = [c for c in stats.cases if c.function == "variance"]
    return [FakeResult(n_minus_1, {c.key: sample_variance(*c.args.values()) for c in variance_cases}),
            FakeResult(other, {c.key: sample_variance(*c.args.values()) for c in variance_cases}),
            FakeResult(wrong, {c.key: float(np.mean((c.args["x"] + c.args["x"].mean()) ** 2)) for c in variance_cases})]


def test_a_mutant_that_reproduces_the_cluster_is_named_and_becomes_the_snippet(stats: Assignment,
                                                                              tmp_path: Path) -> None:
    group = _variance_group(stats, _mutant_run(stats))
    for cluster in group.clusters:  # its own function's mutant first; the non-matching one absent
        assert [(m.id, m.own) for m in cluster.mutants] == [("variance:constant:9:30", True),
                                                            ("standardize:sign:13:12", False)]
    snippet = group.snippet
    assert snippet is not None and snippet.mutant == "variance:constant:9:30"
    (function,) = [n for n in ast.parse(snippet.python).body if isinstance(n, ast.FunctionDef)]
    assert function.name == "variance_mistake_1"
    named = load_assignment(named_copy(tmp_path, group, ""))  # pasted as it is: nothing to write
    case = _case(named, "1/random-samples#2")
    assert judge(case, Outcome("ok", value=group.clusters[2].value), named.judges()).mistake is not None


# -- collusion -----------------------------------------------------------------------------------


def _cluster(case: str, members: tuple[str, ...], value: Any = 1.5, *, function: str = "f", hidden: bool = True,
             random: bool = True, known: str | None = None) -> Cluster:
    return Cluster(case, case.split("#")[0], "1", "c", function, function, members, value, str(value), known,
                   hidden, random)


def test_pairs_share_rare_wrong_answers_weighted_by_the_clusters_size_once_per_function() -> None:
    clusters = [
        _cluster("1/f#1", ("a", "b"), function="f"), _cluster("1/f#2", ("a", "b"), function="f"),  # one bug: 1
        _cluster("2/g", ("a", "b", "c"), function="g"),  # 1/2 for each of its three pairs
        _cluster("3/h", ("a", "b"), function="h"),
        _cluster("4/k", ("a", "b"), function="k", hidden=False, random=False),  # visible, fixed: not counted
        _cluster("5/m", ("a", "b"), function="m", known="a known one"),  # foreseen: not counted
        _cluster("6/n", ("a", "b"), None, function="n"), _cluster("7/p", ("a", "b"), [0.0, 0.0], function="p"),
    ]
    (pair,) = pairs(clusters, threshold=2.0)
    assert (pair.first, pair.second, pair.score) == ("a", "b", 2.5)
    assert [(s.function, s.weight) for s in pair.shared] == [("f", 1.0), ("h", 1.0), ("g", 0.5)]
    assert pairs(clusters, threshold=2.5) == []  # more than the threshold
    common = [_cluster(f"{i}/x", tuple("abcdefghij"), function=f"f{i}") for i in range(10)]
    assert pairs(common, threshold=2.0) == []  # a mistake ten students make flags no one: 10 x 1/9


def test_placeholders_are_what_an_unfinished_function_returns() -> None:
    assert all(placeholder(v) for v in (None, [], "", " ", {}, 0, 0.0, np.zeros(3), [0, 0]))
    assert not any(placeholder(v) for v in (False, True, 1e-300, [0, 1], "0", np.array([0.0, 2.0])))


# -- the page ------------------------------------------------------------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_page_escapes_every_student_string(stats: Assignment) -> None:
    evil = "<script>alert(1)</script>"
    case = _case(stats, "1/random-samples#1")
    answers = {evil: [_answer(case.key, evil)], "ok": [_answer(case.key, evil)]}
    clusters = cluster_answers(stats.cases, _records(answers))
    findings = Findings("stats", Options(), records=2, clusters=clusters,
                        groups=groups(clusters, stats.cases, stats.reference),
                        pairs=pairs(clusters, threshold=0.5), names={evil: "<img src=x onerror=alert(2)>"})
    page = page_html(findings)
    parser = _Text()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert evil in "".join(parser.text) and "<img src=x" in "".join(parser.text)
    data = json.loads(to_json(findings))
    assert data["groups"][0]["members"] == sorted([evil, "ok"]) and data["pairs"][0]["score"] == 1.0


def test_a_long_list_of_members_is_folded_on_the_page(stats: Assignment) -> None:
    from grader.batch.cluster_page import WHO_SHOWN

    case = _case(stats, "1/fixed-sample")
    answers = {f"s{i:02d}": [_answer(case.key, 1.0)] for i in range(WHO_SHOWN + 5)}
    clusters = cluster_answers(stats.cases, _records(answers))
    page = page_html(Findings("stats", Options(), clusters=clusters, groups=groups(clusters, stats.cases,
                                                                                  stats.reference)))
    assert page.count('href="students/s') == WHO_SHOWN and "and 5 more (clusters.json lists them)" in page


# -- one real batch ------------------------------------------------------------------------------


@pytest.mark.child
def test_a_class_batch_finds_the_shared_mistake_and_the_snippet_names_it(stats: Assignment, tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["batch", str(STATS / "submissions"), "--assignment", str(STATS_RUBRIC), "--out", str(out),
                 "--jobs", "2", "--clusters"]) == 0
    printed = capsys.readouterr().out
    assert "3 submissions on 1/fixed-sample, 1/random-samples#1, 1/random-samples#2" in printed
    assert "1 pair(s) to look at" in printed
    data = json.loads((out / "clusters.json").read_text())
    by_members = {(tuple(g["members"]), g["function"]): g for g in data["groups"]}
    shared = by_members[("ann", "ben", "cal"), "variance"]
    assert [c["case"] for c in shared["clusters"]] == ["1/fixed-sample", "1/random-samples#1", "1/random-samples#2"]
    assert by_members[("hal", "ivy"), "standardize"]["known"] == "mean not subtracted"
    assert by_members[("hal", "ivy"), "softmax"]["clusters"][0]["answer"] == "None"
    # fay and gus (one file) share rare wrong answers on all three functions; hal and ivy only a known
    # mistake and a placeholder (None); ann, ben and cal one mistake of three
    assert [(p["first"], p["second"], p["score"]) for p in data["pairs"]] == [("fay", "gus", 3.0)]
    page = (out / "clusters.html").read_text()
    assert "Pairs to look at (1)" in page and "not a finding" in page
    assert '<a href="clusters.html">' in (out / "report.html").read_text()  # written before the page, linked after
    # after the fact, without grading again: the same findings
    assert main(["clusters", str(out), "--assignment", str(STATS_RUBRIC)]) == 0
    assert json.loads((out / "clusters.json").read_text()) == data
    # with the reference's mutants (grader.mutants): the one that drops the mean is hal's and ivy's answer
    assert main(["clusters", str(out), "--assignment", str(STATS_RUBRIC), "--mutants", "--jobs", "2"]) == 0
    with_mutants = json.loads((out / "clusters.json").read_text())
    assert re.fullmatch(r"\d+ mutant\(s\) of the reference run and matched", with_mutants["mutants"])
    uncentered = next(g for g in with_mutants["groups"] if g["members"] == ["hal", "ivy"] and g["function"] ==
                      "standardize")
    for cluster in uncentered["clusters"]:
        assert any(m["own"] and "x.mean()" in m["description"] for m in cluster["mutants"]), cluster
    # the snippet, pasted, names the mistake: loading works, validate agrees, the students' answers are recognized
    group = next(g for g in groups(cluster_answers(stats.cases, [read(p) for p in sorted((out / "answers").glob("*"))]),
                                   stats.cases, stats.reference) if g.members == ("ann", "ben", "cal"))
    assert group.snippet is not None and group.snippet.yaml == shared["snippet"]["yaml"]
    rubric = named_copy(tmp_path, group, "return float(np.var(x, ddof=1))")
    examples = rubric.parent.parent / "submissions_example" / "stats"
    shutil.copyfile(STATS / "submissions" / "ann.py", examples / "sample_variance.py")
    name = yaml.safe_load(group.snippet.items[0][1])["mistakes"][0]["name"]
    with (examples / "expected.yaml").open("a") as manifest:
        manifest.write(f"sample_variance.py:\n  score: 4\n  fails: [1/fixed-sample, 1/random-samples]\n"
                       f"  mistakes: [{json.dumps(name)}]\n")
    assert main(["validate", "--assignment", str(rubric)]) == 0, capsys.readouterr()
    assert "consistent" in capsys.readouterr().out


# -- an OUTDIR read back, and the command's usage errors ------------------------------------------


def _outdir(tmp_path: Path, stats: Assignment, records: dict[str, Any]) -> Path:
    """An OUTDIR as a batch leaves it: results with their batch data, and the given answers files
    (text as it is; a dict: a record of those wrong answers)."""
    from grader.batch.answers import FORMAT, VERSION
    from grader.batch.task import fingerprint

    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    (out / "answers").mkdir()
    current = fingerprint(STATS_RUBRIC.resolve(), stats.reference_path.resolve())
    for key, given in records.items():
        batch = {"key": key, "students": [{"id": key, "name": f"Student {key}" if key != "b" else ""}],
                 "fingerprint": current,
                 "submission_sha256": "s", "status": "graded", "final": True}
        (out / "results" / f"{key}.json").write_text(json.dumps({"extra_data": {"batch": batch}}))
        if isinstance(given, dict):
            cases = [{"case": case, "passed": False, "mistake": None,
                      "value": base64.b64encode(_answer(case, value).encoded).decode()}
                     for case, value in given.items()]
            given = json.dumps({"format": FORMAT, "version": VERSION, "key": key, "fingerprint": current,
                                "submission_sha256": "s", "cases": cases, "cut": []})
        if given is not None:
            (out / "answers" / f"{key}.json").write_text(given)
    return out


def test_an_outdir_with_missing_and_hostile_records_gives_notes_not_a_traceback(stats: Assignment,
                                                                               tmp_path: Path) -> None:
    from grader.batch.findings import find

    out = _outdir(tmp_path, stats, {"a": {"1/fixed-sample": 9.5}, "b": {"1/fixed-sample": 9.5},
                                    "c": None, "d": "[" * 50_000, "e": "x" * (4 << 20)})
    findings = find(out, stats, Options())
    assert findings.records == 2 and [g.members for g in findings.groups] == [("a", "b")]
    assert (findings.names["a"], findings.names["b"]) == ("Student a", "")  # a name, never the id again
    notes = "\n".join(findings.notes)
    assert "d.json: not JSON (RecursionError)" in notes  # 50,000 nested brackets
    assert "e.json: 4.0 MB, more than the 3.0 MB" in notes
    assert "1 graded submission(s) have no answers/ record" in notes and ": c" in notes


def test_the_clusters_command_says_what_is_wrong_in_one_line(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clusters", str(tmp_path), "--assignment", str(STATS_RUBRIC)]) == 2
    assert "is no batch's output folder (it has no results/)" in capsys.readouterr().err
    (tmp_path / "results").mkdir()
    assert main(["clusters", str(tmp_path), "--assignment", str(STATS_RUBRIC), "--cluster-min-size", "1"]) == 2
    err = capsys.readouterr().err
    assert "--cluster-min-size must be at least 2" in err and "Traceback" not in err
