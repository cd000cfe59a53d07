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
    result = Matching()
    claimed: dict[int, StudentResult] = {}
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
        if entry.line in claimed:
            other = claimed[entry.line]
            result.not_in_roster.append((student, (
                f"{roster.describe(entry)} is already matched by {shown(other.name)!r}; "
                "fix --id-map so each student has their own LMS identifier")))
            continue
        claimed[entry.line] = student
        result.matched.append(Match(student, login, entry))
    if roster is not None:
        result.without_results = [e for e in roster.entries if e.line not in claimed]
    return result
