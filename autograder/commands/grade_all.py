"""``python -m autograder grade-all``: a whole cohort in one command."""

from __future__ import annotations

from . import limits

HELP = "grade every submission in a folder (a cohort), with a progress bar"
DESCRIPTION = """\
Grade a cohort: each entry of SUBMISSIONS (a sub-folder, an .py or an .ipynb)
is one student; with --assignment NAME, nbgrader's layout
SUBMISSIONS/<student>/NAME/ is read instead. Writes OUT/<student>.json (one
Gradescope results file each) and OUT/grades.csv.
"""


def add_arguments(parser) -> None:
    parser.add_argument("submissions", metavar="SUBMISSIONS", help="folder of submissions")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the results")
    parser.add_argument("--assignment", metavar="NAME",
                        help="read nbgrader's layout: SUBMISSIONS/<student>/NAME/")
    parser.add_argument("--csv", metavar="PATH", help="summary CSV (default OUT/grades.csv)")
    limits.add_arguments(parser)


def run(args) -> int:
    from ..cohort import grade_all

    return grade_all(args.submissions, args.out, limits.from_args(args), args.assignment, args.csv)
