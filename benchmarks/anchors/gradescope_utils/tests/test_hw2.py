"""The HW2 checks as a gradescope-utils unittest suite: one test per case of rubrics/hw2.yaml.

Weights are the rubric's points (a check with several seeds shares its points among them);
checks with `partial: true` use @partial_credit. The comparisons are hw2_checks.py's.
"""

import os
import re
import sys
import unittest

from gradescope_utils.autograder_utils.decorators import number, partial_credit, visibility, weight

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import hw2_checks

sys.path.insert(0, os.environ["HW2_SUBMISSION_DIR"])
import hw2


class TestHW2(unittest.TestCase):
    """Filled in below, one method per case."""


def _make(case):
    if case["partial"]:
        @partial_credit(case["points"])
        def test(self, set_score=None):
            fraction, message = hw2_checks.run_case(case, hw2)
            set_score(case["points"] * fraction)
            if fraction < 1.0:
                self.fail(message)
    else:
        @weight(case["points"])
        def test(self):
            fraction, message = hw2_checks.run_case(case, hw2)
            self.assertGreaterEqual(fraction, 1.0, message)
    test.__doc__ = f"{case['question']} {case['question_name']}: {case['name']}"
    return number(case["question"])(visibility(case["visibility"])(test))


for _i, _case in enumerate(hw2_checks.load_cases()):
    setattr(TestHW2, f"test_{_i:02d}_{re.sub(r'[^a-z0-9]+', '_', _case['key'].lower())}", _make(_case))
