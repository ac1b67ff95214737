"""Shared fixtures: the tiny second assignment proves the engine knows nothing of HW2."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from grader.assignment import Assignment, load_assignment
from grader.results import SCHEMA_PATH, Results

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny"


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Call plans (prefetch.py) that tests and the commands they run save go to a folder of the run's own."""
    os.environ["NUMGRADER_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def tiny() -> Assignment:
    return load_assignment(TINY / "rubrics" / "tiny.yaml")


@pytest.fixture(scope="session")
def results_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


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
