"""``python -m autograder``: the instructor's command line."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = """\
Module 11 (Recurrent Neural Networks) autograder.

  grade    grade one submission (rnn.py, a folder, or a notebook) in a sandbox
           and write Gradescope's results.json
  grade-all
           grade every submission in a folder (a cohort) with a progress bar
  build    regenerate the files derived from solutions/rnn.py
           (the student stubs in exercises/); --check only verifies them

Run `python -m autograder COMMAND --help` for a command's options.
"""

GRADE_HELP = """\
Grade one submission. Student code runs in a confined child process (its own
user, network and mount namespaces when run as root; Landlock where the kernel
has it; memory, CPU, file-size and output limits), never in this process.
The results file is written once grading ran, whatever the submission did, and
the exit status is then 0; it is non-zero only when grading cannot run.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser(
        "build",
        help="regenerate derived files (student stubs) from solutions/rnn.py",
        description="Regenerate every file derived from the one source, solutions/rnn.py.",
    )
    build.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 and show a diff if anything drifted",
    )
    grade = commands.add_parser(
        "grade", help="grade one submission and write results.json",
        description=GRADE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    grade.add_argument("submission", metavar="SUBMISSION",
                       help="a student's rnn.py, a folder holding it, or a .ipynb notebook")
    grade.add_argument("--results", required=True, metavar="PATH",
                       help="where to write Gradescope's results.json")
    _limit_options(grade)
    grade.add_argument("--quiet", action="store_true", help="print only the score line")
    cohort = commands.add_parser(
        "grade-all", help="grade every submission in a folder, with a progress bar",
        description="Grade a cohort: each entry of SUBMISSIONS (a sub-folder, .py or .ipynb) is "
                    "one student. Writes OUT/<student>.json and OUT/grades.csv.",
    )
    cohort.add_argument("submissions", metavar="SUBMISSIONS", help="folder of submissions")
    cohort.add_argument("--out", required=True, metavar="DIR", help="folder for the results")
    cohort.add_argument("--assignment", metavar="NAME",
                        help="read nbgrader's layout: SUBMISSIONS/<student>/NAME/")
    cohort.add_argument("--csv", metavar="PATH", help="summary CSV (default OUT/grades.csv)")
    _limit_options(cohort)
    return parser


def _limit_options(parser: argparse.ArgumentParser) -> None:
    from .sandbox.session import Limits

    d = Limits()
    group = parser.add_argument_group("limits")
    group.add_argument("--check-timeout", type=float, default=d.check_timeout_s, metavar="S",
                       help=f"seconds for each group of checks (default {d.check_timeout_s:g})")
    group.add_argument("--import-timeout", type=float, default=d.import_timeout_s, metavar="S",
                       help=f"seconds to import the submission (default {d.import_timeout_s:g})")
    group.add_argument("--total-timeout", type=float, default=d.total_timeout_s, metavar="S",
                       help=f"seconds for the whole submission (default {d.total_timeout_s:g})")
    group.add_argument("--memory-mb", type=int, default=d.memory_bytes >> 20, metavar="MB",
                       help=f"memory the submission may add (default {d.memory_bytes >> 20})")
    group.add_argument("--output-kb", type=int, default=d.output_bytes >> 10, metavar="KB",
                       help=f"printed output kept (default {d.output_bytes >> 10})")


class UsageError(Exception):
    """A bad option value; main() prints it as one line and exits 2."""


def limits_from(args):
    from .sandbox.session import Limits

    for name in ("check_timeout", "import_timeout", "total_timeout", "memory_mb", "output_kb"):
        if getattr(args, name) <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be positive")
    return Limits(check_timeout_s=args.check_timeout, import_timeout_s=args.import_timeout,
                  total_timeout_s=args.total_timeout, memory_bytes=args.memory_mb << 20,
                  output_bytes=args.output_kb << 10)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except UsageError as exc:
        print(f"python -m autograder {args.command}: {exc}", file=sys.stderr)
        return 2


def _run(args) -> int:
    if args.command == "build":
        from .derived import build

        return build(check=args.check)
    if args.command == "grade":
        from .grade_command import grade_one

        return grade_one(args.submission, args.results, limits_from(args), quiet=args.quiet)
    if args.command == "grade-all":
        from .cohort import grade_all

        return grade_all(args.submissions, args.out, limits_from(args), args.assignment, args.csv)
    raise AssertionError(args.command)  # argparse rejects unknown commands first
