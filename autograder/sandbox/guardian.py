"""The fork server's guardian: however the grader dies, nothing it started outlives it.

The fork server starts it first, before any worker exists: a small child in a
session of its own (a signal to the grader's process group does not reach it),
ignoring SIGINT, SIGTERM and SIGHUP, holding the read end of a pipe whose write
end only the fork server holds. The fork server tells it, as it goes, every
sandbox user, scratch folder and cgroup it uses (one JSON object per line).

When the pipe closes (the fork server exited: normally, or killed with the
judge by any signal, SIGKILL included), the guardian kills every process of
those users (``kill(-1)`` as each user: a process that forks cannot outrun it,
in or out of a PID namespace), removes what they left as those users (their
scratch folders, their files in world-writable folders), kills and removes the
fork server's cgroups, and exits. A grader that ends normally has already done
all this; the guardian then finds nothing to do.
"""

from __future__ import annotations

import json
import os
import signal

from . import cleanup, linux


class Guardian:
    """The fork server's end of the pipe."""

    def __init__(self) -> None:
        read, self.fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(self.fd)
            _guard(read)  # never returns
        os.close(read)
        self.pid = pid

    def tell(self, **facts) -> None:
        """Record what must be cleaned up should the fork server die (best effort: never raises)."""
        try:
            os.write(self.fd, (json.dumps(facts) + "\n").encode())
        except OSError:
            pass


def _guard(read_fd: int) -> None:
    status = 0
    try:
        os.setsid()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_IGN)
        os.dup2(read_fd, 3)
        linux.close_range(4)  # nothing of the fork server's: its socket, the judge's pipes
        uids, scratch, cgroups, writable, bases = set(), {}, [], [], []
        pending = b""
        while True:
            chunk = os.read(3, 65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                facts = json.loads(line)
                if "uid" in facts:
                    uids.add(int(facts["uid"]))
                    if facts.get("scratch"):
                        scratch[facts["scratch"]] = int(facts["uid"])
                cgroups += facts.get("cgroups", [])
                writable += facts.get("writable", [])
                bases += [facts["base"]] if facts.get("base") else []
                for path in facts.get("done", []):  # a scratch folder already removed
                    scratch.pop(path, None)
        clean_up(sorted(uids), scratch, cgroups, writable)
        for base in bases:  # the fork server's own folder of scratch folders, now empty
            try:
                os.rmdir(base)
            except OSError:
                pass
    except BaseException:  # noqa: BLE001 - a child must never unwind into the fork server's code
        status = 1
    finally:
        os._exit(status)


def clean_up(uids: list[int], scratch: dict[str, int], cgroups: list[str], writable: list[str]) -> None:
    """Kill every process of ``uids``, remove what they left, remove the cgroups.

    A sandbox user is acted on only while this process holds its claim's lock, so never while a
    grader holds it: the judge that claimed it (whose own clean-up comes first), or a later grader
    that claimed it since (which it does only when the user runs no process; its workers are gone
    before it lets go)."""
    from .cgroups import remove_tree
    from .uids import hold

    for path in cgroups:  # this fork server's own: its workers' PID namespaces die with them
        remove_tree(path)
    for uid in uids:
        lock = hold(uid)
        try:
            cleanup.kill_uid(uid)
            cleanup.remove_as(uid, cleanup.owned_entries(writable, uid))
        finally:
            if lock >= 0:
                os.close(lock)
    for path, uid in scratch.items():  # this fork server's own folders: emptied as their users, then gone
        cleanup.remove_as(uid, [os.path.join(path, "work")])
        for folder in (os.path.join(path, "work"), path):
            try:
                os.rmdir(folder)
            except OSError:
                pass
