"""nbgrader export plugins: gradebook CSVs that Canvas and Moodle import.

Use from the course folder::

    nbgrader export --exporter autograder.nbgrader_course.exports.CanvasExportPlugin \\
        --to canvas_grades.csv
    nbgrader export --exporter autograder.nbgrader_course.exports.MoodleExportPlugin \\
        --to moodle_grades.csv

Scores follow nbgrader's own CSV export: the submission's score less its late
penalty, never below 0; a student without a submission scores 0. With
``scale_to`` set, scores are rescaled to that many points (the LMS column's
maximum).

The files are written by :mod:`autograder.lms.csv_files`, like
``python -m autograder export-grades``: atomically, with every cell a
spreadsheet would run as a formula (a name starting with ``=``, ``+``, ``-``,
``@``) prefixed with ``'``. For grades you can stand behind, prefer
``export-grades`` over the project's grader results (see the README).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Bool, Dict, Enum, Float, Unicode

from ..lms import csv_files
from ..lms.csv_files import number


@dataclass(frozen=True)
class Row:
    student_id: str
    first_name: str
    last_name: str
    email: str
    scores: dict[str, float]  # assignment name -> points


class _LMSExport(ExportPlugin):
    titles = Dict(
        help="nbgrader assignment name -> column title in the LMS (default: the name)"
    ).tag(config=True)
    scale_to = Float(
        0.0, help="rescale each score to this many points (0: keep nbgrader's points)"
    ).tag(config=True)

    default_filename = "grades.csv"

    def gather(self, gradebook: Gradebook) -> tuple[list[tuple[str, float]], list[Row]]:
        """([(assignment, max points)], rows) for the selected assignments and students."""
        wanted_a = {str(a) for a in self.assignment}
        wanted_s = {str(s) for s in self.student}
        assignments = [a for a in gradebook.assignments if not wanted_a or a.name in wanted_a]
        rows = []
        for student in gradebook.students:
            if wanted_s and student.id not in wanted_s:
                continue
            scores = {}
            for assignment in assignments:
                try:
                    sub = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    points = 0.0
                else:
                    points = max(0.0, sub.score - (sub.late_submission_penalty or 0.0))
                scores[assignment.name] = self._scaled(points, assignment.max_score)
            rows.append(Row(student.id, student.first_name or "", student.last_name or "",
                            student.email or "", scores))
        maxima = [(a.name, self._scaled(a.max_score, a.max_score)) for a in assignments]
        return maxima, rows

    def _scaled(self, points: float, maximum: float) -> float:
        if self.scale_to > 0:
            return points * self.scale_to / maximum if maximum else 0.0
        return points

    def title(self, assignment: str) -> str:
        return str(self.titles.get(assignment, assignment))

    def destination(self) -> Path:
        return Path(self.to or self.default_filename)

    def write(self, header: list[str], rows: list[list[str]]) -> None:
        dest = self.destination()
        csv_files.write(dest, header, rows)
        self.log.info("Wrote %d rows to %s", len(rows), dest)


CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


class CanvasExportPlugin(_LMSExport):
    """Canvas gradebook import CSV.

    Header ``Student, ID, SIS User ID, SIS Login ID, Section, <Assignment> (<id>)``,
    then a ``Points Possible`` row (``points_possible_row``), then one row per
    student. Canvas matches students on ID, SIS User ID or SIS Login ID: the
    nbgrader student id goes into ``student_id_field``; with ``roster`` (the CSV
    Canvas exports from its gradebook) the other columns are filled from it.
    """

    canvas_ids = Dict(
        help="nbgrader assignment name -> Canvas assignment id, for the column header "
             "'<title> (<id>)'; without one Canvas creates a new assignment column"
    ).tag(config=True)
    student_id_field = Enum(
        ["ID", "SIS User ID", "SIS Login ID"], default_value="SIS Login ID",
        help="the Canvas column that holds the nbgrader student id",
    ).tag(config=True)
    roster = Unicode(
        "", help="a Canvas gradebook export (CSV) to fill ID, SIS ids and Section from"
    ).tag(config=True)
    points_possible_row = Bool(True, help="write the 'Points Possible' row").tag(config=True)

    default_filename = "canvas_grades.csv"

    def _roster(self) -> dict[str, dict[str, str]]:
        if not self.roster:
            return {}
        with open(self.roster, newline="", encoding="utf-8-sig") as handle:
            return {
                row[self.student_id_field].strip(): row
                for row in csv.DictReader(handle)
                if (row.get(self.student_id_field) or "").strip()
            }

    def export(self, gradebook: Gradebook) -> None:
        maxima, rows = self.gather(gradebook)
        roster = self._roster()
        header = list(CANVAS_FIXED)
        for name, _ in maxima:
            canvas_id = self.canvas_ids.get(name)
            header.append(f"{self.title(name)} ({canvas_id})" if canvas_id else self.title(name))
        out = []
        if self.points_possible_row:
            out.append(["Points Possible", "", "", "", ""] + [number(m) for _, m in maxima])
        for row in rows:
            known = roster.get(row.student_id, {})
            fields = {key: (known.get(key) or "").strip() for key in CANVAS_FIXED}
            fields[self.student_id_field] = row.student_id
            if not fields["Student"]:
                names = ", ".join(n for n in (row.last_name, row.first_name) if n)
                fields["Student"] = names or row.student_id
            out.append([fields[key] for key in CANVAS_FIXED]
                       + [number(row.scores[name]) for name, _ in maxima])
        self.write(header, out)


class MoodleExportPlugin(_LMSExport):
    """Moodle "Import grades: CSV file".

    Columns ``First name, Last name, <id column>, Email address, <Assignment>``.
    When importing, map ``id_column`` to the matching user field ("ID number",
    "Username" or "Email address") and each assignment column to its grade item.
    """

    id_column = Enum(
        ["ID number", "Username", "Email address"], default_value="ID number",
        help="the Moodle user field that holds the nbgrader student id",
    ).tag(config=True)

    default_filename = "moodle_grades.csv"

    def export(self, gradebook: Gradebook) -> None:
        maxima, rows = self.gather(gradebook)
        fixed = ["First name", "Last name", self.id_column]
        if self.id_column != "Email address":
            fixed.append("Email address")
        header = fixed + [self.title(name) for name, _ in maxima]
        out = []
        for row in rows:
            values = {"First name": row.first_name, "Last name": row.last_name,
                      "Email address": row.email}
            values[self.id_column] = row.student_id
            out.append([values[key] for key in fixed]
                       + [number(row.scores[name]) for name, _ in maxima])
        self.write(header, out)
