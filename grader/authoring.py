"""The contract between the grader and the code a course writes: the reference module's
generators, judges and known-mistake functions. Nothing here runs; it says what the grader
calls and what it accepts back (docs/authoring.md shows them in use).

A reference module holds, besides its solutions (the student's names and signatures):

- generators, named by a check's `inputs.generator` (`Generator`);
- judges, named by a check's `compare: {name: judge, function: ...}` (`Judge`);
- known mistakes, named by a check's `mistakes[].function`: the student function's signature,
  returning what a typical wrong answer returns, so that a received value equal to it is named.

All of it runs in the grader's own process, never in the child: judges may read the expected
value and the inputs, which the student never sees. A type checker holds a reference to these
(`_checked: Judge = judge_name`); the grader itself calls them with the rubric's options.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

# A judge's answer: credit in [0, 1], what the student reads ("" on full credit), and
# optionally the name of a known mistake it recognized (the batch report counts them).
JudgeAnswer = float | tuple[float, str] | tuple[float, str, str | None]


class Generator(Protocol):
    def __call__(self, rng: np.random.Generator, /) -> dict[str, Any]:
        """The arguments of one call, in the student function's parameter order (they are
        passed positionally), from the seeded `rng`; the check's `inputs.kwargs` come as keyword
        arguments, so each has a parameter with a default (`n: int = 5`).

        Values are numbers, strings, lists, dicts and numpy arrays (what crosses to the child:
        grader/boundary/wire.py). The same seed must give the same arguments: grades are
        reproducible, and the student kit tells a fixed-answer check by calling the generator
        with another seed (equal arguments: the check has one answer, which the kit seals).
        Raising, or returning anything but a dict, is a rubric error with the file and line.
        """
        ...


class Judge(Protocol):
    def __call__(self, received: Any, expected: Any, args: dict[str, Any], /) -> JudgeAnswer:
        """Judge a received value that no comparator fits: `expected` is the reference's output
        (None with `compare.expected: false`, which skips computing it), `args` the call's
        arguments by name (a copy); the check's `compare.options` come as keyword arguments, so
        each has a parameter with a default (`rtol: float = 1e-6`).

        `received` is whatever the student's function returned (plain data, but of any shape or
        type): a judge never raises on it (a judge that raises scores 0 and is reported to
        instructors as a rubric bug), and on a hidden check its message must not print the
        expected value. It has `limits.judge_seconds` of the grader's time.
        """
        ...


__all__ = ["Generator", "Judge", "JudgeAnswer"]
