"""The mutants of a reference module: every operator at every place of the functions the
rubric's checks call (and of the module's functions those call), each mutation spliced into the
module's own text, so that a mutant reads like the reference with one change."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from grader.mutants.model import Mutant
from grader.mutants.operators import OPERATORS, Context, Site

if TYPE_CHECKING:
    from grader.assignment import Assignment

Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Plan:
    """What a mutation run grades, and what it leaves out (with why)."""

    mutants: tuple[Mutant, ...]
    functions: tuple[str, ...]  # the functions mutated, in the module's order
    skipped: tuple[str, ...] = ()


def top_level_functions(tree: ast.Module) -> dict[str, Function]:
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def _called(function: Function, names: dict[str, Function]) -> set[str]:
    """The module's functions that `function` names (calls, or passes on)."""
    return {node.id for node in ast.walk(function) if isinstance(node, ast.Name) and node.id in names}


def graded_functions(tree: ast.Module, wanted: list[str]) -> tuple[list[str], list[str]]:
    """The functions to mutate: those of `wanted` the module defines, and every module function they
    reach; in the module's order. Also the names of `wanted` it does not define."""
    names = top_level_functions(tree)
    missing = [name for name in dict.fromkeys(wanted) if name not in names]
    seen: set[str] = set()
    todo = [name for name in wanted if name in names]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += sorted(_called(names[name], names) - seen)
    return [name for name in names if name in seen], missing


def numpy_name(tree: ast.Module) -> str | None:
    """What the module calls numpy (`import numpy as np`: "np")."""
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "numpy":
                    return alias.asname or "numpy"
    return None


# Statements whose code is no computation: a message, a guard's complaint.
_LEFT_ALONE = (ast.Raise, ast.Assert, ast.JoinedStr)


def places(function: Function, ctx: Context) -> Iterator[tuple[ast.AST, Context]]:
    """Every node of the function's body (docstring and annotations aside), with its context."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]

    def visit(node: ast.AST, inner: Context) -> Iterator[tuple[ast.AST, Context]]:
        if isinstance(node, _LEFT_ALONE):
            return
        yield node, inner
        for name, value in ast.iter_fields(node):
            if name in ("annotation", "returns", "type_comment") or (
                    isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and name in ("args", "decorator_list")):
                continue
            looping = inner.in_loop or (isinstance(node, ast.For | ast.While) and name in ("body", "orelse"))
            here = replace(inner, in_loop=looping) if looping != inner.in_loop else inner
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    yield from visit(child, here)

    for statement in body:
        yield from visit(statement, ctx)


# -- splicing a change into the module's text -------------------------------------------------

def _offset(lines: list[bytes], line: int, column: int) -> int:
    """The byte offset of (line, column) in the module; the AST's columns count UTF-8 bytes."""
    return sum(len(text) for text in lines[: line - 1]) + column


def splice(source: str, node: ast.AST, text: str) -> str:
    """`source` with the code of `node` replaced by `text`."""
    lines = source.encode().splitlines(keepends=True)
    data = b"".join(lines)
    start = _offset(lines, node.lineno, node.col_offset)  # type: ignore[attr-defined]
    end = _offset(lines, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
    return (data[:start] + text.encode() + data[end:]).decode()


_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript)


def replacement_text(site: Site) -> str:
    """The new code: an expression in parentheses (it may stand anywhere) unless it is one name,
    call or non-negative number; a statement as it is."""
    text = ast.unparse(site.new)
    new = site.new
    atomic = isinstance(new, _ATOMS) or (isinstance(new, ast.Constant) and not (
        isinstance(new.value, int | float) and new.value < 0))
    return text if isinstance(new, ast.stmt) or atomic else f"({text})"


def function_span(function: Function) -> tuple[int, int]:
    """The function's first line (its decorators') and last line."""
    first = min([function.lineno, *(d.lineno for d in function.decorator_list)])
    return first, function.end_lineno or function.lineno


# -- the mutants ------------------------------------------------------------------------------

def _mutants_of(source: str, function: Function, ctx: Context) -> Iterator[tuple[Site, str, str]]:
    """Each site of `function`, with the mutated module and the mutated function's source."""
    first, last = function_span(function)
    for node, here in places(function, ctx):
        for operator in OPERATORS:
            for site in operator(node, here):
                text = replacement_text(site)
                module = splice(source, site.node, text)
                grown = text.count("\n") - (site.node.end_lineno - site.node.lineno)  # type: ignore[attr-defined]
                lines = module.splitlines(keepends=True)
                yield site, module, "".join(lines[first - 1: last + grown])


def mutants_of_module(source: str, functions: list[str], numeric: set[str]) -> list[Mutant]:
    """The mutants of `functions` in the module `source`; `numeric`: those whose answers are numbers.
    Mutations that make the same code as an earlier one (or no change, or no valid Python) are left out."""
    tree = ast.parse(source)
    defined = top_level_functions(tree)
    alias = numpy_name(tree)
    made: list[Mutant] = []
    seen_code: set[str] = set()
    ids: set[str] = set()
    for name in functions:
        function = defined[name]
        original = ast.dump(function)
        occurrences: dict[str, int] = {}
        ctx = Context(numpy=alias, numeric_return=name in numeric)
        for site, module, function_source in _mutants_of(source, function, ctx):
            try:
                mutated = ast.parse(function_source)
                compile(module, "<mutant>", "exec")
            except SyntaxError:
                continue
            dumped = ast.dump(mutated.body[0]) if mutated.body else ""
            if dumped == original or dumped in seen_code:
                continue
            seen_code.add(dumped)
            node = site.node
            line, column = node.lineno, node.col_offset  # type: ignore[attr-defined]
            mutant_id = f"{name}:{site.tag}:{line}:{column}" + (f":{site.variant}" if site.variant else "")
            if mutant_id in ids:  # two nodes that start at one place (`a * b / c` and `a * b`)
                mutant_id += f":{node.end_lineno}.{node.end_col_offset}"  # type: ignore[attr-defined]
            ids.add(mutant_id)
            change = f"{name}:{site.tag}:{ast.unparse(node)} → {ast.unparse(site.new)}"
            occurrences[change] = occurrences.get(change, 0) + 1
            key = change if occurrences[change] == 1 else f"{change} #{occurrences[change]}"
            made.append(Mutant(id=mutant_id, function=name, operator=site.operator, line=line,
                               description=f"{site.what} in {name}, line {line}", function_source=function_source,
                               key=key, source=module))
    return made


def plan(assignment: Assignment) -> Plan:
    """The mutants of the assignment's reference: of each function a check calls (the student's
    function, as the reference module defines it), and of the module's functions those reach."""
    source = assignment.reference_path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    checks = [check for question in assignment.rubric.questions for check in question.checks]
    wanted = [check.function for check in checks]
    functions, missing = graded_functions(tree, wanted)
    numeric = {check.function for check in checks if check.compare.name == "numeric"}
    skipped = [f"{name}: the reference module does not define it (a check calls it), so a mutant could not "
               "answer its checks" for name in missing]
    return Plan(tuple(mutants_of_module(source, functions, numeric)), tuple(functions), tuple(skipped))


def generate(assignment: Assignment) -> list[Mutant]:
    return list(plan(assignment).mutants)
