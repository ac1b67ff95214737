"""The sandbox's kernel filters: seccomp (system calls refused; its BPF program is built here by
the parent) and Landlock (the filesystem fence when there is no mount namespace; its rules are
in the plan, policy.py). Both are applied here by the child (`apply_seccomp`, `apply_landlock`)."""

from __future__ import annotations

import ctypes
import functools
import os
import struct

from grader.sandbox.plan import LandlockPlan
from grader.sandbox.syscalls import O_PATH, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, check, libc, prctl

# -- seccomp ----------------------------------------------------------------------------------

PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}

# Refused with EPERM: ways out of the sandbox or into the kernel's rarer corners.
_DENIED = {
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271),
    "mount": (165, 40), "umount2": (166, 39), "pivot_root": (155, 41), "chroot": (161, 51),
    "unshare": (272, 97), "setns": (308, 268), "kexec_load": (246, 104), "kexec_file_load": (320, 294),
    "init_module": (175, 105), "finit_module": (313, 273), "delete_module": (176, 106),
    "bpf": (321, 280), "perf_event_open": (298, 241), "keyctl": (250, 219), "add_key": (248, 217),
    "request_key": (249, 218), "userfaultfd": (323, 282), "swapon": (167, 224), "swapoff": (168, 225),
    "reboot": (169, 142), "acct": (163, 89), "quotactl": (179, 60), "quotactl_fd": (443, 443),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    "open_by_handle_at": (304, 265), "name_to_handle_at": (303, 264), "fsopen": (430, 430),
    "fsconfig": (431, 431), "fsmount": (432, 432), "fspick": (433, 433), "move_mount": (429, 429),
    "open_tree": (428, 428), "mount_setattr": (442, 442), "lookup_dcookie": (212, 18),
    "syslog": (103, 116), "vhangup": (153, 58), "settimeofday": (164, 170), "clock_settime": (227, 112),
    "adjtimex": (159, 171), "clock_adjtime": (305, 266), "sethostname": (170, 161),
    "setdomainname": (171, 162), "kcmp": (312, 272), "pidfd_getfd": (438, 438),
    "fanotify_init": (300, 262), "nfsservctl": (180, 42),
    "iopl": (172, None), "ioperm": (173, None), "uselib": (134, None),
}
# Memory no per-process limit counts: memfd pages and SysV shared memory (which outlives its
# process without an IPC namespace). Refused unless the rubric allows shared memory.
_SHARED_MEMORY = {
    "memfd_create": (319, 279), "memfd_secret": (447, 447), "shmget": (29, 194), "shmat": (30, 196),
    "shmctl": (31, 195), "msgget": (68, 186), "semget": (64, 190),
}
_SOCKET = {"x86_64": 41, "aarch64": 198}
_CLONE = {"x86_64": 56, "aarch64": 220}
_CLONE3 = 435
_NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
_AF_UNIX = 1
_EPERM, _ENOSYS, _EAFNOSUPPORT = 1, 38, 97

_RET, _LD_ABS, _JEQ, _JGE, _JSET = 0x06, 0x20, 0x15, 0x35, 0x45
_ALLOW = 0x7FFF0000


def _errno(number: int) -> int:
    return 0x00050000 | number


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


@functools.cache
def seccomp_program(arch: str, shared_memory: bool = False) -> bytes:
    """The sandbox's classic-BPF seccomp filter (struct sock_filter[]) for `arch`: _DENIED (and
    _SHARED_MEMORY, unless `shared_memory`) refused with EPERM, clone3 with ENOSYS (libc falls
    back to clone, whose namespace flags are refused), sockets other than AF_UNIX."""
    column = 0 if arch == "x86_64" else 1
    denied = dict(_DENIED) if shared_memory else {**_DENIED, **_SHARED_MEMORY}
    refused = {number: _EPERM for number in (numbers[column] for numbers in denied.values()) if number is not None}
    refused[_CLONE3] = _ENOSYS
    return bpf_filter(arch, refused, unix_sockets_only=True)


def syscall_number(name: str, arch: str) -> int | None:
    """The number of a system call this module knows by name (_DENIED, _SHARED_MEMORY)."""
    numbers = {**_DENIED, **_SHARED_MEMORY}.get(name)
    return None if numbers is None else numbers[0 if arch == "x86_64" else 1]


def bpf_filter(arch: str, refused: dict[int, int], *, unix_sockets_only: bool) -> bytes:
    """A seccomp filter for `arch`: each system call of `refused` (number -> errno) fails with its
    errno, clone() with a namespace flag fails with EPERM, other ABIs (i386, x32) get nothing, and
    with `unix_sockets_only` socket() makes only AF_UNIX sockets. Everything else is allowed."""
    program = [
        _op(_LD_ABS, 4),  # seccomp_data.arch
        _op(_JEQ, _AUDIT_ARCH[arch], 1, 0),
        _op(_RET, _errno(_EPERM)),  # another ABI (i386 on x86_64): nothing
        _op(_LD_ABS, 0),  # seccomp_data.nr
    ]
    if arch == "x86_64":  # the x32 ABI: nothing
        program += [_op(_JGE, 0x40000000, 0, 1), _op(_RET, _errno(_EPERM))]
    for number, errno in refused.items():
        program += [_op(_JEQ, number, 0, 1), _op(_RET, _errno(errno))]
    if unix_sockets_only:
        program += [
            _op(_JEQ, _SOCKET[arch], 0, 4), _op(_LD_ABS, 16), _op(_JEQ, _AF_UNIX, 0, 1),
            _op(_RET, _ALLOW), _op(_RET, _errno(_EAFNOSUPPORT)),
        ]
    program += [  # clone(): no new namespaces
        _op(_JEQ, _CLONE[arch], 0, 4), _op(_LD_ABS, 16), _op(_JSET, _NAMESPACE_FLAGS, 0, 1),
        _op(_RET, _errno(_EPERM)), _op(_RET, _ALLOW),
    ]
    program.append(_op(_RET, _ALLOW))
    return b"".join(program)


# -- applied in the child ----------------------------------------------------------------------


def apply_landlock(spec: LandlockPlan | None) -> tuple[bool, str, list[str]]:
    """Restrict this process to the plan's rules: (whether it held, what to report, warnings)."""
    if spec is None:
        return False, "NOT isolated (no mount namespace, no Landlock): the reference may be readable", []
    try:
        size = 8 if spec.abi < 4 else 16 if spec.abi < 6 else 24
        attr = ctypes.create_string_buffer(
            struct.pack("=QQQ", spec.handled_fs, spec.handled_net, spec.scoped)[:size], size)
        c = libc()
        ruleset = check(c.syscall(ctypes.c_long(444), attr, ctypes.c_size_t(size), ctypes.c_uint32(0)),
                        "landlock_create_ruleset")
        for path, access in spec.rules:
            try:
                fd = os.open(path, O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
                check(c.syscall(ctypes.c_long(445), ctypes.c_int(ruleset), ctypes.c_int(1), rule,
                                ctypes.c_uint32(0)), f"landlock_add_rule {path}")
            finally:
                os.close(fd)
        check(c.syscall(ctypes.c_long(446), ctypes.c_int(ruleset), ctypes.c_uint32(0)), "landlock_restrict_self")
        os.close(ruleset)
    except OSError as error:
        return False, f"NOT isolated (Landlock failed: {error}): the reference may be readable", []
    warnings = [f"{path} is inside an allowed folder and stays readable" for path in spec.uncovered]
    return True, f"landlock (ABI {spec.abi}: read-only system folders and Python, the working folder)", warnings


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def apply_seccomp(program: str | None, shared_memory: bool) -> tuple[bool, str]:
    """Install the plan's seccomp filter: (whether it held, what to report)."""
    if not program:
        return False, "unavailable on this machine"
    code = bytes.fromhex(program)
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = _SockFprog(len(code) // 8, ctypes.addressof(buffer))
    try:
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog))
    except OSError as error:
        return False, f"unavailable ({error.strerror})"
    return True, "on (IP sockets, namespaces, ptrace, mount, bpf, keyrings" + (
        ")" if shared_memory else ", memfd and SysV shared memory refused)")
