"""`grader new NAME`: a new assignment's files, written so that they validate as they are: a rubric
with a literal check, a randomized hidden check with a known mistake, a judge and a manual
question; its reference (one generator, one judge, one mistake); the students' template; two
example submissions and the expected.yaml that declares what each scores. An instructor edits
these instead of starting from the documentation alone."""

from __future__ import annotations

import re
from pathlib import Path

from grader.errors import GraderError

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

RUBRIC = """\
# {name}: the rubric (docs/rubric.md lists every field). `grader validate --assignment {rubric}`
# checks it against reference/{name}.py, templates/{name}.py and submissions_example/{name}/.
assignment: {name}
title: "{name}: a new assignment"
submission:
  filename: {name}.py
environment:
  packages: [numpy]
limits:
  call_seconds: 10
visibility: visible

questions:
  - id: "1"
    name: Mean squared error
    points: 2
    checks:
      - name: a small example
        function: mse
        inputs: {{literal: {{predictions: [1.0, 2.0, 3.0], targets: [1.0, 2.0, 5.0]}}, arrays: true}}
        compare: {{name: numeric, rtol: 1.0e-6, atol: 1.0e-9}}
        points: 0.5
        feedback: "The mean of the squared differences: mean((predictions - targets)**2)."
      - name: random vectors
        function: mse
        inputs: {{generator: random_pair, seeds: [1, 2, 3]}}
        compare: {{name: numeric, rtol: 1.0e-6, atol: 1.0e-9}}
        points: 1
        visibility: hidden
        feedback: "Average over every entry, not just sum."
        mistakes:
          - name: sum instead of mean
            function: mse_summed
            message: "You summed the squared errors: divide by their number."
      - name: never negative
        function: mse
        inputs: {{generator: random_pair, seeds: [4, 5]}}
        compare: {{name: judge, function: judge_not_negative, expected: false}}
        points: 0.5
        feedback: "A mean of squares is never negative."

  - id: "2"
    name: Why squared errors
    manual: true
    points: 1
    description: Two sentences, read by course staff.
    answer: {{function: why_squared}}
"""

REFERENCE = '''\
"""{name}: reference solutions, input generators, known mistakes and judges. Only the grader's
own process imports this file: students never see it."""

import numpy as np


def mse(predictions, targets):
    return float(np.mean((np.asarray(predictions) - np.asarray(targets)) ** 2))


def random_pair(rng, size=6):
    """A generator: the call's arguments, by name, from a seeded numpy Generator."""
    return {{"predictions": rng.normal(size=size), "targets": rng.normal(size=size)}}


def mse_summed(predictions, targets):
    """A known mistake, with the student's signature: recognized and named in the feedback."""
    return float(np.sum((np.asarray(predictions) - np.asarray(targets)) ** 2))


def judge_not_negative(received, expected, args):
    """A judge decides a property: a fraction of the points, and what to tell the student."""
    try:
        value = float(received)
    except (TypeError, ValueError):
        return 0.0, "mse must return a number"
    return (1.0, "") if value >= 0 else (0.0, f"returned {{value:g}}, which is negative")


def why_squared():
    return "Squaring makes every error count positively and punishes large errors most."
'''

TEMPLATE = '''\
"""{name}: fill in each function, then run `grader check {name}.py` to try the visible checks."""

import numpy as np


def mse(predictions, targets):
    """Question 1: the mean squared error of two equally long vectors (a float)."""
    raise NotImplementedError


def why_squared():
    """Question 2: two sentences (a str), read by a person."""
    raise NotImplementedError
'''

CORRECT = '''\
"""A correct solution, written without the reference."""


def mse(predictions, targets):
    total = 0.0
    for p, t in zip(predictions, targets):
        total += (p - t) ** 2
    return total / len(predictions)


def why_squared():
    return "Squared errors are positive and smooth, and large errors weigh more."
'''

MISTAKE = '''\
"""The known mistake: the squared errors summed, not averaged."""


def mse(predictions, targets):
    return sum((p - t) ** 2 for p, t in zip(predictions, targets))


def why_squared():
    return "Because."
'''

EXPECTED = """\
# What each example scores and which checks it fails (grader validate grades them all).
correct.py:
  score: 2
  description: A correct solution.
  fails: []
mistake_summed.py:
  score: 0.5
  description: Sums instead of averaging; only the never-negative judge passes.
  fails: [1/a-small-example, 1/random-vectors]
  mistakes: [sum instead of mean]
"""


def files_of(name: str) -> dict[str, str]:
    """Each file of the skeleton, by its path under the course folder."""
    values = {"name": name, "rubric": f"rubrics/{name}.yaml"}
    return {
        f"rubrics/{name}.yaml": RUBRIC.format(**values),
        f"reference/{name}.py": REFERENCE.format(**values),
        f"templates/{name}.py": TEMPLATE.format(**values),
        f"submissions_example/{name}/correct.py": CORRECT,
        f"submissions_example/{name}/mistake_summed.py": MISTAKE,
        f"submissions_example/{name}/expected.yaml": EXPECTED,
    }


def write_skeleton(name: str, folder: Path) -> list[Path]:
    """Write the skeleton of assignment `name` under `folder`; refuses to overwrite any file."""
    if not _NAME.match(name):
        raise GraderError(f"{name!r}: an assignment name is lower case letters, digits and _, starting with a "
                          "letter (it names its files and the module students hand in)")
    files = files_of(name)
    there = [path for path in files if (folder / path).exists()]
    if there:
        raise GraderError(f"{folder / there[0]} already exists: nothing was written (choose another name, or "
                          "another folder with --into)")
    written = []
    for path, text in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
