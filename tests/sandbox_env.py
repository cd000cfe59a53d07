"""Machines the grader runs on, simulated for one command: a Gradescope-like container, and one
whose kernel refuses Landlock.

The container: no CAP_SYS_ADMIN (so no namespaces, mounts or cgroups for the grader), Python
readable by other users (pyenv is re-mounted out of root's 0700 home), and the project closed to
them: it is seen only at ``<scratch>/priv/main`` (0700), while its own path shows an empty folder.
Made with a private mount namespace and capsh; nothing outside the command changes.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from tests.conftest import ROOT

CONTAINER = """
set -e
T={tmp}
mkdir -p $T/pyenv $T/priv/main && chmod 700 $T/priv
mount --bind /root/.pyenv $T/pyenv
mount --bind {root} $T/priv/main
mount -t tmpfs -o mode=755 tmpfs /root
mkdir -p /root/.pyenv && mount --bind $T/pyenv /root/.pyenv
mount -t tmpfs -o mode=755 tmpfs {root}
export PYTHONPATH=$T/priv/main
cd {cwd}
exec capsh --drop=cap_sys_admin -- -c {command}
"""

# A launcher that makes the kernel's Landlock calls fail (ENOSYS), then runs Python on the rest.
LANDLOCK_OFF = """
import errno, os, sys, pyseccomp as sc
rules = sc.SyscallFilter(defaction=sc.ALLOW)
for name in ("landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"):
    rules.add_rule(sc.ERRNO(errno.ENOSYS), name)
rules.load()
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


def python(scratch: Path, landlock: bool = True) -> list[str]:
    """The interpreter, or the interpreter behind the no-Landlock launcher."""
    if landlock:
        return [sys.executable]
    launcher = scratch / "no_landlock.py"
    launcher.write_text(LANDLOCK_OFF)
    return [sys.executable, str(launcher)]


def in_container(args: list[str], scratch: Path, cwd: Path | None = None) -> list[str]:
    """argv that runs ``args`` inside the simulated container (``cwd``: default the project as seen
    there). ``scratch`` must be a folder other users cannot enter."""
    command = " ".join(shlex.quote(a) for a in args)
    script = CONTAINER.format(tmp=scratch / "mnt", root=ROOT, command=shlex.quote(command),
                              cwd=shlex.quote(str(cwd)) if cwd else "$T/priv/main")
    return ["unshare", "--mount", "bash", "-c", script]
