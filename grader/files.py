"""Writing files so that a reader never sees half of one (no heavy imports: the Gradescope
supervisor uses it before anything else is loaded)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: Path, content: str | bytes, mode: int | None = None) -> None:
    """Write (text as UTF-8), then rename: a reader never sees half a file, a crash never leaves
    one. `mode`: the file's permissions (default: a plain file's, after the umask)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(content.encode("utf-8") if isinstance(content, str) else content)
        # mkstemp makes it owner-only; a plain file would not be
        os.chmod(temporary, 0o666 & ~_umask() if mode is None else mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def file_problem(path: Path) -> str | None:
    """Why no file can be written at `path`, said for the one who named it, or None: a folder
    is there, or a file stands where one of the folders above it would be."""
    if path.is_dir():
        return "is a folder, not a file"
    for above in path.parents:
        if above.exists():
            return None if above.is_dir() else f"{above} is a file, not a folder"
    return None


def read_small_text(path: Path, limit: int, what: str) -> str:
    """A small text file a user named (a CSV sheet), read whole: refused with one line when it is
    larger than `limit` bytes (probably not `what`), unreadable or not UTF-8 (a BOM is dropped)."""
    from grader.errors import GraderError

    try:
        if path.stat().st_size > limit:
            raise GraderError(f"{path}: larger than {limit >> 20} MB; is it {what}?")
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise GraderError(f"{path}: cannot be read ({error})") from None
