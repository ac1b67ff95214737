"""Gradescope's standard run_tests.py: discover the unittest suite and write results.json.

    python run_tests.py SUBMISSION_DIR RESULTS_JSON

SUBMISSION_DIR holds the student's hw2.py (Gradescope puts it in /autograder/submission and
run_autograder copies it beside the tests); the tests import it as `hw2`. No isolation: the
student's code runs in this very process, as it does on Gradescope with gradescope-utils.
"""

import os
import sys
import unittest

from gradescope_utils.autograder_utils.json_test_runner import JSONTestRunner

HERE = os.path.dirname(os.path.abspath(__file__))

if __name__ == "__main__":
    submission_dir, results = sys.argv[1], sys.argv[2]
    os.environ["HW2_SUBMISSION_DIR"] = os.path.abspath(submission_dir)
    suite = unittest.defaultTestLoader.discover(os.path.join(HERE, "tests"))
    with open(results, "w") as f:
        JSONTestRunner(visibility="visible", stream=f).run(suite)
