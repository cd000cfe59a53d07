"""``python -m autograder grade-all``: a whole cohort in one command."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

from ..wire import KIND_NOTEBOOK
from . import UsageError
from . import options as options_module

HELP = "grade every submission in a folder (a cohort), on every core, resumably"
DESCRIPTION = """\
Grade a cohort: each entry of SUBMISSIONS (a sub-folder, an .py or an .ipynb)
is one student; with --assignment NAME, nbgrader's layout
SUBMISSIONS/<student>/NAME/ is read instead.

Writes, in OUT: <student>.json (a Gradescope results file, written the
moment that student is graded), feedback/<student>.html and .md (the
student's feedback page), report.html (the cohort report for the instructor)
and grades.csv (rebuilt from the results files at the end, even after
Ctrl-C).

Every core is used (--jobs); each slot is a sandbox of its own. A second run
over the same folder skips the students whose submission, grader and options
are unchanged (--force regrades everyone, --only some); an interrupted run
picks up where it stopped. With --scheduler, the students are graded on a Dask
cluster's workers instead. One student's failure, of any kind, is that
student's: their results file says what happened and the cohort goes on.
"""


def add_arguments(parser) -> None:
    parser.add_argument("submissions", metavar="SUBMISSIONS", help="folder of submissions")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the results")
    parser.add_argument("--assignment", metavar="NAME",
                        help="read nbgrader's layout: SUBMISSIONS/<student>/NAME/")
    parser.add_argument("--csv", metavar="PATH", help="summary CSV (default OUT/grades.csv)")
    run = parser.add_argument_group("the run")
    run.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                     help="grading slots on this machine, each a sandbox of its own (default: every core, "
                          "%(default)s here)")
    run.add_argument("--force", action="store_true", help="regrade every student, changed or not")
    run.add_argument("--only", nargs="+", metavar="NAME", help="regrade only these students")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="grade on a Dask distributed cluster (e.g. tcp://host:8786) instead of here")
    run.add_argument("--no-feedback", action="store_true", help="write no feedback pages and no report")
    options_module.add_arguments(parser)


MANIFEST = "run.manifest"


def _fail(message: str) -> int:
    print(f"python -m autograder grade-all: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    from .. import cohort, intake, results
    from ..judge.reference import MissingReference
    from ..sandbox.modes import SandboxUnavailable

    root, out = Path(args.submissions).absolute(), Path(args.out).absolute()
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if not root.is_dir():
        return _fail(f"no such folder: {args.submissions}")
    students = cohort.find_students(root, args.assignment)
    if not students:
        layout = f"<student>/{args.assignment}/" if args.assignment else "sub-folders, .py or .ipynb files"
        return _fail(f"no submissions in {args.submissions} (expected {layout})")
    if args.only:
        unknown = sorted(set(args.only) - {s.name for s in students})
        if unknown:
            return _fail(f"--only names no student in {args.submissions}: {', '.join(unknown)}")
    try:
        out.mkdir(parents=True, exist_ok=True)
        results.check_writable(out / "probe.json")
    except (OSError, results.ResultsPathError) as exc:
        return _fail(f"cannot write to {args.out}: {exc}")
    csv_path = Path(args.csv).absolute() if args.csv else out / cohort.CSV_NAME
    options = options_module.from_args(args, [os.getcwd(), str(root), str(out), str(csv_path.parent)])
    if options.seed is None:
        from ..judge import new_seed

        options.seed = new_seed()  # one seed for every slot: every student judged on the same inputs
    jobs, skipped, key = _plan(students, out, options, args)
    options.notebooks = any(job.submission.kind == KIND_NOTEBOOK for job in jobs)
    options.plots = any(intake.may_plot(job.submission) for job in jobs)
    started = time.monotonic()
    slots = None
    graded: list[dict] = []
    interrupted = False
    try:
        if jobs:
            try:
                slots = _slots(options, args, len(jobs))
            except (MissingReference, SandboxUnavailable) as exc:
                return _fail(str(exc))
            except Exception as exc:  # noqa: BLE001 - a slot that cannot start (Dask, a sandbox) is reported
                if type(exc).__name__ in ("WorkerRefused", "SandboxUnavailable", "MissingReference"):
                    return _fail(str(exc))
                raise
            graded = _grade(slots, jobs, out, key, not args.no_feedback, len(skipped))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if slots is not None:
            try:
                slots.close()
            except KeyboardInterrupt:
                pass
        count = cohort.rebuild_csv(out, csv_path)
        if not args.no_feedback:
            _report(out)
        _manifest(out, options, slots, started, len(graded), len(skipped))
    _summary(out, graded, skipped)
    if interrupted:
        print(f"interrupted: {len(graded)} of {len(jobs)} graded; their results are kept, and {csv_path} "
              f"lists {count}. Run the same command again to go on.", file=sys.stderr)
        return 130
    print(f"{len(graded)} graded, {len(skipped)} skipped as unchanged; results in {out}, "
          f"summary in {csv_path}",
          file=sys.stderr)
    return 0


def _plan(students, out: Path, options, args):
    """Read every submission; keep those to grade, and name those whose results still stand."""
    from .. import cohort, intake
    from ..intake import Submission
    from ..slots import Job, fingerprint

    key = {"fingerprint": fingerprint(), **options.key()}
    jobs, skipped = [], []
    for student in students:
        try:
            submission = intake.load(student.path, name=student.name)
        except intake.IntakeError as exc:
            submission = Submission(name=student.name, origin=student.path, problem=str(exc))
        wanted = args.force or (args.only and student.name in args.only)
        if not wanted and (args.only or cohort.unchanged(out, student.stem, submission.sha256, key)):
            skipped.append(student.name)
            continue
        jobs.append(Job(student.stem, submission))
    return jobs, skipped, key


def _slots(options, args, count: int):
    from ..slots import DaskSlots, LocalSlots

    if args.scheduler:
        return DaskSlots(options, args.scheduler)
    return LocalSlots(options, min(args.jobs, count))


def _grade(slots, jobs, out: Path, key: dict, feedback: bool, skipped: int) -> list[dict]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.text import Text

    from .. import results
    from ..escape import one_line

    console = Console(stderr=True, highlight=False)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
               TextColumn("mean {task.fields[mean]}"), TextColumn("{task.fields[student]}"))
    graded: list[dict] = []
    writer = _feedback_writer(out) if feedback else None
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("grading", total=len(jobs), student="", mean="-")
        for stem, data in slots.run(jobs):
            data["extra_data"]["resume_key"] = key
            # atomic: an interrupted run keeps every finished student
            results.write(out / f"{stem}.json", data)
            if writer is not None:
                writer(data, stem)
            graded.append(data)
            mean = sum(r["score"] for r in graded) / len(graded)
            progress.update(task, advance=1, mean=f"{mean:.1f}/{data['extra_data']['max_score']:g}",
                            student=Text(one_line(data["extra_data"]["student"], 40)))
    del skipped
    return graded


def _feedback_writer(out: Path):
    from .. import feedback

    folder = out / feedback.FEEDBACK_DIR
    folder.mkdir(exist_ok=True)

    def write(data: dict, stem: str) -> None:
        try:
            feedback.write_student(data, folder, stem)
        except Exception as exc:  # noqa: BLE001 - a page that cannot be drawn never costs a grade
            print(f"feedback page for {stem} not written: {type(exc).__name__}: {exc}", file=sys.stderr)

    return write


def _report(out: Path) -> None:
    from .. import feedback

    try:
        feedback.write_report(out)
    except Exception as exc:  # noqa: BLE001 - the report is a view of the results files, which are kept
        print(f"report not written: {type(exc).__name__}: {exc}", file=sys.stderr)


def _manifest(out: Path, options, slots, started: float, graded: int, skipped: int) -> None:
    """OUT/run.manifest (JSON): the run's seed, slots (with their peak memory) and timing."""
    facts = list(getattr(slots, "facts", {}).values()) if slots is not None else []
    data = {"seed": options.seed, "graded": graded, "skipped": skipped,
            "seconds": round(time.monotonic() - started, 3), "slots": facts}
    temporary = out / ".run.manifest.tmp"
    temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(temporary, out / MANIFEST)


def _summary(out: Path, graded: list[dict], skipped: list[str]) -> None:
    """One screen whatever the cohort's size: the distribution and the checks missed most."""
    from rich.console import Console
    from rich.text import Text

    from .. import cohort
    from ..escape import one_line

    everyone = list(cohort.read_results(out).values())
    console = Console(highlight=False)
    if not everyone:
        return
    if len(everyone) <= 12:
        for data in sorted(everyone, key=lambda d: d["extra_data"]["student"]):
            console.print(Text(f"{data['score']:>7g} / {data['extra_data']['max_score']:<4g} "
                               f"{one_line(data['extra_data']['student'], 60)}"))
    scores = [r["score"] for r in everyone]
    maximum = everyone[0]["extra_data"]["max_score"]
    console.print(Text(f"{len(everyone)} students: mean {sum(scores) / len(scores):.1f}, "
                       f"min {min(scores):g}, max {max(scores):g} (out of {maximum:g})", style="bold"))
    missed = Counter(t["name"] for r in everyone for t in r["tests"]  # root causes only
                     if t["status"] != "passed" and not (t.get("extra_data") or {}).get("cause"))
    for name, count in missed.most_common(8):
        console.print(Text(f"  {count:>4} missed: {one_line(name, 90)}"))
    flagged = [r for r in everyone if r["extra_data"].get("status") != "graded"]
    for data in flagged[:10]:
        reason = one_line(data["extra_data"].get("regrade_reason") or "", 100)
        name = one_line(data["extra_data"]["student"], 40)
        console.print(Text(f"  REGRADE {name}: {reason}", style="yellow"))
    if len(flagged) > 10:
        console.print(Text(f"  ... and {len(flagged) - 10} more flagged for regrade (see grades.csv)"))
    if skipped:
        console.print(Text(f"{len(skipped)} skipped: unchanged since their last grading", style="dim"))
