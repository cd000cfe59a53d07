"""The files derived from the one source, and the command that keeps them in step.

``python -m autograder build`` rewrites every derived file; ``--check`` only
compares and fails on drift (the project's tests run the same comparison).

From ``solutions/rnn.py``: the stubs ``exercises/rnn.py``, the nbgrader source
notebook, the bundled reference example and ``exercises/_expected.py`` (the
logits the reference's forward gives on the visible checks' fixed inputs).
From the hidden checks' catalogue: ``exercises/_hints.py`` (students get
``exercises/`` without ``autograder/``, and the visible and hidden checks
must give the same hint for the same mistake). From the quiz bank:
``exercises/quiz.md`` and ``exercises/quiz_answers.toml``.
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


EXERCISES_DIR = paths.EXERCISE_FILE.parent
HINTS_FILE = EXERCISES_DIR / "_hints.py"
EXPECTED_FILE = EXERCISES_DIR / "_expected.py"
CATALOGUE_FILE = paths.PACKAGE_DIR / "judge" / "catalogue.py"
# The visible forward checks' case: a SimpleRNN of these sizes with fill_fixed weights, on fixed(*shape).
FORWARD_SIZES = (3, 7, 5)  # input_size, hidden_size, output_size: no default, so hard-coded sizes show
FORWARD_INPUT = (4, 6, 3)  # batch, seq_len, input_size: batch != seq_len, so a swapped layout shows


def _hints() -> str:
    from .judge.catalogue import HINTS

    lines = [
        '"""The hints of the hidden checks, one per check id: the visible checks give the same ones.',
        "",
        "Derived from autograder/judge/catalogue.py by `python -m autograder build`: do not edit.",
        '"""',
        "",
        "HINTS = {",
    ]
    for check_id, hint in HINTS.items():
        lines.append(f"    {check_id!r}: (")
        for piece in _wrap(hint, 88):
            lines.append(f"        {piece!r}")
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    """``text`` cut at spaces into pieces of about ``width`` characters (each keeps its trailing space)."""
    pieces, current = [], ""
    for word in text.split(" "):
        if current and len(current) + len(word) > width:
            pieces.append(current)
            current = ""
        current += word + " "
    pieces.append(current[:-1])
    return pieces


def _load(path, name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _number_lines(values, indent: str, width: int = 100) -> list[str]:
    """``values`` as comma-separated numbers (9 significant digits) on lines of at most ``width``."""
    lines, line = [], indent
    for value in values:
        item = f"{value:.9g},"
        if line.strip() and len(line) + 1 + len(item) > width:
            lines.append(line)
            line = indent
        line += ("" if not line.strip() else " ") + item
    return [*lines, line]


def _part2(solution, feedback) -> list[str]:
    """The reference's part 2 numbers for the visible checks' fixed case, computed in float64."""
    import torch

    x, targets = feedback.part2_data()
    lines = []
    for case, amplified in (("plain", False), ("amplified", True)):
        model = feedback.FixedLayers(amplified).double()
        rnn = model.rnn
        norms = solution.hidden_gradient_norms(model, x.double(), targets)
        factors, bounds = solution.gradient_factors(model, x.double(), targets)
        with torch.no_grad():
            states, _ = solution.rnn_forward_manual(x.double(), rnn.weight_ih_l0, rnn.weight_hh_l0,
                                                    rnn.bias_ih_l0, rnn.bias_hh_l0)
        lines.append(f"    {case!r}: {{")
        for name, values in (("norms", norms), ("factors", factors), ("bounds", bounds)):
            lines += [f"        {name!r}: [", *_number_lines(values.tolist(), " " * 12), "        ],"]
        lines.append("        'states': [  # (batch, seq_len, hidden_size)")
        for sequence in states.tolist():
            lines.append("            [")
            for step in sequence:
                lines += ["                [", *_number_lines(step, " " * 20), "                ],"]
            lines.append("            ],")
        lines += ["        ],", "    },"]
    return lines


def _expected() -> str:
    import torch

    feedback = _load(EXERCISES_DIR / "_feedback.py", "_feedback_for_build")
    with torch.random.fork_rng(devices=[]):  # SimpleRNN's own initialisation draws numbers
        solution = _load(paths.SOLUTION_FILE, "_solution_for_build")
        model = feedback.fill_fixed(solution.SimpleRNN(*FORWARD_SIZES))
        part2 = _part2(solution, feedback)
    with torch.no_grad():
        logits = model(feedback.fixed(*FORWARD_INPUT, salt=0))
    rows = [", ".join(f"{value:.5f}" for value in row) for row in logits.tolist()]
    return "\n".join([
        '"""Numbers the visible checks compare with (derived: do not edit).',
        "",
        "Written by `python -m autograder build` from the reference solution, for the visible checks'",
        "fixed weights and inputs (_feedback.fill_fixed, _feedback.fixed, _feedback.FixedLayers and",
        "_feedback.part2_data): the logits SimpleRNN.forward gives, rounded to 5 decimals; and, for",
        "part 2, per case (the network as it is, and with W_hh scaled up), what hidden_gradient_norms",
        "and gradient_factors return and the hidden state of every step, computed in float64.",
        '"""',
        "",
        f"FORWARD_SIZES = {FORWARD_SIZES!r}  # input_size, hidden_size, output_size",
        f"FORWARD_INPUT = {FORWARD_INPUT!r}  # batch, seq_len, input_size",
        "FORWARD_LOGITS = [",
        *(f"    [{row}]," for row in rows),
        "]",
        "PART2 = {",
        *part2,
        "}",
    ]) + "\n"


def _quiz_file(name: str) -> Callable[[], str]:
    def render() -> str:
        import quizzes

        return quizzes.student_files()[name]

    return render


def derived_files() -> list[Derived]:
    from quizzes.bank import BUNDLED_BANK

    from .nbgrader_course import notebook  # nbformat is only needed for this file

    return [
        Derived(paths.EXERCISE_FILE, _exercise_stub, paths.SOLUTION_FILE),
        Derived(HINTS_FILE, _hints, CATALOGUE_FILE),
        Derived(EXPECTED_FILE, _expected, paths.SOLUTION_FILE),
        Derived(EXERCISES_DIR / "quiz.md", _quiz_file("quiz.md"), BUNDLED_BANK),
        Derived(EXERCISES_DIR / "quiz_answers.toml", _quiz_file("quiz_answers.toml"), BUNDLED_BANK),
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
