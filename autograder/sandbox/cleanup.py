"""What a sandbox user leaves behind, found, measured and removed, never as root on its files.

A worker in ``container`` mode shares the machine's file systems with every
other process: it can write its scratch folder and any world-writable folder
(``/tmp``, ``/var/tmp``, ``/dev/shm``, ... where Landlock is not there to stop
it). After each worker, everything its user owns in those places is removed,
and its processes killed, so that nothing it made is visible to a later
student or left after the run. Every removal runs in a child that has become
that user (nothing privileged walks a tree a student made), iteratively (a
tree thousands of levels deep is no harder than a flat one), through directory
descriptors (no path is followed through a link).

The same functions measure a worker while it runs (the fork server's
watchdog): the memory of all the user's processes together, and what its files
hold, so that a student's total is capped, not only each process or file.
"""

from __future__ import annotations

import os
import signal
import stat
import time
from collections.abc import Collection

from . import linux

SKIP_TREES = ("/proc", "/sys", "/dev/pts")  # never searched for world-writable folders
MAX_DIRS_SEARCHED = 50_000


def world_writable_dirs(roots: tuple[str, ...] = ("/",), limit: int = MAX_DIRS_SEARCHED) -> list[str]:
    """Folders any user may create entries in, on this machine (searched once, by folder only)."""
    found, stack, seen = [], list(roots), 0
    while stack and seen < limit:
        path = stack.pop()
        seen += 1
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    try:
                        if not entry.is_dir(follow_symlinks=False):
                            continue
                        child = entry.path
                        if child in SKIP_TREES:
                            continue
                        mode = entry.stat(follow_symlinks=False).st_mode
                    except OSError:
                        continue
                    if mode & stat.S_IWOTH:
                        found.append(child)
                    stack.append(child)
        except OSError:
            continue
    return sorted(found)


def owned_entries(folders: list[str], uid: int) -> list[str]:
    """The entries directly inside ``folders`` that belong to ``uid``."""
    found = []
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        if entry.stat(follow_symlinks=False).st_uid == uid:
                            found.append(entry.path)
                    except OSError:
                        continue
        except OSError:
            continue
    return found


def _remove_tree_here(path: str, max_steps: int = 10_000_000) -> None:
    """Remove ``path`` (a file, link or folder tree) as the calling user: iteratively, with one folder
    handle open at a time (a link is removed, never followed), whatever the depth. Called once the
    user's processes are gone, so the tree holds still while it is walked. Folder handles are
    O_PATH (search permission is enough: the parent may be closed to reading, as scratch folders are)."""
    parent, name = os.path.split(path.rstrip("/"))
    try:
        fd = os.open(parent or "/", os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return
    names: list[str] = []  # the folders entered below the starting one, in order
    target: str | None = name  # the entry to deal with next in the current folder (None: list it)
    try:
        for _ in range(max_steps):
            if target is not None:
                try:
                    is_dir = stat.S_ISDIR(os.lstat(target, dir_fd=fd).st_mode)
                except OSError:
                    is_dir = None
                if is_dir is False:
                    _unlink(target, fd, folder=False)
                elif is_dir:
                    try:
                        os.chmod(target, 0o700, dir_fd=fd, follow_symlinks=False)
                    except (OSError, NotImplementedError):
                        pass
                    try:
                        child = os.open(target, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                    except OSError:
                        child = None
                    if child is not None:
                        os.close(fd)
                        fd = child
                        names.append(target)
                        target = None
                        continue
                if not names:
                    return  # the starting entry itself was a file, a link, or could not be entered
                target = None
            subfolder, removed, left = None, False, False
            try:
                listing = os.open(".", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                try:
                    with os.scandir(listing) as entries:
                        for entry in entries:
                            if entry.is_dir(follow_symlinks=False):
                                subfolder = entry.name
                                break
                            left = True
                            removed |= _unlink(entry.name, fd, folder=False)
                finally:
                    os.close(listing)
            except OSError:
                pass
            if subfolder is not None:
                target = subfolder
                continue
            if left and removed:
                continue  # files removed while listing: list again until the folder is empty
            up = os.open("..", os.O_PATH | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = up
            _unlink(names.pop(), fd, folder=True)
            if not names:
                return
    finally:
        os.close(fd)


def _unlink(name: str, dir_fd: int, folder: bool) -> bool:
    try:
        if folder:
            os.rmdir(name, dir_fd=dir_fd)
        else:
            os.unlink(name, dir_fd=dir_fd)
        return True
    except OSError:
        return False


def _as_user(uid: int, action, *args) -> None:
    """Run ``action(*args)`` in a child that has become ``uid`` (uid 0: in a child, as root)."""
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            if uid != os.geteuid():
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
            action(*args)
        except BaseException:  # noqa: BLE001 - a child must never unwind into its parent's code
            status = 1
        finally:
            os._exit(status)
    os.waitpid(pid, 0)


def remove_as(uid: int, paths: list[str]) -> None:
    """Remove each path (any depth) as ``uid``."""
    if paths:
        _as_user(uid, lambda: [_remove_tree_here(p) for p in paths])


def kill_uid(uid: int, rounds: int = 50, keep: Collection[int] = ()) -> int:
    """SIGKILL every process of ``uid`` with kill(-1) issued as that uid; how many there were.

    kill(-1) walks the whole task list at once and a process with a fatal signal pending cannot
    complete a fork, so one pass reaches every process of the uid; the loop only waits for them.
    ``keep``: children of this process not to reap (see :func:`reap`)."""
    before = len(linux.processes_of(uid))
    for _ in range(rounds):
        if not linux.processes_of(uid):
            break
        _as_user(uid, os.kill, -1, signal.SIGKILL)
        time.sleep(0.002)
        reap(keep)
    return before


def reap(keep: Collection[int] = ()) -> None:
    """Collect every child of this process that has ended (the fork server is a subreaper), but
    those in ``keep``: a worker of another slot is waited for by its own clean-up alone, so that
    its process ID can never be reused (and killed by that clean-up) while it is still expected."""
    for pid in linux.children_of(os.getpid()):
        if pid in keep:
            continue
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def anonymous_memory(pid: int | str = "self") -> int:
    """A process's resident anonymous memory (RssAnon) in bytes; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"RssAnon:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def memory_of(uid: int, inherited: int = 0) -> int:
    """The memory of all the processes of ``uid`` together, in bytes: each one's resident anonymous
    memory beyond ``inherited`` (what the fork server shares with every worker, copy-on-write).
    Cheap enough to read ten times a second; memory a process shares with its own children is
    counted in each (an over-estimate, never an under-estimate)."""
    return sum(max(anonymous_memory(pid) - inherited, 0) for pid in linux.processes_of(uid))


def usage(paths: list[str], limit_bytes: int, limit_entries: int) -> tuple[int, int]:
    """(bytes, entries) held under ``paths``, counted until either limit is passed (then it stops)."""
    size, count, stack = 0, 0, list(paths)
    while stack and size <= limit_bytes and count <= limit_entries:
        path = stack.pop()
        try:
            info = os.lstat(path)
        except OSError:
            continue
        count += 1
        size += info.st_blocks * 512
        if stat.S_ISDIR(info.st_mode):
            try:
                with os.scandir(path) as entries:
                    stack.extend(e.path for e in entries)
            except OSError:
                continue
    return size, count
