"""Text that would dress up as something else: controls, escapes, bidi overrides, lone surrogates."""

TRICK = "\udcff lone \x00 NUL \x1b[2J\x1b[H\r1    add   1/1  ok  \x07 \u202edesrever\u202c \x9b31m"


def add(a, b):
    raise ValueError(TRICK)


def graph():
    return [("w0\udcff", "L0"), ("\x1b[31mred", "x\u2066")]


def order():
    return "O(\u202et)"


def secret():
    print(TRICK)
    return 0
