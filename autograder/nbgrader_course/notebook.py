"""Build the nbgrader source notebook of the assignment from the one source.

Everything in the notebook is derived:

* the student text and the answer cells from ``solutions/rnn.py`` (its module
  docstring, its functions, its ``### BEGIN SOLUTION`` regions, which nbgrader
  itself turns into stubs when it generates the release);
* the visible checks from ``exercises/test_rnn.py`` (see :mod:`.visible`);
* one hidden test cell per grader check (``autograder.checks.CHECKS``), worth
  the check's points, so nbgrader and ``python -m autograder grade`` give the
  same fraction of the points by construction;
* the quiz from the quiz bank: questions without keys, one answers cell tagged
  ``quiz-answers`` and one hidden test cell per question.

``python -m autograder build`` writes it to :data:`SOURCE_NOTEBOOK`; the
project's tests fail when it drifts from its sources.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .. import paths, stubgen
from . import ASSIGNMENT, NOTEBOOK_NAME, TEMPLATE_DIR, visible

SOURCE_NOTEBOOK = TEMPLATE_DIR / "source" / ASSIGNMENT / NOTEBOOK_NAME
QUIZ_TAG = "quiz-answers"
CHECK_RUNNER = "autograder.inkernel"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


@dataclass(frozen=True)
class CheckSpec:
    """One hidden check: the grader's id, its title and its points."""

    id: str
    name: str
    points: float


def grader_checks() -> list[CheckSpec] | None:
    """The grader's checks, in order; ``None`` while ``autograder.checks`` does not exist."""
    try:
        from autograder.checks import CHECKS
    except ModuleNotFoundError as exc:
        if exc.name not in {"autograder.checks"}:
            raise
        return None
    return [CheckSpec(str(c.id), str(c.name), float(c.points)) for c in CHECKS]


# --- cells -------------------------------------------------------------------


def _meta(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _markdown(text: str, **meta) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip("\n"), metadata=meta)


def _code(source: str, **meta) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source.strip("\n"), metadata=meta)


def _points(value: float) -> str:
    return f"{value:g} point{'' if value == 1 else 's'}"


# --- the solution file, split into cells ------------------------------------------


@dataclass(frozen=True)
class Piece:
    kind: str  # "imports", "given", "answer", "main"
    source: str
    name: str = ""
    summary: str = ""
    functions: tuple[str, ...] = ()  # student functions answered in this piece


def _docstring_markdown(docstring: str) -> str:
    """The solution's module docstring as Markdown, minus its pytest instructions."""
    lines = docstring.strip().splitlines()
    out: list[str] = []
    for line in lines:
        if re.fullmatch(r"-{3,}", line.strip()) and out:
            out[-1] = f"### {out[-1]}"
        else:
            out.append(line)
    paragraphs = [p for p in "\n".join(out).split("\n\n") if "pytest exercises" not in p]
    text = "\n\n".join(paragraphs[1:])  # the first paragraph is the title line
    return text.replace("``", "`")


def split_solution(text: str) -> tuple[str, list[Piece]]:
    """(module docstring, pieces): the solution file cut at its top-level statements."""
    tree = ast.parse(text)
    lines = text.splitlines()
    regions = stubgen.find_regions(text)
    docstring = ast.get_docstring(tree) or ""
    pieces: list[Piece] = []
    imports: list[str] = []
    starts = []
    for node in tree.body:
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        while start > 1 and lines[start - 2].lstrip().startswith("#"):
            start -= 1  # keep the comment block above a statement with it
        starts.append(start)
    ends = [start - 1 for start in starts[1:]] + [len(lines)]
    for node, start, end in zip(tree.body, starts, ends, strict=True):
        # up to the next statement: trailing comments (### END SOLUTION) stay with this one
        source = "\n".join(lines[start - 1:end]).rstrip()
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(source)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            inside = tuple(
                r.function for r in regions if node.lineno <= r.begin <= (node.end_lineno or 0)
            )
            summary = (ast.get_docstring(node) or "").split("\n\n")[0].replace("\n", " ")
            kind = "answer" if inside else "given"
            pieces.append(Piece(kind, source, node.name, summary, inside))
        elif isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            pieces.append(Piece("main", source))
        else:
            raise stubgen.SourceError(
                f"solutions/rnn.py:{node.lineno}: top-level statement the notebook cannot place: "
                f"{ast.unparse(node)[:60]}"
            )
    pieces.insert(0, Piece("imports", "\n".join(imports)))
    return docstring, pieces


# --- the notebook's fixed text -------------------------------------------------------

INTRO = """\
# Module 11: Recurrent Neural Networks

Recurrent neural networks (RNNs) loop their connections back onto themselves: at each
time step the network reads one input and its own hidden state from the step before.
That hidden state is a *memory* of earlier inputs, which is what sequence tasks (time
series, text, speech) need. RNNs are trained with backpropagation through time, and
long sequences bring vanishing and exploding gradients: gradient clipping, LSTM or GRU
cells and optimisers such as Adam help.

In this assignment you build the module's `SimpleRNN`, train it on a task where memory
matters, and answer the module's quiz.
"""

HOW_TO = """\
### How to work through this notebook

1. Run the setup cells below once.
2. Fill in every cell marked `# YOUR CODE HERE`, in order, following the `# Hint:`
   line above it. Delete the `raise NotImplementedError()` line when you do.
3. Run the **visible checks** cell after each answer: one `PASS` or `FAIL` line per
   check, saying what was expected and what your code gave.
4. Answer the quiz at the end.
5. Before you submit: *Kernel → Restart & Run All*, and check that every cell runs.

Grading runs the visible checks' hidden siblings on other inputs, so code written
only to pass the visible checks will lose points.
"""

SETUP = """\
# Setup: installs PyTorch only where it is missing (Colab and the course machines have it).
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("torch") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "torch"], check=True)
"""

CHECKS_INTRO = """\
## The visible checks

The next cell defines the checks you will run after each answer. It is read-only:
just run it.
"""

MAIN_INTRO = """\
## Putting it together

Train your network on the exercise's data set and measure its accuracy on sequences
it has never seen (about 0.9 when everything works).
"""

HIDDEN_INTRO = """\
## Graded checks

Each cell below is empty in your copy: the hidden checks are added back and run when
your notebook is graded. You do not need to run or edit these cells.
"""

HIDDEN_MISSING = """\
## Graded checks

*Not generated yet: the grader's checks (`autograder.checks`) are not installed. Run
`python -m autograder build` once they are, to add one hidden test cell per check.*
"""

QUIZ_INTRO = """\
## Quiz

Answer in the cell tagged `quiz-answers` below: one letter per question, e.g.
`q01 = "b"`, or a list of letters for *choose all that apply*, e.g. `q05 = ["a", "c"]`.
Keep the text between the triple quotes as it is apart from your answers: it is read
as data, never run.
"""


# --- building ---------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def _hidden_check_cell(check: CheckSpec, runner: str) -> nbformat.NotebookNode:
    title = textwrap.wrap(f"{check.name}.", width=96)
    source = "\n".join([
        f"# Hidden check `{check.id}` ({_points(check.points)}):",
        *(f"#   {line}" for line in title),
        "# Empty in your copy: it is filled in and run when your notebook is graded.",
        "### BEGIN HIDDEN TESTS",
        f"from {runner} import run_check",
        "",
        f"run_check(globals(), {check.id!r})",
        "### END HIDDEN TESTS",
    ])
    return _code(source, **_meta(f"check-{_slug(check.id)}", grade=True, locked=True,
                                 points=check.points))


def _quiz_cells() -> list[nbformat.NotebookNode]:
    import quizzes
    from quizzes.answers import render_answers
    from quizzes.sheet import question_sheet

    bank = quizzes.load_bank()
    sheet = question_sheet(bank)
    questions = sheet[sheet.index("\n## ") + 1:].replace("\n## ", "\n### ")
    questions = "#" + questions if questions.startswith("## ") else questions
    ids = tuple(q.id for q in bank.questions)
    answer_lines = [
        line for line in render_answers(bank, {}).splitlines() if line.startswith(ids)
    ]
    answers = "\n".join([
        "# Your quiz answers (read as data by the graders, never run).",
        'QUIZ_ANSWERS = """',
        *answer_lines,
        '"""',
    ])
    answers_cell = _code(answers, tags=[QUIZ_TAG])
    cells = [_markdown(QUIZ_INTRO), _markdown(questions), answers_cell]
    for q in bank.questions:
        source = "\n".join([
            f"# Quiz {q.id} ({_points(q.points)}): scored when your notebook is graded.",
            "### BEGIN HIDDEN TESTS",
            "from autograder.nbgrader_course.kernel import quiz_points",
            "",
            f"quiz_points(globals(), {q.id!r})",
            "### END HIDDEN TESTS",
        ])
        cells.append(_code(source, **_meta(f"quiz-{q.id}", grade=True, locked=True,
                                           points=float(q.points))))
    return cells


def build_notebook(
    checks: Sequence[CheckSpec] | None = None,
    *,
    runner: str = CHECK_RUNNER,
    solution_text: str | None = None,
    exercises_dir: Path | None = None,
    use_grader_checks: bool = True,
) -> nbformat.NotebookNode:
    """The source notebook. ``checks`` default to the grader's (``None`` if absent)."""
    if checks is None and use_grader_checks:
        checks = grader_checks()
    text = solution_text if solution_text is not None else paths.SOLUTION_FILE.read_text("utf-8")
    test_text, feedback_text = visible.read_sources(exercises_dir or paths.EXERCISE_FILE.parent)
    tests = visible.parse_tests(test_text)
    docstring, pieces = split_solution(text)

    cells = [_markdown(INTRO + "\n" + _docstring_markdown(docstring) + "\n\n" + HOW_TO)]
    cells.append(_code(SETUP))
    part = 0
    for piece in pieces:
        if piece.kind == "imports":
            cells.append(_code(piece.source, **_meta("imports", locked=True)))
        elif piece.kind == "given":
            cells.append(_markdown(f"## Given: `{piece.name}`\n\n{piece.summary}"))
            cells.append(_code(piece.source, **_meta(f"given-{_slug(piece.name)}", locked=True)))
        elif piece.kind == "answer":
            if part == 0:
                cells.append(_markdown(CHECKS_INTRO))
                cells.append(_code(visible.helper_cell(test_text, feedback_text),
                                   **_meta("visible-checks", locked=True)))
                part = 1
            names = ", ".join(f"`{f}`" for f in piece.functions)
            cells.append(_markdown(f"## Part {part}: {names}\n\n{piece.summary}"))
            cells.append(_code(piece.source, **_meta(f"answer-{_slug(piece.name)}",
                                                     solution=True)))
            cells.append(_code(visible.run_cell(tests, list(piece.functions)),
                               **_meta(f"visible-{_slug(piece.name)}", locked=True)))
            part += 1
        else:
            cells.append(_markdown(MAIN_INTRO))
            cells.append(_code(piece.source))
    if checks is None:
        cells.append(_markdown(HIDDEN_MISSING))
    else:
        cells.append(_markdown(HIDDEN_INTRO))
        cells.extend(_hidden_check_cell(check, runner) for check in checks)
    cells.extend(_quiz_cells())
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number:02d}"

    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    nbformat.validate(notebook)
    return notebook


def render(notebook: nbformat.NotebookNode | None = None) -> str:
    """The notebook's bytes on disk (stable: same sources, same text)."""
    return nbformat.writes(notebook if notebook is not None else build_notebook()) + "\n"
