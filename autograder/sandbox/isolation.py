"""Operating-system confinement for the process that runs student code.

Everything here is applied inside the worker process, after it forks and
before it imports the submission. Each measure degrades gracefully where the
OS lacks it, and ``describe()`` reports what was actually in force so the
instructor sees it in the summary:

* rlimits: address space, CPU seconds, file size, open files, core dumps,
  processes (when the worker runs as an unprivileged user);
* as root: a private mount namespace (the project, the results folder and the
  submission's origin hidden under empty tmpfs mounts; the Python
  installation made reachable for the unprivileged user), a fresh network
  namespace (no interfaces but a downed loopback), then ``nobody``;
* Landlock (Linux 5.13+, also without root): read-only access to the Python
  installation and system folders, read-write access to the worker's own
  folder only, no TCP bind/connect, no signals or abstract sockets outside.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import resource
import signal
import stat
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

NOBODY = 65534

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)

# --- Linux constants ---------------------------------------------------------------
CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = (
    1, 2, 4, 4096, 8192, 16384, 1 << 18,
)
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36

SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_ALL_V1 = (1 << 13) - 1
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2
FILE_ONLY_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
READ_ONLY = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


@dataclass
class Confinement:
    """What the worker should be confined to; filled in by the judge."""

    workdir: str
    protected: list[str] = field(default_factory=list)  # never visible to student code
    memory_bytes: int = 2 << 30
    cpu_seconds: int = 600
    file_size_bytes: int = 16 << 20
    max_open_files: int = 256
    max_processes: int = 64
    # CUDA reserves tens of GB of address space at start-up: with a GPU in use
    # the address-space cap would stop it, so the memory cap is left to the device.
    cap_address_space: bool = True


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


def _syscall(number: int, *args) -> int:
    return _libc.syscall(ctypes.c_long(number), *args)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, or 0 where there is none."""
    if not sys.platform.startswith("linux"):
        return 0
    version = _syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                       ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _within(path: str, parent: str) -> bool:
    try:
        Path(path).resolve().relative_to(Path(parent).resolve())
        return True
    except ValueError:
        return False


def python_paths() -> list[str]:
    """Folders the interpreter may still import from once confined."""
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        candidates.add(sysconfig.get_paths().get(key, ""))
    candidates.update(p for p in sys.path if p)
    return sorted({os.path.realpath(p) for p in candidates if p and os.path.isdir(p)})


def readable_roots(protected: list[str]) -> list[str]:
    """Read-only roots for the worker: Python and system folders, never a protected path."""
    roots = python_paths() + ["/usr", "/lib", "/lib64", "/etc", "/proc", "/sys", "/dev", "/opt"]
    keep = []
    for root in sorted({os.path.realpath(r) for r in roots if os.path.exists(r)}):
        if any(_within(p, root) or _within(root, p) for p in protected):
            continue  # it holds (or lies inside) something student code must not read
        keep.append(root)
    return keep


# --- the steps, in the order the worker applies them --------------------------------


def new_session() -> None:
    os.setsid()


def _mount(source, target, fstype, flags, data) -> None:
    _check(
        _libc.mount(
            source.encode() if source else None, target.encode(),
            fstype.encode() if fstype else None, ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def _blocked_ancestor(path: str) -> str | None:
    """The highest ancestor of ``path`` that others cannot enter (e.g. /root), if any."""
    current = Path("/")
    for part in Path(path).parts[1:]:
        current = current / part
        try:
            mode = current.stat().st_mode
        except OSError:
            return None
        if not mode & stat.S_IXOTH:
            return str(current)
    return None


def private_namespaces(confinement: Confinement, staging: str) -> list[str]:
    """As root: new mount and network namespaces; hide protected paths. Returns notes."""
    notes = []
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    notes.append("network namespace")
    # The unprivileged user must still reach the Python installation: where an
    # ancestor like /root is closed to others, cover it with an open tmpfs and
    # put the needed folders back inside it.
    reexpose: dict[str, set[str]] = {}
    for path in python_paths():
        if any(_within(path, p) for p in confinement.protected):
            continue
        blocked = _blocked_ancestor(path)
        if blocked:
            child = Path(blocked) / Path(path).relative_to(blocked).parts[0]
            reexpose.setdefault(blocked, set()).add(str(child))
    os.makedirs(staging, mode=0o700, exist_ok=True)
    for number, (blocked, children) in enumerate(sorted(reexpose.items())):
        staged = []
        for index, child in enumerate(sorted(children)):
            target = os.path.join(staging, f"{number}-{index}")
            os.mkdir(target, 0o700)
            _mount(child, target, None, MS_BIND | MS_REC, None)
            staged.append((target, child))
        _mount("tmpfs", blocked, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
        for target, child in staged:
            os.makedirs(child, mode=0o755, exist_ok=True)
            _mount(target, child, None, MS_MOVE, None)
            os.rmdir(target)
    os.rmdir(staging)
    for path in confinement.protected:
        if os.path.isdir(path) and not _within(confinement.workdir, path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "mode=0000,size=4k")
    notes.append("mount namespace hiding the grader's files")
    return notes


def drop_privileges(workdir: str) -> None:
    """As root: hand the work folder to ``nobody`` and become ``nobody``."""
    os.chown(workdir, NOBODY, NOBODY)
    for entry in os.scandir(workdir):
        os.chown(entry.path, NOBODY, NOBODY)
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)


def die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def set_limits(confinement: Confinement, unprivileged: bool) -> None:
    def limit(kind: int, value: int) -> None:
        soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, value))

    if sys.platform.startswith("linux") and confinement.cap_address_space:
        # The address space already holds torch; the cap is on top of it.
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit(resource.RLIMIT_AS, mapped + confinement.memory_bytes)
    limit(resource.RLIMIT_CPU, confinement.cpu_seconds)
    limit(resource.RLIMIT_FSIZE, confinement.file_size_bytes)
    limit(resource.RLIMIT_NOFILE, confinement.max_open_files)
    limit(resource.RLIMIT_CORE, 0)
    if unprivileged and hasattr(resource, "RLIMIT_NPROC"):
        limit(resource.RLIMIT_NPROC, confinement.max_processes)


def apply_landlock(confinement: Confinement) -> str | None:
    """Restrict the filesystem (and, where supported, TCP and signals). Returns a note."""
    abi = landlock_abi()
    if abi < 1:
        return None
    handled_fs = FS_ALL_V1
    if abi >= 2:
        handled_fs |= FS_REFER
    if abi >= 3:
        handled_fs |= FS_TRUNCATE
    if abi >= 5:
        handled_fs |= FS_IOCTL_DEV
    attr = _RulesetAttr(handled_fs, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    ruleset = _check(_syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr),
                              ctypes.c_size_t(size), ctypes.c_uint32(0)), "landlock_create_ruleset")
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
                _check(_syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset),
                                ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), ctypes.byref(rule),
                                ctypes.c_uint32(0)), f"landlock_add_rule {path}")
            finally:
                os.close(fd)

        for root in readable_roots(confinement.protected):
            allow(root, READ_ONLY)
        allow("/dev/null", FS_READ_FILE | FS_WRITE_FILE)
        for device in sorted(glob.glob("/dev/nvidia*")) + ["/dev/dri"]:  # GPUs, where present
            allow(device, READ_ONLY | FS_WRITE_FILE | FS_IOCTL_DEV)
        allow(confinement.workdir, handled_fs)
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
        _check(_syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)),
               "landlock_restrict_self")
    finally:
        os.close(ruleset)
    extras = []
    if abi >= 4:
        extras.append("no TCP")
    if abi >= 6:
        extras.append("no signals outside")
    return f"landlock v{abi} ({', '.join(['filesystem allow-list', *extras])})"


def _open_to_others(path: str) -> bool:
    """Whether ``nobody`` can reach ``path`` through its folders (DAC only)."""
    return _blocked_ancestor(path) is None


def confine(confinement: Confinement, staging: str) -> list[str]:
    """Apply every available measure; return notes on what is in force.

    A measure the OS refuses (a container without CAP_SYS_ADMIN, a seccomp
    profile without Landlock) is skipped with a note, never fatal: grading
    goes on with what remains, and the notes say what that is.
    """
    notes = ["own session", "rlimits"]
    new_session()
    if is_root() and sys.platform.startswith("linux"):
        namespaces = False
        try:
            notes += private_namespaces(confinement, staging)
            namespaces = True
        except OSError as exc:
            notes.append(f"no namespaces ({exc.strerror or exc})")
        if namespaces or all(_open_to_others(p) for p in python_paths()):
            drop_privileges(confinement.workdir)
            notes.append("user nobody")
        else:
            notes.append("still root: the Python installation is closed to nobody")
    die_with_parent()
    set_limits(confinement, unprivileged=not is_root())
    try:
        note = apply_landlock(confinement)
    except OSError as exc:
        note = f"landlock refused ({exc.strerror or exc})"
    notes.append(note or "no landlock: filesystem not restricted")
    return notes


def become_subreaper() -> bool:
    """Orphans of student processes get re-parented to us, so none can escape cleanup."""
    if not sys.platform.startswith("linux"):
        return False
    return _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def kill_all_children() -> int:
    """SIGKILL every child (and, through re-parenting, every orphan); return how many."""
    me, killed = os.getpid(), 0
    for _ in range(1000):
        pids = children_of(me)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    while True:  # reap whatever is left
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    return killed
