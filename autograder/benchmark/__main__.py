"""``python -m autograder.benchmark``: see the package's docstring."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from . import __doc__ as DOC
from .against_nbgrader import NBGRADER_STUDENTS, run_cohort
from .commands import run_commands
from .report import print_report
from .sandboxes import run_sandboxes
from .timing import load_average


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.benchmark", description=DOC,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int,
                        help="interleaved runs of each measurement (default 5; --quick 2)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: fewer runs, 3 students, 4 notebooks (40 for grade-all alone)")
    parser.add_argument("--students", type=int,
                        help="K, the copies of the solution for the marginal student (default 8; --quick 3)")
    parser.add_argument("--nbgrader-students", type=int,
                        help=f"notebooks of the nbgrader cohort (default {NBGRADER_STUDENTS}; --quick 4)")
    parser.add_argument("--nbgrader-runs", type=int,
                        help="interleaved runs of section 4, each tool the same number of times; nbgrader "
                             "takes minutes each (default 3; --quick 1)")
    parser.add_argument("--no-nbgrader", action="store_true", help="leave out section 4")
    parser.add_argument("--no-sandboxes", action="store_true", help="leave out section 5")
    parser.add_argument("--compare-sandboxes", action="store_true", help="run only section 5")
    parser.add_argument("--against-nbgrader", action="store_true", help="run only section 4")
    parser.add_argument("--json", metavar="PATH", help="write every number to PATH")
    args = parser.parse_args(argv)
    args.runs = args.runs or (2 if args.quick else 5)
    args.students = args.students or (3 if args.quick else 8)
    args.nbgrader_students = args.nbgrader_students or (4 if args.quick else NBGRADER_STUDENTS)
    args.nbgrader_runs = args.nbgrader_runs or (1 if args.quick else 3)
    if args.runs < 1 or args.students < 2 or args.nbgrader_students < 1 or args.nbgrader_runs < 1:
        parser.error("--runs, --nbgrader-students and --nbgrader-runs must be at least 1, "
                     "--students at least 2")
    import torch

    data: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                              "torch": torch.__version__, "runs": args.runs, "quick": args.quick,
                              "load_start": load_average(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rnn-bench-") as scratch:
        if not (args.compare_sandboxes or args.against_nbgrader):
            data["ratios"], data["grade_all"], data["memory"] = run_commands(args, Path(scratch))
        if not args.compare_sandboxes:
            data["nbgrader"] = run_cohort(args, Path(scratch))
        if (not args.no_sandboxes and not args.against_nbgrader) or args.compare_sandboxes:
            data["sandboxes"] = run_sandboxes(args, args.runs)
    data["machine"]["load_end"] = load_average()
    data["machine"]["seconds"] = round(time.perf_counter() - began, 1)
    print_report(data)
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2), encoding="utf-8")
        print(f"\nevery number in {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
