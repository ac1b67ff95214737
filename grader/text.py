"""Text that came from a submission, made safe to keep, serialize and show.

Two rules, applied by the grader's own process (the child cannot be trusted to apply them):
  - `cap`: every string the child sends, and every message judged from its values, has a
    length bound; what is cut is said, never silently dropped;
  - `clean`: once, where results and tables are built, text is made printable and encodable:
    control characters (NUL, ESC, CR, BEL, ...) and bidirectional overrides are shown as escapes
    (`\\x1b`, `\\u202e`), so that a message can neither move the cursor of an instructor's
    terminal nor reorder what is displayed; lone surrogates become U+FFFD, so that UTF-8
    serialization cannot fail.
Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

MESSAGE_CHARS = 2000  # a message from the child, or a judge's verdict: feedback, not a dump

# C0 controls but tab and newline, DEL, C1 controls; bidi embeddings, overrides and isolates,
# the marks that steer them, and lone surrogates (which UTF-8 cannot encode).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str) -> str:
    """`text` with every unsafe character shown as an escape (see the module's docstring)."""
    return _UNSAFE.sub(_escape, text)


def cap(text: str, limit: int = MESSAGE_CHARS) -> str:
    """At most about `limit` characters of `text`; a cut says how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters not shown]"


def map_strings(value: Any, function: Callable[[str], str]) -> Any:
    """`value` (JSON-like data) with `function` applied to every string in it, keys included."""
    if isinstance(value, str):
        return function(value)
    if isinstance(value, dict):
        return {map_strings(k, function): map_strings(v, function) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [map_strings(v, function) for v in value]
    return value


def clean_tree(value: Any) -> Any:
    """`value` (JSON-like data) with every string, keys included, cleaned."""
    return map_strings(value, clean)


def points(value: float) -> str:
    """"1 point", "0.5 points", "2 points"."""
    return f"{value:g} point" + ("" if value == 1 else "s")
