"""Attack: ask a server on the machine for the answer (the test listens on PORT and would tell)."""

import socket

PORT = 0  # the test writes its port here


def _ask():
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as connection:
                connection.settimeout(0.5)
                connection.connect((address, PORT))
                return int(connection.recv(64))
        except (OSError, ValueError) as error:
            print(f"HOSTILE connection to {address}:{PORT} failed: {error!r}")
    return None


ANSWER = _ask()


def add(a, b):
    return a + b


def mean(xs):
    return float(sum(xs) / len(xs))


def secret():
    answer = ANSWER if ANSWER is not None else _ask()
    return answer if answer is not None else 0
