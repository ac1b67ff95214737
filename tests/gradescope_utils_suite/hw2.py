"""A representative handful of HW2's rubric checks (at least one per autograded question) as unittest tests.

Each test mirrors one check of rubrics/hw2.yaml: the same inputs (the reference's generators
and seeds), the same tolerance, the same points (`@weight`), question number (`@number`) and
visibility (`@visibility`). The student's module is imported in this process, as
gradescope-utils suites do: there is no isolation here.
"""

from __future__ import annotations

import copy
import importlib.util
import itertools
import json
import unittest
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import IO, Any, ClassVar

import numpy as np
from gradescope_utils.autograder_utils.decorators import number, visibility, weight
from gradescope_utils.autograder_utils.json_test_runner import JSONTestRunner

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "hw2.py"
_loaded = itertools.count()


def _import(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class HW2Checks(unittest.TestCase):
    """Bound to a submission by `load_suite` (a subclass with `student` and `reference` set)."""

    student: ClassVar[ModuleType]
    reference: ClassVar[ModuleType]

    def call(self, function: str, args: dict[str, Any]) -> Any:
        """The student's function on a copy of the arguments, positionally, as the engine calls it."""
        student_function: Callable[..., Any] = getattr(self.student, function)
        return student_function(*copy.deepcopy(list(args.values())))

    def expected(self, function: str, args: dict[str, Any]) -> Any:
        return getattr(self.reference, function)(*copy.deepcopy(list(args.values())))

    def generated(self, generator: str, seed: int, **kwargs: Any) -> dict[str, Any]:
        args: dict[str, Any] = getattr(self.reference, generator)(np.random.default_rng(seed), **kwargs)
        return args

    @weight(0.25)
    @number("1.1.1")
    @visibility("visible")
    def test_min_norm_solution(self) -> None:
        """1.1.1 SGD and the minimum-norm solution: minimum-norm solution"""
        args = self.generated("overparameterized_problem", 1)
        np.testing.assert_allclose(self.call("min_norm_solution", args), self.expected("min_norm_solution", args),
                                   rtol=1e-6, atol=1e-9)

    @weight(0.5)
    @number("1.1.1")
    @visibility("visible")
    def test_sgd_one_step(self) -> None:
        """1.1.1 SGD and the minimum-norm solution: SGD iterates (one step from zero)"""
        args = self.generated("sgd_one_step_problem", 31)
        np.testing.assert_allclose(self.call("sgd", args), self.expected("sgd", args), rtol=1e-8, atol=1e-12)

    @weight(0.5)
    @number("2.1.1")
    def test_computation_graph(self) -> None:
        """2.1.1 Computation graph of two GD iterations: edges of the graph"""
        received = {(str(a).strip().casefold(), str(b).strip().casefold()) for a, b in self.student.computation_graph()}
        accepted = [{(a.casefold(), b.casefold()) for a, b in graph}
                    for graph in self.reference.accepted_computation_graphs()]
        self.assertIn(received, accepted, "the edges are not one of the accepted graphs")

    @weight(0.5)
    @number("2.1.2")
    def test_memory_complexity(self) -> None:
        """2.1.2 Memory complexity in t: forward and backward memory"""
        def normal(text: str) -> str:
            return "".join(str(text).split()).casefold()

        received = {key: normal(value) for key, value in dict(self.student.memory_complexity()).items()}
        self.assertEqual(received, {"forward": "o(1)", "backward": "o(t)"})

    @weight(0.25)
    @number("2.2.1")
    def test_gd_step(self) -> None:
        """2.2.1 One GD step and the loss after it: w1 after one GD step"""
        args = self.generated("gd_step_problem", 41)
        np.testing.assert_allclose(self.call("gd_step", args), self.expected("gd_step", args), rtol=1e-7)

    @weight(0)
    @number("2.2.2")
    def test_is_convex_in_eta(self) -> None:
        """2.2.2 Convexity of L1 in η (feedback only): is L1 convex in η"""
        self.assertIs(bool(self.student.is_convex_in_eta()), True)

    @weight(0.25)
    @number("2.2.3")
    def test_loss_derivative(self) -> None:
        """2.2.3 dL1/dη and the optimal learning rate: derivative of L1"""
        args = self.generated("learning_rate_problem", 51)
        self.assertAlmostEqual(float(self.call("loss_derivative", args)), self.expected("loss_derivative", args),
                               delta=1e-7 * abs(self.expected("loss_derivative", args)))

    @weight(0.05)
    @number("3.1")
    def test_conv2d(self) -> None:
        """3.1 Convolution filters: conv2d on an asymmetric kernel"""
        args = self.generated("random_image_and_kernel", 60)
        np.testing.assert_allclose(self.call("conv2d", args), self.expected("conv2d", args), rtol=1e-9, atol=1e-9)

    @weight(0.2)
    @number("3.1")
    @visibility("hidden")
    def test_conv2d_random(self) -> None:
        """3.1 Convolution filters: conv2d, random images and kernels"""
        for seed in (61, 62, 63):
            args = self.generated("random_image_and_kernel", seed, height=7, width=9, kernel=3)
            np.testing.assert_allclose(self.call("conv2d", args), self.expected("conv2d", args),
                                       rtol=1e-9, atol=1e-9)

    @weight(0.2)
    @number("3.2")
    def test_total_parameters(self) -> None:
        """3.2 Size of ConvNets: the handout's total"""
        args = {"input_shape": list(self.reference.HANDOUT_INPUT_SHAPE), "layers": list(self.reference.HANDOUT_LAYERS)}
        self.assertEqual(int(self.call("total_parameters", args)), self.expected("total_parameters", args))


def load_suite(submission: Path, reference: Path = REFERENCE) -> unittest.TestSuite:
    """The checks, bound to one submission (imported here) and the reference."""
    n = next(_loaded)
    bound = type("HW2", (HW2Checks,), {
        "student": _import(submission, f"_gradescope_utils_hw2_submission_{n}"),
        "reference": _import(reference, f"_gradescope_utils_hw2_reference_{n}"),
    })
    return unittest.defaultTestLoader.loadTestsFromTestCase(bound)


def run(submission: Path, stream: IO[str], reference: Path = REFERENCE) -> dict[str, Any]:
    """Run the suite with JSONTestRunner, writing its results.json to `stream`; return it as data."""
    json_stream = _Tee(stream)
    JSONTestRunner(stream=json_stream, visibility="visible", stdout_visibility="hidden").run(
        load_suite(submission, reference))
    data: dict[str, Any] = json.loads(json_stream.text)
    return data


class _Tee:
    """Keeps what is written, and passes it on."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    @property
    def text(self) -> str:
        return "".join(self.parts)
