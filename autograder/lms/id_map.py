"""The id map: a student's name in the results -> their identifier in the LMS.

Needed when the names ``grade-all`` knows (JupyterHub usernames, submission
folder names) are not what the LMS matches on. A CSV file with a header row;
the first column is headed ``student`` and holds the name as in the results
(``extra_data.student``), the second holds the LMS identifier:

    student,lms_id
    ada,ada.lovelace@uni.example
    ben,s1234567

Which identifier depends on the target: Canvas's SIS Login ID (or Canvas ID),
the Moodle field chosen with ``--moodle-field``, or for LTI the platform's user
id (the ``sub`` of the student's LTI launches). Further columns are ignored.
A student missing from the map keeps their own name as the identifier (for
export-grades) or is reported and not posted (for LTI).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .csv_files import read_rows
from .text import shown


class IdMapError(Exception):
    """The id map cannot be used (the CLI exits 2)."""


@dataclass(frozen=True)
class IdMap:
    path: Path
    column: str  # the heading of the identifier column
    ids: dict[str, str]  # student -> LMS identifier
    lines: dict[str, int]  # student -> line in the file

    def get(self, student: str) -> str | None:
        return self.ids.get(student)

    def where(self, student: str) -> str:
        return f"{self.path.name} line {self.lines[student]}"


def read(path: str | Path) -> IdMap:
    path = Path(path)
    try:
        rows = read_rows(path)
    except FileNotFoundError:
        raise IdMapError(f"--id-map {path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise IdMapError(f"--id-map {path}: cannot be read as UTF-8 CSV ({exc})") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise IdMapError(f"--id-map {path}: the file is empty; expected a header 'student,lms_id' "
                         "and one row per student")
    header = [c.strip() for c in rows[0]]
    if len(header) < 2 or header[0].casefold() != "student" or not header[1]:
        raise IdMapError(f"--id-map {path} line 1: expected a header row 'student,<identifier "
                         f"column>' (e.g. student,lms_id), got {shown(','.join(rows[0]))!r}")
    ids: dict[str, str] = {}
    lines: dict[str, int] = {}
    owner: dict[str, str] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in row] + ["", ""]
        student, lms_id = cells[0], cells[1]
        if not student or not lms_id:
            raise IdMapError(f"--id-map {path} line {number}: needs a student and an identifier, "
                             f"got {shown(','.join(row))!r}")
        if student in ids:
            raise IdMapError(f"--id-map {path} line {number}: student {shown(student)!r} is already "
                             f"mapped on line {lines[student]}; keep one row per student")
        key = lms_id.casefold()
        if key in owner:
            raise IdMapError(f"--id-map {path} line {number}: {shown(lms_id)!r} is already the "
                             f"identifier of {shown(owner[key])!r} (line {lines[owner[key]]}); two "
                             "students cannot share one LMS account")
        ids[student], lines[student], owner[key] = lms_id, number, student
    return IdMap(path, header[1], ids, lines)
