"""What `grader batch` grades: the submissions found in a folder, a zip, or a Gradescope export.

Three layouts are recognized, after descending into a single wrapping folder (a zip of
`submissions/` or Gradescope's `assignment_NNN_export/`):

- one entry per student: `alice.py`, `bob/homework.py`, `carol/hw/homework.py`, ... The entry's
  name (without `.py`) is the student's id. Loose files of another type (a README, a
  roster) are not submissions and are ignored.
- a zip of that folder.
- Gradescope's "Export Submissions" zip (or the folder it unzips to):

      assignment_4242_export/
        submission_metadata.yml
        submission_100000001/        the files the student uploaded, as uploaded
          homework.py
        submission_100000002/
          ...

  `submission_metadata.yml` is written by Gradescope's Ruby side, so its inner keys are
  Ruby symbols (a leading colon); each top-level key names a submission folder:

      submission_100000001:
        :submitters:
        - :name: Ada Lovelace
          :sid: '20240001'
          :email: ada@example.edu
        :created_at: 2024-10-01 21:14:03.123456000 -07:00
        :score: 6.5
        :results: {...}        the autograder's last results, ignored here
        :history: [...]        earlier submissions, ignored here

  A group submission lists several submitters; a submitter may lack a name, an email or
  (rarely) an sid, and an sid may be a number. Plain keys (`submitters:`, `sid:`) are
  accepted too, unknown Ruby tags are read as plain data, and a file that Gradescope split
  into several YAML documents with bare `...` lines is read as one.

Archive litter (`__MACOSX/`, `.DS_Store`, hidden files) is never a submission.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from grader.errors import GraderError
from grader.rubric_policies import parse_time
from grader.safe_open import Refused, read_regular
from grader.submission import is_litter

METADATA = "submission_metadata.yml"
ZIP_MAX_BYTES = 4 << 30  # what a class's archive may unpack to
ZIP_MAX_FILES = 200_000


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    email: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "email": self.email}


@dataclass(frozen=True)
class Item:
    """One submission: where it is, and who handed it in (several students for a group)."""

    key: str  # unique in the batch, safe as a file name: names results/<key>.json
    path: Path  # a file or a folder; may not exist (a student in the metadata without files)
    students: tuple[Student, ...] = ()
    submitted: str | None = None  # when it was handed in (ISO 8601), where the source says (a Gradescope export)
    due: str | None = None  # the submitters' own due date (an extension), where the source says


@dataclass
class Source:
    kind: str  # "folder", "zip" or "gradescope"
    root: Path
    items: list[Item] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # loose files that are not submissions


# -- keys ------------------------------------------------------------------------------


def safe_key(name: str) -> str:
    key = re.sub(r"[^A-Za-z0-9._@+-]+", "_", name).strip("._") or "submission"
    return key[:120]


def _unique(keys: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for key in keys:
        count = seen.get(key.lower(), 0) + 1
        seen[key.lower()] = count
        out.append(key if count == 1 else f"{key}~{count}")
    return out


# -- content ---------------------------------------------------------------------------


FILE_MAX_BYTES = 64 << 20  # a file larger than this is never graded (limits.source_mb is far less)


def submission_files(path: Path) -> list[tuple[str, bytes]]:
    """The submission's regular files, litter, links, FIFOs and devices left out, as (path relative
    to its parent, content); a file too large to grade counts by its size alone."""
    def content(file: Path) -> bytes | None:
        try:
            return read_regular(file, FILE_MAX_BYTES)
        except Refused as refused:
            return None if refused.size is None else f"<{refused.size} bytes>".encode()

    if not path.is_dir() or path.is_symlink():
        data = content(path)
        return [] if data is None else [(path.name, data)]
    files = []
    for folder, dirs, names in os.walk(path):  # never into a linked folder (followlinks=False)
        dirs[:] = sorted(d for d in dirs if not is_litter(Path(d)))
        for name in sorted(names):
            if is_litter(Path(name)):
                continue
            data = content(Path(folder) / name)
            if data is not None:
                files.append(((Path(folder) / name).relative_to(path.parent).as_posix(), data))
    return files


def content_hash(files: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, data in files:
        digest.update(name.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


# -- archives --------------------------------------------------------------------------


def extract_zip(archive: Path, destination: Path) -> None:
    """Unpack a class's zip: no member outside `destination`, no links, bounded size."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if len(members) > ZIP_MAX_FILES or sum(m.file_size for m in members) > ZIP_MAX_BYTES:
                raise GraderError(f"{archive} is too large to unpack ({len(members)} members)")
            for member in members:
                parts = PurePosixPath(member.filename.replace("\\", "/")).parts
                if not parts or parts[0] == "/" or ".." in parts or re.match(r"^[A-Za-z]:", parts[0]):
                    continue  # an absolute or escaping path: never written
                if stat.S_ISLNK(member.external_attr >> 16):
                    continue
                zf.extract(member, destination)
    except zipfile.BadZipFile as error:
        raise GraderError(f"{archive} is not a readable zip file: {error}") from None


# -- Gradescope metadata ---------------------------------------------------------------


class _MetadataLoader(yaml.SafeLoader):
    """Safe YAML that reads Ruby-tagged nodes (`!ruby/object:...`) as plain data."""


def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_MetadataLoader.add_multi_constructor("!", _untagged)


def _field(entry: dict[Any, Any], name: str) -> Any:
    return entry.get(f":{name}", entry.get(name))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _metadata_entries(text: str, where: str) -> Iterator[tuple[str, dict[Any, Any]]]:
    """Each submission folder's entry in Gradescope's submission_metadata.yml."""
    for chunk in re.split(r"^\.\.\.[ \t]*$", text, flags=re.MULTILINE):
        if not chunk.strip() or chunk.strip() == "---":
            continue
        try:
            data = yaml.load(chunk, Loader=_MetadataLoader)  # a SafeLoader subclass
        except yaml.YAMLError as error:
            raise GraderError(f"{where} is not valid YAML: {error}") from None
        if data is None:
            continue
        if not isinstance(data, dict):
            raise GraderError(f"{where}: expected a mapping of submission folders, found {type(data).__name__}")
        for key, entry in data.items():
            if isinstance(entry, dict) and _field(entry, "submitters") is not None:
                yield str(key).lstrip(":"), entry  # (else not a submission: Gradescope's own bookkeeping)


def _moment(value: Any) -> str | None:
    """A metadata time as ISO 8601 text with its offset: a YAML timestamp, text, or Ruby's
    TimeWithZone mapping ({utc: ..., zone: ...}); None for what is none of these."""
    if isinstance(value, dict):
        value = value.get("utc", value.get(":utc"))
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)  # (PyYAML gives a naive UTC time for a trailing Z)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def read_metadata(text: str, where: str = METADATA) -> tuple[dict[str, tuple[Student, ...]],
                                                               dict[str, tuple[str | None, str | None]]]:
    """Gradescope's submission_metadata.yml, read once: submission folder name → its submitters,
    and → (when it was submitted, the submitters' own due date when the metadata gives one: an
    extension, the latest of a group's)."""
    students: dict[str, tuple[Student, ...]] = {}
    times: dict[str, tuple[str | None, str | None]] = {}
    for name, entry in _metadata_entries(text, where):
        if name in students:
            raise GraderError(f"{where}: submission {name} is listed twice")
        submitters = [s for s in _field(entry, "submitters") or [] if isinstance(s, dict)]
        students[name] = tuple(Student(_text(_field(s, "sid")), _text(_field(s, "name")), _text(_field(s, "email")))
                               for s in submitters)
        mine = [_field(s, "assignment") for s in submitters]
        own = [due for due in (_moment(_field(m, "due_date")) for m in mine if isinstance(m, dict)) if due]
        times[name] = (_moment(_field(entry, "created_at")), max(own, key=parse_time) if own else None)
    return students, times


def parse_metadata(text: str, where: str = METADATA) -> dict[str, tuple[Student, ...]]:
    """Submission folder name → its submitters (read_metadata's first half)."""
    return read_metadata(text, where)[0]


# -- discovery -------------------------------------------------------------------------


def _entries(folder: Path) -> list[Path]:
    return [e for e in sorted(folder.iterdir()) if not is_litter(e)]


def find_root(folder: Path, expected: str) -> Path:
    """Descend through wrapping folders: one folder alone that is not itself a submission.

    A lone folder is a wrapper when it holds several possible submissions (folders, or
    files of the expected type) or one folder; otherwise it is a class of one student.
    """
    suffix = Path(expected).suffix.lower()
    for _ in range(3):
        if (folder / METADATA).is_file():
            return folder
        entries = _entries(folder)
        if len(entries) != 1 or not entries[0].is_dir():
            return folder
        inner = entries[0]
        if (inner / METADATA).is_file():
            return inner
        if (inner / expected).is_file():
            return folder
        candidates = [e for e in _entries(inner) if e.is_dir() or e.suffix.lower() == suffix]
        if len(candidates) < 2 and not (candidates and candidates[0].is_dir()):
            return folder
        folder = inner
    return folder


def _folder_items(root: Path, expected: str) -> tuple[list[Item], list[str]]:
    suffix = Path(expected).suffix
    chosen: list[tuple[str, Path]] = []
    ignored = []
    for entry in _entries(root):
        if entry.is_dir():
            chosen.append((entry.name, entry))
        elif entry.suffix.lower() in (suffix.lower(), ".ipynb"):  # a notebook is a submission everywhere
            chosen.append((entry.stem, entry))
        else:
            ignored.append(entry.name)
    keys = _unique([safe_key(name) for name, _ in chosen])
    return [Item(key, path, (Student(name),)) for key, (name, path) in zip(keys, chosen, strict=True)], ignored


def _gradescope_items(root: Path) -> tuple[list[Item], list[str]]:
    text = (root / METADATA).read_text(encoding="utf-8")
    metadata, times = read_metadata(text, str(root / METADATA))
    names = sorted(set(metadata) | {e.name for e in _entries(root) if e.is_dir()})
    keys = _unique([safe_key(name) for name in names])
    items = [Item(key, root / name, metadata.get(name, ()), *times.get(name, (None, None)))
             for key, name in zip(keys, names, strict=True)]
    ignored = [e.name for e in _entries(root) if e.is_file() and e.name != METADATA]
    return items, ignored


def discover(root: Path, expected: str, kind: str) -> Source:
    root = find_root(root, expected)
    if (root / METADATA).is_file():
        items, ignored = _gradescope_items(root)
        return Source("gradescope", root, items, ignored)
    items, ignored = _folder_items(root, expected)
    return Source(kind, root, items, ignored)


@contextlib.contextmanager
def open_source(path: Path, expected: str) -> Iterator[Source]:
    """The submissions in a folder or a zip; a zip is unpacked to a temporary folder meanwhile."""
    if path.is_dir():
        yield discover(path, expected, "folder")
        return
    if not path.is_file():
        raise GraderError(f"no such folder or zip: {path}")
    if not zipfile.is_zipfile(path):
        raise GraderError(f"{path} is neither a folder nor a zip file")
    with tempfile.TemporaryDirectory(prefix="grader-batch-") as unpacked:
        extract_zip(path, Path(unpacked))
        yield discover(Path(unpacked), expected, "zip")
