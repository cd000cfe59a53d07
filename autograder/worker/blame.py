"""Whose fault: the student's code or the grader's own, decided by where an exception arose.

The worker runs two kinds of code side by side: the student's (their module,
their cells, every method of every object they made) and its own (the loader,
the notebook shell's set-up, the probes). A failure of the first is graded;
a failure of the second is a ``grader_error``, flagged for a regrade and never
scored. The two are told apart by *where* the exception arose, never by its
message:

* every call into student code, and every use of an object the student's code
  returned, happens inside a :func:`student_code` region; whatever escapes a
  region is the student's (a :class:`StudentError`, carrying what to tell them);
* anything else that raises in the worker is the grader's (:func:`grader_fault`).

A notebook cell is one region (IPython itself catches what the cell raises);
an exception that escapes IPython is the student's only when its traceback
passes through their code (:func:`arose_in_student_code`).
"""

from __future__ import annotations

import os
import sys
import traceback
from contextlib import contextmanager

_OURS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the autograder package


class StudentError(Exception):
    """Student code raised (or exited) inside a :func:`student_code` region."""

    def __init__(self, info: dict):
        super().__init__(info.get("message", ""))
        self.info = info


def describe_exception(exc: BaseException, filename: str | None) -> dict:
    """Type, first message line and the student's line where it was raised (for the student)."""
    where = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if _student_frame(frame.f_code.co_filename, filename):
            code = frame.f_code
            where = f"{getattr(code, 'co_qualname', code.co_name)}, line {lineno}"
    if isinstance(exc, SystemExit):
        return {"type": "SystemExit", "message": f"the code called exit({exc.code!r})"[:300], "where": where}
    lines = str(exc).strip().splitlines()
    return {"type": type(exc).__name__, "message": (lines[0] if lines else "")[:300], "where": where}


def _library(path: str) -> bool:
    """Python's own files, installed packages and this package: never the student's."""
    if path.startswith("<frozen") or path.startswith(_OURS + os.sep):
        return True
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    return any(path.startswith(p.rstrip(os.sep) + os.sep) for p in prefixes if p) or "site-packages" in path


def _student_frame(path: str, filename: str | None) -> bool:
    return path == filename if filename else not _library(path)


def arose_in_student_code(exc: BaseException, filename: str | None = None) -> bool:
    """True when the traceback passes through the student's file or cells."""
    return any(_student_frame(frame.f_code.co_filename, filename)
               for frame, _ in traceback.walk_tb(exc.__traceback__))


@contextmanager
def student_code(filename: str | None = None):
    """A region that runs student code: whatever escapes it is the student's, as a StudentError."""
    try:
        yield
    except StudentError:
        raise
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt from their code too
        raise StudentError(describe_exception(exc, filename)) from exc


def grader_fault(exc: BaseException, stage: str) -> dict:
    """What the judge is told of a fault in the worker's own code: the stage and the exception,
    with the grader's innermost frame (for the instructor, never shown as the student's)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(_OURS + os.sep)]
    last = ours[-1] if ours else (frames[-1] if frames else None)
    where = f"{os.path.relpath(last.filename, os.path.dirname(_OURS))}:{last.lineno} in {last.name}" \
        if last else None
    lines = str(exc).strip().splitlines()
    return {"stage": stage, "type": type(exc).__name__, "message": (lines[0] if lines else "")[:300],
            "where": where}
