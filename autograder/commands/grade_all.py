"""``python -m autograder grade-all``: a whole cohort in one command."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from . import options as options_module

HELP = "grade every submission in a folder (a cohort), with a progress bar"
DESCRIPTION = """\
Grade a cohort: each entry of SUBMISSIONS (a sub-folder, an .py or an .ipynb)
is one student; with --assignment NAME, nbgrader's layout
SUBMISSIONS/<student>/NAME/ is read instead. Writes OUT/<student>.json (a
Gradescope results file each, written as soon as that student is graded) and
OUT/grades.csv (rebuilt from the results files at the end, even after Ctrl-C).

One student's failure, of any kind, is that student's: their results file
says what happened and the cohort goes on.
"""


def add_arguments(parser) -> None:
    parser.add_argument("submissions", metavar="SUBMISSIONS", help="folder of submissions")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the results")
    parser.add_argument("--assignment", metavar="NAME",
                        help="read nbgrader's layout: SUBMISSIONS/<student>/NAME/")
    parser.add_argument("--csv", metavar="PATH", help="summary CSV (default OUT/grades.csv)")
    options_module.add_arguments(parser)


def _fail(message: str) -> int:
    print(f"python -m autograder grade-all: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    import os

    from .. import cohort, results
    from ..judge.grader import Grader
    from ..judge.reference import MissingReference
    from ..sandbox.modes import SandboxUnavailable

    root, out = Path(args.submissions).absolute(), Path(args.out).absolute()
    if not root.is_dir():
        return _fail(f"no such folder: {args.submissions}")
    students = cohort.find_students(root, args.assignment)
    if not students:
        layout = f"<student>/{args.assignment}/" if args.assignment else "sub-folders, .py or .ipynb files"
        return _fail(f"no submissions in {args.submissions} (expected {layout})")
    try:
        out.mkdir(parents=True, exist_ok=True)
        results.check_writable(out / "probe.json")
    except (OSError, results.ResultsPathError) as exc:
        return _fail(f"cannot write to {args.out}: {exc}")
    csv_path = Path(args.csv).absolute() if args.csv else out / cohort.CSV_NAME
    options = options_module.from_args(args, [os.getcwd(), str(root), str(out), str(csv_path.parent)])
    try:
        grader = Grader(options)
    except (MissingReference, SandboxUnavailable) as exc:
        return _fail(str(exc))
    rows = []
    interrupted = False
    try:
        rows = _grade_each(grader, students, out, options)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        grader.close()
        count = cohort.rebuild_csv(out, csv_path)
    _summary(rows, len(students))
    if interrupted:
        print(f"interrupted: {len(rows)} of {len(students)} graded; their results are kept, and {csv_path} "
              f"lists {count}. Run the same command again to go on.", file=sys.stderr)
        return 130
    print(f"{len(rows)} submissions graded; results in {out}, summary in {csv_path}", file=sys.stderr)
    return 0


def _grade_each(grader, students, out: Path, options) -> list[dict]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.text import Text

    from .. import intake, results
    from ..escape import one_line
    from ..intake import Submission

    console = Console(stderr=True, highlight=False)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
               TextColumn("mean {task.fields[mean]}"), TextColumn("{task.fields[student]}"))
    rows: list[dict] = []
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("grading", total=len(students), student="", mean="-")
        for student in students:
            progress.update(task, student=Text(one_line(student.name, 40)))
            try:
                submission = intake.load(student.path, name=student.name)
            except intake.IntakeError as exc:
                submission = Submission(name=student.name, origin=student.path, problem=str(exc))
            grade = grader.grade(submission)
            data = results.build(grade, submission, options, grader.plan.seed)
            results.write(out / f"{student.stem}.json", data)
            rows.append(data)
            mean = sum(r["score"] for r in rows) / len(rows)
            progress.update(task, advance=1, mean=f"{mean:.1f}/{data['extra_data']['max_score']:g}")
    return rows


def _summary(rows: list[dict], total: int) -> None:
    """One screen whatever the cohort's size: the distribution and the checks missed most."""
    from rich.console import Console
    from rich.text import Text

    from ..escape import one_line

    console = Console(highlight=False)
    if not rows:
        return
    if len(rows) <= 12:
        for data in rows:
            console.print(Text(f"{data['score']:>7g} / {data['extra_data']['max_score']:<4g} "
                               f"{one_line(data['extra_data']['student'], 60)}"))
    scores = [r["score"] for r in rows]
    maximum = rows[0]["extra_data"]["max_score"]
    console.print(Text(f"{len(rows)} graded: mean {sum(scores) / len(scores):.1f}, "
                       f"min {min(scores):g}, max {max(scores):g} (out of {maximum:g})", style="bold"))
    missed = Counter(t["name"] for r in rows for t in r["tests"] if t["status"] != "passed")
    for name, count in missed.most_common(8):
        console.print(Text(f"  {count:>4} missed: {one_line(name, 90)}"))
    flagged = [r for r in rows if r["extra_data"].get("status") != "graded"]
    for data in flagged[:10]:
        console.print(Text(f"  REGRADE {one_line(data['extra_data']['student'], 40)}: "
                           f"{one_line(data['extra_data'].get('regrade_reason') or '', 100)}", style="yellow"))
    if len(flagged) > 10:
        console.print(Text(f"  ... and {len(flagged) - 10} more flagged for regrade (see grades.csv)"))
