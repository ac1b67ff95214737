"""`grader batch`: discovery, parallel grading, the gradebook, the report, resume, Dask."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader.assignment import Assignment, load_assignment
from grader.batch.progress import Progress
from grader.batch.report import BAR, layout_of, number
from grader.batch.run import Outcome, run_batch
from grader.batch.source import Student, discover, open_source, parse_metadata
from grader.batch.stored import is_current
from grader.batch.task import Task, _load, fingerprint, grade_task, make_spec
from grader.cli import main
from grader.errors import GraderError
from grader.grading import grade
from grader.paths import resolve_rubric
from grader.results import to_results
from tests.support import EXAMPLES, TESTS, TINY, assert_valid_results, tiny_variant

GRADESCOPE = TESTS / "fixtures" / "gradescope_export"
GRADER = Path(sys.executable).with_name("grader")


@pytest.fixture(scope="session")
def hw2() -> Assignment:
    return load_assignment(resolve_rubric("hw2"))


def per_student_folders(target: Path, copies: int = 1) -> list[tuple[str, Path]]:
    """The example submissions laid out one folder per student: (student, example file)."""
    target.mkdir(parents=True, exist_ok=True)
    examples = sorted(EXAMPLES.glob("*.py"))
    students = []
    for i in range(copies):
        for example in examples:
            name = example.stem if copies == 1 else f"s{i:03d}_{example.stem}"
            (target / name).mkdir()
            shutil.copyfile(example, target / name / "hw2.py")
            students.append((name, example))
    return students


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def example_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[tuple[str, Path]]]:
    """One real batch over the examples (+ a student who handed in the wrong file), 2 worker processes."""
    root = tmp_path_factory.mktemp("batch")
    source = root / "class"
    students = per_student_folders(source)
    (source / "zz_wrong_file").mkdir()
    (source / "zz_wrong_file" / "notes.txt").write_text("I forgot the homework\n")
    (source / "README.md").write_text("not a submission\n")
    out = root / "out"
    assert main(["batch", str(source), "--assignment", "hw2", "--out", str(out), "--jobs", "2"]) == 0
    return source, out, students


# -- the gradebook equals `grade` ---------------------------------------------------------------


@pytest.mark.child
def test_batch_csv_rows_equal_grade_results(example_batch, hw2: Assignment, results_schema) -> None:
    source, out, students = example_batch
    rows = {row["submission"]: row for row in read_csv(out / "grades.csv")}
    question_ids = [q.id for q in hw2.rubric.questions if not q.manual]
    manual_ids = [q.id for q in hw2.rubric.questions if q.manual]  # a column each, for the graders' scores
    assert list(read_csv(out / "grades.csv")[0]) == ["id", "name", "email", "submission", *question_ids,
                                                     *manual_ids, "total", "status"]
    assert set(rows) == {name for name, _ in students} | {"zz_wrong_file"}
    for name, _ in students:
        report = grade(hw2, source / name)
        results = to_results(report)
        row = rows[name]
        assert (row["id"], row["status"]) == (name, "graded")
        assert float(row["total"]) == pytest.approx(results.score, abs=1e-6)
        for qid in question_ids:
            expected = sum(c.score for c in report.checks if c.case.question.id == qid)
            assert float(row[qid]) == pytest.approx(expected, abs=1e-6), (name, qid)
        stored = json.loads((out / "results" / f"{name}.json").read_text())
        assert_valid_results(stored, results_schema)
        # (a neutral test has no score)
        assert [t.get("score", 0.0) for t in stored["tests"]] == [t.score for t in results.tests]
        assert [t.get("extra_data", {}).get("mistake") for t in stored["tests"]] == \
            [t.extra_data.get("mistake") for t in results.tests]
    wrong = rows["zz_wrong_file"]
    assert (wrong["status"], wrong["total"], wrong[question_ids[0]]) == ("missing file", "", "")  # not a zero
    message = json.loads((out / "results" / "zz_wrong_file.json").read_text())["extra_data"]["submission_error"]
    assert "no hw2.py" in message and "notes.txt" in message


@pytest.mark.child
def test_declared_scores_reach_the_gradebook(example_batch) -> None:
    import yaml

    _, out, _ = example_batch
    declared = yaml.safe_load((EXAMPLES / "expected.yaml").read_text())
    rows = {row["submission"]: row for row in read_csv(out / "grades.csv")}
    for file, entry in declared.items():
        assert float(rows[Path(file).stem]["total"]) == pytest.approx(entry["score"], abs=1e-6), file


# -- the report -------------------------------------------------------------------------------


class _Charts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, list[float]] = {}
        self._current: str | None = None
        self.tables: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg" and "chart" in (a.get("class") or ""):
            self._current = a["data-chart"] or ""
            self.charts[self._current] = []
        elif tag == "rect" and a.get("class") == "bar" and self._current is not None:
            self.charts[self._current].append(float(a["height"] or 0))
        elif tag == "table":
            self.tables.add(a.get("class") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._current = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.mark.child
def test_report_has_svg_charts_failed_checks_and_mistakes(example_batch, hw2: Assignment) -> None:
    _, out, _ = example_batch
    html = (out / "report.html").read_text(encoding="utf-8")
    parser = _Charts()
    parser.feed(html)
    scored = [q.id for q in hw2.rubric.questions if not q.manual and sum(c.points for c in q.checks) > 0]
    assert set(parser.charts) == {"total"} | {f"question-{q}" for q in scored}
    assert all(bars and all(h > 0 for h in bars) for bars in parser.charts.values())
    text = " ".join(parser.text)
    assert {"failed", "mistakes", "problems"} <= parser.tables
    assert "sign-flipped derivative: 1 student" in text
    assert "cross-correlation instead of convolution: 1 student" in text
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium writes) into rows of pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    channels = 4 if colour == 6 else 3
    raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line) if channels == 3 else bytes(b for j, b in enumerate(line) if j % 4 != 3))
        previous = line
    return width, height, rows


@pytest.mark.child
def test_report_renders_in_headless_chromium(example_batch, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (scripts/install-test-deps.sh installs it as root)")
    _, out, _ = example_batch
    shot = tmp_path / "report.png"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
               "--window-size=1200,1600", f"--screenshot={shot}", (out / "report.html").as_uri()]
    subprocess.run(command, capture_output=True, timeout=90, check=True)
    width, height, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (1200, 1600)
    bar = bytes.fromhex(BAR[1:])
    near = [sum(1 for x in range(0, width * 3, 3) if all(abs(r[x + k] - bar[k]) <= 6 for k in range(3)))
            for r in rows]
    white = sum(r.count(b"\xff\xff\xff") for r in rows) / (width * height)
    assert sum(near) > 20_000, "the charts' bars are not on the page"
    top = next(y for y, n in enumerate(near) if n)
    assert top < 600, "the total's chart should be near the top"
    assert sum(1 for n in near if n) > 300, "bars of several charts, over hundreds of pixel rows"
    assert 0.5 < white < 0.98, "a page with content on a white background"


# -- sources ----------------------------------------------------------------------------------


def test_discovery_of_folders_files_wrappers_and_litter(tmp_path: Path) -> None:
    wrapper = tmp_path / "download" / "hw2 submissions"
    for name in ("bob", "alice"):
        (wrapper / name).mkdir(parents=True)
        (wrapper / name / "hw2.py").write_text("x = 1\n")
    (wrapper / "carol.py").write_text("x = 1\n")
    (wrapper / "dave 2.py").write_text("x = 1\n")
    (wrapper / "roster.csv").write_text("id\n")
    (wrapper / "fay.ipynb").write_text("{}")
    (wrapper / "__MACOSX").mkdir()
    (wrapper / ".DS_Store").write_text("")
    source = discover(tmp_path / "download", "hw2.py", "folder")
    assert source.root == wrapper
    assert [(i.key, i.path.name, i.students) for i in source.items] == [
        ("alice", "alice", (Student("alice"),)), ("bob", "bob", (Student("bob"),)),
        ("carol", "carol.py", (Student("carol"),)), ("dave_2", "dave 2.py", (Student("dave 2"),)),
        ("fay", "fay.ipynb", (Student("fay"),))]  # a loose notebook is a submission too
    assert source.ignored == ["roster.csv"]
    single = tmp_path / "one"
    (single / "erin").mkdir(parents=True)
    (single / "erin" / "hw2.py").write_text("")
    assert [i.key for i in discover(single, "hw2.py", "folder").items] == ["erin"]


@pytest.mark.child
def test_a_loose_notebook_in_a_class_folder_is_graded_as_its_student(tmp_path: Path) -> None:
    from tests.support import notebook_of

    source = tmp_path / "class"
    source.mkdir()
    good = (TINY / "submissions" / "correct.py").read_text()
    (source / "ada.py").write_text(good)
    notebook_of(good, source / "dave.ipynb")
    run_batch(source, str(TINY / "rubrics" / "tiny.yaml"), tmp_path / "out", jobs=2, pool="thread")
    rows = {r["submission"]: (r["status"], r["total"]) for r in read_csv(tmp_path / "out" / "grades.csv")}
    assert rows["dave"] == rows["ada"] and rows["ada"][0] == "graded"


def test_zip_source_is_unpacked_safely(tmp_path: Path) -> None:
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("class/alice/hw2.py", "x = 1\n")
        zf.writestr("class/bob.py", "x = 2\n")
        zf.writestr("../escape.py", "x = 3\n")
        zf.writestr("__MACOSX/class/._bob.py", "junk")
    with open_source(archive, "hw2.py") as source:
        assert source.kind == "zip"
        assert [i.key for i in source.items] == ["alice", "bob"]
        assert not (source.root.parent.parent / "escape.py").exists()
        unpacked = source.root
    assert not unpacked.exists()


def test_gradescope_metadata_variants() -> None:
    text = """submission_1:
  :submitters:
  - :name: First Last
    :sid: '123456789'
    :email: first@example.edu
  :created_at: 2026-04-26 17:34:00.861687000 Z
  :results:
    tests:
    - name: Correct Assignment Check
      output: 'Don''t worry about this test, it just checks that you submitted the
        correct assignment.

'
      status: passed
...
submission_2:
  submitters:
  - sid: 333
  - :name: No Id
submission_3:
  :submitters: []
  :created_at: !ruby/object:ActiveSupport::TimeWithZone
    utc: 2026-04-26 17:34:00 Z
metadata_version: 3
"""
    parsed = parse_metadata(text)
    assert parsed == {"submission_1": (Student("123456789", "First Last", "first@example.edu"),),
                      "submission_2": (Student("333"), Student("", "No Id")), "submission_3": ()}


@pytest.mark.child
def test_gradescope_export_zip(tmp_path: Path, hw2: Assignment) -> None:
    archive = tmp_path / "assignment_4242_export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(GRADESCOPE.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(GRADESCOPE).as_posix())
        zf.writestr("__MACOSX/assignment_4242_export/._submission_metadata.yml", "junk")
        zf.writestr("assignment_4242_export/submission_300000002/.DS_Store", "junk")
    out = tmp_path / "out"
    outcome = run_batch(archive, "hw2", out, jobs=2, pool="thread")
    rows = read_csv(out / "grades.csv")
    got = [(r["id"], r["name"], r["email"], r["submission"], r["total"], r["status"]) for r in rows]
    assert got == [
        ("20240001", "Ada Lovelace", "ada@example.edu", "submission_300000001", "6.5", "graded"),
        ("20240002", "Grace Hopper", "grace@example.edu", "submission_300000002", "5.75", "graded"),
        ("20240003", "Alan Turing", "alan@example.edu", "submission_300000002", "5.75", "graded"),
        ("20240004", "Edsger Dijkstra", "", "submission_300000003", "", "missing file"),
        ("20240005", "Barbara Liskov", "barbara@example.edu", "submission_300000004", "6.25", "graded"),
        ("20240006", "Donald Knuth", "don@example.edu", "submission_300000005", "", "missing file"),
    ]
    assert rows[1]["2.2.3"] == rows[2]["2.2.3"] == "0.5"  # the group's two rows agree
    assert outcome.counts == {"graded": 3, "missing file": 2}
    stored = json.loads((out / "results" / "submission_300000002.json").read_text())
    assert [s["name"] for s in stored["extra_data"]["batch"]["students"]] == ["Grace Hopper", "Alan Turing"]
    misnamed = json.loads((out / "results" / "submission_300000003.json").read_text())["extra_data"]
    assert "no hw2.py" in misnamed["submission_error"] and "homework2.py" in misnamed["submission_error"]
    missing = json.loads((out / "results" / "submission_300000005.json").read_text())["extra_data"]
    assert "your submission holds no files (expected hw2.py)" in missing["submission_error"]


@pytest.mark.child
def test_the_late_policy_reads_the_exports_times_and_extensions_and_a_sheet_of_them(tmp_path: Path) -> None:
    from tests.support import HW2_RUBRIC, rubric_variant

    due = "2024-10-01T12:00:00-07:00"
    rubric = rubric_variant(HW2_RUBRIC, tmp_path / "rubric" / "hw2.yaml", pin_reference=True,
                            late={"due": due, "penalty": 0.1, "grace_minutes": 15, "max_penalty": 0.25})
    sheet = tmp_path / "extensions.csv"  # Alan's extension covers his group's submission (with Grace)
    sheet.write_text("email,due\nALAN@example.edu,2024-10-02T00:00:00-07:00\n")
    out = tmp_path / "out"
    run_batch(GRADESCOPE, str(rubric), out, jobs=2, pool="thread", extensions=sheet)
    rows = {r["submission"]: r for r in read_csv(out / "grades.csv")}
    # Ada handed in 21:14 on the due day, 9 h 14 min late: one started day after the grace period, 10% of 6.5.
    assert (rows["submission_300000001"]["late penalty"], rows["submission_300000001"]["total"]) == ("-0.65", "5.85")
    assert (rows["submission_300000002"]["late penalty"], rows["submission_300000002"]["total"]) == ("", "5.75")
    # Barbara's own due date in the export's metadata (an extension) is after she handed in.
    assert (rows["submission_300000004"]["late penalty"], rows["submission_300000004"]["total"]) == ("", "6.25")
    ada = json.loads((out / "results" / "submission_300000001.json").read_text())
    assert "Submitted 9 hours 14 minutes after the due date (2024-10-01T12:00:00-07:00)" in ada["output"]
    canvas = list(csv.reader((out / "canvas.csv").read_text().splitlines()))  # the penalized totals, by SIS id
    assert [(r[2], r[5]) for r in canvas[2:]] == [("20240001", "5.85"), ("20240002", "5.75"), ("20240003", "5.75"),
                                                  ("20240004", ""), ("20240005", "6.25"), ("20240006", "")]
    run_batch(GRADESCOPE, str(rubric), out, jobs=2, pool="thread")  # the extension withdrawn: graded again
    rows = {r["submission"]: r for r in read_csv(out / "grades.csv")}
    assert rows["submission_300000002"]["late penalty"] == "-0.575"  # 21:55, 9 h 55 min late: 10% of 5.75
    bad = tmp_path / "bad.csv"
    for text, said in (("email,due\nada@example.edu,tomorrow\n",
                        "bad.csv:2: due: 'tomorrow' is not a date and time such as 2026-10-01T23:59:00-07:00"),
                       ("id,due\n20240001,2024-10-02T00:00:00-07:00\n20240001,2024-10-03T00:00:00-07:00\n",
                        "bad.csv:3: 20240001 has a due date on line 2 already")):
        bad.write_text(text)
        with pytest.raises(GraderError, match=re.escape(said)):
            run_batch(GRADESCOPE, str(rubric), out, jobs=2, pool="thread", extensions=bad)
    bad.write_text("email,due\nnobody@example.edu,2024-10-02T00:00:00-07:00\n")  # a typo: said, not silent
    outcome = run_batch(GRADESCOPE, str(rubric), out, jobs=2, pool="thread", extensions=bad)
    assert outcome.warnings == ["extensions for no student of this batch (check their id or e-mail): "
                                "nobody@example.edu"]


def test_the_visible_to_hidden_gap_counts_who_passes_every_visible_check_but_fails_a_hidden_one() -> None:
    from grader.batch.gap import gap_html, gaps
    from grader.batch.report import Summary

    layout = layout_of(load_assignment(TINY / "rubrics" / "tiny.yaml").rubric)
    assert "1/random-vectors" in layout.hidden and "1/fixed-vectors" not in layout.hidden

    def student(key: str, *failed: str, status: str = "graded", group: int = 1) -> Summary:
        people = tuple(Student(f"{key}{n}") for n in range(group))
        return Summary(key, people, status, None if status == "missing file" else 1.0, failed=failed)

    class_ = [student("ada"), student("bo", "1/random-vectors", group=2),  # a pair passes visible, fails hidden
              student("cy", "1/fixed-vectors", "1/random-vectors"),  # fails a visible one: not counted
              student("dee", status="missing file")]  # no score: not counted
    rows = {row.question: row for row in gaps(layout, class_)}
    assert (rows["1"].students, rows["1"].fail_hidden) == (3, 2)  # ada, and bo's two students
    page = gap_html(list(rows.values()))
    assert "<td>1 Dot product</td><td class=\"n\">3</td>" in page and "67%" in page


# -- resume ----------------------------------------------------------------------------------


def _tiny_copy(tmp_path: Path) -> Path:
    shutil.copytree(TINY / "rubrics", tmp_path / "assignment" / "rubrics")
    shutil.copytree(TINY / "reference", tmp_path / "assignment" / "reference")
    return tmp_path / "assignment" / "rubrics" / "tiny.yaml"


@pytest.mark.child
def test_rerun_skips_current_results_and_regrades_what_changed(tmp_path: Path) -> None:
    rubric = _tiny_copy(tmp_path)
    source = tmp_path / "class"
    source.mkdir()
    for name in ("ann", "ben", "cid"):
        shutil.copyfile(TINY / "submissions" / ("off_by_one.py" if name == "ben" else "correct.py"),
                        source / f"{name}.py")
    out = source / "graded"  # OUTDIR inside SOURCE is not a student
    first = run_batch(source, str(rubric), out, jobs=2, pool="thread")
    assert (first.graded_now, first.skipped) == (3, 0)
    before = (out / "grades.csv").read_text()
    again = run_batch(source, str(rubric), out, jobs=2, pool="thread")
    assert (again.graded_now, again.skipped, again.ignored) == (0, 3, ["graded"])
    assert (out / "grades.csv").read_text() == before

    shutil.copyfile(TINY / "submissions" / "correct.py", source / "ben.py")  # a resubmission
    changed = run_batch(source, str(rubric), out, jobs=2, pool="thread")
    assert (changed.graded_now, changed.skipped) == (1, 2)
    assert read_csv(out / "grades.csv")[1]["total"] == read_csv(out / "grades.csv")[0]["total"]

    rubric.write_text(rubric.read_text() + "# a regrade request\n")
    assert run_batch(source, str(rubric), out, jobs=2, pool="thread").graded_now == 3
    reference = rubric.parent.parent / "reference" / "tiny.py"
    reference.write_text(reference.read_text() + "\n# fixed a typo\n")
    assert run_batch(source, str(rubric), out, jobs=2, pool="thread").graded_now == 3
    assert run_batch(source, str(rubric), out, jobs=2, pool="thread", force=True).graded_now == 3
    assert run_batch(source, str(rubric), out, jobs=2, pool="thread").graded_now == 0


def test_is_current_needs_same_fingerprint_files_and_final() -> None:
    data = {"extra_data": {"batch": {"fingerprint": "f", "submission_sha256": "s", "final": True}}}
    assert is_current(data, "f", "s")
    assert not is_current(data, "g", "s") and not is_current(data, "f", "t") and not is_current(None, "f", "s")
    data["extra_data"]["batch"]["final"] = False
    assert not is_current(data, "f", "s")


CRASHY_RUBRIC = """assignment: crashy
submission: {filename: answer.py}
limits: {call_seconds: 1, import_seconds: 10, submission_seconds: 30}
questions:
  - id: "1"
    name: The answer
    points: 1
    checks:
      - name: forty-two
        function: answer
        compare: {name: judge, function: judge_answer}
        points: 1
"""
CRASHY_REFERENCE = '''import os


def answer():
    return 42


def judge_answer(received, expected, args):
    if received == 666:  # a grader-side crash that one submission triggers
        os._exit(3)
    return float(received == expected)
'''


@pytest.mark.child
def test_a_submission_that_kills_a_worker_is_an_error_row_and_the_batch_goes_on(tmp_path: Path) -> None:
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "reference").mkdir()
    rubric = tmp_path / "rubrics" / "crashy.yaml"
    rubric.write_text(CRASHY_RUBRIC)
    (tmp_path / "reference" / "crashy.py").write_text(CRASHY_REFERENCE)
    source = tmp_path / "class"
    answers = {"a_good": "return 42", "b_crash": "return 666", "c_good": "return 42", "d_loop": "while True: pass",
               "e_wrong": "return 41", "f_good": "return 42"}
    for name, body in answers.items():
        (source / name).mkdir(parents=True)
        (source / name / "answer.py").write_text(f"def answer():\n    {body}\n")
    (source / "g_nothing").mkdir()
    out = tmp_path / "out"
    outcome = run_batch(source, str(rubric), out, jobs=2, pool="process")
    rows = {r["submission"]: (r["total"], r["status"]) for r in read_csv(out / "grades.csv")}
    assert rows == {"a_good": ("1", "graded"), "b_crash": ("", "grader error"), "c_good": ("1", "graded"),
                    "d_loop": ("0", "timeout"), "e_wrong": ("0", "graded"), "f_good": ("1", "graded"),
                    "g_nothing": ("", "missing file")}
    crash = json.loads((out / "results" / "b_crash.json").read_text())["extra_data"]
    assert "worker process died" in crash["grader_error"] and crash["batch"]["final"] is False
    assert outcome.counts == {"graded": 4, "grader error": 1, "missing file": 1, "timeout": 1}
    rerun = run_batch(source, str(rubric), out, jobs=2, pool="process")
    assert (rerun.graded_now, rerun.skipped) == (1, 6)  # the crash is retried; the missing file is final


def _batch_process(source: Path, out: Path, pool: str = "process") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(GRADER), "batch", str(source), "--assignment", "hw2", "--out", str(out), "--jobs", "2", "--pool", pool],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal, even if we ignore it
    )


def _wait_for_results(out: Path, at_least: int, process: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = len(list((out / "results").glob("*.json"))) if (out / "results").is_dir() else 0
        if found >= at_least:
            return found
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError("no progress")


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:
                continue
            todo += children - found
            found |= children
    return found


@pytest.mark.child
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_resumed_batch_after_sigint_and_sigkill_gives_the_same_csv(tmp_path: Path) -> None:
    source = tmp_path / "class"
    per_student_folders(source, copies=2)
    total = len(list(source.iterdir()))
    straight = tmp_path / "straight"
    run_batch(source, "hw2", straight, jobs=2, pool="thread")

    out = tmp_path / "out"
    first = _batch_process(source, out)
    _wait_for_results(out, 3, first)
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=30)
    assert first.returncode == 130, err
    assert "interrupted" in err
    present = len(list((out / "results").glob("*.json")))
    assert 3 <= present < total
    assert len(read_csv(out / "grades.csv")) == present  # consistent: one row per result present
    assert "Partial" in (out / "report.html").read_text()
    assert not list(out.rglob(".*.tmp"))

    second = _batch_process(source, out)
    _wait_for_results(out, present + 3, second)
    family = _descendants(second.pid)
    second.kill()
    second.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in family):
        time.sleep(0.1)
    survivors = [p for p in family if Path(f"/proc/{p}").exists()
                 and "zombie" not in Path(f"/proc/{p}/status").read_text().lower()]
    assert not survivors, "workers and student processes end with their batch"

    third = _batch_process(source, out, pool="thread")  # the pool changes nothing in the results
    stdout, err = third.communicate(timeout=120)
    assert third.returncode == 0, err
    assert "already graded" in stdout
    assert (out / "grades.csv").read_text() == (straight / "grades.csv").read_text()
    assert len(read_csv(out / "grades.csv")) == total
    assert "Partial" not in (out / "report.html").read_text()


# -- Dask ------------------------------------------------------------------------------------


@pytest.mark.child
def test_dask_local_cluster_gives_the_same_outdir(example_batch, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    source, local_out, _ = example_batch
    out = tmp_path / "dask"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        code = main(["batch", str(source), "--assignment", "hw2", "--out", str(out),
                     "--scheduler", cluster.scheduler_address])
    assert code == 0
    assert (out / "grades.csv").read_text() == (local_out / "grades.csv").read_text()
    names = sorted(p.name for p in (out / "results").iterdir())
    assert names == sorted(p.name for p in (local_out / "results").iterdir())
    for path in (out / "results").iterdir():
        ours, theirs = json.loads(path.read_text()), json.loads((local_out / "results" / path.name).read_text())
        for data in (ours, theirs):  # what differs from run to run: the time, the sandbox's uid
            data.pop("execution_time")
            data["extra_data"].pop("sandbox", None)
            data["tests"] = [t for t in data["tests"] if "sandbox" not in t.get("tags", [])]
        assert ours == theirs, path.name


@pytest.mark.child
def test_workers_without_the_files_get_them_with_the_task(hw2: Assignment, tmp_path: Path) -> None:
    spec = make_spec(hw2)
    elsewhere = replace(spec, rubric_path=str(tmp_path / "not-here" / "hw2.yaml"))
    loaded = _load(elsewhere)
    assert loaded.loaded.path != hw2.loaded.path
    assert fingerprint(loaded.loaded.path, loaded.reference_path) == spec.fingerprint
    assert [c.key for c in loaded.cases] == [c.key for c in hw2.cases]
    code = (EXAMPLES / "mistake_no_bias.py").read_bytes()
    task = Task("kim", str(tmp_path / "gone" / "kim"), {"key": "kim"}, (("kim/hw2.py", code),))
    done = grade_task(task, elsewhere)
    assert done.status == "graded"
    assert json.loads(done.text)["score"] == pytest.approx(5.72101, abs=1e-5)


# -- the command line and the progress bar ------------------------------------------------------


def test_cli_lists_batch_and_reports_a_missing_source(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["batch", "--help"])
    assert "--scheduler" in capsys.readouterr().out
    assert main(["batch", str(tmp_path / "nope"), "--assignment", "hw2", "--out", str(tmp_path / "o")]) == 2
    assert "no such folder or zip" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_only_on_a_terminal(monkeypatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    piped = io.StringIO()
    quiet = Progress(4, stream=piped)
    for failed in (False, True):
        quiet.advance(failed=failed)
    quiet.close()
    assert piped.getvalue() == ""
    screen = _Terminal()
    bar = Progress(4, skipped=2, stream=screen)
    bar.advance()
    bar.advance(failed=True)
    bar.refresh(force=True)
    bar.close()
    last = screen.getvalue().rstrip("\n").split("\r")[-1]
    assert "2/4" in last and "failures 1" in last and "/s" in last and "left" in last and "skipped 2" in last
    assert "[" in last and "#" in last


def test_number_format() -> None:
    assert [number(x) for x in (2.0000001, 0.5, 5.7210101, -0.0, 0.0, None)] == ["2", "0.5", "5.72101", "0", "0", ""]


def test_summary_of_results_without_batch_data() -> None:
    from grader.batch.report import summarize

    data = {"score": 1.5, "tests": [
        {"number": "1", "score": 1.0, "status": "passed", "extra_data": {"check": "1/a#1"}},
        {"number": "1", "score": 0.5, "status": "failed", "tags": ["1", "mistake:off"],
         "extra_data": {"check": "1/a#2", "mistake": "off"}},
        {"number": "2", "score": 0.0, "extra_data": {"manual": True}},
        {"number": "0", "score": 0.0, "tags": ["sandbox"]},
    ]}
    summary = summarize(data)
    assert (summary.total, summary.questions, summary.failed, summary.mistakes) == (1.5, {"1": 1.5}, ("1/a",), ("off",))
    assert summary.status == "graded"


@pytest.mark.child
@pytest.mark.parametrize("pool", ["thread", "process"])
def test_a_batch_grades_a_students_helper_modules_as_grade_does(tmp_path: Path, pool: str) -> None:
    source = tmp_path / "class"
    shutil.copytree(TESTS / "fixtures" / "students" / "hw2_with_helpers", source / "alice")
    shutil.copyfile(EXAMPLES / "correct.py", source / "bob.py")
    out = tmp_path / "out"
    outcome = run_batch(source, "hw2", out, jobs=2, pool=pool)
    assert outcome.counts.get("graded") == 2
    alice = json.loads((out / "results" / "alice.json").read_text())
    assert alice["score"] == 6.5 == grade(load_assignment(resolve_rubric("hw2")), source / "alice").score
    assert alice["extra_data"]["files"]["used"][0] == "hw2.py"


# -- who failed, and why ------------------------------------------------------------------------


def _class_of_every_status(tmp_path: Path) -> tuple[dict[str, tuple[str, str]], Path, Outcome]:
    """A class with one of each status (graded twice, import error, timeout, missing file), batched."""
    source = tmp_path / "class"
    good = (TINY / "submissions" / "correct.py").read_text()
    files = {"ada": ("tiny.py", good), "bob": ("tiny.py", "def dot(a, b:\n"),  # a syntax error
             "cy": ("tiny.py", good.replace("def dot(a, b):", "def dot(a, b):\n    while True:\n        pass\n\n\n"
                                              "def dot_was(a, b):")),
             "dee": ("Tiny.py", good), "eve": ("tiny.py", (TINY / "submissions" / "off_by_one.py").read_text())}
    for name, (filename, text) in files.items():
        (source / name).mkdir(parents=True)
        (source / name / filename).write_text(text)
    out = tmp_path / "out"
    return files, out, run_batch(source, str(TINY / "rubrics" / "tiny.yaml"), out, jobs=2, pool="thread")


@pytest.mark.child
def test_the_report_and_every_students_page_render_in_headless_chromium(tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (scripts/install-test-deps.sh installs it as root)")
    files, out, _ = _class_of_every_status(tmp_path)

    def rendered(page: Path) -> str:  # the DOM chromium built from the page: what a reader's browser shows
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()]
        return subprocess.run(command, capture_output=True, text=True, timeout=90, check=True).stdout

    report = rendered(out / "report.html")
    problems = report.split("<h2>Not graded in full</h2>", 1)[1].split("</table>", 1)[0]
    for name in ("bob", "cy", "dee"):  # import error, timeout, missing file: listed with their reason
        assert f'href="students/{name}.html"' in problems, name
    assert "ada.html" not in problems and "eve.html" not in problems  # graded in full
    mistake_row = next(row for row in report.split("<tr>") if "off-by-one loop:" in row)
    assert 'href="students/eve.html"' in mistake_row
    for name in files:  # each link reaches a page that renders, with the student's status on it
        link = re.search(rf'href="(students/{name}\.html)"', report)
        assert link is not None, name
        page = rendered(out / link.group(1))
        status = {r["submission"]: r["status"] for r in read_csv(out / "grades.csv")}[name]
        assert f"status <b>{status}</b>" in page and "What the student reads" in page, name


@pytest.mark.child
def test_each_student_has_a_status_a_page_and_a_place_in_the_lists(tmp_path: Path) -> None:
    files, out, outcome = _class_of_every_status(tmp_path)
    rows = {r["submission"]: r for r in read_csv(out / "grades.csv")}
    assert {name: (row["status"], row["total"] == "") for name, row in rows.items()} == {
        "ada": ("graded", False), "bob": ("import error", False), "cy": ("timeout", False),
        "dee": ("missing file", True), "eve": ("graded", False)}
    assert outcome.counts == {"graded": 2, "import error": 1, "timeout": 1, "missing file": 1}
    report = (out / "report.html").read_text()
    assert "time limit reached by dot() 3 times" in report  # which function, how often
    assert "<code>grader clusters OUTDIR --assignment NAME</code>" in report and 'href="clusters.html"' not in report
    # only ada passes question 1's visible check (eve's off-by-one fails it too): none of them fails a hidden one
    assert '<td>1 Dot product</td><td class="n">1</td><td class="n">0</td><td class="n">0%</td>' in report
    assert "SyntaxError" in report and "has no tiny.py (expected tiny.py; found: Tiny.py)" in report
    assert "left out, without a score: 1 missing file" in report
    assert re.search(r"report written \d{4}-\d\d-\d\d \d\d:\d\d UTC; graded against rubric fingerprint [0-9a-f]{12}",
                     report)
    # eve's off-by-one: named in the failed check's row and the mistake's row, linked to her page
    failed_row = next(row for row in report.split("<tr>") if "random vectors" in row and "who" in row)
    assert 'href="students/eve.html"' in failed_row and "ada.html" not in failed_row
    mistake_row = next(row for row in report.split("<tr>") if "off-by-one loop:" in row)
    assert 'href="students/eve.html"' in mistake_row
    pages = {page.stem for page in (out / "students").glob("*.html")}
    assert pages == set(files)
    eve = (out / "students" / "eve.html").read_text()
    assert "What the student reads" in eve and "For course staff" in eve
    assert "off-by-one loop" in eve and '<span class="staff">hidden</span>' in eve  # hidden checks marked as such


@pytest.mark.child
def test_a_regrade_preview_shows_who_moved_and_flags_decreases(tmp_path: Path) -> None:

    source = tmp_path / "class"
    good = (TINY / "submissions" / "correct.py").read_text()
    for name, text in (("ada", good), ("eve", (TINY / "submissions" / "off_by_one.py").read_text()), ("cy", good)):
        (source / name).mkdir(parents=True)
        (source / name / "tiny.py").write_text(text)
    run_batch(source, str(TINY / "rubrics" / "tiny.yaml"), tmp_path / "before", jobs=2, pool="thread")
    # The regrade: the off-by-one mistake now earns half its check, and cy's file was replaced by a broken one.
    lenient = tiny_variant(tmp_path / "lenient", lambda data: data["questions"][0]["checks"][1]["mistakes"][0].update(
        credit=0.5))
    (source / "cy" / "tiny.py").write_text(good.replace("return sum(x * y for x, y in zip(a, b))", "return 0.0"))
    outcome = run_batch(source, str(lenient), tmp_path / "after", jobs=2, pool="thread", compare=tmp_path / "before")
    before = {r["submission"]: float(r["total"]) for r in read_csv(tmp_path / "before" / "grades.csv")}
    after = {r["submission"]: float(r["total"]) for r in read_csv(tmp_path / "after" / "grades.csv")}
    assert after["eve"] == before["eve"] + 1.0 and after["cy"] < before["cy"] and after["ada"] == before["ada"]
    head, *moved = outcome.comparison
    assert head == "compared with the earlier batch: 2 of 3 submissions changed, 1 DECREASED"
    assert moved[0].startswith(f"  DECREASE cy: {number(before['cy'])} -> {number(after['cy'])} (now fails 1/")
    assert moved[1] == f"  eve: {number(before['eve'])} -> {number(after['eve'])}"  # same checks failed, more credit
    report = (tmp_path / "after" / "report.html").read_text()
    assert f"Changes since {tmp_path / 'before'}" in report and "2 of 3 submissions changed; 1 decreased" in report


@pytest.mark.child
def test_canvas_gradebook_import_has_its_columns_and_leaves_unscored_rows_blank(tmp_path: Path) -> None:
    source = tmp_path / "class"
    for name, filename in (("ada", "tiny.py"), ("dee", "Tiny.py")):
        (source / name).mkdir(parents=True)
        (source / name / filename).write_text((TINY / "submissions" / "correct.py").read_text())
    run_batch(source, str(TINY / "rubrics" / "tiny.yaml"), tmp_path / "out", jobs=2, pool="thread")
    rows = list(csv.reader((tmp_path / "out" / "canvas.csv").read_text().splitlines()))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "tiny"]
    layout = layout_of(load_assignment(TINY / "rubrics" / "tiny.yaml").rubric)
    top = layout.max_total + sum(q.points for q in layout.manual)  # the manual question's points are possible too
    assert rows[1][0] == "Points Possible" and rows[1][5] == number(top)
    assert [(r[2], r[5]) for r in rows[2:]] == [("ada", number(layout.max_total)), ("dee", "")]


@pytest.mark.child
def test_manual_scores_come_back_from_the_graders_sheet_checked_and_kept(tmp_path: Path) -> None:
    source = tmp_path / "class"
    for name in ("ada", "eve"):
        (source / name).mkdir(parents=True)
        (source / name / "tiny.py").write_text((TINY / "submissions" / "correct.py").read_text())
    rubric = str(TINY / "rubrics" / "tiny.yaml")
    out = tmp_path / "out"
    run_batch(source, rubric, out, jobs=2, pool="thread")
    sheet = read_csv(out / "manual.csv")  # the graders' sheet: a blank column per manual question
    assert [(r["submission"], r["4"]) for r in sheet] == [("ada", ""), ("eve", "")]
    auto = {r["submission"]: float(r["total"]) for r in read_csv(out / "grades.csv")}
    filled = tmp_path / "scores.csv"
    filled.write_text("submission,id,name,4\nada,ada,,1.5\neve,eve,,\n")
    run_batch(source, rubric, out, jobs=2, pool="thread", manual=filled)
    rows = {r["submission"]: r for r in read_csv(out / "grades.csv")}
    assert (rows["ada"]["4"], float(rows["ada"]["total"])) == ("1.5", auto["ada"] + 1.5)
    assert (rows["eve"]["4"], float(rows["eve"]["total"])) == ("", auto["eve"])  # not graded yet: blank
    run_batch(source, rubric, out, jobs=2, pool="thread")  # a later run keeps what was merged
    assert read_csv(out / "grades.csv")[0]["4"] == "1.5"
    for text, said in (("submission,4\nada,2.5\n", "scores.csv:2: 4: 2.5 is outside 0..2"),
                       ("submission,4\nzed,1\n", "scores.csv:2: no submission 'zed' in this batch"),
                       ("submission,4,9\nada,1,1\n", "scores.csv:1: 9 is not a manual question"),
                       ("submission,4\nada,lots\n", "scores.csv:2: 4: 'lots' is not a number"),
                       ("submission,4\nada,1\nada,2\n", "scores.csv:3: submission 'ada' has a row on line 2 already"),
                       ("submission,4\nada,1,2\n", "scores.csv:2: 3 cells, but the header names 2 columns")):
        filled.write_text(text)
        with pytest.raises(GraderError, match=re.escape(said)):
            run_batch(source, rubric, out, jobs=2, pool="thread", manual=filled)
    assert read_csv(out / "grades.csv")[0]["4"] == "1.5"  # a bad sheet changed nothing


@pytest.mark.child
def test_manual_answers_are_collected_in_the_sandbox_onto_the_graders_sheet(tmp_path: Path) -> None:
    rubric = tiny_variant(tmp_path / "asks", lambda data: data["questions"][3].update(
        answer={"function": "explain", "chars": 40}))
    correct = (TINY / "submissions" / "correct.py").read_text()
    written = {  # what students hand in for "4 Explain": text, too long, nothing, a crash, not text
        "ada": "def explain():\n    return 'A dot product sums <b>products</b>.'\n",
        "bo": "def explain():\n    return 'x' * 100\n",
        "cy": "",
        "dee": "def explain():\n    raise NotImplementedError\n",
        "eve": "def explain():\n    return 42\n",
    }
    source = tmp_path / "class"
    for name, extra in written.items():
        (source / name).mkdir(parents=True)
        (source / name / "tiny.py").write_text(correct + "\n" + extra)
    out = tmp_path / "out"
    run_batch(source, str(rubric), out, jobs=2, pool="thread")
    sheet = {r["submission"]: r for r in read_csv(out / "manual.csv")}
    assert sheet["ada"]["4 answer"] == "A dot product sums <b>products</b>."
    assert sheet["bo"]["4 answer"] == "x" * 40  # cut to the rubric's `chars`
    assert sheet["cy"]["4 answer"].startswith("[no answer: ") and "explain" in sheet["cy"]["4 answer"]
    assert "NotImplementedError" in sheet["dee"]["4 answer"]
    assert sheet["eve"]["4 answer"] == "[no answer: it returned int, not text (a str)]"
    assert all(r["4"] == "" for r in sheet.values())  # the score column, for the graders
    page = (out / "manual.html").read_text()
    assert "A dot product sums &lt;b&gt;products&lt;/b&gt;." in page and "<b>products" not in page
    assert 'href="students/ada.html"' in page and 'href="manual.html"' in (out / "report.html").read_text()
    ada = json.loads((out / "results" / "ada.json").read_text())  # the student sees what the graders will read
    test = next(t for t in ada["tests"] if t["number"] == "4")
    assert "Your answer, as the graders will read it:\nA dot product sums <b>products</b>." in test["output"]
    assert ada["score"] == json.loads((out / "results" / "cy.json").read_text())["score"]  # never judged
    filled = tmp_path / "scores.csv"  # the sheet as written, scored, comes back: its answer column is not a score
    filled.write_text((out / "manual.csv").read_text().replace("ada,ada,,,", "ada,ada,,2,", 1))
    run_batch(source, str(rubric), out, jobs=2, pool="thread", manual=filled)
    assert read_csv(out / "grades.csv")[0]["4"] == "2"
