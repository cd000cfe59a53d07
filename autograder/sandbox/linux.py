"""Thin ctypes wrappers for the Linux system calls the sandbox needs.

Each function raises ``OSError`` (with the errno) when the kernel refuses, so
the caller can decide; nothing here degrades silently. On other systems the
module imports, and ``available()`` says False.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import sys

LINUX = sys.platform.startswith("linux")

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)

# --- namespaces ------------------------------------------------------------------------
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACE_FLAGS = (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
                   | CLONE_NEWPID | CLONE_NEWNET)

# --- mounts ------------------------------------------------------------------------------
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18
MNT_DETACH = 2

# --- prctl -------------------------------------------------------------------------------
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4

# --- syscall numbers that glibc may not wrap, by machine -----------------------------------
_SYSCALLS = {
    "x86_64": {"pivot_root": 155, "setns": 308, "close_range": 436,
               "landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446},
    "aarch64": {"pivot_root": 41, "setns": 268, "close_range": 436,
                "landlock_create_ruleset": 444, "landlock_add_rule": 445, "landlock_restrict_self": 446},
}
_NUMBERS = _SYSCALLS.get(platform.machine(), {})


def available() -> bool:
    return LINUX and bool(_NUMBERS)


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


def syscall(name: str, *args) -> int:
    number = _NUMBERS.get(name)
    if number is None:
        raise OSError(38, f"{name}: not supported on {platform.machine()}")  # ENOSYS
    return _check(_libc.syscall(ctypes.c_long(number), *args), name)


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def setns(fd: int, nstype: int) -> None:
    syscall("setns", ctypes.c_int(fd), ctypes.c_int(nstype))


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source.encode() if source else None, target.encode(),
                       fstype.encode() if fstype else None, ctypes.c_ulong(flags),
                       data.encode() if data else None), f"mount {target}")


def umount(target: str, flags: int = 0) -> None:
    _check(_libc.umount2(target.encode(), ctypes.c_int(flags)), f"umount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    syscall("pivot_root", new_root.encode(), put_old.encode())


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    return _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg2), ctypes.c_ulong(arg3),
                              ctypes.c_ulong(arg4), ctypes.c_ulong(arg5)), f"prctl({option})")


def sethostname(name: str) -> None:
    data = name.encode()
    _check(_libc.sethostname(data, ctypes.c_size_t(len(data))), "sethostname")


def close_range(first: int) -> None:
    """Close every file descriptor from ``first`` up."""
    try:
        syscall("close_range", ctypes.c_uint(first), ctypes.c_uint(0xFFFFFFFF), ctypes.c_uint(0))
    except OSError:
        os.closerange(first, os.sysconf("SC_OPEN_MAX"))


def last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as handle:
            return int(handle.read())
    except OSError:
        return 40


def drop_bounding_set() -> None:
    """Remove every capability from the bounding set (needs CAP_SETPCAP: do it before setuid)."""
    for cap in range(last_cap() + 1):
        try:
            prctl(PR_CAPBSET_DROP, cap)
        except OSError as exc:
            if exc.errno != 22:  # EINVAL: a capability this kernel does not know
                raise
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)


def process_status(pid: int | str = "self") -> dict[str, str]:
    """/proc/PID/status as a dict (Cap*, NoNewPrivs, Seccomp, Uid, State, VmHWM, ...)."""
    fields = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def peak_memory(pid: int) -> int | None:
    """A process's peak resident memory (VmHWM) in bytes; None once it is gone."""
    try:
        return int(process_status(pid)["VmHWM"].split()[0]) * 1024
    except (OSError, KeyError, ValueError, IndexError):
        return None


def children_of(parent: int) -> list[int]:
    """The processes (zombies included) whose parent is ``parent``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            if int(fields[1]) == parent:
                found.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


def processes_of(uid: int) -> list[int]:
    """The living (not zombie) processes whose real uid is ``uid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = process_status(entry)
            if int(status["Uid"].split()[0]) == uid and not status["State"].startswith("Z"):
                found.append(int(entry))
        except (OSError, KeyError, ValueError, IndexError):
            continue
    return found
