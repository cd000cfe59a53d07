"""``python -m autograder grade``: one submission, start to results.json."""

from __future__ import annotations

from . import limits

HELP = "grade one submission (rnn.py, a folder or a notebook) in the sandbox"
DESCRIPTION = """\
Grade one submission. Student code runs in a confined child process, never in
this process. The results file is written once grading ran, whatever the
submission did, and the exit status is then 0; it is 2 only when grading
cannot run (no such file, results path not writable, sandbox unavailable).
"""


def add_arguments(parser) -> None:
    parser.add_argument("submission", metavar="SUBMISSION",
                        help="a student's rnn.py, a folder holding it, or a .ipynb notebook")
    parser.add_argument("--results", metavar="PATH",
                        help="where to write Gradescope's results.json (default: only print)")
    parser.add_argument("--quiet", action="store_true", help="print only the score line")
    limits.add_arguments(parser)


def run(args) -> int:
    from ..grade_command import grade_one

    return grade_one(args.submission, args.results, limits.from_args(args), quiet=args.quiet)
