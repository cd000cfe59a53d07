"""``python -m autograder grade-all``: a whole cohort in one command, with a progress bar.

Each entry of the folder is one student: a sub-folder, an ``rnn.py``-style
``.py`` file or a notebook (with ``--assignment A``, nbgrader's layout
``<student>/A/`` is read instead). One fork server serves every student; each
student's code is confined as in ``grade``, with the rest of the cohort and
the output folder hidden from it.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .sandbox.session import Limits


def find_students(root: Path, assignment: str | None) -> list[tuple[str, Path]]:
    students = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if assignment:
            target = entry / assignment
            if entry.is_dir() and target.is_dir():
                students.append((entry.name, target))
        elif entry.is_dir() or entry.suffix in (".py", ".ipynb"):
            students.append((entry.stem if entry.is_file() else entry.name, entry))
    return students


def grade_all(root: str, out: str, limits: Limits, assignment: str | None = None,
              csv_path: str | None = None) -> int:
    from . import results as results_module
    from . import submission as submission_module
    from .grade_command import grade_with

    root_dir, out_dir = Path(root).absolute(), Path(out).absolute()
    def fail(message: str) -> int:
        print(f"python -m autograder grade-all: {message}", file=sys.stderr)
        return 2

    console = Console(stderr=True, highlight=False)
    if not root_dir.is_dir():
        return fail(f"no such folder: {root}")
    students = find_students(root_dir, assignment)
    if not students:
        layout = f"<student>/{assignment}/" if assignment else "sub-folders, .py or .ipynb files"
        return fail(f"no submissions in {root} (expected {layout})")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        results_module.check_writable(out_dir / "probe.json")
    except (OSError, results_module.ResultsPathError) as exc:
        return fail(f"cannot write to {out}: {exc}")
    csv_file = Path(csv_path).absolute() if csv_path else out_dir / "grades.csv"

    from .judge import Grader
    from .reference import MissingReference

    try:
        grader = Grader(limits)
    except MissingReference as exc:
        return fail(str(exc))
    rows = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn(), TextColumn("{task.fields[student]}"))
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("grading", total=len(students), student="")
            for student, path in students:
                progress.update(task, student=student)
                results_file = out_dir / f"{student}.json"
                try:
                    submission = submission_module.load(path)
                except submission_module.SubmissionError as exc:
                    submission = submission_module.Submission(path, None, problem=str(exc))
                submission.origin = path
                results = grade_with(grader, submission, results_file, protect=[str(root_dir)])
                results_module.write(results_file, results)
                missed = [t["name"] for t in results["tests"] if t["status"] != "passed"]
                rows.append((student, results["score"], results["extra_data"]["max_score"], missed))
                progress.advance(task)
    finally:
        grader.close()
    with open(csv_file, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "score", "max_score", "results"])
        for student, score, max_score, _ in rows:
            writer.writerow([student, f"{score:g}", f"{max_score:g}", f"{student}.json"])
    for student, score, max_score, missed in rows:
        print(f"{score:>6g} / {max_score:<4g} {student}")
        for name in missed:
            print(f"{'':16}missed: {name}")
    print(f"{len(rows)} submissions graded; results in {out_dir}, summary in {csv_file}",
          file=sys.stderr)
    return 0
