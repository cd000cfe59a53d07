"""Confinement of a worker, applied in the forked child before any student code exists.

The zygote forks; the child calls :func:`confine`, which applies the mode's
measures in order and then **verifies** each one from the inside (user,
capabilities, no_new_privs, seccomp, PID namespace, hidden paths, file
descriptors, environment). The verification runs before the submission is
read, so its report is still trustworthy; a measure that did not hold raises
:class:`Refused` and the child exits without running anything.

Every privileged file operation here acts on a folder created in this very
spawn (a fresh tmpfs, or a fresh directory made by the zygote), never on
anything a student could have touched.
"""

from __future__ import annotations

import os
import resource
import signal
import stat
import sys
import sysconfig
from dataclasses import dataclass, field

from . import landlock, linux, seccomp
from .cgroups import Cgroup
from .modes import CONTAINER, ENVIRONMENT, FULL, REQUIRED, SCRATCH_VARIABLES, UNCONFINED, WorkerConfig

REQUEST_FD, RESPONSE_FD, SUBMISSION_FD = 3, 4, 5  # the worker's pipes, always at these numbers
SCRATCH_ROOT = "/tmp"  # full mode: the tmpfs scratch inside the new root
WORKDIR_NAME = "work"
SYSTEM_ROOTS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
SYS_KEEP = ("/sys/devices/system/cpu",)  # CPU topology, read by torch's thread pools
DEVICES = ("null", "zero", "full", "random", "urandom")


class Refused(Exception):
    """A measure of the mode could not be applied or did not verify."""

    def __init__(self, missing: list[str], detail: str):
        super().__init__(detail)
        self.missing, self.detail = missing, detail


@dataclass
class Spawn:
    """What the zygote prepared for this worker before forking."""

    config: WorkerConfig
    python_roots: list[str]  # read-only folders Python needs (prefixes, stdlib, site-packages)
    cgroup: Cgroup | None = None
    workdir: str | None = None  # container/unconfined: a fresh folder made by the zygote
    measures: list[str] = field(default_factory=list)
    fds_placed: bool = False  # the pipes are at REQUEST_FD / RESPONSE_FD from here on


def python_roots() -> list[str]:
    """Folders the interpreter imports from (a project's own packages inside them are covered later)."""
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        candidates.add(sysconfig.get_paths().get(key, ""))
    keep = set()
    for path in candidates:
        if path and os.path.isdir(path):
            keep.add(os.path.realpath(path))
    # Drop folders already inside another kept folder.
    return sorted(p for p in keep if not any(p != q and _within(p, q) for q in keep))


def _within(path: str, parent: str) -> bool:
    path, parent = os.path.realpath(path), os.path.realpath(parent)
    return path == parent or path.startswith(parent.rstrip("/") + "/")


# --- full mode: namespaces and a new root --------------------------------------------


def _bind(source: str, target: str, read_only: bool = True) -> None:
    linux.mount(source, target, None, linux.MS_BIND | linux.MS_REC)
    if read_only:
        linux.mount(None, target, None, linux.MS_BIND | linux.MS_REMOUNT | linux.MS_RDONLY
                    | linux.MS_NOSUID | linux.MS_NODEV)


def _place(root: str, path: str, kind: str) -> str:
    """Create ``path`` inside ``root`` (folders 0755) for a bind mount; return the target."""
    target = root + path
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    if kind == "dir":
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif not os.path.exists(target):
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    return target


def _sources(spawn: Spawn) -> dict[str, tuple[int, bool, bool]]:
    """path -> (O_PATH descriptor, is a folder, read-only) for everything the new root shows.

    Opened before anything is mounted over /tmp, so that a Python living under /tmp
    (a virtual environment, say) is still reachable: mounts then bind /proc/self/fd/N.
    """
    found = {}
    wanted = [(p, True) for p in [*SYSTEM_ROOTS, *spawn.python_roots, *SYS_KEEP]]
    wanted += [(f"/dev/{name}", False) for name in DEVICES] + [(d, False) for d in spawn.config.devices]
    for path, read_only in wanted:
        if path in found or os.path.islink(path) or not os.path.exists(path):
            continue
        found[path] = (os.open(path, os.O_PATH | os.O_CLOEXEC), os.path.isdir(path), read_only)
    return found


def _build_root(spawn: Spawn, root: str, sources: dict) -> None:
    """Lay out the worker's root filesystem under ``root`` (a fresh tmpfs)."""
    config = spawn.config
    os.makedirs(root + SCRATCH_ROOT, mode=0o755)
    linux.mount("tmpfs", root + SCRATCH_ROOT, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV,
                f"size={config.scratch_bytes},mode=0755")
    for path in SYSTEM_ROOTS:
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)  # merged /usr: /lib -> usr/lib
    for path in sorted(sources):  # parents before children
        fd, is_dir, read_only = sources[path]
        _bind(f"/proc/self/fd/{fd}", _place(root, path, "dir" if is_dir else "file"), read_only=read_only)
        os.close(fd)
    # The project's own packages may sit inside site-packages (a non-editable install):
    # cover every hidden path that lies inside a bound folder with an empty read-only tmpfs.
    for path in config.hidden:
        if any(_within(python, path) for python in spawn.python_roots):
            continue  # an ancestor of Python (say /root): only Python's own folders exist inside it
        target = root + os.path.realpath(path)
        if os.path.isdir(target) and not os.path.realpath(path).startswith(SCRATCH_ROOT + "/") \
                and os.path.realpath(path) != SCRATCH_ROOT:
            linux.mount("tmpfs", target, "tmpfs", linux.MS_RDONLY | linux.MS_NOSUID | linux.MS_NODEV,
                        "size=4k,mode=000")
        elif os.path.isfile(target):
            _bind("/dev/null", target)
    os.symlink("/proc/self/fd", root + "/dev/fd")
    for number, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{number}", root + f"/dev/{name}")
    os.makedirs(root + "/dev/shm", mode=0o755)
    linux.mount("tmpfs", root + "/dev/shm", "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "size=16m,mode=1777")
    os.makedirs(root + "/proc", mode=0o755)
    os.mkdir(root + "/.old", 0o700)


def _enter_namespaces(spawn: Spawn) -> str:
    """PID 1 of a fresh PID namespace (made by the zygote): the rest, and the new root."""
    if os.getpid() != 1:
        raise Refused(["pid namespace"], "the worker is not alone in a PID namespace")
    spawn.measures.append("pid namespace")
    if spawn.cgroup is None:
        raise Refused(["cgroup"], "no cgroup was prepared")
    spawn.cgroup.join(0)
    try:
        linux.unshare(linux.CLONE_NEWNS | linux.CLONE_NEWNET | linux.CLONE_NEWIPC | linux.CLONE_NEWUTS
                      | linux.CLONE_NEWCGROUP)
    except OSError as exc:
        raise Refused(["mount namespace", "network namespace"], f"unshare refused: {exc.strerror}") from None
    spawn.measures += ["mount namespace", "network namespace", "ipc namespace", "cgroup"]
    linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
    sources = _sources(spawn)
    root = "/tmp"  # a fresh tmpfs over it, in this mount namespace only, becomes the new root
    linux.mount("tmpfs", root, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "size=1m,mode=0755")
    _build_root(spawn, root, sources)
    os.chdir(root)
    linux.pivot_root(".", ".old")
    os.chdir("/")
    linux.umount("/.old", linux.MNT_DETACH)
    os.rmdir("/.old")
    linux.mount("proc", "/proc", "proc", linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC)
    linux.mount(None, "/", None, linux.MS_REMOUNT | linux.MS_BIND | linux.MS_RDONLY | linux.MS_NOSUID
                | linux.MS_NODEV)
    linux.sethostname("sandbox")
    spawn.measures.append("scratch tmpfs")
    workdir = os.path.join(SCRATCH_ROOT, WORKDIR_NAME)
    os.mkdir(workdir, 0o700)
    os.chown(workdir, spawn.config.uid, spawn.config.uid)
    return workdir


# --- every mode -----------------------------------------------------------------------


def _set_limits(config: WorkerConfig, per_uid: bool) -> None:
    def limit(kind: int, value: int) -> None:
        _, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, value))

    if config.cap_address_space and linux.LINUX:
        with open("/proc/self/statm") as statm:  # the address space already holds torch
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit(resource.RLIMIT_AS, mapped + config.memory_bytes)
    limit(resource.RLIMIT_CPU, config.cpu_seconds)
    limit(resource.RLIMIT_FSIZE, config.file_size_bytes)
    limit(resource.RLIMIT_NOFILE, config.max_open_files)
    limit(resource.RLIMIT_CORE, 0)
    if per_uid and hasattr(resource, "RLIMIT_NPROC"):
        limit(resource.RLIMIT_NPROC, config.max_processes)


def _die_with_parent() -> None:
    """SIGKILL this process when the fork server dies (in full mode it is PID 1 of its namespace,
    so everything it started dies with it). Cleared by the kernel on any credential change
    (setresuid and the like), so it is set again after the last one."""
    if linux.LINUX:
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)


def _prefer_for_oom() -> None:
    """oom_score_adj 1000: when the machine (or a container) runs out of memory, the kernel kills
    this worker and its children (they inherit it) before anything of the grader's."""
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass


def _drop_privileges(uid: int) -> None:
    linux.drop_bounding_set()
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def _place_fds(fds: dict) -> None:
    """Put the worker's pipes at fixed numbers, stdin on /dev/null, and close everything else."""
    import fcntl

    out = fds.pop("out")
    # Copy each pipe far above the targets first, so that no move overwrites another.
    moved = {target: fcntl.fcntl(source, fcntl.F_DUPFD_CLOEXEC, 200) for target, source in fds.items()}
    high_out = fcntl.fcntl(out, fcntl.F_DUPFD_CLOEXEC, 200)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(high_out, 1)
    os.dup2(high_out, 2)
    for target, duplicate in moved.items():
        os.dup2(duplicate, target, inheritable=False)
    linux.close_range(max(moved) + 1 if moved else 3)


def _scrub_environment(workdir: str) -> None:
    os.environ.clear()
    os.environ.update(ENVIRONMENT)
    for name in SCRATCH_VARIABLES:
        os.environ[name] = workdir


def confine(spawn: Spawn, fds: dict) -> str:
    """Apply and verify the mode's measures; return the worker's work folder. Raises Refused."""
    config = spawn.config
    _die_with_parent()  # again after the uid change below, which clears it
    os.setsid()
    spawn.measures.append("own session")
    if config.mode == FULL:
        workdir = _enter_namespaces(spawn)
    else:
        workdir = spawn.workdir
    os.chdir(workdir)
    sys.stdout.flush()
    sys.stderr.flush()
    _place_fds(fds)
    spawn.fds_placed = True
    for stream in (sys.stdout, sys.stderr):  # nothing printed may wait in a buffer when the worker is killed
        stream.reconfigure(line_buffering=True, write_through=True)
    _scrub_environment(workdir)
    os.umask(0o077)  # what a student makes is theirs alone unless they open it up themselves
    _set_limits(config, per_uid=config.mode != UNCONFINED)
    spawn.measures.append("rlimits")
    if config.mode in (FULL, CONTAINER):
        if os.geteuid() != 0:
            raise Refused(["unprivileged uid"],
                          "the grader is not root: it cannot switch to the sandbox user")
        _prefer_for_oom()  # while still root: the kernel kills sandboxed processes before the grader
        _drop_privileges(config.uid)
        _die_with_parent()  # the kernel clears PR_SET_PDEATHSIG on every credential change
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
        try:
            spawn.measures.append(seccomp.install())
        except OSError as exc:
            raise Refused(["seccomp filter"], str(exc)) from None
        try:
            spawn.measures.append(landlock.restrict(
                read_only=["/"] if config.mode == FULL else [*spawn.python_roots, *SYSTEM_ROOTS, "/proc",
                                                              *SYS_KEEP],
                # full mode: /dev/shm is a private tmpfs of this worker's; container mode: the machine's,
                # shared with every other worker, so not writable at all
                read_write=[workdir, "/dev/null", *(["/dev/shm"] if config.mode == FULL else [])],
                devices=config.devices))
        except OSError as exc:
            if config.mode == FULL:
                raise Refused(["landlock"], f"Landlock: {exc.strerror or exc}") from None
            spawn.measures.append(f"no landlock ({exc.strerror or exc})")
    verify(spawn)
    return workdir


# --- verification, from the inside ---------------------------------------------------------


def _hidden(path: str, own: list[str]) -> bool:
    """True when this process can read nothing of ``path`` but the sandbox's own folders.

    ``own`` are the folders the sandbox itself provides (Python, system folders, the
    scratch folder): an ancestor of them (say /root, where pyenv lives, or /tmp in
    full mode) counts as hidden when it holds nothing but the way to them.
    """
    try:
        info = os.stat(path)
    except OSError:
        return True
    try:
        if stat.S_ISDIR(info.st_mode):
            entries = set(os.listdir(path))
            real = os.path.realpath(path)
            below = {os.path.relpath(p, real).split(os.sep)[0] for p in own
                     if _within(p, real) and os.path.realpath(p) != real}
            return entries <= below
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError:
        return True
    return False


def verify(spawn: Spawn) -> None:
    """Check each measure the mode requires; raise Refused naming those that do not hold."""
    config, found, problems = spawn.config, set(spawn.measures), []
    required = REQUIRED[config.mode]
    if linux.LINUX and config.mode != UNCONFINED:
        status = linux.process_status()
        ids = status.get("Uid", "").split() + status.get("Gid", "").split()
        if ids and all(int(i) == config.uid for i in ids):
            found.add("unprivileged uid")
        else:
            problems.append(f"user ids {ids} are not the sandbox user {config.uid}")
        if all(int(status.get(k, "1"), 16) == 0 for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")):
            found.add("no capabilities")
        else:
            problems.append("capabilities remain")
        if status.get("NoNewPrivs") == "1":
            found.add("no_new_privs")
        if status.get("Seccomp") != "2":
            found.discard(next((m for m in found if m.startswith("seccomp")), ""))
            problems.append("no seccomp filter in force")
        elif any(m.startswith("seccomp") for m in found):
            found.add("seccomp filter")
        if any(m.startswith("landlock") for m in found):
            found.add("landlock")
        if config.mode == FULL and os.getpid() != 1:
            found.discard("pid namespace")
    own = [*spawn.python_roots, os.getcwd()]
    if config.mode == FULL:
        own += [*SYSTEM_ROOTS, *SYS_KEEP, "/dev", "/proc"]
    exposed = [p for p in config.hidden if not _hidden(p, own)]
    if config.mode == FULL:
        # Nothing but the sandbox's own folders exists: the grader's paths need not even be named here.
        entries = [f"/{name}" for name in os.listdir("/")]
        entries += [f"{SCRATCH_ROOT}/{name}" for name in os.listdir(SCRATCH_ROOT)]
        exposed += [p for p in entries if not any(_within(p, o) for o in own) and not _hidden(p, own)]
    if exposed:
        problems.append(f"readable by student code: {', '.join(exposed[:4])}")
    else:
        found.add("grader files hidden")
    try:
        with open(os.__file__, "rb") as handle:
            handle.read(1)
        os.listdir(sysconfig.get_paths()["purelib"])
    except OSError as exc:
        problems.append(f"Python's own files are not readable by the sandbox user ({exc.filename})")
        required = (*required, "python readable")
    try:
        open_fds = {int(fd) for fd in os.listdir("/proc/self/fd")} if linux.LINUX else set()
    except OSError:
        open_fds = {999}
    if open_fds <= {0, 1, 2, REQUEST_FD, RESPONSE_FD, SUBMISSION_FD, max(open_fds, default=0)}:
        found.add("no inherited file descriptors")
    else:
        problems.append(f"unexpected file descriptors {sorted(open_fds)}")
    if set(os.environ) <= {*ENVIRONMENT, *SCRATCH_VARIABLES}:
        found.add("minimal environment")
    missing = [m for m in required if m not in found]
    if missing:
        raise Refused(missing, "; ".join(problems) or f"not in force: {', '.join(missing)}")
    verified = [m for m in required
                if m not in spawn.measures and not any(x.startswith(m) for x in spawn.measures)]
    spawn.measures[:] = list(dict.fromkeys([*spawn.measures, *verified]))
