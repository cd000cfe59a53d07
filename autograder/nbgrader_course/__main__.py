"""``python -m autograder.nbgrader_course init COURSE_DIR``: make an nbgrader course folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import ASSIGNMENT
from .scaffold import EXCHANGE_DIR, ScaffoldError, init_course

NEXT_STEPS = f"""\
Next, from that folder (nbgrader reads nbgrader_config.py from the current directory):
  nbgrader generate_assignment {ASSIGNMENT} --force
  nbgrader release_assignment {ASSIGNMENT}    # into the course's own exchange/
See autograder/nbgrader_course/README.md for the whole sequence."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.nbgrader_course",
        description="Module 11 through nbgrader: make a course folder.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    init = commands.add_parser(
        "init", help="write nbgrader_config.py and the source notebook into COURSE_DIR"
    )
    init.add_argument("course_dir", metavar="COURSE_DIR")
    init.add_argument("--course-id", help="nbgrader course id (default: module11-rnn)")
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)
    try:
        written = init_course(args.course_dir, course_id=args.course_id, force=args.force)
    except ScaffoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"written     {path}")
    print(f"exchange    {Path(args.course_dir) / EXCHANGE_DIR}  (Exchange.root)")
    print(NEXT_STEPS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
