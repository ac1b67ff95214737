"""Write docs/rubric.md, the rubric reference, from the rubric's own pydantic models.

    python scripts/rubric_docs.py           write docs/rubric.md
    python scripts/rubric_docs.py --check   exit 1 (one line on stderr) if docs/rubric.md is stale

Every model reachable from `grader.rubric.Rubric` is documented: the rubric's own models
(grader/rubric.py) and the comparators' option models (grader/comparators/). For each field:
its YAML key, type, default and description. A description is the field's
`Field(description=...)`, in the comparator's module for its options. tests/core/test_rubric_docs.py
checks that the committed page is what this script writes and that no field goes undescribed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "rubric.md"
if str(ROOT) not in sys.path:  # run as `python scripts/rubric_docs.py` from a checkout
    sys.path.insert(0, str(ROOT))

HEADER = """\
# Rubric reference

Every key a rubric file (`rubrics/NAME.yaml`) may hold, with its type, its default and what
it does. How to write an assignment, with a worked example, the comparators' behaviour, the
reference module and the example submissions: [authoring.md](authoring.md).

This page is generated from the rubric's models (`grader/rubric.py`, `grader/comparators/`)
by `python scripts/rubric_docs.py`; do not edit it by hand. To change a text, change the
field's `Field(description=...)` (a comparator's options: in its module) and run the script
again; `make test` fails while this page is stale.

Reading the tables: a key marked *required* must be given; an unknown key is an error.
In `literal` inputs and `expected` values, write exponents with a decimal point (`1.0e-7`):
YAML reads `1e-7` as text, and text it stays there (number fields such as `rtol` read either;
`1.0e-7` is safe everywhere). An unknown key says which known one it may mean. A rubric error
is reported in one line with the file, the line and what is wrong, and the command exits
with code 2.
"""

# Introductions of models without a docstring of their own.
MODEL_INTROS: dict[str, str] = {
    "Rubric": "The whole file: one mapping with these keys.",
}

@dataclass(frozen=True)
class Documented:
    """One model of the reference, where it is written in a rubric, and its heading's anchor."""

    model: type[BaseModel]
    where: str  # the YAML path, e.g. "questions[].checks[]"
    comparator: str | None  # the comparator's name, for a comparator's options

    @property
    def title(self) -> str:
        return f"`{self.comparator}`" if self.comparator else self.model.__name__

    @property
    def anchor(self) -> str:
        # GitHub's heading anchors: lower case, punctuation but `-` and `_` dropped, spaces as `-`.
        return re.sub(r"[^\w\- ]", "", self.title.lower()).replace(" ", "-")


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation names, in the order written."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for argument in typing.get_args(annotation):
        yield from _models_in(argument)


def _comparator_name(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("name")
    if field is None or typing.get_origin(field.annotation) is not Literal:
        return None
    values = typing.get_args(field.annotation)
    return str(values[0]) if len(values) == 1 else None


def documented_models() -> list[Documented]:
    """Every model reachable from Rubric: the rubric's own (breadth first), then the comparators'."""
    from grader.rubric import Rubric

    found: dict[type[BaseModel], str] = {Rubric: ""}
    queue: list[type[BaseModel]] = [Rubric]
    while queue:
        model = queue.pop(0)
        for key, field in model.model_fields.items():
            for inner in _models_in(field.annotation):
                if inner not in found:
                    listed = typing.get_origin(field.annotation) is list
                    found[inner] = f"{found[model]}.{key}{'[]' if listed else ''}".lstrip(".")
                    queue.append(inner)
    own = [Documented(m, w, None) for m, w in found.items() if m.__module__ == Rubric.__module__]
    others = [Documented(m, w, _comparator_name(m)) for m, w in found.items() if m.__module__ != Rubric.__module__]
    return own + others


def description_of(item: Documented, key: str) -> str:
    field = item.model.model_fields[key]
    if field.description:
        return field.description.strip()
    if item.comparator is not None and key == "name":
        others = [k for k, f in item.model.model_fields.items() if k != "name" and f.is_required()]
        if others:
            return "selects this comparator"
        return (f"selects this comparator; `compare: {item.comparator}` is short for "
                f"`{{name: {item.comparator}}}`, every option at its default")
    return ""


def missing_descriptions() -> list[str]:
    """`Model.field` for every documented field without a description."""
    return [f"{item.model.__name__}.{key}" for item in documented_models()
            for key in item.model.model_fields if not description_of(item, key)]


# -- rendering -----------------------------------------------------------------------------------

_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


def _type(annotation: Any, anchors: dict[type[BaseModel], Documented]) -> str:
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is Any:
        return "any"
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        item = anchors[annotation]
        return f"[{item.title}](#{item.anchor})"
    if origin is typing.Annotated:
        return _type(arguments[0], anchors)
    if origin is Literal:
        values = [f"`{value}`" for value in arguments]
        return values[0] if len(values) == 1 else "one of " + ", ".join(values)
    if origin in (typing.Union, types.UnionType):
        models = [a for a in arguments if isinstance(a, type) and issubclass(a, BaseModel)]
        if len(models) == len(arguments) and all(anchors[m].comparator for m in models):
            return "a comparator: " + ", ".join(_type(m, anchors) for m in models)
        text = " or ".join(_type(a, anchors) for a in arguments if a is not type(None))
        if type(None) in arguments:
            text += ", or null" if "," in text else " or null"
        return text
    if origin in (list, tuple):
        inner = [a for a in arguments if a is not Ellipsis]
        name = _type(inner[0], anchors) if inner else "any"
        return f"list of {name}s" if inner and inner[0] in _SCALARS else f"list of {name}"
    if origin is dict:
        return "mapping"
    return str(annotation)


_BOUNDS = (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"))


def _constraints(field: FieldInfo) -> str:
    parts = []
    for constraint in field.metadata:
        for attribute, sign in _BOUNDS:
            bound = getattr(constraint, attribute, None)
            if bound is not None:
                parts.append(f"{sign} {_value(bound)}")
    return f" ({', '.join(parts)})" if parts else ""


def _float(x: float) -> str:
    text = repr(x)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa if '.' in mantissa else mantissa + '.0'}e{int(exponent)}"  # 1e-06 -> 1.0e-6, as YAML reads it


def _value(value: Any) -> str:
    """A value as it is written in a rubric (YAML flow style)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, BaseModel):
        given = value.model_dump(exclude_defaults=True)
        return _value(given) if given else "{}"
    return str(value)


def _default(item: Documented, key: str) -> str:
    field = item.model.model_fields[key]
    if field.is_required() or (item.comparator is not None and key == "name"):
        return "*required*"
    if field.default_factory is not None:
        value = field.get_default(call_default_factory=True, validated_data={})
        if isinstance(value, BaseModel) and not value.model_dump(exclude_defaults=True):
            return "every field at its default"
        return f"`{_value(value)}`"
    return f"`{_value(field.default)}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _intro(item: Documented) -> str:
    doc = item.model.__dict__.get("__doc__") or MODEL_INTROS.get(item.model.__name__)
    if not doc and item.comparator is not None:
        doc = sys.modules[item.model.__module__].__doc__
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", (doc or "").strip()) if p.strip()]
    return "\n\n".join(paragraphs)


def _section(item: Documented, anchors: dict[type[BaseModel], Documented]) -> list[str]:
    level = "###" if item.comparator else "##"
    where = f"`{item.where}`" if item.where else "the top level"
    if item.comparator:
        where = f"`{item.where}` with `name: {item.comparator}`"
    lines = [f"{level} {item.title}", "", f"Written at {where}.", ""]
    intro = _intro(item)
    if intro:
        lines += [intro, ""]
    lines += ["| key | type | default | description |", "|---|---|---|---|"]
    for key, field in item.model.model_fields.items():
        kind = _type(field.annotation, anchors) + _constraints(field)
        lines.append(f"| `{key}` | {_cell(kind)} | {_cell(_default(item, key))} | {_cell(description_of(item, key))} |")
    return [*lines, ""]


def generate() -> str:
    items = documented_models()
    anchors = {item.model: item for item in items}
    lines = [HEADER]
    own = [item for item in items if item.comparator is None]
    comparators = [item for item in items if item.comparator is not None]
    lines += ["Contents: " + ", ".join(f"[{i.title}](#{i.anchor})" for i in own)
              + (", [comparators](#comparators): " + ", ".join(f"[{i.title}](#{i.anchor})" for i in comparators)
                 if comparators else ""), ""]
    for item in own:
        lines += _section(item, anchors)
    if comparators:
        lines += ["## Comparators", "",
                  "A check's `compare:` names one of these, with its options. What each one compares, "
                  "and the messages it gives: [authoring.md](authoring.md#comparators).", ""]
        for item in comparators:
            lines += _section(item, anchors)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is not what this script writes")
    parser.add_argument("--output", type=Path, default=DOC, help="the page (default: docs/rubric.md)")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        try:
            current = args.output.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != text:
            print(f"{args.output} is stale: run `python scripts/rubric_docs.py` and commit the result",
                  file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
