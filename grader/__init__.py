"""numgrader: grade numeric homework in an isolated child process.

The flow, one module per step:
    rubric.py      the YAML rubric, as validated pydantic models
    assignment.py  rubric + reference module → prepared cases (inputs, expected outputs)
    submission.py  finding the file to grade; notebook.py turns a notebook into a module
    runner.py      the parent's side of the process boundary (limits, restarts, output cap)
    child.py       the child: sandbox set-up (sandbox.py decides it), then the student's calls
    zygote.py      a warm worker that forks children fast (never loads anything secret)
    framing.py     frames on the pipes (stdlib only); wire.py the plain data inside them (no pickle)
    prefetch.py    a saved call plan: the child's calls start while the grader is still loading
    paths.py       where rubrics and the grader's private cache are
    comparators/   judge a received value against the expected one
    grading.py     cases → calls → verdicts → scored results
    results.py     Gradescope's results.json format; table.py the terminal table; files.py atomic writes
    validate.py    the rubric, reference and examples agree
    cli.py         the `grader` command; batch*.py, gradescope*.py, kit*.py add their commands
Nothing in this package knows about any one assignment.
"""

__version__ = "0.1.0"
