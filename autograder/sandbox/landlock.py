"""Landlock: a filesystem allow-list (and, from ABI 4, no TCP; from ABI 6, no signals or
abstract UNIX sockets outside the sandbox) that the process applies to itself.

Landlock adds to the uid drop, it never replaces it: it does not govern chmod,
chown or connecting to pathname UNIX sockets (the seccomp filter refuses
``socket`` itself).
"""

from __future__ import annotations

import ctypes
import os

from . import linux

LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_ALL_V1 = (1 << 13) - 1
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2
FILE_ONLY_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
READ_ONLY = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
DEVICE = READ_ONLY | FS_WRITE_FILE | FS_IOCTL_DEV


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi() -> int:
    """The kernel's Landlock ABI version; 0 where there is none (or it is refused)."""
    if not linux.available():
        return 0
    try:
        return linux.syscall("landlock_create_ruleset", None, ctypes.c_size_t(0),
                             ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    except OSError:
        return 0


def restrict(read_only: list[str], read_write: list[str], devices: list[str]) -> str:
    """Apply the allow-list to this process (and every process it starts).

    Raises OSError when Landlock is missing or refused. Returns a description.
    Paths that do not exist are skipped; no_new_privs must already be set.
    """
    version = abi()
    if version < 1:
        raise OSError(38, "Landlock is not available in this kernel")
    handled_fs = FS_ALL_V1
    if version >= 2:
        handled_fs |= FS_REFER
    if version >= 3:
        handled_fs |= FS_TRUNCATE
    if version >= 5:
        handled_fs |= FS_IOCTL_DEV
    attr = _RulesetAttr(handled_fs, NET_BIND_TCP | NET_CONNECT_TCP if version >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if version >= 6 else 0)
    size = 8 if version < 4 else (16 if version < 6 else 24)
    ruleset = linux.syscall("landlock_create_ruleset", ctypes.byref(attr), ctypes.c_size_t(size),
                            ctypes.c_uint32(0))
    try:
        def allow(path: str, access: int) -> None:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                return
            try:
                if not os.path.isdir(path):
                    access &= FILE_ONLY_RIGHTS
                rule = _PathBeneathAttr(access & handled_fs, fd)
                linux.syscall("landlock_add_rule", ctypes.c_int(ruleset),
                              ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), ctypes.byref(rule),
                              ctypes.c_uint32(0))
            finally:
                os.close(fd)

        for path in read_only:
            allow(path, READ_ONLY)
        for path in devices:
            allow(path, DEVICE)
        for path in read_write:
            allow(path, handled_fs)
        linux.syscall("landlock_restrict_self", ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    extras = ["filesystem allow-list"]
    if version >= 4:
        extras.append("no TCP")
    if version >= 6:
        extras.append("no signals or abstract sockets outside")
    return f"landlock v{version} ({', '.join(extras)})"
