"""Pair each student of the results with their row in the LMS's roster.

A student's LMS identifier is their entry in the id map, or else their own
name. Nobody is dropped quietly and nobody is invented: students the roster
lacks and roster students without results both come back for the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .id_map import IdMap
from .results_folder import StudentResult
from .roster import Roster, RosterEntry
from .text import shown


@dataclass(frozen=True)
class Match:
    student: StudentResult
    login: str  # the identifier the LMS matches on
    entry: RosterEntry | None  # None when no roster was given


@dataclass
class Matching:
    matched: list[Match] = field(default_factory=list)
    not_in_roster: list[tuple[StudentResult, str]] = field(default_factory=list)  # (student, why)
    without_results: list[RosterEntry] = field(default_factory=list)


def login_of(student: StudentResult, id_map: IdMap | None) -> tuple[str, str]:
    """(the student's LMS identifier, where it came from, for messages)."""
    mapped = id_map.get(student.name) if id_map else None
    if mapped is not None:
        return mapped, id_map.where(student.name)
    return student.name, "their name in the results"


def match(students: list[StudentResult], roster: Roster | None, id_map: IdMap | None) -> Matching:
    """Pair students with roster rows. A row found by several students (the roster matches
    without regard to case: ``alice`` and ``ALICE``) goes to the one whose identifier is
    written exactly as in the row, whatever the order; with none or several such, to nobody."""
    result = Matching()
    found: dict[int, list[tuple[StudentResult, str, RosterEntry]]] = {}
    for student in students:
        login, source = login_of(student, id_map)
        if roster is None:
            result.matched.append(Match(student, login, None))
            continue
        entry, problem = roster.find(login)
        if entry is None:
            why = problem or (f"{shown(login)!r} ({source}) is not in {roster.path.name}; "
                              "add the student to --id-map, or export a fresh roster")
            result.not_in_roster.append((student, why))
            continue
        found.setdefault(entry.line, []).append((student, login, entry))
    claimed: set[int] = set()
    for line, candidates in found.items():
        entry = candidates[0][2]
        exact = [c for c in candidates if c[1].strip() in entry.values.values()]
        winner = candidates[0] if len(candidates) == 1 else exact[0] if len(exact) == 1 else None
        if winner is not None:
            claimed.add(line)
            result.matched.append(Match(winner[0], winner[1], entry))
        for student, _, _ in candidates:
            if winner is not None and student is winner[0]:
                continue
            others = ", ".join(repr(shown(c[0].name)) for c in candidates if c[0] is not student)
            result.not_in_roster.append((student, (
                f"{roster.describe(entry)} is also found by {others}"
                + (f" and is matched by {shown(winner[0].name)!r}, whose identifier is written exactly "
                   "as in the roster" if winner else "; none is written exactly as in the roster, so "
                   "none is matched")
                + "; fix --id-map so each student has their own LMS identifier")))
    if roster is not None:
        result.without_results = [e for e in roster.entries if e.line not in claimed and e.line not in found]
    return result
