"""Run a command confined as Gradescope's Docker container confines `run_autograder`.

    python tests/docker_like.py [--no-landlock] [--memory-mb 768] -- COMMAND ...

What Docker's defaults give a container's root (and what this reproduces, as root, on Linux):
  - capabilities (bounding, permitted, effective) cut to Docker's 14: CapEff 00000000a80425fb,
    so no CAP_SYS_ADMIN, CAP_SYS_PTRACE or CAP_SYS_RESOURCE; `no_new_privs` not set;
  - Docker's seccomp profile as it applies without CAP_SYS_ADMIN: mount, umount2, pivot_root,
    unshare, setns, clone with a CLONE_NEW* flag, the new mount API, bpf, perf_event_open, the
    keyring calls and io_uring refused with EPERM, clone3 with ENOSYS; with --no-landlock the
    Landlock calls too (ENOSYS: Docker before 23, or a host kernel without it);
  - the cgroup file system read-only, and (--memory-mb) the whole run in a memory cgroup of that
    size, as `docker run --memory 768m`;
  - a pid namespace of its own around the whole run, so nothing inside can reach this machine's
    other processes;
  - Python readable by every user, as in a Docker image: where this machine keeps it in a private
    folder (pyenv under /root), that folder is replaced in this run's mount namespace by an open
    one that holds only Python and, if it lives there, the project.
Before it runs COMMAND it verifies itself: `unshare -m` and `unshare -U` fail, mount fails,
setuid to another user works, CapEff is Docker's. COMMAND gets NUMGRADER_TEST_CONFINEMENT set
to `docker` or `docker-no-landlock`.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.sandbox import cgroup, filters  # noqa: E402

STAGE = "NUMGRADER_DOCKER_LIKE_STAGE"
DOCKER_CAPS = (0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31)  # CHOWN .. SETFCAP, as Docker grants them
DOCKER_CAP_MASK = 0xA80425FB
PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, PR_SET_SECCOMP = 24, 47, 4, 22
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC = 1, 32, 4096, 16384
EPERM, ENOSYS = 1, 38
CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
# Docker's profile refuses these to a container without CAP_SYS_ADMIN (names as grader/sandbox/filters.py knows them).
REFUSED = ("mount", "umount2", "pivot_root", "unshare", "setns", "fsopen", "fsconfig", "fsmount", "fspick",
           "move_mount", "open_tree", "mount_setattr", "bpf", "perf_event_open", "keyctl", "add_key", "request_key",
           "io_uring_setup", "io_uring_enter", "io_uring_register")
CLONE3, LANDLOCK = 435, (444, 445, 446)

libc = ctypes.CDLL(None, use_errno=True)
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


def _check(result: int, what: str) -> None:
    if result < 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[machine]


def docker_filter(arch: str, landlock: bool) -> bytes:
    numbers = [filters.syscall_number(name, arch) for name in REFUSED]
    refused = {number: EPERM for number in numbers if number is not None}
    refused[CLONE3] = ENOSYS
    if not landlock:
        refused.update(dict.fromkeys(LANDLOCK, ENOSYS))
    return filters.bpf_filter(arch, refused, unix_sockets_only=False)


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _cgroup_read_only() -> None:
    """Docker mounts the cgroup file system read-only in the container."""
    with open("/proc/self/mountinfo") as mounts:
        points = [line.split()[4] for line in mounts]
    for point in sorted(p for p in points if p == "/sys/fs/cgroup" or p.startswith("/sys/fs/cgroup/")):
        _check(libc.mount(None, point.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY, None), f"remount {point}")


def _python_readable() -> None:
    """Python as a Docker image has it, readable by every user: where this machine keeps it in a
    private folder (pyenv under /root, mode 700), that folder is replaced, in this run's own mount
    namespace only, by an open one holding just Python (and the project, if it lives there)."""
    prefix = Path(os.path.realpath(sys.base_prefix))
    closed = next((folder for folder in reversed(prefix.parents) if not os.stat(folder).st_mode & 0o001), None)
    if closed is None:
        return
    keep = [prefix] + [path for path in (ROOT,) if path.is_relative_to(closed)]
    stash = Path(tempfile.mkdtemp(prefix="docker-like-"))
    for index, path in enumerate(keep):
        (stash / str(index)).mkdir()
        _check(libc.mount(str(path).encode(), str(stash / str(index)).encode(), None, MS_BIND | MS_REC, None),
               f"bind {path}")
    _check(libc.mount(b"tmpfs", str(closed).encode(), b"tmpfs", 0, b"mode=755"), f"tmpfs on {closed}")
    for index, path in enumerate(keep):
        path.mkdir(parents=True, exist_ok=True)
        for folder in [path, *path.parents]:
            if folder == closed:
                break
            os.chmod(folder, 0o755)
        _check(libc.mount(str(stash / str(index)).encode(), str(path).encode(), None, MS_BIND | MS_REC, None),
               f"bind back {path}")


def _seccomp(landlock: bool) -> None:
    code = docker_filter(_arch(), landlock)
    buffer = ctypes.create_string_buffer(code, len(code))
    program = _Fprog(len(code) // 8, ctypes.addressof(buffer))
    # Installed while CAP_SYS_ADMIN is still held: Docker does not set no_new_privs either.
    _check(libc.prctl(PR_SET_SECCOMP, 2, ctypes.addressof(program), 0, 0), "seccomp")


def _docker_capabilities() -> None:
    for capability in range(64):
        if capability not in DOCKER_CAPS and libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) < 0 \
                and ctypes.get_errno() != 22:  # EINVAL: past the last capability of this kernel
            _check(-1, f"drop capability {capability}")
    _check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities")
    header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
    data[0].effective = data[0].permitted = DOCKER_CAP_MASK
    _check(libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def verify() -> list[str]:
    """What does not look like Docker's confinement (empty when everything does)."""
    problems = []
    for flag, name in ((CLONE_NEWNS, "unshare -m"), (CLONE_NEWUSER, "unshare -U")):
        if libc.unshare(flag) == 0 or ctypes.get_errno() != EPERM:
            problems.append(f"{name} did not fail with EPERM")
    if libc.mount(b"none", b"/mnt", b"tmpfs", 0, None) == 0:
        problems.append("mount worked")
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    if int(status["CapEff"], 16) != DOCKER_CAP_MASK or int(status["CapBnd"], 16) != DOCKER_CAP_MASK:
        problems.append(f"capabilities are {status['CapEff'].strip()}, not Docker's {DOCKER_CAP_MASK:016x}")
    if status["NoNewPrivs"].strip() != "0":
        problems.append("no_new_privs is set (Docker does not set it)")
    pid = os.fork()
    if pid == 0:
        try:
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
            os._exit(0 if os.getuid() == 65534 else 1)
        except OSError:
            os._exit(1)
    if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0:
        problems.append("setuid to another user failed")
    return problems


def inner(landlock: bool, command: list[str]) -> int:
    _python_readable()
    _cgroup_read_only()
    _seccomp(landlock)
    _docker_capabilities()
    problems = verify()
    if problems:
        print("docker_like: the confinement does not hold: " + "; ".join(problems), file=sys.stderr)
        return 70
    env = {k: v for k, v in os.environ.items() if k != STAGE}
    env["NUMGRADER_TEST_CONFINEMENT"] = "docker" if landlock else "docker-no-landlock"
    return subprocess.run(command, env=env).returncode


def outer(args: argparse.Namespace) -> int:
    container = None
    if args.memory_mb:
        container = cgroup.create(f"numgrader-docker-like-{os.getpid()}", args.memory_mb << 20, 4096)
        if container is None:
            print(f"docker_like: no memory cgroup on this machine; running without --memory {args.memory_mb}m",
                  file=sys.stderr)
        else:
            cgroup.join(container.procs)
    unshare = ["unshare", "--pid", "--fork", "--mount-proc", "--propagation", "private"]
    inner_command = [sys.executable, __file__, *(["--no-landlock"] if args.no_landlock else []), "--", *args.command]
    try:
        return subprocess.run([*unshare, *inner_command], env={**os.environ, STAGE: "inner"}).returncode
    finally:
        if container is not None:
            cgroup.join([str(Path(p).parent.parent / "cgroup.procs") for p in container.procs])  # back out of it
            container.remove()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-landlock", action="store_true", help="refuse Landlock too (ENOSYS)")
    parser.add_argument("--memory-mb", type=int, default=0, help="the whole run in a memory cgroup of this size")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    if os.geteuid() != 0 or sys.platform != "linux":
        print("docker_like: needs root on Linux (it removes privileges it must first have)", file=sys.stderr)
        return 2
    if os.environ.get(STAGE) == "inner":
        return inner(not args.no_landlock, command)
    args.command = command
    return outer(args)


if __name__ == "__main__":
    sys.exit(main())
