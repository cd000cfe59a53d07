"""The Gradescope upload: a zip whose *contents* become ``/autograder/source``.

Gradescope unpacks the zip into ``/autograder/source`` and runs ``setup.sh``
from there, then copies ``run_autograder`` to ``/autograder``. So the zip's
root holds ``setup.sh``, ``run_autograder``, ``pyproject.toml``, ``README.md``, ``constraints.txt``
and the folders grading needs (``autograder/``, ``quizzes/``, ``solutions/``,
``exercises/``), not a ``source/`` folder. Caches, dot-files, build output and
the project's tests stay out. Every entry has the same fixed date and a mode
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

SCRIPTS_DIR = Path(__file__).resolve().parent
SCRIPTS = ("setup.sh", "run_autograder")
FOLDERS = ("autograder", "quizzes", "solutions", "exercises")
FILES = ("pyproject.toml", "README.md", "constraints.txt")  # constraints.txt: the versions setup.sh installs
OPTIONAL_FILES = ("LICENSE", "LICENSE.md", "LICENSE.txt")
NEEDED = ("pyproject.toml", "README.md", "constraints.txt", "autograder/__main__.py", "solutions/rnn.py",
          "quizzes/bank.toml")
SKIP_DIRS = {"__pycache__", "tests", "build", "dist", "node_modules"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".zip", ".egg-info", ".tmp")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can hold
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


def _skipped(relative: Path) -> bool:
    return any(part.startswith(".") or part in SKIP_DIRS or part.endswith(SKIP_SUFFIXES)
               for part in relative.parts)


def project_files(root: Path = PROJECT_ROOT) -> dict[str, Path]:
    """zip name -> file on disk, for everything of the project the zip carries."""
    missing = [name for name in NEEDED if not (root / name).is_file()]
    if missing:
        raise BundleError(f"{root} is not a checkout of the project (missing {', '.join(missing)}); "
                          "run gradescope-zip from a clone installed with `pip install -e .`")
    files: dict[str, Path] = {}
    for name in FILES + tuple(n for n in OPTIONAL_FILES if (root / n).is_file()):
        files[name] = root / name
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            relative = path.relative_to(root)
            if _skipped(relative) or path.is_dir():
                continue
            if path.is_symlink():
                raise BundleError(f"{path} is a symbolic link; the zip carries plain files only")
            files[relative.as_posix()] = path
    return files


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


def _entry(name: str, executable: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    info.create_system = 3  # Unix, so that the mode below means something
    info.external_attr = (0o100000 | (0o755 if executable else 0o644)) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def build(out: Path, torch_pip_args: str | None = None, root: Path = PROJECT_ROOT) -> Bundle:
    files = project_files(root)
    contents: dict[str, tuple[bytes, bool]] = {
        name: (path.read_bytes(), os.access(path, os.X_OK)) for name, path in files.items()
        if path.resolve() != out.resolve()
    }
    contents["setup.sh"] = (setup_script(torch_pip_args), True)
    contents["run_autograder"] = ((SCRIPTS_DIR / "run_autograder").read_bytes(), True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(contents):
            data, executable = contents[name]
            archive.writestr(_entry(name, executable), data, compresslevel=9)
    data = buffer.getvalue()
    atomic.write_bytes(out, data, mode=0o644)
    return Bundle(out, sorted(contents), len(data), hashlib.sha256(data).hexdigest())
