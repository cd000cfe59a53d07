"""Read a ``grade-all`` output folder: one results file per student, checked.

Only the top-level ``*.json`` files are read (``grades.csv``, ``feedback/`` and
dot-files such as the LTI state are not results). A file that cannot be used
(not JSON, not a results file, a field of the wrong type, two files for one
student) is reported with its name and left out; the others are read. The
contract is :mod:`autograder.results_schema`.

Only files sealed by this machine's results key (:mod:`autograder.seal`) are
trusted: any other (forged, edited after grading, or graded elsewhere) is
reported with the reason and left out, never exported as if graded here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .. import seal
from ..results_schema import GRADED, GRADER_ERROR, NOT_RUN, SCHEMA
from .text import plural, shown

SCHEMA_PREFIX = SCHEMA.rsplit("/", 1)[0] + "/"
NBGRADER_TIMESTAMP = "nbgrader timestamp.txt"


class CohortError(Exception):
    """The folder cannot be exported at all (the CLI exits 2)."""


@dataclass(frozen=True)
class SubmissionTime:
    time: datetime  # aware
    source: str  # "nbgrader timestamp.txt" or "file modification time"
    marked_weak: bool | None = None  # extra_data.submitted_at.weak, as grade-all recorded it

    @property
    def weak(self) -> bool:
        """A file's modification time changes on copy, unzip or edit, and a student can set it: weaker
        evidence. Only nbgrader's own timestamp.txt (grade-all --assignment) is not."""
        return self.marked_weak is not False or self.source != NBGRADER_TIMESTAMP

    def describe(self) -> str:
        when = self.time.isoformat(timespec="seconds")
        if self.weak:
            return (f"{when} (from the {self.source}: weaker evidence, a copy or an unzip "
                    "can change it; check before applying)")
        return f"{when} (from {self.source})"


@dataclass
class StudentResult:
    name: str  # extra_data.student, raw
    path: Path
    score: float  # top-level score (after a late penalty recorded earlier, if any)
    max_score: float
    status: str  # graded | not_run | grader_error
    regrade_reason: str | None
    missed: list[str]  # names of the tests not passed
    parts: dict[str, dict]
    submitted_at: SubmissionTime | None
    late: dict | None  # extra_data.late, as recorded by an earlier export
    data: dict  # the whole file, to rewrite it without losing anything
    notes: list[str] = field(default_factory=list)  # what the reader noticed (instructor-facing)

    @property
    def needs_regrade(self) -> bool:
        return self.status != GRADED


@dataclass(frozen=True)
class FileProblem:
    path: Path
    message: str

    def line(self) -> str:
        return f"{self.path.name}: {self.message}"


@dataclass
class Cohort:
    folder: Path
    students: list[StudentResult]
    problems: list[FileProblem]
    max_score: float


class _Malformed(ValueError):
    pass


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Malformed(f"{where} is {shown(repr(value))[:60]}, not a number")
    return float(value)


def parse_time(text: object) -> datetime:
    """An ISO 8601 time with a UTC offset ('Z' allowed). Raises ValueError."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a text")
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return moment


def _submitted_at(extra: dict, notes: list[str]) -> SubmissionTime | None:
    raw = extra.get("submitted_at")
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("source"), str):
        notes.append("extra_data.submitted_at is not {time, source}: submission time unknown")
        return None
    try:
        moment = parse_time(raw.get("time"))
    except ValueError as exc:
        notes.append(f"extra_data.submitted_at.time unreadable ({shown(exc)}): submission time unknown")
        return None
    weak = raw.get("weak")
    return SubmissionTime(moment, raw["source"], weak if isinstance(weak, bool) else None)


def read_one(path: Path, key: bytes | None = None) -> StudentResult:
    """One results file, or :class:`_Malformed` saying what is wrong with it (a file without
    ``key``'s seal too)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise _Malformed("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _Malformed(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except OSError as exc:
        raise _Malformed(f"cannot be read ({exc.strerror or exc})") from None
    student = from_data(data, path)
    verdict = seal.check(data, key)
    if not verdict.ok:
        raise _Malformed(f"{verdict.why}: not trusted (regrade it with grade-all on this machine)")
    return student


def from_data(data: object, path: Path) -> StudentResult:
    """A results dict as the student it describes; :class:`_Malformed` (a ValueError) when it is not one.
    Its seal is not checked here (grade-all calls this on what it is about to seal): read_one does."""
    if not isinstance(data, dict) or not isinstance(data.get("extra_data"), dict):
        raise _Malformed("not a results file (no extra_data object)")
    extra = data["extra_data"]
    schema = extra.get("schema")
    if not isinstance(schema, str) or not schema.startswith(SCHEMA_PREFIX):
        raise _Malformed(f"extra_data.schema is {shown(repr(schema))[:60]}, not {SCHEMA!r}: "
                         "not written by this grader's grade-all (regrade with it)")
    name = extra.get("student")
    if not isinstance(name, str) or not name.strip():
        raise _Malformed("extra_data.student (the student's name) is missing or empty")
    status = extra.get("status")
    if status not in (GRADED, NOT_RUN, GRADER_ERROR):
        raise _Malformed(f"extra_data.status is {shown(repr(status))[:40]}, "
                         f"not one of {GRADED}, {NOT_RUN}, {GRADER_ERROR}")
    score = _number(data.get("score"), "score")
    max_score = _number(extra.get("max_score"), "extra_data.max_score")
    if max_score <= 0:
        raise _Malformed(f"extra_data.max_score is {max_score:g}; it must be positive")
    if not 0 <= score <= max_score + 1e-9:
        raise _Malformed(f"score {score:g} is outside 0..{max_score:g}")
    tests = data.get("tests", [])
    if not isinstance(tests, list) or not all(isinstance(t, dict) for t in tests):
        raise _Malformed("tests is not a list of objects")
    missed = [str(t.get("name", f"test {t.get('number', '?')}")) for t in tests
              if t.get("status") != "passed"]
    parts = extra.get("parts") if isinstance(extra.get("parts"), dict) else {}
    late = extra.get("late") if isinstance(extra.get("late"), dict) else None
    reason = extra.get("regrade_reason")
    notes: list[str] = []
    return StudentResult(
        name=name, path=path, score=score, max_score=max_score, status=status,
        regrade_reason=reason if isinstance(reason, str) else None, missed=missed,
        parts={k: v for k, v in parts.items() if isinstance(v, dict)},
        submitted_at=_submitted_at(extra, notes), late=late, data=data, notes=notes,
    )


def results_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.suffix == ".json" and not p.name.startswith(".") and p.is_file())


def read(folder: str | Path) -> Cohort:
    """Every usable results file of ``folder``; raises :class:`CohortError` when none is,
    or when they disagree on the maximum."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CohortError(f"{folder}: no such folder (give the --out folder of grade-all)")
    files = results_files(folder)
    if not files:
        raise CohortError(f"{folder}: no results files (*.json) in it; "
                          f"run `python -m autograder grade-all SUBMISSIONS --out {folder}` first")
    try:
        key = seal.load_key(create=False)
    except seal.SealKeyError as exc:
        raise CohortError(f"results key: {exc}") from None
    problems: list[FileProblem] = []
    by_name: dict[str, list[StudentResult]] = {}
    for path in files:
        try:
            student = read_one(path, key)
        except _Malformed as exc:
            problems.append(FileProblem(path, f"{exc}; left out"))
            continue
        by_name.setdefault(student.name, []).append(student)
    students = []
    for name, found in by_name.items():
        if len(found) == 1:
            students.append(found[0])
            continue
        names = ", ".join(s.path.name for s in found)
        for student in found:
            problems.append(FileProblem(student.path, f"student {shown(name)!r} has {len(found)} "
                                        f"results files ({names}); remove the stale ones; left out"))
    if not students:
        lines = "\n  ".join(p.line() for p in problems)
        raise CohortError(f"{folder}: none of its {plural(len(files), 'results file')} "
                          f"can be used:\n  {lines}")
    maxima: dict[float, list[str]] = {}
    for student in students:
        maxima.setdefault(round(student.max_score, 6), []).append(student.path.name)
    if len(maxima) > 1:
        described = "; ".join(
            f"{value:g} in {', '.join(names[:4])}{f' and {len(names) - 4} more' if len(names) > 4 else ''}"
            for value, names in sorted(maxima.items(), key=lambda kv: -len(kv[1])))
        raise CohortError(
            f"{folder}: the results disagree on max_score ({described}). Every student must be "
            "graded out of the same total: regrade the whole folder in one grade-all run with "
            "the same options")
    students.sort(key=lambda s: (s.name.casefold(), s.name))
    return Cohort(folder, students, problems, students[0].max_score)
