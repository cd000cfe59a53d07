"""The Gradescope upload: a zip whose *contents* become ``/autograder/source``.

Gradescope unpacks the zip into ``/autograder/source`` and runs ``setup.sh``
from there, then copies ``run_autograder`` to ``/autograder``. So the zip's
root holds ``setup.sh``, ``run_autograder``, ``pyproject.toml``, ``README.md``, ``constraints.txt``
and what grading needs, not a ``source/`` folder.

The zip is built from an allow-list (:data:`ALLOWED`): the grader's and the
quiz's Python code, the quiz bank, the reference solution and the project
files pip needs. Nothing else is packed, whatever lies in the folders: an
instructor's ``platform.toml``, the tool's private key or a roster placed
beside the code by following the README stays out, and every file that looks
like a key or a roster (:mod:`.sensitive`, by name and by content) is named in
a warning, allow-listed or not. Every entry has the same fixed date and a mode
of 644 (755 for executables), in sorted order: the same tree gives the same
bytes.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..lms import atomic
from ..paths import PROJECT_ROOT
from .sensitive import why_sensitive

SCRIPTS_DIR = Path(__file__).resolve().parent
SCRIPTS = ("setup.sh", "run_autograder")
# What grading needs, and nothing else: (folder, pattern) pairs; "" is the project's root
# (constraints.txt: the versions setup.sh installs).
ALLOWED = (("", "pyproject.toml"), ("", "README.md"), ("", "LICENSE"), ("", "LICENSE.md"),
           ("", "LICENSE.txt"), ("", "constraints.txt"), ("autograder", "**/*.py"),
           ("autograder/gradescope", "setup.sh"), ("autograder/gradescope", "run_autograder"),
           ("quizzes", "**/*.py"), ("quizzes", "bank.toml"), ("solutions", "rnn.py"),
           # the course's source notebook: setup.sh's selftest grades the release filled in
           ("autograder/nbgrader_course/course/source/module11", "rnn.ipynb"))
NOT_NEEDED = ("autograder/examples/", "quizzes/samples/")  # sample submissions: grading reads none
SCANNED = ("autograder", "quizzes", "solutions", "exercises")  # folders looked through for secrets
NEEDED = ("pyproject.toml", "README.md", "constraints.txt", "autograder/__main__.py", "solutions/rnn.py",
          "quizzes/bank.toml")
SKIP_DIRS = {"__pycache__", "tests", "build", "dist", "node_modules"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".zip", ".egg-info", ".tmp")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can hold
QUIZ_LINE = re.compile(r'^(QUIZ_VISIBILITY="\$\{QUIZ_VISIBILITY:-)([a-z_]*)(\}")$', re.M)
TORCH_LINE = re.compile(r'^(TORCH_PIP_ARGS="\$\{TORCH_PIP_ARGS:-)([^}"]*)(\}")$', re.M)
UNSAFE = re.compile(r'["$`\\}\n\r]')


class BundleError(Exception):
    """The zip cannot be built (the CLI exits 2)."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    entries: list[str]
    size: int
    sha256: str
    refused: list[str]  # "name: why", for every key- or roster-like file left out


def _skipped(relative: Path) -> bool:
    return any(part.startswith(".") or part in SKIP_DIRS or part.endswith(SKIP_SUFFIXES)
               for part in relative.parts)


def project_files(root: Path = PROJECT_ROOT) -> tuple[dict[str, Path], list[str]]:
    """(zip name -> file on disk, for what the allow-list takes; "name: why" for each file refused
    as a key or a roster). Raises BundleError when a file grading needs is one."""
    missing = [name for name in NEEDED if not (root / name).is_file()]
    if missing:
        raise BundleError(f"{root} is not a checkout of the project (missing {', '.join(missing)}); "
                          "run gradescope-zip from a clone installed with `pip install -e .`")
    allowed: dict[str, Path] = {}
    for folder, pattern in ALLOWED:
        base = root / folder if folder else root
        for path in sorted(base.glob(pattern)):
            relative = path.relative_to(root)
            name = relative.as_posix()
            if _skipped(relative) or path.is_dir() or name.startswith(NOT_NEEDED):
                continue
            if path.is_symlink():
                raise BundleError(f"{path} is a symbolic link; the zip carries plain files only")
            allowed[name] = path
    refused: list[str] = []
    seen = [root / f for _, f in ALLOWED[:5] if (root / f).is_file()]
    for folder in SCANNED:
        seen += [p for p in sorted((root / folder).rglob("*")) if not p.is_dir()
                 and not _skipped(p.relative_to(root))]
    for path in seen:
        name = path.relative_to(root).as_posix()
        why = why_sensitive(path, name)
        if why is None:
            continue
        if name in NEEDED or name in ("autograder/__init__.py", "autograder/cli.py"):
            raise BundleError(f"{name}: {why}, and grading needs this file: remove the secret from it, "
                              "then build the zip again")
        refused.append(f"{name}: {why}")
        allowed.pop(name, None)
    return allowed, refused


def setup_script(torch_pip_args: str | None) -> bytes:
    """setup.sh, with another default for TORCH_PIP_ARGS when given."""
    text = (SCRIPTS_DIR / "setup.sh").read_text(encoding="utf-8")
    if torch_pip_args is None:
        return text.encode("utf-8")
    value = " ".join(torch_pip_args.split())
    if not value or UNSAFE.search(value):
        raise BundleError(f"--torch-pip-args {torch_pip_args!r}: give pip arguments without quotes, $, `, "
                          "\\ or }, e.g. \"torch==2.5.1 --index-url https://download.pytorch.org/whl/cpu\"")
    new, count = TORCH_LINE.subn(lambda m: m.group(1) + value + m.group(3), text)
    if count != 1:
        raise BundleError(f"{SCRIPTS_DIR / 'setup.sh'} has no TORCH_PIP_ARGS default line to replace")
    return new.encode("utf-8")


def run_script(quiz_visibility: str | None) -> bytes:
    """run_autograder, with another default for QUIZ_VISIBILITY when given."""
    from ..results import QUIZ_VISIBILITIES

    text = (SCRIPTS_DIR / "run_autograder").read_text(encoding="utf-8")
    if quiz_visibility is None:
        return text.encode("utf-8")
    if quiz_visibility not in QUIZ_VISIBILITIES:
        raise BundleError(f"--quiz-visibility {quiz_visibility!r}: one of {', '.join(QUIZ_VISIBILITIES)}")
    new, count = QUIZ_LINE.subn(lambda m: m.group(1) + quiz_visibility + m.group(3), text)
    if count != 1:
        raise BundleError(f"{SCRIPTS_DIR / 'run_autograder'} has no QUIZ_VISIBILITY default line to replace")
    return new.encode("utf-8")


def _entry(name: str, executable: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    info.create_system = 3  # Unix, so that the mode below means something
    info.external_attr = (0o100000 | (0o755 if executable else 0o644)) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def build(out: Path, torch_pip_args: str | None = None, root: Path | None = None,
          quiz_visibility: str | None = None) -> Bundle:
    files, refused = project_files(root or PROJECT_ROOT)
    contents: dict[str, tuple[bytes, bool]] = {
        name: (path.read_bytes(), os.access(path, os.X_OK)) for name, path in files.items()
        if path.resolve() != out.resolve()
    }
    contents["setup.sh"] = (setup_script(torch_pip_args), True)
    contents["run_autograder"] = (run_script(quiz_visibility), True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(contents):
            data, executable = contents[name]
            archive.writestr(_entry(name, executable), data, compresslevel=9)
    data = buffer.getvalue()
    atomic.write_bytes(out, data, mode=0o644)
    return Bundle(out, sorted(contents), len(data), hashlib.sha256(data).hexdigest(), refused)
