"""docs/rubric.md is generated from the rubric's models, and every field there is described."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from types import ModuleType

import pytest

from tests.support import ROOT

SCRIPT = ROOT / "scripts" / "rubric_docs.py"


@pytest.fixture(scope="module")
def rubric_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rubric_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_the_committed_page_is_what_the_script_writes(rubric_docs):
    committed = (ROOT / "docs" / "rubric.md").read_text(encoding="utf-8")
    assert committed == rubric_docs.generate(), "docs/rubric.md is stale: run `python scripts/rubric_docs.py`"


def test_every_model_reachable_from_the_rubric_is_documented(rubric_docs):
    from grader import comparators

    names = {item.model.__name__ for item in rubric_docs.documented_models()}
    assert {"Rubric", "Submission", "Limits", "LeaderboardEntry", "Question", "Check", "Inputs",
            "Mistake"} <= names
    assert {item.comparator for item in rubric_docs.documented_models() if item.comparator} == set(comparators.NAMES)
    text = rubric_docs.generate()
    for item in rubric_docs.documented_models():
        for key in item.model.model_fields:
            assert f"| `{key}` |" in text, f"{item.model.__name__}.{key} is not in the page"


def test_every_field_of_the_rubric_models_has_a_description(rubric_docs):
    # grader/rubric.py: in the model itself, as Field(description=...).
    undescribed = [f"{item.model.__name__}.{key}" for item in rubric_docs.documented_models()
                   if item.comparator is None
                   for key, field in item.model.model_fields.items() if not (field.description or "").strip()]
    assert undescribed == [], f"give these fields a Field(description=...) in grader/rubric.py: {undescribed}"


def test_every_comparator_option_has_a_description(rubric_docs):
    # In the comparator's own module: its spec's Field(description=...) ("name" is described by the script).
    from grader import comparators

    for comparator in comparators.COMPARATORS.values():
        for key, field in comparator.spec_type.model_fields.items():
            assert key == "name" or (field.description or "").strip(), f"{comparator.name}.{key}"
    assert rubric_docs.missing_descriptions() == []


@pytest.mark.child  # the script, run as a command
def test_check_reports_a_stale_page_in_one_line(tmp_path):
    page = tmp_path / "rubric.md"
    page.write_text("# an old page\n")
    stale = subprocess.run([sys.executable, str(SCRIPT), "--check", "--output", str(page)],
                           capture_output=True, text=True, timeout=120)
    assert stale.returncode == 1
    assert len(stale.stderr.strip().splitlines()) == 1 and "stale" in stale.stderr
    written = subprocess.run([sys.executable, str(SCRIPT), "--output", str(page)],
                             capture_output=True, text=True, timeout=120)
    assert written.returncode == 0, written.stderr
    fresh = subprocess.run([sys.executable, str(SCRIPT), "--check", "--output", str(page)],
                           capture_output=True, text=True, timeout=120)
    assert fresh.returncode == 0 and fresh.stderr == ""
