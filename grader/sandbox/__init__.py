"""The sandbox: what this machine can protect (host), the plan the parent makes for each child
(plan), how the child applies it (jail, filters), and what the child says held (report).

Standard library only, like the process boundary: the child applies all of this before the
student's code runs, and a test imports every module here in a fresh interpreter to prove it.
This file imports nothing.
"""
