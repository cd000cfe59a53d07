"""Moodle's "Import grades: CSV file" (Grades > Import > CSV file).

    Username,Student,Module 11
    ada,ada,92.5

On import, map the first column to the user field it holds ("Map from:" the
column, "Map to:" username, email or idnumber, as chosen with
``--moodle-field``) and the grade column to the grade item; leave Student
unmapped (it is there to read). Moodle stores the points as given: make the
grade item's maximum the export's maximum, or use ``--scale-to``.
"""

from __future__ import annotations

from .csv_files import number
from .matching import Match
from .roster import MOODLE_LABELS

FIELDS = tuple(MOODLE_LABELS)  # username, email, idnumber
DEFAULT_NAME = "Module 11: Recurrent Neural Networks"


def identifier(match: Match, field: str) -> str:
    """The value for the identifier column ('' when the roster row lacks it)."""
    if match.entry is None:
        return match.login
    return match.entry.get(field)


def table(field: str, title: str, rows: list[tuple[Match, float]]) -> tuple[list, list[list]]:
    header = [MOODLE_LABELS[field], "Student", title]
    body = [[identifier(m, field), (m.entry.display if m.entry else m.student.name), number(points)]
            for m, points in rows]
    return header, body
