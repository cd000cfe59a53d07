"""The files derived from the one source, and the command that keeps them in step.

``python -m autograder build`` rewrites every derived file; ``--check`` only
compares and fails on drift (the project's tests run the same comparison).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import paths, stubgen


@dataclass(frozen=True)
class Derived:
    path: Path
    render: Callable[[], str]
    source: Path


def _exercise_stub() -> str:
    return stubgen.make_stubs(paths.SOLUTION_FILE.read_text(encoding="utf-8"), "solutions/rnn.py")


def _reference_example() -> str:
    return paths.SOLUTION_FILE.read_text(encoding="utf-8")


def derived_files() -> list[Derived]:
    from .nbgrader_course import notebook  # nbformat is only needed for this file

    return [
        Derived(paths.EXERCISE_FILE, _exercise_stub, paths.SOLUTION_FILE),
        Derived(notebook.SOURCE_NOTEBOOK, notebook.render, paths.SOLUTION_FILE),
        Derived(paths.EXAMPLES_DIR / "reference" / "rnn.py", _reference_example, paths.SOLUTION_FILE),
    ]


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(paths.PROJECT_ROOT))
    except ValueError:
        return str(path)


def drift(item: Derived) -> str:
    """A unified diff between the file on disk and what the source generates ('' if equal)."""
    wanted = item.render()
    current = item.path.read_text(encoding="utf-8") if item.path.exists() else ""
    if current == wanted:
        return ""
    rel = _rel(item.path)
    return "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            wanted.splitlines(keepends=True),
            fromfile=f"{rel} (on disk)",
            tofile=f"{rel} (generated from {_rel(item.source)})",
        )
    )


def build(check: bool = False) -> int:
    """Regenerate (or, with ``check``, verify) every derived file; return an exit status."""
    status = 0
    for item in derived_files():
        rel = _rel(item.path)
        diff = drift(item)
        if not diff:
            print(f"up to date  {rel}")
        elif check:
            print(f"DRIFTED     {rel}: run `python -m autograder build`\n{diff}")
            status = 1
        else:
            item.path.parent.mkdir(parents=True, exist_ok=True)
            item.path.write_text(item.render(), encoding="utf-8")
            print(f"written     {rel}")
    return status
