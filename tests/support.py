"""What the tests share: the project's paths, the fixtures' files, and the helpers several test
modules use. Test modules import from here, never from conftest.py (which holds fixtures only) or
from one another.

The paths are computed once, here: a test module's own `__file__` says nothing about where the
project is, since test modules live in folders of their own (tests/core/, tests/sandbox/, ...).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import nbformat
import pytest
import yaml

from grader.results import Results

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"

# The project's own assignment (rubrics/hw2.yaml, its example submissions).
HW2_RUBRIC = ROOT / "rubrics" / "hw2.yaml"
EXAMPLES = ROOT / "submissions_example" / "hw2"

# The tiny second assignment: the engine knows nothing of HW2 (tests/fixtures/tiny/).
TINY = TESTS / "fixtures" / "tiny"
TINY_RUBRIC = TINY / "rubrics" / "tiny.yaml"
TINY_REFERENCE = TINY / "reference" / "tiny.py"

# The hostile suite's assignment and its attacks (tests/hostile/).
HOSTILE = TESTS / "hostile"
HOSTILE_RUBRIC = HOSTILE / "rubrics" / "hostile.yaml"
HOSTILE_REFERENCE = HOSTILE / "reference" / "hostile.py"
SECRET = 7_340_033  # the answer HOSTILE_REFERENCE keeps, which no attack may learn
SUBMISSIONS = HOSTILE / "submissions"
BOUNDS = HOSTILE / "bounds"
BOUNDS_RUBRIC = HOSTILE / "rubrics" / "bounds.yaml"


# -- results --------------------------------------------------------------------------------------

def assert_valid_results(results: Results | str | dict, schema: dict) -> dict:
    """Validate written results against the Gradescope JSON Schema; return the data."""
    if isinstance(results, Results):
        data = json.loads(results.to_json())
    elif isinstance(results, str):
        data = json.loads(results)
    else:
        data = results
    jsonschema.validate(data, schema)
    return data


# -- rubrics changed as data ----------------------------------------------------------------------

def rubric_variant(source: Path, target: Path, edit: Callable[[dict[str, Any]], object] | None = None, *,
                   pin_reference: bool = False, **keys: Any) -> Path:
    """A rubric changed as data, never as text: `source` is loaded (yaml.safe_load), its top-level
    `keys` are set, `edit(data)` changes the dict as it likes, and the result is written to
    `target` (yaml.safe_dump, keys in their order; `target` may be `source`). Returns `target`.

    pin_reference: the variant keeps the source's reference module, wherever `target` is (an
    absolute `reference:`); otherwise `reference` resolves from `target`'s folder as usual.

    The written file has the same content but another layout (and no comments): tests of the line
    numbers in rubric errors, or of YAML that does not parse, edit the text (tests/core/test_rubric.py).
    """
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    if pin_reference:
        relative = data.get("reference") or f"../reference/{data['assignment']}.py"
        data["reference"] = str((source.parent / relative).resolve())
    data.update(keys)
    if edit is not None:
        edit(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target


def tiny_variant(folder: Path, edit: Callable[[dict[str, Any]], object] | None = None, **keys: Any) -> Path:
    """The tiny assignment changed as data (as rubric_variant does), laid out as an assignment of its
    own: folder/rubrics/tiny.yaml beside a copy of its reference, folder/reference/tiny.py."""
    (folder / "reference").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TINY_REFERENCE, folder / "reference" / "tiny.py")
    return rubric_variant(TINY_RUBRIC, folder / "rubrics" / "tiny.yaml", edit, **keys)


def with_limits(rubric: Path, folder: Path, **limits: float) -> Path:
    """`rubric` with other limits (those not named keep their values), as folder/rubric/NAME.yaml;
    its reference stays where it is."""
    return rubric_variant(rubric, folder / "rubric" / rubric.name, lambda data: data["limits"].update(limits),
                          pin_reference=True)


# -- notebooks ------------------------------------------------------------------------------------

def notebook_of(source: str, path: Path) -> Path:
    """A .py source as a notebook: a cell per top-level function, markdown between, magics around."""
    head, *functions = re.split(r"\n(?=def |class )", source)
    cells = [nbformat.v4.new_markdown_cell("# Homework\nMy answers; `%` and `!` in markdown are just text."),
             nbformat.v4.new_code_cell("%matplotlib inline\n!pip install numpy\n" + head)]
    for i, function in enumerate(functions):
        cells.append(nbformat.v4.new_markdown_cell(f"## Part {i + 1}\n!not a shell escape here"))
        cells.append(nbformat.v4.new_code_cell(function.strip("\n")))
        if i == 0:
            cells.append(nbformat.v4.new_raw_cell("raw text, not code"))
    cells += [
        nbformat.v4.new_code_cell("%%bash\necho this is not Python"),
        nbformat.v4.new_code_cell('%%time\nnote = """\n%d lines, !kept inside a string\n"""\n'
                                  "def _helper():\n    %time y = 1\n    return 1\nfiles = !ls\nnote?"),
    ]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    path.write_text(nbformat.writes(notebook))
    return path


# -- what this machine allows ---------------------------------------------------------------------

@cache
def namespaces_available() -> bool:
    """Whether this machine lets the grader make the sandbox's namespaces (not in Docker's defaults)."""
    if sys.platform != "linux":
        return False
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the probe
        import ctypes

        os._exit(0 if ctypes.CDLL(None, use_errno=True).unshare(0x00020000 | 0x40000000) == 0 else 1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox is Linux-only")
root_only = pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="needs root (as CI runs)")
# Mode-specific: what only the full-namespace sandbox gives (a private root, a pid namespace).
# Every other test asserts what must hold in every mode, Docker's container included.
with_namespaces = pytest.mark.skipif(not namespaces_available(), reason="no namespaces here (as in Docker)")
