"""`python -m tests.gradescope_utils_suite SUBMISSION [--out FILE]`: JSONTestRunner's results.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.gradescope_utils_suite.hw2 import run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("submission", type=Path, help="the student's hw2.py")
    parser.add_argument("--out", type=Path, help="write results.json here (default: standard output)")
    args = parser.parse_args()
    if args.out is None:
        run(args.submission, sys.stdout)
    else:
        with args.out.open("w", encoding="utf-8") as stream:
            run(args.submission, stream)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
