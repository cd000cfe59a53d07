"""Control groups for sandboxed workers: memory and process limits for all of a worker's
processes together, their peak memory, and a kill that reaches every one of them.

Only ever beneath the grader's own cgroup (read from ``/proc/self/cgroup``):
``<own>/rnn-grader-<pid>/w<n>``. Both layouts are handled:

* cgroup v2 (one unified hierarchy) where ``memory`` and ``pids`` can be
  delegated to our subtree: ``memory.max``, ``memory.swap.max``, ``pids.max``,
  ``cgroup.kill``, ``memory.peak``;
* cgroup v1 with writable ``memory`` and ``pids`` hierarchies:
  ``memory.limit_in_bytes`` (and ``memsw``), ``pids.max``, a kill loop over
  ``cgroup.procs`` (the PID namespace, not this loop, is what cannot be outrun),
  ``memory.max_usage_in_bytes``.

Nothing a student can write lives in a cgroup filesystem (it is read-only and
closed to the sandbox user), so removing our own directories is safe.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


class CgroupUnavailable(OSError):
    """No writable memory+pids cgroup beneath ours; the message says what to change."""


def _read(path: Path) -> str:
    with open(path) as handle:
        return handle.read()


def _write(path: Path, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)


def own_cgroups(proc_file: str = "/proc/self/cgroup") -> dict[str, str]:
    """controller name ('' for v2) -> this process's cgroup path."""
    found = {}
    for line in _read(Path(proc_file)).splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":
            found[""] = path
        for name in controllers.split(","):
            if name:
                found[name] = path
    return found


class Cgroup:
    """One worker's cgroup: one directory (v2) or one per controller (v1)."""

    def __init__(self, dirs: dict[str, Path], version: int):
        self.dirs, self.version = dirs, version

    def _dir(self, controller: str) -> Path:
        return self.dirs["" if self.version == 2 else controller]

    def limit(self, memory_bytes: int, pids: int) -> None:
        if self.version == 2:
            _write(self._dir("memory") / "memory.max", str(memory_bytes))
            swap = self._dir("memory") / "memory.swap.max"
            if swap.exists():
                _write(swap, "0")
        else:
            _write(self._dir("memory") / "memory.limit_in_bytes", str(memory_bytes))
            memsw = self._dir("memory") / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                _write(memsw, str(memory_bytes))
        _write(self._dir("pids") / "pids.max", str(pids))

    def join(self, pid: int = 0) -> None:
        """Move ``pid`` (0: the caller) into this cgroup, in every hierarchy."""
        for directory in {id(d): d for d in self.dirs.values()}.values():
            _write(directory / "cgroup.procs", str(pid))

    def procs(self) -> set[int]:
        found = set()
        for directory in self.dirs.values():
            try:
                found.update(int(p) for p in _read(directory / "cgroup.procs").split())
            except OSError:
                pass
        return found

    def kill(self, timeout_s: float = 5.0) -> int:
        """SIGKILL every process in the cgroup and wait until it is empty; return how many."""
        killed = set()
        if self.version == 2 and (self.dirs[""] / "cgroup.kill").exists():
            killed |= self.procs()
            _write(self.dirs[""] / "cgroup.kill", "1")
        deadline = time.monotonic() + timeout_s
        while True:
            pids = self.procs()
            if not pids:
                return len(killed)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                raise OSError(16, f"cgroup still holds processes {sorted(pids)[:8]}")  # EBUSY
            time.sleep(0.005)

    def peak_memory(self) -> int | None:
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        try:
            return int(_read(self._dir("memory") / name).split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def oom_killed(self) -> bool:
        try:
            if self.version == 2:
                events = dict(line.split() for line in _read(self.dirs[""] / "memory.events").splitlines())
                return int(events.get("oom_kill", "0")) > 0
            control = dict(line.split() for line in
                           _read(self.dirs["memory"] / "memory.oom_control").splitlines())
            return int(control.get("oom_kill", "0")) > 0 or \
                int(_read(self.dirs["memory"] / "memory.failcnt")) > 0
        except (OSError, ValueError):
            return False

    def remove(self) -> None:
        for directory in {id(d): d for d in self.dirs.values()}.values():
            try:
                directory.rmdir()
            except FileNotFoundError:
                pass


def remove_tree(path: str | Path, timeout_s: float = 2.0) -> bool:
    """Kill every process in the cgroup at ``path`` and beneath it, then remove its folders, deepest
    first. True when it is gone. (A cgroup file system holds nothing a student can write.)"""
    path = Path(path)
    if not path.is_dir():
        return True
    folders = [p for p in path.rglob("*") if p.is_dir()]
    folders.sort(key=lambda p: len(p.parts), reverse=True)
    folders.append(path)
    for folder in folders:
        try:
            Cgroup({"": folder}, 1).kill(timeout_s=timeout_s)
        except OSError:
            pass
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            pass
    return not path.exists()


TAG_PREFIX = "rnn-grader-"


def _owner_alive(pid: int) -> bool:
    """Whether ``pid`` is still a fork server of this grader (not a dead one's reused pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"autograder.sandbox.zygote" in handle.read()
    except OSError:
        return False


def sweep_stale(parent: Path) -> list[str]:
    """Remove the cgroups that fork servers now dead left beneath ``parent``; their names."""
    removed = []
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.startswith(TAG_PREFIX) or not entry.is_dir():
            continue
        owner = name[len(TAG_PREFIX):].split("-", 1)[0]
        if owner.isdigit() and not _owner_alive(int(owner)) and remove_tree(entry):
            removed.append(name)
    return removed


class CgroupTree:
    """The grader's base cgroup(s), beneath its own; makes one child per worker."""

    swept: list[str] = []  # stale cgroups of dead fork servers removed at start (by this process)

    def __init__(self, bases: dict[str, Path], version: int):
        self.bases, self.version = bases, version
        self._count = 0

    @classmethod
    def create(cls, root: str = "/sys/fs/cgroup", proc_file: str = "/proc/self/cgroup",
               tag: str | None = None) -> CgroupTree:
        """Make our base cgroup(s); raise CgroupUnavailable saying why and what to change."""
        tag = tag or f"{TAG_PREFIX}{os.getpid()}"
        own = own_cgroups(proc_file)
        problems = []
        for make in (cls._create_v2, cls._create_v1):
            try:
                return make(Path(root), own, tag)
            except CgroupUnavailable as exc:
                problems.append(str(exc))
        raise CgroupUnavailable(95, "; ".join(problems))  # EOPNOTSUPP

    @classmethod
    def _create_v2(cls, root: Path, own: dict[str, str], tag: str) -> CgroupTree:
        if "" not in own:
            raise CgroupUnavailable(95, "no cgroup v2 hierarchy")
        mount = next((m for m in (root, root / "unified") if (m / "cgroup.controllers").exists()), None)
        if mount is None:
            raise CgroupUnavailable(95, f"no cgroup v2 mount under {root}")
        parent = mount / own[""].lstrip("/")
        available = _read(parent / "cgroup.controllers").split() if (parent / "cgroup.controllers").exists() \
            else []
        if not {"memory", "pids"} <= set(available):
            raise CgroupUnavailable(95, f"cgroup v2 at {parent} does not offer memory and pids "
                                        "(delegate them, e.g. systemd-run -p Delegate=yes)")
        base = parent / tag
        cls.swept += sweep_stale(parent)
        try:
            enabled = set(_read(parent / "cgroup.subtree_control").split())
            if not {"memory", "pids"} <= enabled:
                # The "no internal processes" rule: move ourselves (only ourselves) into a leaf first.
                leaf = parent / f"{tag}-supervisor"
                leaf.mkdir(exist_ok=True)
                _write(leaf / "cgroup.procs", str(os.getpid()))
                _write(parent / "cgroup.subtree_control", "+memory +pids")
            base.mkdir(exist_ok=True)
            _write(base / "cgroup.subtree_control", "+memory +pids")
        except OSError as exc:
            raise CgroupUnavailable(exc.errno or 13, f"cgroup v2 at {parent} is not writable "
                                                     f"({exc.strerror or exc})") from None
        return cls({"": base}, 2)

    @classmethod
    def _create_v1(cls, root: Path, own: dict[str, str], tag: str) -> CgroupTree:
        bases = {}
        for controller in ("memory", "pids"):
            if controller not in own or not (root / controller).is_dir():
                raise CgroupUnavailable(95, f"no cgroup v1 {controller} hierarchy under {root}")
            base = root / controller / own[controller].lstrip("/") / tag
            cls.swept += sweep_stale(base.parent)
            try:
                base.mkdir(exist_ok=True)
                if controller == "memory" and (base / "memory.use_hierarchy").exists():
                    try:
                        _write(base / "memory.use_hierarchy", "1")
                    except OSError:
                        pass  # already inherited from the parent
            except OSError as exc:
                raise CgroupUnavailable(exc.errno or 13, f"cgroup v1 {controller} at {base.parent} is "
                                                         f"not writable ({exc.strerror or exc})") from None
            bases[controller] = base
        return cls(bases, 1)

    def child(self, memory_bytes: int, pids: int) -> Cgroup:
        self._count += 1
        name = f"w{self._count}"
        dirs = {key: base / name for key, base in self.bases.items()}
        for directory in dirs.values():
            directory.mkdir()
        group = Cgroup(dirs, self.version)
        group.limit(memory_bytes, pids)
        return group

    def remove(self) -> None:
        for base in self.bases.values():
            remove_tree(base, timeout_s=1.0)
        if self.version == 2:  # the leaf v2 made for the fork server itself, when it made one
            for base in self.bases.values():
                remove_tree(base.with_name(f"{base.name}-supervisor"), timeout_s=0.1)

    def paths(self) -> list[str]:
        """Every folder of this tree (one per hierarchy), for the guardian."""
        return [str(base) for base in self.bases.values()]

    def describe(self) -> str:
        return f"cgroup v{self.version}"
