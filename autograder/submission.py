"""Find the student's code (and quiz answers) in what was handed in.

A submission is ``rnn.py``, a folder holding it, or a Jupyter notebook whose
code cells become the module (IPython magics and shell lines are skipped).
Everything here only reads files: nothing the student wrote is executed.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import quizzes

QUIZ_TAG = "quiz-answers"


class SubmissionError(Exception):
    """Grading cannot start: the path names nothing gradable."""


@dataclass
class Submission:
    origin: Path
    source: str | None  # None when the code could not be read; see ``problem``
    problem: str | None = None
    quiz_text: str | None = None
    quiz_source: str = quizzes.ANSWERS_FILENAME
    notes: list[str] = field(default_factory=list)  # shown to the student with the results


def _read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


# Magics whose argument is Python that the notebook runs once: keep that Python.
_PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture", "%%prun")
_PYTHON_LINE_MAGICS = ("%time ", "%timeit ", "%prun ")


def _strip_ipython(source: str) -> str | None:
    """A cell's Python, without magics and shell escapes; None for a non-Python cell magic."""
    first, _, rest = source.lstrip().partition("\n")
    if first.startswith("%%"):
        return rest if first.split()[0] in _PYTHON_CELL_MAGICS else None
    kept = []
    for line in source.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        magic = next((m for m in _PYTHON_LINE_MAGICS if stripped.startswith(m)), None)
        if magic:
            statement = re.sub(r"^(?:-\w+(?:\s+\d+)?\s+)*", "", stripped[len(magic):].lstrip())
            kept.append(indent + statement)
        elif stripped.startswith(("%", "!")):
            kept.append(indent + "pass  # skipped: " + stripped[:60])
        else:
            kept.append(line)
    return "\n".join(kept)


def _quiz_cell_text(source: str) -> str:
    """A quiz cell holds answer lines, or one string literal holding them."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    if (len(tree.body) == 1 and isinstance(tree.body[0], ast.Assign)
            and isinstance(tree.body[0].value, ast.Constant)
            and isinstance(tree.body[0].value.value, str)):
        return tree.body[0].value.value
    return source


def from_notebook(path: Path) -> Submission:
    import nbformat

    try:
        notebook = nbformat.reads(_read_text(path), as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError, ValueError, KeyError) as exc:
        return Submission(path, None, problem=f"{path.name} is not a readable notebook ({exc})"[:300])
    code, quiz, futures, notes = [], [], [], []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", []) or []
        if QUIZ_TAG in tags:
            quiz.append(_quiz_cell_text(cell.source))
            continue
        text = _strip_ipython(cell.source)
        if text is None:
            continue
        # A kernel compiles cell by cell: `from __future__` may open any cell, and a
        # cell with a syntax error fails alone. Keep both true in the joined module.
        lines = text.splitlines()
        futures += [line for line in lines if line.startswith("from __future__ import")]
        text = "\n".join(line for line in lines if not line.startswith("from __future__ import"))
        try:
            compile(text, f"cell {number}", "exec", dont_inherit=True)
        except SyntaxError as exc:
            notes.append(f"cell {number} has a syntax error (line {exc.lineno}: {exc.msg}); "
                         "it was skipped, as a notebook would")
            continue
        code.append(text)
    quiz_text = quizzes.answers_from_notebook_cells(quiz) if quiz else None
    header = "\n".join(dict.fromkeys(futures))
    return Submission(path, header + "\n" + "\n\n".join(code) + "\n", quiz_text=quiz_text,
                      quiz_source=f"{path.name} (quiz cell)", notes=notes)


def _from_folder(folder: Path) -> Submission:
    candidates = [folder / "rnn.py"] if (folder / "rnn.py").is_file() else sorted(
        p for p in folder.rglob("rnn.py") if not any(part.startswith(".") for part in p.parts))
    if not candidates:
        notebooks = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        if len(notebooks) == 1:
            return from_notebook(notebooks[0])
        found = f"{len(notebooks)} notebooks" if notebooks else "no rnn.py and no notebook"
        return Submission(folder, None, problem=f"the submission holds {found}: hand in rnn.py")
    if len(candidates) > 1:
        where = ", ".join(str(p.relative_to(folder)) for p in candidates[:4])
        return Submission(folder, None, problem=f"the submission holds several rnn.py files ({where})")
    submission = Submission(folder, _read_text(candidates[0]))
    for place in (candidates[0].parent, folder):
        answers = place / quizzes.ANSWERS_FILENAME
        if answers.is_file():
            submission.quiz_text = _read_text(answers)
            break
    return submission


def load(path: str | Path) -> Submission:
    """Read a submission; SubmissionError only when nothing at ``path`` can be graded."""
    try:
        return _load(Path(path))
    except OSError as exc:
        raise SubmissionError(f"cannot read {exc.filename or path}: {exc.strerror}") from None


def _load(path: Path) -> Submission:
    if not path.exists():
        raise SubmissionError(f"no such file or folder: {path}")
    if path.is_dir():
        return _from_folder(path)
    if path.suffix == ".ipynb":
        return from_notebook(path)
    if path.suffix != ".py":
        raise SubmissionError(f"{path}: expected rnn.py, a folder or a .ipynb notebook")
    submission = Submission(path, _read_text(path))
    answers = path.parent / quizzes.ANSWERS_FILENAME
    if path.name == "rnn.py" and answers.is_file():  # a stray .py does not claim the folder's quiz
        submission.quiz_text = _read_text(answers)
    return submission
