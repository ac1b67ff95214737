"""HW2's checks written the gradescope-utils way: a unittest suite with its decorators.

The anchor our results are compared with. tests/gradescope/test_gradescope.py runs it with
gradescope-utils' JSONTestRunner to cross-check our results schema against the format's most
used producer; the speed benchmark (issue 8) reuses it as "the same checks, run the way
Gradescope usually runs them". One command, one process per submission:

    python -m tests.gradescope_utils_suite SUBMISSION.py [--out results.json]
"""

from tests.gradescope_utils_suite.hw2 import HW2Checks, load_suite, run

__all__ = ["HW2Checks", "load_suite", "run"]
