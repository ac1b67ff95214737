"""`grader batch`: grade a whole class in parallel, resumably, into a gradebook and a report.

    grader batch SOURCE --assignment NAME --out OUTDIR [--jobs N] [--force] [--scheduler ADDRESS]

SOURCE is a folder of submissions, a zip of one, or a Gradescope export (batch_source.py).
Each submission is graded by `grader.grading.grade`, isolated exactly as `grader grade`
isolates it; the parallelism is over submissions:

- locally, a process pool (`--pool process`, the default): each worker process (forked from
  the batch once it has loaded the assignment, where that is safe; see worker_context) drives
  one student child process at a time. A worker that dies
  (the grader crashed on a submission) costs only that submission: the tasks it might
  have been running are re-run one by one, and the one that kills a worker alone becomes
  an error row. `--pool thread` drives the child processes from threads of this process.
- on a Dask cluster (`--scheduler ADDRESS`): the same task function, submitted with
  `distributed.Client.map`; the rubric, the reference and each submission's files travel
  with the tasks, so workers need the package installed but no shared file system.

OUTDIR/results/<key>.json is written (atomically) as each result arrives, with what it
was graded against: a fingerprint of the rubric, the reference and the grader's version,
and a hash of the submission's files. A rerun grades only what has no current, final
result (`--force` regrades all). `grades.csv` and `report.html` are regenerated from the
results present at the end, after a Ctrl-C (or SIGTERM) too.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from grader.assignment import Assignment
    from grader.batch.progress import Progress
    from grader.batch.report import Summary
    from grader.batch.source import Item
    from grader.batch.task import AssignmentSpec, Done, Task

POOLS = ("process", "thread")


@dataclass
class Outcome:
    """What one run of the batch did."""

    out: Path
    total: int = 0  # submissions in the source
    skipped: int = 0  # already graded, with a current result
    graded_now: int = 0  # results written by this run
    counts: dict[str, int] = field(default_factory=dict)  # status → submissions, over all results
    interrupted: bool = False
    comparison: list[str] = field(default_factory=list)  # the regrade preview's lines (--compare)
    ignored: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # said to the user, nothing stopped (e.g. unused extensions)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


# -- resume ------------------------------------------------------------------------------------


def _clean_temporaries(out: Path) -> None:
    """Half-written files of a run that was killed mid-write (write_atomically's temporaries)."""
    for folder in (out, out / "results", out / "answers"):
        if folder.is_dir():
            for stale in folder.glob(".*.tmp"):
                stale.unlink(missing_ok=True)


# -- running tasks locally -------------------------------------------------------------------


def _stop_workers(executor: Executor, workers: list[Any]) -> None:
    """Ctrl-C: each worker unwinds its grading (killing the student's process) and exits."""
    for process in workers:
        process.terminate()
    for process in workers:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)
    executor.shutdown(wait=False, cancel_futures=True)


def worker_context() -> Any:
    """How worker processes start: forked from this process when that is safe, else spawned.

    A forked worker inherits the loaded assignment and the imported grader: the first result
    comes ~0.4 s sooner than from a spawned one, which starts an interpreter and loads it all
    again. Safe on Linux while this process runs no other thread (a fork copies only the
    calling one); this process has no warm worker or student child of its own to share, and
    init_worker forgets any it inherited. Elsewhere, or with threads running, workers spawn.
    """
    import multiprocessing
    import threading

    if (sys.platform == "linux" and threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods()):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def run_local(tasks: list[Task], spec: AssignmentSpec, assignment: Assignment, *, jobs: int, pool: str,
              on_done: Callable[[Done], None], tick: Callable[[], None],
              work: Callable[[Task, AssignmentSpec], Done] | None = None) -> None:
    """Grade `tasks` with at most `jobs` at a time; every task ends in exactly one on_done.
    `work`: what a worker does with one task (a module-level function; default grade_task)."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool
    from functools import partial

    from grader.batch.task import failure, grade_task, init_worker, pool_task, remember

    queue: deque[Task] = deque(tasks)
    # Two tasks per worker in flight: a worker starts its next submission at once instead of
    # idling while this process stores the last result and hands out another. (If a worker
    # dies, everything in flight is re-run one at a time, as before.)
    ahead = 2 * jobs
    suspects: deque[Task] = deque()  # in flight when a worker died: re-run one at a time
    alone: Task | None = None
    inflight: dict[Future[Done], Task] = {}
    executor: Executor | None = None
    before: set[Any] = set()
    run: Callable[[Task], Done]
    if pool == "thread":  # (threads share this process: nothing is pickled)
        remember(assignment, spec)
        chosen = work or grade_task

        def run(task: Task) -> Done:
            return chosen(task, spec)
    else:
        run = pool_task if work is None else partial(pool_task, work=work)

    def start() -> Executor:
        if pool == "thread":
            return ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
        context = worker_context()
        if context.get_start_method() == "fork":
            remember(assignment, spec)  # the workers inherit it: none loads the assignment again
        return ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                   initializer=init_worker, initargs=(spec, os.getpid()))

    try:
        while queue or suspects or inflight:
            if executor is None:
                before = set(multiprocessing.active_children())
                executor = start()
            broken: list[Task] = []
            pool_broken = False
            try:
                if suspects and not inflight:
                    alone = suspects.popleft()
                    inflight[executor.submit(run, alone)] = alone
                while not suspects and queue and len(inflight) < ahead:
                    inflight[executor.submit(run, queue[0])] = queue[0]
                    queue.popleft()
            except BrokenProcessPool:  # a worker died since the last look
                pool_broken = True
                if alone is not None and alone not in inflight.values():
                    suspects.appendleft(alone)
                    alone = None
            finished, _ = wait(inflight, timeout=0.25, return_when=FIRST_COMPLETED)
            tick()
            for future in finished:
                task = inflight.pop(future)
                try:
                    done = future.result()
                except BrokenProcessPool:
                    broken.append(task)
                    continue
                except Exception as error:  # e.g. a task that could not be sent to a worker
                    done = failure(task, f"internal error: {type(error).__name__}: {error}", final=False)
                if task is alone:
                    alone = None
                on_done(done)
            if broken or pool_broken:
                wait(inflight)  # the rest of those in flight fail the same way
                broken += inflight.values()
                inflight.clear()
                executor.shutdown(wait=True, cancel_futures=True)
                executor = None
                alone = None
                # The only one in flight is the one that killed the worker. With two per worker in
                # flight that is rare at first: the suspects are re-run one at a time, and the one
                # that kills a worker alone is found then.
                if len(broken) == 1:
                    on_done(failure(broken[0], "the grader's worker process died while grading this submission "
                                    "(it crashed the grader, or ran it out of memory); it is retried by the next run",
                                    final=False))
                else:
                    suspects.extend(broken)
    except KeyboardInterrupt:
        if executor is not None:
            workers = [p for p in multiprocessing.active_children() if p not in before]
            _stop_workers(executor, workers)
        raise
    if executor is not None:
        executor.shutdown(wait=True)


# -- running tasks on Dask -------------------------------------------------------------------


def run_dask(address: str, tasks: list[Task], spec: AssignmentSpec, *, on_done: Callable[[Done], None],
             tick: Callable[[], None]) -> None:
    """The same tasks on a Dask cluster; results come back here and are written here."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        from grader.errors import GraderError

        raise GraderError("--scheduler needs Dask's distributed: pip install 'numgrader[cluster]'") from None
    from grader.batch.task import failure, grade_task
    from grader.errors import GraderError

    try:
        client = Client(address, timeout="20s", set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as error:
        raise GraderError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    with client:
        shared = client.scatter(spec, broadcast=True, hash=False)  # type: ignore[no-untyped-call]
        futures = client.map(grade_task, tasks, spec=shared, pure=False)
        owner = {future.key: task for future, task in zip(futures, tasks, strict=True)}
        try:
            for future in as_completed(futures, loop=client.loop):  # type: ignore[no-untyped-call]
                task = owner[future.key]
                if future.status == "finished":
                    done = future.result()
                else:
                    problem = future.exception()
                    done = failure(task, f"the cluster could not run this task: {type(problem).__name__}: {problem}",
                                   final=False)
                future.release()
                on_done(done)
                tick()
        except KeyboardInterrupt:
            client.cancel(futures)  # type: ignore[no-untyped-call]
            raise


# -- the batch -------------------------------------------------------------------------------


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a scheduler's stop, `timeout`) ends the batch as cleanly as a Ctrl-C."""
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _hidden_from_students(*folders: Path) -> Iterator[None]:
    """The class's other submissions and the results are no business of a student's code.

    The sandbox hides the folders named in NUMGRADER_SANDBOX_HIDE from the child process
    (sandbox/view.py hidden_paths); workers started meanwhile inherit it. A folder that holds the
    temporary directory or Python itself is not named: the child needs those.
    """
    import tempfile

    needed = [Path(tempfile.gettempdir()).resolve(), Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    hide = [f.resolve() for f in folders]
    hide = [f for f in hide if not any(n == f or f in n.parents for n in needed)]
    name = "NUMGRADER_SANDBOX_HIDE"
    before = os.environ.get(name)
    os.environ[name] = os.pathsep.join([*([before] if before else []), *map(str, hide)])
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _task(item: Item, spec: AssignmentSpec, *, ship: bool, due: str | None = None) -> tuple[Task, str]:
    """The task of one item; `due`: its own deadline (an extension), for the late policy."""
    from grader.batch.source import content_hash, submission_files
    from grader.batch.task import Task

    files = submission_files(item.path)
    sha = content_hash(files)
    meta = {"key": item.key, "students": [s.as_dict() for s in item.students], "fingerprint": spec.fingerprint,
            "submission_sha256": sha, "submitted_at": item.submitted, "due": due}
    return Task(item.key, str(item.path), meta, tuple(files) if ship else None), sha


def write_pages(out: Path, summaries: list[Summary], assignment: str) -> None:
    """OUTDIR/students/<key>.html for each submission with a result; pages of others removed."""
    from grader.batch.pages import student_page
    from grader.batch.report import page_path
    from grader.batch.stored import stored_results
    from grader.files import write_atomically

    (out / "students").mkdir(exist_ok=True)
    wanted = set()
    for summary in summaries:
        data = stored_results(out / "results" / f"{summary.key}.json")
        if data is not None:
            page = out / page_path(summary.key)
            wanted.add(page.name)
            write_atomically(page, student_page(summary, data, assignment))
    for stale in (out / "students").glob("*.html"):
        if stale.name not in wanted:
            stale.unlink()


def run_batch(source: Path, assignment_name: str, out: Path, *, jobs: int | None = None, force: bool = False,
              scheduler: str | None = None, pool: str = "process", progress: Progress | None = None,
              compare: Path | None = None, manual: Path | None = None, extensions: Path | None = None) -> Outcome:
    """Grade `source` into `out`; `compare`: an earlier batch's OUTDIR, for a regrade preview;
    `manual`: the graders' filled-in manual.csv, merged into the gradebook (manual.py);
    `extensions`: students' own due dates for the rubric's late policy (extensions.py)."""
    from grader.assignment import load_assignment
    from grader.batch.answers import FOLDER, store
    from grader.batch.compare import changes, lines, old_summaries, section_html
    from grader.batch.extensions import own_due, read_extensions, unused_extensions
    from grader.batch.gap import gap_html, gaps
    from grader.batch.gradebooks import canvas_csv
    from grader.batch.links import clusters_line
    from grader.batch.manual import KEPT, kept, merged, read_sheet, sheet_csv, sheet_html
    from grader.batch.pages import roster_html
    from grader.batch.progress import Progress
    from grader.batch.report import grades_csv, layout_of, report_html, summarize
    from grader.batch.source import open_source
    from grader.batch.stored import is_current, stored_results
    from grader.batch.task import make_spec
    from grader.errors import GraderError
    from grader.files import write_atomically
    from grader.paths import resolve_rubric
    from grader.sandbox.seal import seal

    if pool not in POOLS:
        raise GraderError(f"--pool must be one of {', '.join(POOLS)}")
    if jobs is not None and jobs < 1:
        raise GraderError("--jobs must be at least 1")
    jobs = jobs or default_jobs()
    assignment = load_assignment(resolve_rubric(assignment_name))
    spec = make_spec(assignment)
    layout = layout_of(assignment.rubric)
    outcome = Outcome(out)
    earlier = old_summaries(compare) if compare is not None else None  # (a bad folder fails before grading)
    results = out / "results"
    with open_source(source, assignment.rubric.submission.filename) as found:
        inside = [i for i in found.items if i.path.resolve() == out.resolve()]  # OUTDIR kept in SOURCE
        items = [i for i in found.items if i not in inside]
        outcome.total, outcome.ignored = len(items), found.ignored + [i.path.name for i in inside]
        given = kept(out)
        if manual is not None:  # checked before anything is graded or written
            given = merged(given, read_sheet(manual, layout, {item.key for item in items}))
        extended = read_extensions(extensions) if extensions is not None else {}
        outcome.warnings += unused_extensions(extended, items)
        results.mkdir(parents=True, exist_ok=True)
        (out / FOLDER).mkdir(exist_ok=True)  # what each returned (answers.py): sealed with the results
        if manual is not None:
            write_atomically(out / KEPT, json.dumps(given, indent=1, sort_keys=True))
        seal([out])  # other students' results are no submission's to read
        _clean_temporaries(out)
        summaries: dict[str, Summary] = {}
        todo: list[Task] = []
        wanted: dict[str, tuple[str, dict[str, Any]]] = {}  # key -> what its current result is graded from
        for item in items:
            task, sha = _task(item, spec, ship=scheduler is not None, due=own_due(item, extended))
            stored = None if force else stored_results(results / f"{item.key}.json")
            times = {"submitted_at": task.meta["submitted_at"], "due": task.meta["due"]}
            wanted[item.key] = (sha, times)
            if is_current(stored, spec.fingerprint, sha, times):
                assert stored is not None
                summaries[item.key] = summarize(stored)
            else:
                todo.append(task)
        outcome.skipped = len(items) - len(todo)
        bar = progress or Progress(len(todo), skipped=outcome.skipped)

        def on_done(done: Done) -> None:
            summary = summarize(json.loads(done.text))
            write_atomically(results / f"{done.key}.json", done.text)
            summaries[done.key] = summary
            store(out, done.key, done.answers)
            outcome.graded_now += 1
            bar.advance(failed=done.status != "graded")

        try:
            with _sigterm_interrupts(), _hidden_from_students(found.root, out):
                if todo and scheduler:
                    run_dask(scheduler, todo, spec, on_done=on_done, tick=bar.refresh)
                elif todo:
                    run_local(todo, spec, assignment, jobs=jobs, pool=pool, on_done=on_done, tick=bar.refresh)
        except KeyboardInterrupt:
            outcome.interrupted = True
        finally:
            bar.close()
            for task in todo:  # a result written as the interrupt came, before it was counted: on disk, current
                stored = stored_results(results / f"{task.key}.json") if task.key not in summaries else None
                if stored is not None and is_current(stored, spec.fingerprint, *wanted[task.key]):
                    summaries[task.key] = summarize(stored)
            ordered = []
            for item in items:  # the current source's order and students; scores from the results
                if item.key in summaries:
                    summary = summaries[item.key]
                    summary.key, summary.students = item.key, item.students or summary.students
                    summary.manual = given.get(item.key, {})
                    ordered.append(summary)
            write_atomically(out / "grades.csv", grades_csv(layout, ordered))
            write_pages(out, ordered, assignment.rubric.assignment)
            write_atomically(out / "canvas.csv", canvas_csv(layout, ordered))
            if layout.manual:
                write_atomically(out / "manual.csv", sheet_csv(layout, ordered, given))
                write_atomically(out / "manual.html", sheet_html(layout, ordered, given))
            sections: tuple[str, ...] = (clusters_line(out), gap_html(gaps(layout, ordered)), roster_html(ordered))
            if earlier is not None and compare is not None:
                moved = changes(ordered, earlier)
                outcome.comparison = lines(moved)
                sections += (section_html(moved, str(compare)),)
            generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            report = report_html(layout, ordered, expected=len(items), generated=generated, sections=sections)
            write_atomically(out / "report.html", report)
            for summary in ordered:
                outcome.counts[summary.status] = outcome.counts.get(summary.status, 0) + 1
    return outcome
