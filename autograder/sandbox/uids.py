"""Sandbox users: one uid per grading slot, used by nothing else on the host.

A uid shares ``RLIMIT_NPROC`` and signal permissions with every process that
runs as it, so each concurrent slot (and each concurrent grading run) takes
its own: it is claimed with a lock file in a root-owned folder and checked to
own no running process before use. ``container`` mode kills a worker's
processes by that uid, which is why nothing else may use it.
"""

from __future__ import annotations

import fcntl
import os

from . import linux

DEFAULT_BASE = 2_000_000_000
LOCK_DIRS = ("/run/rnn-autograder", "/var/lock/rnn-autograder")
MAX_TRIES = 256


class NoFreeUid(RuntimeError):
    pass


def _lock_dir() -> str | None:
    for path in LOCK_DIRS:
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
            info = os.lstat(path)
            if info.st_uid == 0 and not info.st_mode & 0o022 and os.path.isdir(path):
                return path
        except OSError:
            continue
    return None


def hold(uid: int) -> int:
    """The lock of ``uid``'s claim, waiting for whoever holds it to let go; a descriptor to close
    (-1 without a lock folder: not root, nothing to hold)."""
    directory = _lock_dir() if os.geteuid() == 0 else None
    if directory is None:
        return -1
    fd = os.open(os.path.join(directory, f"uid-{uid}.lock"), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC
                 | os.O_NOFOLLOW, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


class UidClaim:
    """A uid held for the life of this object (the lock is released by close or process exit)."""

    def __init__(self, base: int = DEFAULT_BASE):
        directory = _lock_dir() if os.geteuid() == 0 else None
        for offset in range(MAX_TRIES):
            uid = base + offset
            fd = None
            if directory is not None:
                fd = os.open(os.path.join(directory, f"uid-{uid}.lock"), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC
                             | os.O_NOFOLLOW, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
            if linux.processes_of(uid):
                if fd is not None:
                    os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return
        raise NoFreeUid(f"no free sandbox uid in {base}..{base + MAX_TRIES - 1}")

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
