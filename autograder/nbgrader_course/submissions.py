"""Students' notebooks made from the release, and nbgrader run in a course folder.

What the benchmark (``python -m autograder.benchmark``) and the project's tests build their nbgrader
cohorts with: a submission is the release with the reference answers written into its answer cells
(some of them edited into a mistake), its quiz cell filled in, saved in nbgrader's
``submitted/<student>/<assignment>/`` layout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat

from ..paths import PROJECT_ROOT
from . import ASSIGNMENT, NOTEBOOK_NAME
from .notebook import QUIZ_TAG


class NbgraderFailed(RuntimeError):
    """An nbgrader command exited non-zero (its output is in the message)."""


def nbgrader_env() -> dict[str, str]:
    """The environment nbgrader needs: alembic (beside this interpreter) on PATH.

    The kernel inherits it: one torch thread, the project importable.
    """
    bindir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "OMP_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def nbgrader(course: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` run from the course folder (where it reads nbgrader_config.py)."""
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=nbgrader_env(),
        capture_output=True, text=True, timeout=timeout,
    )
    if proc.returncode != 0:
        raise NbgraderFailed(f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def quiz_text(answers: dict[str, str | list[str]]) -> str:
    lines = []
    for qid, value in answers.items():
        shown = f'"{value}"' if isinstance(value, str) else "[" + ", ".join(
            f'"{v}"' for v in value) + "]"
        lines.append(f"{qid} = {shown}")
    return 'QUIZ_ANSWERS = """\n' + "\n".join(lines) + '\n"""\n'


def submission(release: nbformat.NotebookNode, source: nbformat.NotebookNode, *,
               answers: bool = True, edits: tuple[tuple[str, str], ...] = (),
               quiz: dict | None = None, cell_edits: dict[str, str] | None = None,
               ) -> nbformat.NotebookNode:
    """A student's notebook made from the release.

    ``answers``: write the reference answers into the answer cells (else leave the
    stubs); ``edits``: (old, new) replacements applied to those answers, each
    exactly once overall; ``quiz``: answers for the quiz cell; ``cell_edits``:
    new source for cells by grade id (a student editing read-only or test cells).
    """
    nb = nbformat.from_dict(release)
    by_id = {grade_id(c): c for c in source.cells if grade_id(c)}
    pending = list(edits)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if answers and meta.get("solution"):
            text = by_id[meta["grade_id"]].source
            for old, new in list(pending):
                if old in text:
                    text = text.replace(old, new, 1)
                    pending.remove((old, new))
            cell.source = text
        if quiz is not None and QUIZ_TAG in cell.metadata.get("tags", []):
            cell.source = quiz_text(quiz)
        if cell_edits and grade_id(cell) in cell_edits:
            cell.source = cell_edits[grade_id(cell)]
    if pending:
        raise ValueError(f"edits not applied: {pending}")
    return nb


def submit(course: Path, student: str, nb: nbformat.NotebookNode) -> Path:
    path = course / "submitted" / student / ASSIGNMENT / NOTEBOOK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
