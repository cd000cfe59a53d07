"""Container mode: are the grader's folders closed to a sandbox user? Checked by trying, as that user.

In ``full`` mode the worker's new root simply holds none of the grader's
folders. In ``container`` mode they are on the same file system, closed to
other users by their permissions (the README asks the instructor to), and that
must be checked by trying. A worker cannot do the trying without being told
the paths (the cohort's folder, the results folder), and whatever a worker is
told stays in its memory, where student code can read it. So the judge does it
here instead: a fresh, small interpreter (no torch, no grader state, no student
code ever) becomes each sandbox user exactly as a worker does (groups, uid,
no_new_privs, the same Landlock allow-list where the kernel has it), tries to
list and read every path, and reports those it could. Permissions for "other
users" apply alike to every sandbox user, so one check per user at start-up
holds for every worker of the run.

Run as ``python -m autograder.sandbox.hidden_check`` with a JSON request on stdin:
``{"uid", "paths", "read_only", "own"}``; it prints ``{"exposed": [...], "landlock": bool}``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

TIMEOUT_S = 30.0


def exposed_to(uid: int, paths: list[str], read_only: list[str], own: list[str]) -> tuple[list[str], str]:
    """(the paths ``uid`` can read, what was in force) — or raises OSError when it cannot be checked."""
    from .. import paths as package_paths

    request = json.dumps({"uid": uid, "paths": paths, "read_only": read_only, "own": own})
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(package_paths.PACKAGE_DIR.parent), "LANG": "C.UTF-8"}
    try:
        done = subprocess.run([sys.executable, "-s", "-m", "autograder.sandbox.hidden_check"], input=request,
                              capture_output=True, text=True, timeout=TIMEOUT_S, cwd="/", env=env)
    except subprocess.TimeoutExpired:
        raise OSError(62, "the check of the grader's folders did not finish") from None
    if done.returncode != 0:
        raise OSError(1, f"the check of the grader's folders failed: {done.stderr.strip()[-300:]}")
    answer = json.loads(done.stdout)
    return [str(p) for p in answer["exposed"]], str(answer["landlock"])


def _check(request: dict) -> dict:
    from . import landlock, linux
    from .confine import _hidden

    uid = int(request["uid"])
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    try:
        in_force = landlock.restrict(read_only=request["read_only"], read_write=[], devices=[])
    except OSError as exc:
        in_force = f"no landlock ({exc.strerror or exc})"
    return {"exposed": [p for p in request["paths"] if not _hidden(p, request["own"])], "landlock": in_force}


if __name__ == "__main__":
    print(json.dumps(_check(json.loads(sys.stdin.read()))))
