"""The HW2 checks as a plain pytest suite: one parametrized test per case of rubrics/hw2.yaml.

    HW2_SUBMISSION_DIR=DIR pytest -q -p no:cacheprovider benchmarks/anchors/pytest_suite

DIR holds the student's hw2.py; it is imported in the pytest process (no isolation).
"""

import importlib
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import hw2_checks

CASES = hw2_checks.load_cases()


@pytest.fixture(scope="session")
def hw2():
    sys.path.insert(0, os.environ["HW2_SUBMISSION_DIR"])
    return importlib.import_module("hw2")


@pytest.mark.parametrize("case", CASES, ids=[c["key"] for c in CASES])
def test_case(hw2, case):
    fraction, message = hw2_checks.run_case(case, hw2)
    assert fraction >= 1.0, message
