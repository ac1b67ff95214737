"""The student kit: what a course hands out so students can check their work before submitting.

Two commands (cli.py; their work is in build.py and check.py, imported only when a command
runs, so `grader check` starts fast):

    grader student-kit --assignment NAME --out DIR    write the template and the check bundle
    grader check FILE [--question ID] [--kit DIR]     run the visible checks, from the kit alone

This module holds what both sides share: the bundle's file names, and "sealing", the scheme
that lets the kit confirm a fixed answer without carrying it.

Sealing
-------
A fixed-answer check (the same inputs for every student, see build.is_fixed) does not
ship its expected value. It ships, per accepted answer, a tag

    master = PBKDF2-HMAC-SHA256(canonical text, salt, ITERATIONS)
    tag    = HMAC-SHA256(master, "tag")

with a random salt per check. The student's value is put in the same canonical text and
tagged; equal tags confirm the answer. The canonical text is the comparator's own
normalization, so what the comparator calls equal gets one text (each comparator's module
writes its own: `Comparator.forms` when the kit is built, `canonical_text` when it checks):

- exact: the value with arrays as lists, tuples as lists, whole floats as ints, strings with
  white space folded (and case, unless case-sensitive), each item tagged with its type;
- one_of: one tag per accepted synonym, in one_of.canonical form;
- big_o: the growth order: the leading term at infinity, constant factors dropped, as sympy
  prints it; a dict of orders, key by key;
- edge_f1: the sorted set of normalized edges; one tag per accepted graph;
- numeric: see `comparators.numeric.numeric_cells`: tolerance-aware cells that make the
  scheme sound.

A known mistake's output is sealed the same way, and its name and message are encrypted
with a key derived from the same master (XOR with a SHAKE-256 stream), so the message is
readable exactly when the student's answer is that mistake.

What this protects: the answer is never in the kit in clear, and reading it back needs a
guess per PBKDF2 evaluation. What it cannot protect: an answer with few possible values
(True or False, O(1) or O(t)) can be guessed, as it can with `grader check` itself.
"""

from __future__ import annotations

import hashlib
import hmac

BUNDLE_FOLDER = "check"
MANIFEST = "bundle.json"
VALUES = "values.wire"
FORMAT = "numgrader-student-kit"
FORMAT_VERSION = 1
ITERATIONS = 100_000


# -- sealing -------------------------------------------------------------------------------


def _master(text: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", text.encode("utf-8"), salt, iterations)


def seal(text: str, salt: bytes, iterations: int = ITERATIONS) -> tuple[str, bytes]:
    """(tag, key) for a canonical text: the tag is stored, the key only ever derived."""
    master = _master(text, salt, iterations)
    tag = hmac.new(master, b"numgrader-kit tag", "sha256").hexdigest()
    key = hmac.new(master, b"numgrader-kit note", "sha256").digest()
    return tag, key


def _stream(key: bytes, label: str, size: int) -> bytes:
    return hashlib.shake_256(key + b"|" + label.encode()).digest(size)


def lock(key: bytes, label: str, text: str) -> str:
    """Encrypt `text` (hex out); `label` makes every (key, message) pair's stream distinct."""
    data = text.encode("utf-8")
    return bytes(a ^ b for a, b in zip(data, _stream(key, label, len(data)), strict=True)).hex()


def unlock(key: bytes, label: str, sealed: str) -> str:
    data = bytes.fromhex(sealed)
    return bytes(a ^ b for a, b in zip(data, _stream(key, label, len(data)), strict=True)).decode("utf-8")


def same_tag(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
