"""``python -m autograder export-grades``: a grade-all results folder -> an LMS gradebook file."""

from __future__ import annotations

import argparse

from . import UsageError

HELP = "write a Canvas, Moodle or plain CSV gradebook file from a grade-all results folder"
DESCRIPTION = """\
Read the results files grade-all wrote (RESULTS_DIR/*.json; never nbgrader's
database) and write a gradebook file the LMS imports, plus FILE.notes.txt
beside it (late penalties, flagged students, the options used).

  --to canvas   Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID,
                Section, "<Assignment> (<id>)", with a Points Possible row. Give
                --assignment-id (the number in the assignment's URL) or Canvas
                makes a new assignment; with --roster (Canvas's gradebook export)
                the ids and the exact column title come from it.
  --to moodle   Moodle's "Import grades: CSV file": an identifier column (map it
                to the user field of --moodle-field) and a grade column.
  --to csv      one row per student: student, score, max_score, percent,
                late_penalty_percent, score_before_late, status, regrade_reason,
                submitted_at, submitted_at_source, submitted_at_weak (yes: a
                file time, weaker evidence), missed (" | "), parts,
                results_file, notes.

Students are matched by their name in the results (extra_data.student) or
their --id-map entry. Every student in the results but not in the roster, and
every roster student without results, is listed on stderr and in the notes,
never dropped quietly and never given an invented zero; so are students whose
status is not_run or grader_error (they need a regrade and are not exported as
a score). Cells that a spreadsheet would run as formulas (= + - @) are
prefixed with '. Files are UTF-8; --excel (the default for moodle and csv)
starts them with a byte-order mark so that Excel reads accented names right.

Exit status: 0 every student exported; 1 the file was written but something
is flagged on stderr; 2 nothing written (bad option, unreadable folder or
roster, results that disagree on the maximum).

Example:
  python -m autograder export-grades results/ --to canvas --out canvas.csv \\
      --roster canvas_export.csv --assignment-id 4321 \\
      --due "2026-12-01 09:00 UTC" --late-penalty 10%/day --late-cap 50% --grace 15m
"""


def add_arguments(parser) -> None:
    parser.add_argument("results", metavar="RESULTS_DIR", help="the --out folder of grade-all")
    parser.add_argument("--to", required=True, choices=["canvas", "moodle", "csv"],
                        help="the file format (see above)")
    parser.add_argument("--out", required=True, metavar="FILE", help="the file to write (replaced)")
    lms = parser.add_argument_group("matching students to the LMS")
    lms.add_argument("--roster", metavar="FILE",
                     help="the LMS's own export: Canvas's gradebook export CSV (Grades > Export), or "
                          "Moodle's participants download or grades export (CSV)")
    lms.add_argument("--id-map", metavar="FILE",
                     help="CSV 'student,lms_id': a name in the results -> the LMS login when they "
                          "differ (Canvas SIS Login ID or ID; the Moodle field of --moodle-field)")
    lms.add_argument("--moodle-field", choices=["username", "email", "idnumber"],
                     help="the Moodle user field the identifier column holds (default username; "
                          "ID number is often empty)")
    column = parser.add_argument_group("the grade column")
    column.add_argument("--assignment-id", metavar="ID",
                        help="Canvas: the assignment's id; the column is titled '<name> (<id>)'")
    column.add_argument("--assignment-name", metavar="NAME",
                        help="the assignment's name as in the LMS (default: the roster's title for "
                             "--assignment-id, else 'Module 11: Recurrent Neural Networks')")
    column.add_argument("--scale-to", type=float, metavar="N",
                        help="rescale scores to N points (the LMS column's maximum)")
    parser.add_argument("--excel", action=argparse.BooleanOptionalAction, default=None,
                        help="start the file with a UTF-8 byte-order mark, so that Excel shows accented "
                             "names right ('Seán', not 'SeÃ¡n'). Default: on for --to moodle (Moodle's "
                             "importer skips the mark) and --to csv; off for --to canvas (give --excel to "
                             "open it in Excel before the import)")
    from ..lms import lateness

    lateness.add_arguments(parser)


def run(args) -> int:
    from ..lms import export

    try:
        options = export.options_from(args)
    except export.OptionError as exc:
        raise UsageError(str(exc)) from None
    return export.export(options)
