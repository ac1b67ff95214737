"""The architecture's contracts, as tests: what each layer may import, no import cycles, modules
of a readable size, and every comparator behind the one interface the kit relies on."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys

import pytest

from grader import comparators
from grader.comparators.base import Comparator
from tests.import_graph import cycles, graph, modules
from tests.support import ROOT

# Imported by the child before the jail, or by the Gradescope supervisor before anything heavy:
# the standard library only, never anything secret (the rubric, the reference, the judging).
LIGHT = [
    *sorted(name for name in modules() if name.startswith(("grader.boundary", "grader.sandbox"))),
    "grader.gradescope.supervisor", "grader.gradescope.container", "grader.gradescope.budgets",
    "grader.gradescope.memory", "grader.gradescope.cli", "grader.paths", "grader.files", "grader.errors",
    "grader.text", "grader.safe_open", "grader.time_budget", "grader.submission", "grader.authoring",
]
HEAVY = ("numpy", "pydantic", "yaml", "sympy", "nbformat")
SECRET = ("grader.rubric", "grader.assignment", "grader.grading", "grader.judging", "grader.results",
          "grader.comparators", "grader.validate")
NUMPY_ALLOWED = {"grader.boundary.wire"}  # the plain data inside the frames: arrays cross as raw bytes


def _imported_by(module: str) -> list[str]:
    code = (f"import sys, json; sys.path.insert(0, {str(ROOT)!r}); import {module}; "
            "print(json.dumps(sorted(sys.modules)))")
    process = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr
    return list(json.loads(process.stdout))


@pytest.mark.child  # each in a fresh interpreter
@pytest.mark.parametrize("module", LIGHT)
def test_the_light_layers_import_the_standard_library_only(module: str) -> None:
    loaded = _imported_by(module)
    heavy = [name for name in loaded if name.split(".")[0] in HEAVY and not (
        module in NUMPY_ALLOWED and name.split(".")[0] == "numpy")]
    secret = [name for name in loaded if name.startswith(SECRET) or name.startswith(("reference", "_grader_reference"))]
    assert heavy == [] and secret == [], (module, heavy[:5], secret)


def test_the_packages_of_the_boundary_and_the_sandbox_import_nothing() -> None:
    for package in ("boundary", "sandbox"):
        edges = graph()[f"grader.{package}"]
        assert edges == set(), (package, edges)


def test_no_import_cycle_not_even_inside_a_function() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:  # the test above can fail
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_core_never_imports_a_front_end() -> None:
    front_ends = ("grader.batch", "grader.gradescope", "grader.kit", "grader.mutants")
    for name, targets in graph().items():
        if name.startswith(front_ends) or name == "grader.cli":
            continue
        assert not [t for t in targets if t.startswith(front_ends)], name


def test_the_boundary_and_the_sandbox_never_import_the_core_above_them() -> None:
    # Besides each other: the package's version and the small standard-library utilities.
    allowed = ("grader.boundary", "grader.sandbox", "grader.paths", "grader.errors", "grader.text",
               "grader.safe_open", "grader.submission", "grader.files")
    for name, targets in graph().items():
        if name.startswith(("grader.boundary", "grader.sandbox")):
            assert all(t == "grader" or t.startswith(allowed) for t in targets), (name, targets)


def test_engine_has_no_assignment_knowledge():
    words = re.compile(r"\b(hw2|conv2d|sgd|52444644|52,444,644|eta|min_norm|laplacian)\b", re.IGNORECASE)
    for path in (ROOT / "grader").rglob("*"):
        if path.suffix in (".py", ".json"):
            found = words.findall(path.read_text())
            assert not found, f"{path.name} mentions {found}"


def test_no_module_is_longer_than_a_reader_holds() -> None:
    long = {name: lines for name, path in modules().items()
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 450}
    assert long == {}


def test_every_comparator_is_in_the_registry_and_the_rubric() -> None:
    specs = set(comparators.ComparatorSpec.__origin__.__args__)  # type: ignore[attr-defined]
    assert {c.spec_type for c in comparators.COMPARATORS.values()} == specs
    for name, comparator in comparators.COMPARATORS.items():
        assert isinstance(comparator, Comparator) and comparator.name == name
        assert comparator.spec_type.model_fields["name"].default == name


SAMPLES = {
    "exact": [42, "Yes", [1, 2.0, "a"], {"k": [1, 2]}],
    "one_of": ["yes"],
    "big_o": ["O(n^2)", {"time": "O(n)", "memory": "O(1)"}],
    "edge_f1": [[("a", "b"), ("b", "c")]],
    "numeric": [1.5, [1.0, -2.0, 3.5e-3]],
}


@pytest.mark.parametrize("name", sorted(comparators.COMPARATORS))
def test_a_sealed_comparator_confirms_its_own_answer_and_nothing_else(name: str) -> None:
    comparator = comparators.COMPARATORS[name]
    overrides = {m for m in ("forms", "canonical_text") if getattr(type(comparator), m) is not getattr(Comparator, m)}
    assert overrides == ({"forms", "canonical_text"} if comparator.sealable else set()), name
    if not comparator.sealable:
        return
    spec = comparator.spec_type(**({"variable": "n"} if name == "big_o" else {}))
    for value in SAMPLES[name]:
        for text, params in comparator.forms(spec, value, accepted=True):
            assert comparator.canonical_text(spec, value, params) == text
            other = {"exact": 43, "one_of": "no", "edge_f1": [("a", "c")], "numeric": 99.0,
                     "big_o": "O(n^3)" if isinstance(value, str) else {"time": "O(n^2)", "memory": "O(1)"}}[name]
            with contextlib.suppress(ValueError):  # Unmatchable: not even of the answer's form
                assert comparator.canonical_text(spec, other, params) != text
