"""The LMS's own list of students, as the LMS exports it.

* Canvas: the gradebook export (Grades > Export > Export Entire Gradebook), a
  CSV headed ``Student, ID, SIS User ID, SIS Login ID, Section, <assignments>...``
  with a ``Points Possible`` row. Students are found by ``SIS Login ID``, then
  by Canvas ``ID``. Canvas's "Student, Test" is skipped.
* Moodle: the participants list (Participants > select all > "Download table
  data as" CSV) or the grades export (Export > Plain text file). Students are
  found by the field given with ``--moodle-field`` (Username, Email address or
  ID number), then by the other two. With a Roles column, only students count.

Headers are matched without regard to case, spaces or underscores, so Moodle's
``username``/``email``/``idnumber`` (bulk user download) work too.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from .csv_files import read_rows
from .text import shown

# canonical field -> the headings that mean it (normalised: lower case, no spaces/_/-)
CANVAS_FIELDS = {"student": {"student"}, "id": {"id"}, "sis_user_id": {"sisuserid"},
                 "sis_login_id": {"sisloginid"}, "section": {"section"}}
CANVAS_KEYS = ("sis_login_id", "id")
CANVAS_LABELS = {"sis_login_id": "SIS Login ID", "id": "ID", "sis_user_id": "SIS User ID",
                 "student": "Student", "section": "Section"}
MOODLE_FIELDS = {"username": {"username"}, "email": {"emailaddress", "email"},
                 "idnumber": {"idnumber"}, "first": {"firstname"}, "last": {"lastname"},
                 "full": {"fullname", "name"}, "roles": {"roles", "role"}}
MOODLE_LABELS = {"username": "Username", "email": "Email address", "idnumber": "ID number"}
TEST_STUDENT = {"student, test", "test student"}


class RosterError(Exception):
    """The roster cannot be used (the CLI exits 2)."""


def _normal(heading: str) -> str:
    return re.sub(r"[\s_\-]+", "", heading.strip().casefold())


@dataclass(frozen=True)
class RosterEntry:
    line: int
    values: dict[str, str]  # canonical field -> value (stripped)
    display: str  # the person's name, for messages

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass
class Roster:
    path: Path
    kind: str  # "canvas" or "moodle"
    keys: tuple[str, ...]  # lookup order of canonical fields
    labels: dict[str, str]
    entries: list[RosterEntry]
    headings: list[str]  # the file's header row, as written
    notes: list[str] = field(default_factory=list)
    points_possible: dict[str, str] = field(default_factory=dict)  # Canvas: heading -> its Points Possible
    _index: dict[str, dict[str, list[RosterEntry]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for key in self.keys:
            index: dict[str, list[RosterEntry]] = {}
            for entry in self.entries:
                value = entry.get(key).casefold()
                if value:
                    index.setdefault(value, []).append(entry)
            self._index[key] = index

    def find(self, login: str) -> tuple[RosterEntry | None, str | None]:
        """(the entry whose key field equals ``login``, or None; a problem when ambiguous)."""
        wanted = login.strip().casefold()
        for key in self.keys:
            found = self._index[key].get(wanted, [])
            if len(found) == 1:
                return found[0], None
            if len(found) > 1:
                lines = ", ".join(str(e.line) for e in found)
                return None, (f"{self.labels[key]} {shown(login)!r} is on several lines of "
                              f"{self.path.name} ({lines}); fix the roster or use --id-map")
        return None, None

    def describe(self, entry: RosterEntry) -> str:
        ids = ", ".join(f"{self.labels[k]} {shown(entry.get(k))}" for k in self.keys if entry.get(k))
        return f"{shown(entry.display)} ({self.path.name} line {entry.line}{', ' + ids if ids else ''})"


def _columns(header: list[str], fields: dict[str, set[str]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for position, heading in enumerate(header):
        normal = _normal(heading)
        for name, spellings in fields.items():
            if normal in spellings and name not in found:
                found[name] = position
    return found


def _rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        rows = read_rows(path)
    except FileNotFoundError:
        raise RosterError(f"--roster {path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise RosterError(f"--roster {path}: cannot be read as UTF-8 CSV ({exc}); export it from "
                          "the LMS again as CSV") from None
    numbered = [(n, r) for n, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if not numbered:
        raise RosterError(f"--roster {path}: the file is empty")
    return numbered[0][1], numbered[1:]


def _values(row: list[str], columns: dict[str, int]) -> dict[str, str]:
    return {name: (row[i].strip() if i < len(row) else "") for name, i in columns.items()}


def read_canvas(path: str | Path) -> Roster:
    path = Path(path)
    header, rows = _rows(path)
    columns = _columns(header, CANVAS_FIELDS)
    if "student" not in columns or not ({"sis_login_id", "id"} & columns.keys()):
        raise RosterError(
            f"--roster {path}: not a Canvas gradebook export (it needs the columns Student and "
            f"SIS Login ID or ID; found {shown(', '.join(header[:8]))}). In Canvas: Grades > Export "
            "> Export Entire Gradebook")
    entries, notes, points = [], [], {}
    for number, row in rows:
        values = _values(row, columns)
        student = values.get("student", "")
        if student.casefold() == "points possible":
            pairs = zip(header, row, strict=False)  # a short row leaves the last columns empty
            points = {h.strip(): v.strip() for h, v in pairs if h.strip() and v.strip()}
            continue
        if student.casefold() in ("muted", "manual posting"):
            continue
        if student.casefold() in TEST_STUDENT:
            notes.append(f"skipped Canvas's test student on line {number}")
            continue
        if not any(values.get(k) for k in ("sis_login_id", "id", "sis_user_id")):
            if student:
                notes.append(f"line {number} ({shown(student)}) has no ID or SIS Login ID: ignored")
            continue
        entries.append(RosterEntry(number, values, student or values.get("sis_login_id", "")))
    return Roster(path, "canvas", tuple(k for k in CANVAS_KEYS if k in columns), CANVAS_LABELS,
                  entries, header, notes, points_possible=points)


def read_moodle(path: str | Path, field_name: str) -> Roster:
    path = Path(path)
    header, rows = _rows(path)
    columns = _columns(header, MOODLE_FIELDS)
    identifiers = [k for k in MOODLE_LABELS if k in columns]
    if not identifiers:
        hint = (" (this looks like a Canvas gradebook export)"
                if "sisloginid" in {_normal(h) for h in header} else "")
        raise RosterError(
            f"--roster {path}: not a Moodle export{hint}: it needs a Username, Email address or "
            f"ID number column (found {shown(', '.join(header[:8]))}). In Moodle: Participants > "
            "select all > Download table data as CSV, or Grades > Export > Plain text file")
    if field_name not in columns:
        raise RosterError(
            f"--roster {path} has no {MOODLE_LABELS[field_name]} column, which --moodle-field "
            f"{field_name} needs; it has {', '.join(MOODLE_LABELS[k] for k in identifiers)}: choose "
            "one of those, or export the roster with that field shown")
    entries, notes, not_students = [], [], 0
    for number, row in rows:
        values = _values(row, columns)
        if "roles" in columns and "student" not in values.get("roles", "").casefold():
            not_students += 1
            continue
        if not any(values.get(k) for k in identifiers):
            notes.append(f"line {number} has no {'/'.join(MOODLE_LABELS[k] for k in identifiers)}: "
                         "ignored")
            continue
        name = values.get("full") or " ".join(v for v in (values.get("first"), values.get("last")) if v)
        entries.append(RosterEntry(number, values, name or values.get(field_name) or
                                   next(values[k] for k in identifiers if values.get(k))))
    if not_students:
        notes.append(f"skipped {not_students} participant(s) whose Roles do not include Student")
    order = (field_name, *[k for k in identifiers if k != field_name])
    return Roster(path, "moodle", order, MOODLE_LABELS, entries, header, notes)
