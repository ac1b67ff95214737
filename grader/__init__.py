"""numgrader: grade numeric homework in an isolated child process.

The core (this folder, the grader's own process only):
    rubric.py       the YAML rubric, as validated pydantic models (docs/rubric.md is made from them)
    assignment.py   rubric + reference module → prepared cases (inputs, expected outputs)
    authoring.py    the contract of the code a course writes: generators and judges
    submission.py   finding the file to grade; notebook.py turns a notebook into a module
    grading.py      the one driver: cases → calls in a sandboxed child → outcomes, judged as they come
    judging.py      one outcome → a scored verdict (comparators/, known mistakes) and its feedback
    results.py      Gradescope's results.json, built from a report; table.py the terminal's tables
    validate.py     the rubric, reference and examples agree
    cli.py          the `grader` command
The layers below it (standard library only, never anything secret):
    boundary/       the process boundary: launching the child, frames and plain data, the call loop
    sandbox/        what protects the machine and the answer key from the student's code
The front-ends: batch/ (a class at once), gradescope/ (inside Gradescope), kit/ (a student's check).
docs/architecture.md explains; nothing in this package knows about any one assignment.
"""

__version__ = "0.1.0"
