"""The grader's own files as a distribution packs them: the list setuptools would install
(pyproject.toml's packages and package data), a reproducible zip of them, and a wheel built from
them without any build tool (for the student kit). Used by the Gradescope upload and the kit."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

from grader.errors import GraderError

EPOCH = (1980, 1, 1, 0, 0, 0)  # zip's earliest time: the same bytes for the same files


def zip_bytes(members: dict[str, tuple[bytes, int]]) -> bytes:
    """A reproducible zip: sorted members, fixed time, only the modes given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            data, mode = members[name]
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the modes below are read
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _is_litter(path: Path) -> bool:
    return (path.name.startswith(".") or path.name.endswith(("~", ".pyc", ".pyo", ".orig", ".rej", ".swp"))
            or "__pycache__" in path.parts)


def project_config(project: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        raise GraderError("building the autograder or a kit needs Python 3.11 or later (tomllib)") from None
    path = project / "pyproject.toml"
    if not path.is_file():
        raise GraderError(f"no {path}: build the autograder or a kit from a checkout of the project")
    config: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    return config


def package_files(project: Path, config: dict[str, Any]) -> dict[str, Path]:
    """The files setuptools would install: each listed package's modules, and its package data."""
    tool = config.get("tool", {}).get("setuptools", {})
    files: dict[str, Path] = {}
    for package in tool.get("packages", []):
        folder = project / package.replace(".", "/")
        if not (folder / "__init__.py").is_file():
            raise GraderError(f"pyproject.toml lists the package {package}, but {folder} has no __init__.py")
        for path in sorted(folder.glob("*.py")):
            if not _is_litter(path):
                files[path.relative_to(project).as_posix()] = path
    for package, patterns in tool.get("package-data", {}).items():
        folder = project / package.replace(".", "/")
        for pattern in patterns:
            for path in sorted(folder.glob(pattern)):
                if path.is_file() and not _is_litter(path.relative_to(project)):
                    files[path.relative_to(project).as_posix()] = path
    return files


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def wheel(project: Path, out: Path) -> Path:
    """A pure-Python wheel of the grader (py3-none-any) in `out`, from pyproject.toml's metadata and
    package_files: installable with pip on any OS, offline."""
    config = project_config(project)
    meta = config["project"]
    name, version = meta["name"], meta["version"]
    info = f"{name}-{version}.dist-info"
    members: dict[str, tuple[bytes, int]] = {
        member: (path.read_bytes(), 0o644) for member, path in package_files(project, config).items()}
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
                f"Summary: {meta.get('description', '')}", f"Requires-Python: {meta.get('requires-python', '>=3')}"]
    metadata += [f"Requires-Dist: {requirement}" for requirement in meta.get("dependencies", [])]
    members[f"{info}/METADATA"] = ("\n".join(metadata).encode() + b"\n", 0o644)
    members[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: numgrader\nRoot-Is-Purelib: true\n"
                                b"Tag: py3-none-any\n", 0o644)
    scripts = "".join(f"{key} = {value}\n" for key, value in meta.get("scripts", {}).items())
    members[f"{info}/entry_points.txt"] = (f"[console_scripts]\n{scripts}".encode(), 0o644)
    record = [_record_line(member, data) for member, (data, _) in sorted(members.items())] + [f"{info}/RECORD,,"]
    members[f"{info}/RECORD"] = ("\n".join(record).encode() + b"\n", 0o644)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{name}-{version}-py3-none-any.whl"
    target.write_bytes(zip_bytes(members))
    return target
