"""Which processes the sandbox may kill by uid: only those of a uid it leased, never anyone else's.

`kill(-1, SIGKILL)` kills every process the caller may signal. Run as a leased sandbox uid, that
is exactly the submission's processes; run as root (a privilege drop that did not happen, a plan
that names uid 0), it is every process on the machine. So the one function here that sends it
first proves, field by field, that the uid is a sandbox uid, then drops to it and checks that
the drop took, and only then signals. Standard library only: the child's first process uses it.

A uid may be swept only when all of these hold:
  - it lies in the leased range [low, low + slots), and that range starts at MIN_SANDBOX_UID or
    above (a range given by a caller cannot reach root or the usual accounts);
  - it is neither 0 nor the caller's own real or effective uid;
  - no account has it (the password database knows no user of that uid).
"""

from __future__ import annotations

import os
import pwd
import signal

MIN_SANDBOX_UID = 1000  # below: root and the system's own accounts, whatever a caller says
UID_BASE = 2_147_000_000  # far from any real account; + slot (one uid per concurrent session)
UID_SLOTS = 1000


def refusal(uid: int, low: int, slots: int = UID_SLOTS) -> str | None:
    """Why `uid` must not be swept, or None when it is a sandbox uid of the range at `low`."""
    if type(uid) is not int or type(low) is not int or type(slots) is not int:
        return "a uid and its range must be whole numbers"
    if low < MIN_SANDBOX_UID or slots < 1:
        return f"the range at {low} starts below {MIN_SANDBOX_UID}"
    if not low <= uid < low + slots:
        return f"uid {uid} is outside the sandbox's range {low}..{low + slots - 1}"
    if uid in (0, os.getuid(), os.geteuid()):
        return f"uid {uid} is the grader's own"
    try:
        account = pwd.getpwuid(uid)
    except KeyError:
        return None
    except OSError:  # the password database cannot be read: no proof that the uid is free
        return f"uid {uid} cannot be checked against the password database"
    return f"uid {uid} belongs to the account {account.pw_name!r}"


def kill_all_of(uid: int, low: int, slots: int = UID_SLOTS) -> bool:
    """Kill every process running as `uid` (atomically, as `kill -1` from that uid), if and only if
    `refusal` finds nothing against it. True when the signal was sent."""
    if refusal(uid, low, slots) is not None:
        return False
    helper = os.fork()
    if helper == 0:  # pragma: no cover - runs in the forked helper
        code = 1
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            if os.getresuid() == (uid, uid, uid) and os.getresgid() == (uid, uid, uid) and uid != 0:
                os.kill(-1, signal.SIGKILL)  # every process of this uid but the caller
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(helper, 0)
    return os.waitstatus_to_exitcode(status) == 0
