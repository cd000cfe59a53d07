"""Module 11 (Recurrent Neural Networks) quiz: bank, answers, scoring, exports.

Public entry points for other parts of the course package:

- ``ANSWERS_FILENAME``: the answer file students submit beside ``rnn.py``.
- ``autograder_tests(answers_text, source, *, student_id=None)``: Gradescope tests.
- ``answers_from_notebook_cells(cells_text)``: answer-file text from notebook cells.
- ``answers_from_notebook(data)``: answer-file text from a whole ``.ipynb`` file.
- ``student_files()``: the quiz sheet and blank answer file for ``exercises/``.

Importing this package imports nothing else (no torch, numpy or rich); scoring
needs only the standard library, so a grader can call it in a small child process.
"""

from __future__ import annotations

ANSWERS_FILENAME = "quiz_answers.toml"
SHEET_FILENAME = "quiz.md"
QUIZ_TAG = "quiz-answers"  # the notebook cell holding the answers carries this tag
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024  # a larger .ipynb is not opened for its answers

__all__ = ["ANSWERS_FILENAME", "SHEET_FILENAME", "QUIZ_TAG", "autograder_tests",
           "answers_from_notebook_cells", "answers_from_notebook", "load_bank", "student_files"]

_CACHE: dict = {}


def load_bank(path=None):
    """The bundled bank (or the bank at ``path``), validated.

    The bundled bank is parsed once per process and again only when the file changes.
    """
    from .bank import BUNDLED_BANK
    from .bank import load_bank as _load

    if path is not None:
        return _load(path)
    try:
        stat = BUNDLED_BANK.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        return _load()  # raises BankError naming the file
    cached = _CACHE.get("bank")
    if cached is None or cached[0] != stamp:
        cached = _CACHE["bank"] = (stamp, _load())
    return cached[1]


def autograder_tests(answers_text: str, source: str = ANSWERS_FILENAME, *,
                     student_id: str | None = None) -> list[dict]:
    """Score answer-file text against the bundled bank with the default scheme.

    Returns Gradescope test dicts (``name``, ``score``, ``max_score``, ``status``,
    ``output``, ``visibility``), one per question in bank order, then a 0-point
    "Quiz: answer file" test when the file has problems not tied to one question.
    The text is student-written: it is only parsed (linear time, at most
    ``answers.MAX_TEXT_BYTES``; beyond that a note says it was not read), never
    executed. Never raises on bad input, and the output never names the key of a
    question not answered fully right.
    """
    from .answers import AnswerSheet, parse_answers
    from .scoring import DEFAULT_SCHEME, gradescope_tests, score_sheet

    bank = load_bank()
    try:
        sheet = parse_answers(answers_text, source)
        result = score_sheet(bank, sheet, DEFAULT_SCHEME, student_id=student_id)
    except Exception as exc:  # last line of defence: a grader must never crash here
        sheet = AnswerSheet(source=source, readable=False,
                            notes=[f"{source}: could not be read ({type(exc).__name__})"])
        result = score_sheet(bank, sheet, DEFAULT_SCHEME)
    return gradescope_tests(result)


def _is_name(text: str) -> bool:
    """A Python/TOML-ish name: a letter or '_', then letters, digits, '_' or '-'."""
    if not text or not text.isascii() or not (text[0].isalpha() or text[0] == "_"):
        return False
    return text.replace("_", "a").replace("-", "a").isalnum()


def answers_from_notebook_cells(cells_text: list[str]) -> str:
    """Answer-file text from notebook cell sources.

    Each cell may hold lines like ``q01 = "b"`` or ``q05 = ["a", "c"]`` (Python
    and TOML agree on that syntax), bare or inside the triple-quoted string of the
    released notebook (``QUIZ_ANSWERS = \"\"\"`` ... ``\"\"\"``: the quotes are dropped).
    Lines that are not ``name = value`` are dropped (comments, blank lines);
    everything else is kept verbatim, in cell order, for :func:`autograder_tests`
    to read and report on. String operations only (linear time); cells over the
    answer-text limit in total come back cut just past it, for the parser to
    report as too large.
    """
    from .answers import MAX_TEXT_BYTES

    cells = [c for c in (cells_text or []) if isinstance(c, str)]
    if sum(len(c) for c in cells) > MAX_TEXT_BYTES:
        return "\n".join(cells)[: MAX_TEXT_BYTES + 1]
    lines = []
    for cell in cells:
        for line in cell.splitlines():
            line = _unwrap(line.rstrip())
            if line is None:
                continue
            head, eq, _ = line.partition("=")
            if eq and _is_name(head.strip()):
                lines.append(line)
    return "\n".join(lines) + ("\n" if lines else "")


def _unwrap(line: str) -> str | None:
    """A cell line without the opening or closing triple quotes of an answers string."""
    head, eq, value = line.partition("=")
    value = value.strip()
    if eq and value[:3] in ('"""', "'''") and value[:3] not in value[3:]:
        return value[3:].strip() or None  # QUIZ_ANSWERS = """   (maybe q01 = "b" after it)
    for closer in ('"""', "'''"):
        if line.endswith(closer) and closer not in line[:-3]:
            return line[:-3].rstrip() or None  # q12 = "a"""" : the string's end
    return line


def answers_from_notebook(data: bytes | str) -> str | None:
    """Answer-file text from a notebook's cells tagged ``quiz-answers``, or None.

    None when the notebook has no such cell or cannot be read as a notebook (not
    JSON, too large, nested too deeply); the caller reports it.
    """
    import json

    if isinstance(data, (bytes, bytearray)):
        if len(data) > MAX_NOTEBOOK_BYTES:
            return None
        data = bytes(data).decode("utf-8", errors="replace")
    if not isinstance(data, str) or len(data) > MAX_NOTEBOOK_BYTES:
        return None
    try:
        notebook = json.loads(data)
    except (ValueError, RecursionError):
        return None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return None
    texts = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        metadata = cell.get("metadata")
        tags = metadata.get("tags") if isinstance(metadata, dict) else None
        if not isinstance(tags, list) or QUIZ_TAG not in tags:
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            texts.append(source)
    return answers_from_notebook_cells(texts) if texts else None


def student_files() -> dict[str, str]:
    """What a student with only ``exercises/`` needs to take the quiz, by file name.

    ``quiz.md``: every question and its options (the module's own questions word
    for word), never a key, feedback or explanation; ``quiz_answers.toml``: the
    blank answer file, with comments saying how to fill it in. Both come from the
    bundled bank and are the same on every run.
    """
    from .answers import render_answers
    from .sheet import STANDALONE_HEADER, question_sheet

    bank = load_bank()
    return {
        SHEET_FILENAME: question_sheet(bank, standalone=True),
        ANSWERS_FILENAME: render_answers(bank, {}, header=STANDALONE_HEADER),
    }
