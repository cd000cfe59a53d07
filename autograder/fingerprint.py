"""The grader's identity: everything installed that can change a score.

Every file of ``autograder/`` and ``quizzes/`` (code and data alike: the
results builder, the quiz bank, the LMS code, the examples), the reference
solution, and the versions of torch and Python. Two copies with the same
fingerprint grade alike; a Dask worker whose fingerprint differs from the
client's is refused (:mod:`.arrival`), and a results file graded under another
fingerprint is graded again (the resume key). Compiled bytecode
(``__pycache__``) is left out: it is derived from the sources, and differs from
machine to machine.
"""

from __future__ import annotations

import hashlib
import sys
from importlib import metadata
from pathlib import Path

from . import paths

FOLDERS = ("autograder", "quizzes")
SKIPPED_DIRS = {"__pycache__"}
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def _torch_version() -> str:
    try:
        return metadata.version("torch")  # without importing torch (a second of start-up)
    except metadata.PackageNotFoundError:
        return "none"


def inventory(root: Path | None = None) -> dict[str, str]:
    """Name -> sha256 of every file that can change a score, plus ``torch`` and ``python`` versions."""
    root = root or paths.PROJECT_ROOT
    found: dict[str, str] = {"version:torch": _torch_version(),
                             "version:python": ".".join(map(str, sys.version_info[:3]))}
    files = [root / "solutions" / "rnn.py"]
    for folder in FOLDERS:
        files += [p for p in (root / folder).rglob("*")
                  if p.is_file() and not SKIPPED_DIRS & set(p.relative_to(root).parts)
                  and not p.name.endswith(SKIPPED_SUFFIXES)]
    for path in sorted(files):
        try:
            found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            found[path.relative_to(root).as_posix()] = "unreadable"
    return found


def digest(found: dict[str, str]) -> str:
    from .judge.grader import VERSION

    hashed = hashlib.sha256(VERSION.encode())
    for name, value in sorted(found.items()):
        hashed.update(f"{name}\0{value}\0".encode())
    return hashed.hexdigest()[:16]


def fingerprint(root: Path | None = None) -> str:
    """The grader's identity (16 hex digits)."""
    return digest(inventory(root))


def differences(mine: dict[str, str], theirs: dict[str, str], limit: int = 6) -> str:
    """What differs between two inventories, for a message: 'torch 2.13.0 here, 2.14.1 there; ...'."""
    out = []
    for key in ("version:torch", "version:python"):
        if mine.get(key) != theirs.get(key):
            out.append(f"{key.split(':')[1]} {theirs.get(key)} there, {mine.get(key)} here")
    changed = sorted(k for k in mine.keys() & theirs.keys() if not k.startswith("version:")
                     and mine[k] != theirs[k])
    extra = sorted(theirs.keys() - mine.keys())
    missing = sorted(mine.keys() - theirs.keys())
    for label, names in (("differs", changed), ("only there", extra), ("missing there", missing)):
        if names:
            more = f" and {len(names) - limit} more" if len(names) > limit else ""
            out.append(f"{label}: {', '.join(names[:limit])}{more}")
    return "; ".join(out) or "the same files"
