"""A seccomp filter for the process that runs student code (libseccomp, through pyseccomp).

Student code never needs a socket (``socketpair`` and pipes stay allowed, so
``multiprocessing`` works): refusing ``socket`` closes the network in modes
without a network namespace, and pathname UNIX sockets (which Landlock does not
govern) in every mode. The kernel interfaces that sandbox escapes are built
from (new namespaces, mounts, ptrace, io_uring, bpf, keyrings, modules, ...)
are refused too. System calls from another architecture's ABI kill the process
(libseccomp's default).
"""

from __future__ import annotations

import errno

from . import linux

DENIED = (
    "socket",
    "ptrace", "process_vm_readv", "process_vm_writev",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "mount_setattr",
    "fsopen", "fsmount", "fsconfig", "fspick", "move_mount", "open_tree",
    "open_by_handle_at", "name_to_handle_at",
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "keyctl", "add_key", "request_key",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "reboot", "swapon", "swapoff", "acct", "quotactl", "syslog", "iopl", "ioperm",
    # System V IPC and POSIX message queues: objects that outlive their process and, without an IPC
    # namespace (container mode), are shared with every other student. Student code needs none.
    "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
    "msgget", "msgsnd", "msgrcv", "msgctl",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
)


class SeccompUnavailable(OSError):
    """libseccomp (or pyseccomp) is missing, or the kernel refused the filter."""


def install() -> str:
    """Load the filter into this process (no_new_privs must be set). Returns a description."""
    if not linux.available():
        raise SeccompUnavailable(38, "seccomp needs Linux")
    try:
        import pyseccomp as sc
    except (ImportError, OSError) as exc:  # pyseccomp raises OSError when libseccomp is missing
        raise SeccompUnavailable(2, f"libseccomp is not installed ({exc})") from None
    try:
        rules = sc.SyscallFilter(defaction=sc.ALLOW)
        deny = sc.ERRNO(errno.EPERM)
        for name in DENIED:
            try:
                rules.add_rule(deny, name)
            except (ValueError, RuntimeError, OSError):
                pass  # a call this kernel/libseccomp does not know cannot be made either
        # New namespaces through clone(); clone3 hides its flags in memory, so it answers
        # ENOSYS and the C library falls back to clone.
        namespaces = linux.NAMESPACE_FLAGS
        for flag in (f for f in range(32) if namespaces & (1 << f)):
            rules.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, 1 << flag, 1 << flag))
        rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
        rules.load()
    except (RuntimeError, OSError, ValueError) as exc:
        raise SeccompUnavailable(getattr(exc, "errno", None) or 1, f"seccomp filter refused: {exc}") from None
    return "seccomp filter (no sockets, no namespaces, mounts, ptrace, io_uring, bpf, keyrings, SysV IPC, " \
           "message queues)"
