"""Build the nbgrader source notebook of the assignment from the one source.

Everything in the notebook is derived:

* the student text and the answer cells from ``solutions/rnn.py`` (its module
  docstring, its functions, its ``### BEGIN SOLUTION`` regions, which nbgrader
  itself turns into stubs when it generates the release);
* the visible checks from ``exercises/test_rnn.py`` and its helper modules
  (see :mod:`.visible`);
* one hidden test cell per hidden check of the catalogue
  (``autograder.judge.catalogue``: part 1's ``CHECKS`` and part 2's
  ``PART2_CHECKS``), worth the check's points, calling
  ``autograder.inkernel.run_check``, so nbgrader and ``python -m autograder
  grade`` give the same fraction of the points by construction;
* a plot of part 2's ``hidden_gradient_norms`` for a short and a long
  sequence, so the student sees the gradient vanish;
* the quiz from the quiz bank: questions without keys, one answers cell tagged
  ``quiz-answers`` and one hidden test cell per question.

``python -m autograder build`` writes it to :data:`SOURCE_NOTEBOOK`; the
project's tests fail when it drifts from its sources.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .. import paths, stubgen
from . import PLOT_CELL, SKIPPED_WHILE_NBGRADER_RUNS, visible
from . import SOURCE_NOTEBOOK as SOURCE_NOTEBOOK  # named here too by derived.py and the tests

QUIZ_TAG = "quiz-answers"
CHECK_RUNNER = "autograder.inkernel"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


@dataclass(frozen=True)
class CheckSpec:
    """One hidden check as the notebook shows it: id, points, the function judged and its part."""

    id: str
    points: float
    function: str
    part: str


def grader_checks() -> list[CheckSpec]:
    """The hidden checks of both parts, in grading order (accelerator checks have no cell: a
    notebook is graded where it is, and the project's grader adds them only where a device is)."""
    from ..judge.catalogue import CHECKS, PART2_CHECKS

    return [CheckSpec(c.id, float(c.points), c.function, c.part) for c in [*CHECKS, *PART2_CHECKS]]


def points_by_function(checks: Sequence[CheckSpec], order: Sequence[str] = ()) -> dict[str, dict[str, float]]:
    """part -> function -> points; parts in catalogue order, functions in ``order`` (the exercise's)."""
    table: dict[str, dict[str, float]] = {}
    rank = {function: number for number, function in enumerate(order)}
    for check in sorted(checks, key=lambda c: rank.get(c.function, len(rank))):
        row = table.setdefault(check.part, {})
        row[check.function] = row.get(check.function, 0.0) + check.points
    parts = list(dict.fromkeys(c.part for c in checks))
    return {part: table[part] for part in parts}


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
long sequences bring vanishing and exploding gradients. The module's tip lists gradient
clipping, LSTM or GRU cells and optimisers such as Adam against them; they do not act on
the same problem. Clipping caps gradients that explode; gated cells (LSTM, GRU) let the
gradient survive many steps, against vanishing; an adaptive optimiser such as Adam
rescales each step, but cannot bring back a gradient that has vanished. Part 2 has you
measure both problems.

In this assignment you build the module's `SimpleRNN`, train it on a task where memory
matters, and answer the module's quiz.
"""

HOW_TO = """\
### How to work through this notebook

1. Run the setup cells below once.
2. Fill in every cell marked `# YOUR CODE HERE`, in order, following the `# Hint:`
   comment above it: it names the idea, the shapes and the PyTorch functions to look
   up. Delete the `raise NotImplementedError()` line when you do.
3. Run the **visible checks** cell after each answer: one `PASS` or `FAIL` line per
   check, saying what was expected, what your code gave and a hint.
4. Answer the quiz at the end.
5. Before you submit: *Kernel → Restart & Run All*, and check that every cell runs.

Grading runs the visible checks' hidden siblings on other inputs, so code written
only to pass the visible checks will lose points.
"""

SETUP = """\
# Setup: installs PyTorch only where it is missing (Colab and the course machines have it).
# On Linux it takes the CPU-only build: the default one brings CUDA, about 3 GB.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("torch") is None:
    cpu_only = ["--index-url", "https://download.pytorch.org/whl/cpu"] if sys.platform == "linux" else []
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "torch", *cpu_only], check=True)
"""

CHECKS_INTRO = """\
## The visible checks

The next cell defines the checks you will run after each answer. It is read-only:
just run it.
"""

MAIN_INTRO = """\
## Putting it together

Train your network on the exercise's data set and measure its accuracy on sequences
it has never seen (about 0.9 when everything works). The cell is read-only and the
graders skip it: to experiment, add a cell of your own below it.
"""

PART1_INTRO = """\
# Part 1: the network and its training loop
"""

PART2_INTRO = """\
# Part 2: under the hood

`nn.RNN` hides a loop over time. Here you write that loop yourself, then use it to
watch backpropagation through time at work: how much the loss depends on the hidden
state of each time step.
"""

MAIN_GUARD = re.compile(r"^if __name__ == [\"']__main__[\"']:[ \t]*$", re.M)


def skipped_while_nbgrader_runs(source: str) -> str:
    """The solution's ``if __name__ == "__main__":`` block, guarded for the notebook instead."""
    guarded, count = MAIN_GUARD.subn(SKIPPED_WHILE_NBGRADER_RUNS, source, count=1)
    if count != 1:
        raise stubgen.SourceError("the solution's closing block does not start with "
                                  "`if __name__ == \"__main__\":`")
    return guarded


PLOT_INTRO = """\
## See the gradient vanish

The cell below runs your `hidden_gradient_norms` on an untrained `SimpleRNN` for a
short sequence (10 steps) and a long one (60 steps), and plots the norms on a log
scale. Read the long curve from right to left: every step back in time multiplies
the gradient by the transposed Jacobian of that step, `diag(1 - h^2) W_hh`, and for
an untrained network that about halves it (your `gradient_factors` measures it), so
over 60 steps it shrinks by orders of magnitude. This is the vanishing gradient the
module warns about, and why LSTM and GRU cells were invented.

The cell above printed the same numbers for your trained network, and there the norms
grow going back in time: the gradient reaching the first step is larger than the one
reaching the last. To carry a running total over the whole sequence, training made
`W_hh` amplify the direction that holds it (its spectral norm grows from about 1 to
about 2), so a step back can multiply the gradient by more than 1: the factors come
out above 1. Compounded over many steps, that is the exploding gradient, the other
side of the module's warning, and why `training_step` clips the gradient's norm before
the optimizer steps. The same cell scaled `W_hh` of an untrained network up three times:
over 60 steps the gradient reaching the first step grows more than a thousand times
larger than the last's. (Nothing here is graded.)
"""

PLOT = """\
# Plots |dLoss/dh_t| for every time step t; read-only, and skipped by the graders.
""" + SKIPPED_WHILE_NBGRADER_RUNS + """
    torch.manual_seed(0)
    demo = SimpleRNN(input_size=4, hidden_size=16, output_size=2)
    curves = {}
    for length in (10, 60):
        demo_inputs, demo_targets = make_dataset(64, seq_len=length, seed=2)
        curves[length] = hidden_gradient_norms(demo, demo_inputs, demo_targets).detach().tolist()
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # no matplotlib here: the numbers instead
        for length, norms in curves.items():
            print(f"seq_len {length}: |dL/dh_0| = {norms[0]:.2e}, |dL/dh_last| = {norms[-1]:.2e}")
    else:
        figure, axes = plt.subplots(figsize=(7, 3.5))
        for length, norms in curves.items():
            axes.semilogy(range(length), norms, marker=".", label=f"seq_len = {length}")
        axes.set_xlabel("time step t")
        axes.set_ylabel("|dLoss / dh_t| (log scale)")
        axes.set_title("Backpropagation through time: the gradient reaching each hidden state")
        axes.legend()
        plt.show()
"""

HIDDEN_INTRO = """\
## Graded checks

Each cell below is empty in your copy: the hidden checks are added back and run when
your notebook is graded. You do not need to run or edit these cells.
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
    # The check's id and function, not its full name: a name may spell part of an answer.
    source = "\n".join([
        f"# Hidden check `{check.id}` on {check.function} ({_points(check.points)}).",
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


def points_table(checks: Sequence[CheckSpec], quiz_points: float, order: Sequence[str] = ()) -> str:
    """The Markdown table of parts, functions and points (exercises/README.md has the same rows)."""
    from ..judge.catalogue import UNDER_THE_HOOD

    titles = {UNDER_THE_HOOD: "2: under the hood"}
    rows = ["| part | what you write | points |", "|------|----------------|-------:|"]
    for part, functions in points_by_function(checks, order).items():
        title = titles.get(part, "1: the network and its training")
        rows.extend(f"| {title} | `{function}` | {points:g} |" for function, points in functions.items())
    rows.append(f"| quiz | the quiz (the last cells) | {quiz_points:g} |")
    return "\n".join(rows)


def build_notebook(
    checks: Sequence[CheckSpec] | None = None,
    *,
    runner: str = CHECK_RUNNER,
    solution_text: str | None = None,
    exercises_dir: Path | None = None,
) -> nbformat.NotebookNode:
    """The source notebook. ``checks`` default to the catalogue's (both parts)."""
    import quizzes

    from ..judge.catalogue import CORE, UNDER_THE_HOOD

    checks = list(checks) if checks is not None else grader_checks()
    text = solution_text if solution_text is not None else paths.SOLUTION_FILE.read_text("utf-8")
    sources = visible.read_sources(exercises_dir or paths.EXERCISE_FILE.parent)
    tests = visible.parse_tests(sources[visible.TESTS])
    docstring, pieces = split_solution(text)
    part2 = {c.function for c in checks if c.part == UNDER_THE_HOOD}
    order = [region.function for region in stubgen.find_regions(text)]
    table = points_table(checks, quizzes.load_bank().total_points, order)

    cells = [_markdown(INTRO + "\n" + _docstring_markdown(docstring) + "\n\n" + table + "\n\n" + HOW_TO)]
    cells.append(_code(SETUP))
    step, in_part2 = 0, False
    for piece in pieces:
        if piece.kind == "imports":
            cells.append(_code(piece.source, **_meta("imports", locked=True)))
        elif piece.kind == "given":
            cells.append(_markdown(f"## Given: `{piece.name}`\n\n{piece.summary}"))
            cells.append(_code(piece.source, **_meta(f"given-{_slug(piece.name)}", locked=True)))
        elif piece.kind == "answer":
            if step == 0:
                cells.append(_markdown(CHECKS_INTRO))
                cells.append(_code(visible.helper_cell(sources), **_meta("visible-checks", locked=True)))
                cells.append(_markdown(PART1_INTRO))
            if not in_part2 and set(piece.functions) <= part2:
                cells.append(_markdown(PART2_INTRO))
                in_part2 = True
            step += 1
            names = ", ".join(f"`{f}`" for f in piece.functions)
            cells.append(_markdown(f"## Step {step}: {names}\n\n{piece.summary}"))
            cells.append(_code(piece.source, **_meta(f"answer-{_slug(piece.name)}",
                                                     solution=True)))
            cells.append(_code(visible.run_cell(tests, list(piece.functions)),
                               **_meta(f"visible-{_slug(piece.name)}", locked=True)))
        else:
            cells.append(_markdown(MAIN_INTRO))
            cells.append(_code(skipped_while_nbgrader_runs(piece.source),
                               **_meta("demo-putting-it-together", locked=True)))
            if part2:
                cells.append(_markdown(PLOT_INTRO))
                cells.append(_code(PLOT, **_meta(PLOT_CELL, locked=True)))
    cells.append(_markdown(HIDDEN_INTRO))
    for part, title in ((CORE, "### Part 1"), (UNDER_THE_HOOD, "### Part 2: under the hood")):
        mine = [c for c in checks if c.part == part]
        if mine:
            cells.append(_markdown(f"{title} ({_points(sum(c.points for c in mine))})"))
            cells.extend(_hidden_check_cell(check, runner) for check in mine)
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
