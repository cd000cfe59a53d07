"""``python -m autograder.feedback OUT``: (re)write every feedback page and the report of a
grade-all output folder, from its results files alone (no grading, no torch)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.feedback",
        description="Write OUT/feedback/<student>.html and .md for every results file in OUT, and "
                    "OUT/report.html for the instructor. Reads only OUT/*.json.")
    parser.add_argument("out", metavar="OUT", help="a grade-all output folder")
    parser.add_argument("--report-only", action="store_true", help="write report.html alone")
    args = parser.parse_args(argv)
    root = Path(args.out)
    if not root.is_dir():
        print(f"python -m autograder.feedback: no such folder: {args.out}", file=sys.stderr)
        return 2
    from . import FEEDBACK_DIR, write_all, write_report

    start = time.perf_counter()
    try:
        written = [write_report(root)] if args.report_only else write_all(root)
    except OSError as exc:
        print(f"python -m autograder.feedback: cannot write in {args.out}: {exc}", file=sys.stderr)
        return 2
    pages = len(written) - 1
    where = f"{pages} pages in {root / FEEDBACK_DIR}, " if pages else ""
    print(f"{where}report in {written[-1]} ({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
