"""Module 11 (Recurrent Neural Networks) quiz: bank, answers, scoring, exports.

Public entry points for other parts of the course package:

- ``ANSWERS_FILENAME``: the answer file students submit beside ``rnn.py``.
- ``autograder_tests(answers_text, source, *, student_id=None)``: Gradescope tests.
- ``answers_from_notebook_cells(cells_text)``: answer-file text from notebook cells.
"""

from __future__ import annotations

ANSWERS_FILENAME = "quiz_answers.toml"

__all__ = ["ANSWERS_FILENAME", "autograder_tests", "answers_from_notebook_cells", "load_bank"]


def load_bank(path=None):
    """The bundled bank (or the bank at ``path``), validated."""
    from .bank import load_bank as _load

    return _load(path)


def autograder_tests(answers_text: str, source: str = ANSWERS_FILENAME, *,
                     student_id: str | None = None) -> list[dict]:
    """Score answer-file text against the bundled bank with the default scheme.

    Returns Gradescope test dicts (``name``, ``score``, ``max_score``, ``status``,
    ``output``, ``visibility``), one per question, plus a 0-point "Quiz: answer
    file" test when the file has problems not tied to one question. The text is
    only parsed (TOML), never executed. Never raises on bad input.
    """
    from .answers import parse_answers
    from .bank import load_bank as _load
    from .scoring import DEFAULT_SCHEME, gradescope_tests, score_sheet

    bank = _load()
    try:
        sheet = parse_answers(answers_text, source)
        result = score_sheet(bank, sheet, DEFAULT_SCHEME, student_id=student_id)
    except Exception as exc:  # last line of defence: a grader must never crash here
        from .answers import AnswerSheet

        sheet = AnswerSheet(source=source, readable=False,
                            notes=[f"{source}: could not be read ({type(exc).__name__})"])
        result = score_sheet(bank, sheet, DEFAULT_SCHEME)
    return gradescope_tests(result)


def answers_from_notebook_cells(cells_text: list[str]) -> str:
    """Answer-file text from notebook cell sources.

    Each cell may hold lines like ``q01 = "b"`` or ``q05 = ["a", "c"]`` (Python
    and TOML agree on that syntax). Lines that are not ``name = value`` are
    dropped (comments, blank lines); everything else is kept verbatim, in cell
    order, for :func:`autograder_tests` to read and report on.
    """
    import re

    keep = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_-]*\s*=")
    lines = []
    for cell in cells_text or []:
        if not isinstance(cell, str):
            continue
        lines.extend(line.rstrip() for line in cell.splitlines() if keep.match(line))
    return "\n".join(lines) + ("\n" if lines else "")
