"""What a rubric's error says beyond pydantic's and PyYAML's words: the known field a misspelt
key may mean, and where a flow collection that never closes was opened."""

from __future__ import annotations

import functools
from typing import Any, get_args

from pydantic import BaseModel


@functools.cache
def field_names(root: type[BaseModel]) -> frozenset[str]:
    """Every field name of `root` and the models in its fields (the comparators' options too):
    what a misspelt key may have meant."""
    names: set[str] = set()
    seen: set[Any] = set()
    queue: list[Any] = [root]
    while queue:
        item = queue.pop()
        if item in seen:
            continue
        seen.add(item)
        if isinstance(item, type) and issubclass(item, BaseModel):
            names.update(item.model_fields)
            queue += [info.annotation for info in item.model_fields.values()]
        else:  # a union, a list[...], an Annotated[...]: what it is made of
            queue += [arg for arg in get_args(item) if arg is not None]
    return frozenset(names)


def unclosed_bracket(text: str, end: int) -> tuple[str, int] | None:
    """The innermost `[` or `{` still open at `end` (with its 1-based line), outside quotes and
    comments: where a flow collection that never closes began."""
    stack: list[tuple[str, int]] = []
    line, quote, comment, previous = 1, "", False, " "
    for char in text[:end]:
        if char == "\n":
            line, comment = line + 1, False
        elif comment:
            pass
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"" and previous in " \t[{,:":  # a quoted scalar begins (not "it's")
            quote = char
        elif char == "#" and previous in " \t":
            comment = True
        elif char in "[{":
            stack.append((char, line))
        elif char in "]}" and stack:
            stack.pop()
        previous = char
    return stack[-1] if stack else None
