"""numgrader: grade numeric homework in an isolated child process.

The flow, one module per step:
    rubric.py      the YAML rubric, as validated pydantic models
    assignment.py  rubric + reference module → prepared cases (inputs, expected outputs)
    runner.py      one child process per submission runs the student's calls (child.py)
    wire.py        the plain-data encoding that crosses the process boundary (no pickle)
    comparators/   judge a received value against the expected one
    grading.py     cases → calls → verdicts → scored results
    results.py     Gradescope's results.json format; table.py the terminal table
    files.py       atomic writes (results are never half-written)
    cli.py         the `grader` command
Nothing in this package knows about any one assignment.
"""

__version__ = "0.1.0"
