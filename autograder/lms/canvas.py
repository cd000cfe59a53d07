"""Canvas's gradebook import CSV (Grades > Import).

    Student,ID,SIS User ID,SIS Login ID,Section,Module 11 (4321)
    Points Possible,,,,,100
    "Lovelace, Ada",17,S-001,ada,Section A,92.5

Canvas updates an existing assignment only when the column is titled exactly
``<Assignment name> (<assignment id>)`` (the id is the number in the
assignment's URL); any other title makes a new assignment. It finds students
by ID, SIS User ID or SIS Login ID: with a roster (Canvas's own gradebook
export) all three come from it, without one the SIS Login ID is the student's
identifier (``--id-map``, or their name).
"""

from __future__ import annotations

import re

from .csv_files import number
from .matching import Match
from .roster import Roster

FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
DEFAULT_NAME = "Module 11: Recurrent Neural Networks"
_TITLED = re.compile(r"^(?P<name>.*\S)\s*\((?P<id>\d+)\)\s*$")


def assignment_title(name: str | None, assignment_id: str | None,
                     roster: Roster | None) -> tuple[str, list[str]]:
    """(the column title, notes for the instructor). The roster's own title wins when it
    names the same assignment id: Canvas needs that title exactly."""
    notes: list[str] = []
    titled = {}
    for heading in roster.headings if roster else []:
        found = _TITLED.match(heading.strip())
        if found:
            titled[found.group("id")] = (found.group("name"), heading.strip())
    if assignment_id:
        if assignment_id in titled:
            roster_name, heading = titled[assignment_id]
            if name and name != roster_name:
                notes.append(f"the roster titles assignment {assignment_id} {roster_name!r}, not "
                             f"{name!r}: using the roster's title {heading!r}, as Canvas expects")
            return heading, notes
        if roster:
            notes.append(f"assignment id {assignment_id} is not a column of {roster.path.name}: "
                         "check the id (the number in the assignment's URL) before importing")
        return f"{name or DEFAULT_NAME} ({assignment_id})", notes
    for found_id, (roster_name, heading) in titled.items():
        if roster_name == (name or DEFAULT_NAME):
            notes.append(f"--assignment-id {found_id} taken from the roster's column {heading!r}")
            return heading, notes
    title = name or DEFAULT_NAME
    notes.append(f"no --assignment-id: Canvas will create a NEW assignment named {title!r} on import; "
                 "to fill an existing assignment give --assignment-id (the number in its URL)")
    return title, notes


def points_possible_note(title: str, maximum: float, roster: Roster | None) -> str | None:
    """A warning when the roster's Points Possible for the column is not the export's maximum."""
    given = (roster.points_possible.get(title.strip()) if roster else None) or ""
    try:
        theirs = float(given)
    except ValueError:
        return None  # "(read only)", or no Points Possible row: nothing to compare
    if round(theirs, 2) == round(maximum, 2):
        return None
    return (f"{title!r}: Points Possible in {roster.path.name} is {number(theirs)}, but the export's "
            f"maximum is {number(maximum)}: Canvas would count these scores out of {number(theirs)}. "
            f"Rescale them with --scale-to {number(theirs)}, or set the assignment's points in Canvas "
            f"to {number(maximum)}")


def row(match: Match, points: float) -> list[object]:
    entry = match.entry
    if entry is None:
        return [match.student.name, "", "", match.login, "", number(points)]
    return [entry.get("student") or match.student.name, entry.get("id"), entry.get("sis_user_id"),
            entry.get("sis_login_id"), entry.get("section"), number(points)]


def table(title: str, maximum: float, rows: list[tuple[Match, float]]) -> tuple[list, list[list]]:
    """(header, rows) of the import file, the Points Possible row first."""
    body = [["Points Possible", "", "", "", "", number(maximum)]]
    body.extend(row(match, points) for match, points in rows)
    return [*FIXED, title], body
