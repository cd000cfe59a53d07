"""What an export or a push found that the instructor must see: grouped, counted, printed
to stderr and kept in the notes file. A *flagged* finding makes the command exit 1."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

# heading -> flagged; the order is the order of the report
LEFT_OUT = "results files that could not be used (left out)"
NOT_IN_ROSTER = "students in the results but not in the roster (not exported)"
NO_RESULTS = "roster students without results (not exported; their LMS grade is left as it is)"
REGRADE = ("students who need a regrade (status not_run or grader_error; not exported as a "
           "score: fix the cause and run grade-all again)")
UNKNOWN_TIME = "submission time unknown (late policy NOT applied)"
NOT_EXPORTED = "students who could not be exported"
PENDING = ("students who need a regrade (status not_run or grader_error; posted as PendingManual, "
           "without a score: fix the cause, run grade-all again, then push again)")
NO_USER_ID = "students without an LTI user id (not posted)"
REFUSED = "scores the platform refused (not posted)"
LATE = "late submissions"
LATE_FLAGGED = "late penalties to check"
ROSTER_NOTES = "roster notes"
ASSIGNMENT = "assignment column"
POINTS = "points possible that differ from the export's maximum"
FLAGGED = {LEFT_OUT: True, NOT_IN_ROSTER: True, NO_RESULTS: True, REGRADE: True, UNKNOWN_TIME: True,
           NOT_EXPORTED: True, PENDING: True, NO_USER_ID: True, REFUSED: True, LATE_FLAGGED: True,
           POINTS: True, LATE: False, ROSTER_NOTES: False, ASSIGNMENT: False}


def late_heading(kind: str, flagged: bool) -> str:
    """Where a late-policy note goes: unknown times and penalties to check are flagged."""
    if kind == "unknown_time":
        return UNKNOWN_TIME
    return LATE_FLAGGED if flagged else LATE


@dataclass
class Findings:
    command: str  # e.g. "export-grades", for the stderr prefix
    sections: dict[str, list[str]] = field(default_factory=dict)

    def add(self, heading: str, line: str) -> None:
        self.sections.setdefault(heading, []).append(line)

    @property
    def flagged(self) -> bool:
        return any(FLAGGED.get(h, True) and lines for h, lines in self.sections.items())

    def _ordered(self) -> list[tuple[str, list[str]]]:
        order = list(FLAGGED)
        return sorted(((h, ls) for h, ls in self.sections.items() if ls),
                      key=lambda item: order.index(item[0]) if item[0] in order else len(order))

    def text_lines(self) -> list[str]:
        out = []
        for heading, lines in self._ordered():
            out.append(f"{heading[0].upper()}{heading[1:]} ({len(lines)}):")
            out.extend(f"  {line}" for line in lines)
        return out

    def print(self, stream: TextIO | None = None, only_flagged: bool = False) -> None:
        stream = stream or sys.stderr
        for heading, lines in self._ordered():
            if only_flagged and not FLAGGED.get(heading, True):
                continue
            mark = "WARNING: " if FLAGGED.get(heading, True) else ""
            print(f"{self.command}: {mark}{heading} ({len(lines)}):", file=stream)
            for line in lines:
                print(f"  {line}", file=stream)
