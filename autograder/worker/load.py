"""Read the submission inside the sandbox, then run it: as module ``rnn``, or cell by cell.

:func:`intake` parses what the judge handed over (a ``.py`` file or a notebook's
JSON, and the quiz answers) **before any student code runs**, so its report is
still trustworthy and the judge never parses student bytes itself. A notebook
too deep, too large or malformed to read is reported, not fatal.

:func:`run_notebook` then runs the code cells in order in one IPython shell,
as Jupyter does after *Restart & Run All* with errors allowed: magics, shell
lines, ``get_ipython()`` and ``display`` are IPython's own; a cell that
raises is reported (its number and error) and the next cell runs; later
definitions win.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import os
import signal
import sys
import tokenize
from dataclasses import dataclass, field

from .. import wire
from ..sandbox.confine import SUBMISSION_FD  # noqa: F401 - where the payload arrives
from .blame import StudentError, arose_in_student_code, describe_exception, student_code

CELL_TIMEOUT_S = 30  # a notebook cell that runs longer is stopped, and the next cell runs
MAX_CELLS = 2000
MAX_QUIZ_BYTES = 64 << 10


@dataclass
class Intake:
    kind: str
    source: str | None = None  # the .py text
    cells: list[dict] = field(default_factory=list)  # notebook code cells: {"cell", "source"}
    quiz_text: str | None = None
    quiz_source: str = wire.QUIZ_FILE
    notes: list[str] = field(default_factory=list)
    unreadable: str | None = None  # why the code could not be read at all

    def report(self, quiz_sheet: dict | None) -> dict:
        return {"event": wire.INTAKE, "kind": self.kind, "notes": self.notes[:20],
                "unreadable": self.unreadable, "code_cells": len(self.cells), "quiz": quiz_sheet}


def read_payload(fd: int, limit: int) -> tuple[str, dict[str, bytes]]:
    chunks, size = [], 0
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise ValueError(f"the submission is larger than {limit >> 20} MiB")
        chunks.append(chunk)
    os.close(fd)
    return wire.decode_submission(b"".join(chunks))


def decode_python(data: bytes, name: str) -> tuple[str, list[str]]:
    """Source text as Python would read it (PEP 263), with a note when it is not valid."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    try:
        return data.decode(encoding), [] if encoding in ("utf-8", "utf-8-sig") else [
            f"{name} declares the {encoding} encoding; it was read as such"]
    except (UnicodeDecodeError, LookupError) as exc:
        start = getattr(exc, "start", 0)
        line = data[:start].count(b"\n") + 1
        return data.decode("utf-8", errors="replace"), [
            f"{name} is not valid UTF-8 (line {line}): Python itself would refuse to import it; it was "
            "graded with the undecodable bytes replaced. Save the file as UTF-8"]


def _cell_source(cell: dict) -> str | None:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    return source if isinstance(source, str) else None


def _grading(cell: dict) -> dict:
    """A cell's nbgrader metadata ({} when it has none or it is malformed)."""
    meta = cell.get("metadata")
    grading = meta.get("nbgrader") if isinstance(meta, dict) else None
    return grading if isinstance(grading, dict) else {}


def _nbgrader_test_cell(cell: dict) -> bool:
    """nbgrader's autograded test cells belong to nbgrader, not to the student."""
    grading = _grading(cell)
    return grading.get("grade") is True and grading.get("solution") is not True


# Read-only cells the release adds around the student's answers: the visible checks, the
# training demo and the plot. Grading never needs them (they print, they compute nothing the
# judge reads), and under nbgrader a locked cell counts in its released form anyway, so running
# them only costs time (the demo trains a network: most of a notebook's run).
GIVEN_DISPLAY_CELLS = ("visible-", "demo-", "plot-")


def _given_display_cell(cell: dict) -> bool:
    grading = _grading(cell)
    if grading.get("locked") is not True or grading.get("solution") is True or grading.get("grade") is True:
        return False
    grade_id = grading.get("grade_id")
    return isinstance(grade_id, str) and grade_id.startswith(GIVEN_DISPLAY_CELLS)


def _tags(cell: dict) -> list:
    meta = cell.get("metadata")
    tags = meta.get("tags") if isinstance(meta, dict) else None
    return tags if isinstance(tags, list) else []


def parse_notebook(data: bytes, name: str) -> Intake:
    intake = Intake(wire.KIND_NOTEBOOK)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        intake.notes.append(f"{name} is not valid UTF-8; it was read with the undecodable bytes replaced")
    try:
        notebook = json.loads(text)
    except (ValueError, RecursionError) as exc:
        intake.unreadable = f"{name} is not a readable notebook ({type(exc).__name__}: {str(exc)[:120]})"
        return intake
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        worksheets = notebook.get("worksheets") if isinstance(notebook, dict) else None
        if isinstance(worksheets, list) and worksheets and isinstance(worksheets[0], dict):
            cells = worksheets[0].get("cells")  # nbformat 3
    if not isinstance(cells, list):
        intake.unreadable = f"{name} is not a readable notebook (no list of cells)"
        return intake
    quiz = []
    for number, cell in enumerate(cells[:MAX_CELLS], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = _cell_source(cell) if "source" in cell else _cell_source({"source": cell.get("input", "")})
        if source is None:
            intake.notes.append(f"cell {number} has no readable source; it was skipped")
            continue
        if wire.QUIZ_TAG in _tags(cell):
            quiz.append(source)
        elif _nbgrader_test_cell(cell) or _given_display_cell(cell):
            continue
        else:
            intake.cells.append({"cell": number, "source": source})
    if len(cells) > MAX_CELLS:
        intake.notes.append(f"{name} has {len(cells)} cells; only the first {MAX_CELLS} were read")
    if quiz:
        import quizzes

        intake.quiz_text = quizzes.answers_from_notebook_cells(quiz)
        intake.quiz_source = f"{name} (quiz cell)"
    return intake


def intake(kind: str, files: dict[str, bytes]) -> Intake:
    name = next(iter(files), wire.STUDENT_FILE)
    if kind == wire.KIND_NOTEBOOK:
        result = parse_notebook(files[name], name)
    else:
        result = Intake(wire.KIND_PY)
        result.source, result.notes = decode_python(files[name], name)
    quiz = files.get(wire.QUIZ_FILE)
    if quiz is not None and result.quiz_text is None:
        if len(quiz) > MAX_QUIZ_BYTES:
            result.notes.append(f"{wire.QUIZ_FILE} is larger than {MAX_QUIZ_BYTES >> 10} KiB; "
                                "it was not read")
        else:
            result.quiz_text = quiz.decode("utf-8", errors="replace")
    return result


def quiz_sheet(text: str | None, source: str) -> dict | None:
    """The answer file parsed (never scored here: the key is not in this process)."""
    if text is None:
        return None
    from quizzes.answers import parse_answers

    sheet = parse_answers(text, source)  # the parser caps the size itself, with a note
    return {"source": sheet.source, "student_id": sheet.student_id, "option_order": sheet.option_order,
            "notes": sheet.notes[:50], "readable": sheet.readable,
            "answers": [{"key": a.key, "labels": a.labels[:26], "line": a.line, "notes": a.notes[:5],
                         "written": a.written[:200]} for a in sheet.answers[:200]]}


# --- running student code ---------------------------------------------------------------------


def import_module(path: str):
    """Import the student's file as module ``rnn``; what it raises is theirs (a StudentError)."""
    spec = importlib.util.spec_from_file_location("rnn", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["rnn"] = module
    with student_code(path):
        spec.loader.exec_module(module)
    return module


class _CellTimeout(Exception):
    pass


@functools.cache
def _shell_class():
    """A kernel's shell without the kernel: no GUI event loop, no terminals (``!cmd`` through pipes)."""
    from IPython.core.interactiveshell import InteractiveShell

    class NotebookShell(InteractiveShell):
        def enable_gui(self, gui=None):
            return None

        def system_piped(self, cmd):
            import subprocess

            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            done = subprocess.run(self.var_expand(cmd, depth=1), shell=True, stdin=subprocess.DEVNULL)
            self.user_ns["_exit_code"] = done.returncode

        system = system_piped

    return NotebookShell


def _new_shell(ipython_dir: str | None = None):
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"
    config.InteractiveShell.xmode = "Plain"
    return _shell_class().instance(config=config, ipython_dir=ipython_dir)


def prepare_shell() -> None:
    """In the fork server, before any fork: make a notebook shell once and throw it away.

    Only IPython's public API: the class is defined and its first construction paid for
    here (imports, caches), so a worker's own shell costs a few milliseconds. The shell
    itself is not kept: every notebook's worker makes its own (:func:`notebook_shell`), in
    its own scratch home, so nothing of this process's (its folders, its state) carries
    over, whatever IPython version is installed. This process is left as it was: the
    profile folder was a private one, removed again; ``__main__``, the sys hooks and the
    builtins are put back."""
    import builtins
    import shutil
    import tempfile

    before = {name: builtins.__dict__.get(name) for name in ("__IPYTHON__", "display")}
    folder = tempfile.mkdtemp(prefix="ipython-")
    try:
        shell = _new_shell(ipython_dir=folder)
        shell.restore_sys_module_state()
        _shell_class().clear_instance()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for name, value in before.items():
            if value is None:
                builtins.__dict__.pop(name, None)
            else:
                builtins.__dict__[name] = value


def notebook_shell():
    """The shell a notebook runs in: a new one, in this worker's home (``IPYTHONDIR``)."""
    _shell_class().clear_instance()
    return _new_shell()


def forget_shell() -> None:
    """A ``.py`` runs as a script, as with ``python rnn.py``: IPython.get_ipython() is None."""
    if "IPython" in sys.modules:
        _shell_class().clear_instance()


def _not_unicode(source: str) -> str:
    """What makes a cell's text impossible to run ('' when nothing): JSON's ``\\ud800`` escapes
    decode to lone surrogates, which no Python source can hold."""
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"holds a character that is not valid Unicode (a lone surrogate at offset {exc.start})"
    return ""


def run_notebook(cells: list[dict]) -> tuple[dict, list[dict]]:
    """Run the code cells; return (the shell's namespace, one status per cell).

    IPython reports what a cell raises; an exception that escapes IPython itself is the
    student's when it passed through their cells (they can reach the shell), else ours."""
    shell = notebook_shell()
    shell.user_ns["__name__"] = "__main__"

    def on_alarm(signum, frame):
        raise _CellTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    statuses = []
    try:
        for cell in cells:
            unreadable = _not_unicode(cell["source"])
            if unreadable:  # IPython 8 raises UnicodeEncodeError on it, 9 reports it: one answer
                statuses.append({"cell": cell["cell"], "status": "error",
                                 "message": f"cell {cell['cell']} {unreadable}; it was not run"})
                continue
            signal.alarm(CELL_TIMEOUT_S)
            try:
                result = shell.run_cell(cell["source"], store_history=False, silent=False)
            except BaseException as exc:  # noqa: BLE001 - IPython itself raised: whose doing was it?
                if arose_in_student_code(exc) or isinstance(exc, _CellTimeout):
                    raise StudentError(describe_exception(exc, None)) from exc
                raise
            finally:
                signal.alarm(0)
            failure = result.error_before_exec or result.error_in_exec
            if failure is None:
                statuses.append({"cell": cell["cell"], "status": "ok", "message": ""})
                continue
            if isinstance(failure, _CellTimeout):
                message = f"cell {cell['cell']} ran longer than {CELL_TIMEOUT_S} s and was stopped"
            else:
                detail = describe_exception(failure, None)
                where = detail.get("where") or ""
                if where.startswith("<module>, "):
                    where = f" ({where[len('<module>, '):]})"
                elif where:
                    where = f" (in {where} of the cell that defines it)"
                message = f"cell {cell['cell']} raised {detail['type']}: {detail['message']}{where}"
            statuses.append({"cell": cell["cell"], "status": "error", "message": message[:400]})
    finally:
        signal.signal(signal.SIGALRM, previous)
    return shell.user_ns, statuses
