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
picks up where it stopped. Only results this machine sealed are reused: each
results file carries an HMAC keyed by a secret outside OUT (results.key in
$RNN_AUTOGRADER_STATE, else ~/.local/state/rnn-autograder/); any other file is
graded again, or, if it belongs to no entry, listed as unauthenticated.
Entries whose names differ only by case or Unicode form are all graded and
flagged (results, summary). With --scheduler, the students are graded on a
Dask cluster's workers instead: every worker, including one restarted or added
during the run, is checked when it joins (the same grader: files, torch and
Python; its self-test) before it takes a student. Before grading, the grader
self-tests (see `python -m autograder selftest`) and refuses to grade when a
score comes out wrong. One student's failure, of any kind, is that student's:
their results file says what happened and the cohort goes on.

Exit status: 0 the run finished; 1 it finished, but the grader itself failed
on some students (grader_error, flagged for regrade, never scored) or their
results could not be written; 2 it could not start (no submissions, no usable
sandbox, a failed self-test, no Dask worker that passes its checks); 3 a Dask
run made no progress for --progress-timeout seconds (what was graded is kept);
130 interrupted (Ctrl-C; 143 SIGTERM, 129 SIGHUP; what was graded is kept).
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
    run.add_argument("--progress-timeout", type=float, metavar="S",
                     help="with --scheduler: stop when no student has been graded for S seconds (no worker "
                          "left, none that passes its checks), keeping what was graded; exit status 3 "
                          "(default: 2 x --total-timeout + 120)")
    run.add_argument("--no-feedback", action="store_true", help="write no feedback pages and no report")
    run.add_argument("--skip-selftest", action="store_true",
                     help="do not self-test the grader before grading (see `python -m autograder selftest`); "
                          "every results file then says the self-test was skipped")
    options_module.add_arguments(parser)


MANIFEST = "run.manifest"


def _fail(message: str) -> int:
    print(f"python -m autograder grade-all: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    from .. import cohort, intake, results, seal
    from ..judge.reference import MissingReference
    from ..sandbox.modes import SandboxUnavailable
    from ..slots import SelftestFailed

    root, out = Path(args.submissions).absolute(), Path(args.out).absolute()
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.progress_timeout is not None and not args.progress_timeout > 0:
        raise UsageError("--progress-timeout must be positive")
    if not root.is_dir():
        return _fail(f"no such folder: {args.submissions}")
    try:
        results_key = seal.load_key(create=True)  # seals what this run writes; kept outside OUT
    except seal.SealKeyError as exc:
        return _fail(f"results key: {exc}")
    held = cohort.read_results(out, results_key).sealed if out.is_dir() else {}
    students = cohort.find_students(root, args.assignment, held)
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
    try:
        late_policy = _kept_late_policy(out)
    except ValueError as exc:
        return _fail(str(exc))
    options = options_module.from_args(args, [os.getcwd(), str(root), str(out), str(csv_path.parent),
                                              str(seal.state_dir())])
    # Graded only once the self-test passed on the very grader (fork server, plan) that grades them.
    options.selftest = "skipped" if args.skip_selftest else "passed"
    if options.seed is None:
        from ..judge import new_seed

        # one seed for every slot, and a resumed run goes on with the seed of the results it
        # keeps: every student of the cohort judged on the same inputs
        options.seed = cohort.kept_seed(held, students) or new_seed()
    jobs, skipped, key = _plan(students, out, options, args, held, results_key)
    options.notebooks = any(job.submission.kind == KIND_NOTEBOOK for job in jobs)
    options.plots = any(intake.may_plot(job.submission) for job in jobs)
    started = time.monotonic()
    slots = None
    graded: list[dict] = []
    unwritten: list[str] = []  # students whose results file could not be written (a full disk, say)
    interrupted, stalled = False, None
    try:
        if jobs:
            try:
                slots = _slots(options, args, len(jobs))
            except (MissingReference, SandboxUnavailable) as exc:
                return _fail(str(exc))
            except SelftestFailed as exc:
                return _fail(f"refusing to grade: the grader failed its self-test on this machine.\n{exc}\n"
                             "Fix the installation (python -m autograder selftest shows the same), or pass "
                             "--skip-selftest to grade anyway (every results file then says so).")
            except Exception as exc:  # noqa: BLE001 - a slot that cannot start (Dask, a sandbox) is reported
                if type(exc).__name__ in ("WorkerRefused", "SandboxUnavailable", "MissingReference"):
                    return _fail(str(exc))
                raise
            _grade(slots, jobs, out, key, not args.no_feedback, graded, unwritten, late_policy,
                   {student.stem: student for student in students}, results_key)
    except KeyboardInterrupt:
        interrupted = True
    except Exception as exc:  # noqa: BLE001 - only a stalled cluster is expected here; the rest propagates
        if type(exc).__name__ != "Stalled":
            raise
        stalled = str(exc)
    finally:
        if slots is not None:
            try:
                slots.close()
            except KeyboardInterrupt:
                pass
        count = cohort.rebuild_csv(out, csv_path, results_key)
        if not args.no_feedback:
            _report(out, results_key)
        _manifest(out, options, slots, started, len(graded), len(skipped))
    faulted = _summary(out, graded, skipped, results_key, students)
    if args.skip_selftest:
        print("the grader's self-test was skipped (--skip-selftest): every results file says so",
              file=sys.stderr)
    if interrupted:
        print(f"interrupted: {len(graded)} of {len(jobs)} graded; their results are kept, and {csv_path} "
              f"lists {count}. Run the same command again to go on.", file=sys.stderr)
        return 130
    if stalled:
        print(f"STOPPED: {stalled}. {len(graded)} of {len(jobs)} graded in this run; {csv_path} lists "
              f"{count}.", file=sys.stderr)
        return 3
    print(f"{len(graded)} graded, {len(skipped)} skipped as unchanged; results in {out}, "
          f"summary in {csv_path}",
          file=sys.stderr)
    return _grader_faults(faulted, unwritten)


def _grader_faults(faulted: list[str], unwritten: list[str]) -> int:
    """The loud end of a run in which the grader failed someone: exit status 1, never 0."""
    from rich.console import Console
    from rich.text import Text

    from ..escape import one_line

    if not faulted and not unwritten:
        return 0
    console = Console(stderr=True, highlight=False)
    if faulted:
        console.print(Text(f"GRADER ERROR: the grader itself failed on {len(faulted)} student(s): "
                           + ", ".join(one_line(n, 40) for n in faulted[:10])
                           + (" ..." if len(faulted) > 10 else "")
                           + ". They are flagged for regrade (status grader_error), never scored, and "
                             "left out of every export. Their results files name the fault "
                             "(extra_data.grader_errors); fix it, then run the same command again.",
                           style="bold red"))
    if unwritten:
        console.print(Text(f"RESULTS NOT WRITTEN for {len(unwritten)} student(s) "
                           + ", ".join(one_line(n, 40) for n in unwritten[:10])
                           + ": the output folder refused them (full, or not writable). Free space, then "
                             "run the same command again: they are graded again.", style="bold red"))
    return 1


def _plan(students, out: Path, options, args, held: dict, results_key: bytes):
    """Read every submission; keep those to grade, and name those whose results still stand
    (sealed by this machine's key, same submission, entry, options: :func:`cohort.unchanged`)."""
    from .. import cohort, intake, results, seal
    from ..intake import Submission
    from ..slots import Job, fingerprint

    key = {"fingerprint": fingerprint(), **options.key()}
    jobs, skipped = [], []
    for student in students:
        try:
            submission = intake.load(student.path, name=student.name,
                                     nbgrader_layout=bool(getattr(args, "assignment", None)))
        except intake.IntakeError as exc:
            submission = Submission(name=student.name, origin=student.path, problem=str(exc))
        wanted = student.name in args.only if args.only else args.force  # --only X --force: X alone
        data = held.get(f"{student.stem}.json")
        if not wanted and (args.only or cohort.unchanged(data, student, submission.sha256, key,
                                                          options.accepted_modes())):
            if data is not None and data["extra_data"].get("name_collision") != student.name_collision:
                # another entry came or went: the flag changes, the grade does not
                data["extra_data"]["name_collision"] = student.name_collision
                results.write(out / f"{student.stem}.json", seal.seal(data, results_key))
            skipped.append(student.name)
            continue
        jobs.append(Job(student.stem, submission))
    return jobs, skipped, key


def _slots(options, args, count: int):
    from ..slots import DaskSlots, LocalSlots

    if args.scheduler:
        timeout = args.progress_timeout or 2 * options.limits.total_timeout_s + 120
        return DaskSlots(options, args.scheduler, progress_timeout=timeout)
    return LocalSlots(options, min(args.jobs, count))


def _kept_late_policy(out: Path):
    """The late policy the results folder keeps (export-grades and lti push wrote it), said on stderr:
    every student graded now gets it too. Raises ValueError when its file cannot be used."""
    from ..lms import kept_policy

    policy = kept_policy.load(out)
    if policy is not None:
        print(f"late policy kept with {out} ({kept_policy.FILENAME}): {policy.describe()}; applied to "
              "every student graded now", file=sys.stderr)
    return policy


def _grade(slots, jobs, out: Path, key: dict, feedback: bool, graded: list[dict], unwritten: list[str],
           late_policy, students: dict, results_key: bytes) -> None:
    """Grade ``jobs``, writing each result as it comes and appending it to ``graded`` (so that
    whoever catches a Ctrl-C knows how many were written); a result that cannot be written is that
    student's alone (``unwritten``), and the run goes on."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.text import Text

    from .. import results, seal
    from ..escape import label
    from ..lms import late_record

    console = Console(stderr=True, highlight=False)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
               TextColumn("mean {task.fields[mean]}"), TextColumn("{task.fields[student]}"))
    writer = _feedback_writer(out) if feedback else None
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("grading", total=len(jobs), student="", mean="-")
        for stem, data in slots.run(jobs):
            student = students[stem]
            data["extra_data"].update(resume_key=key, entry=student.entry,
                                      name_collision=student.name_collision)
            if late_policy is not None:
                data = late_record.applied(data, late_policy, out / f"{stem}.json")
            data = seal.seal(data, results_key)
            try:  # atomic: an interrupted run keeps every finished student
                results.write(out / f"{stem}.json", data)
            except OSError as exc:  # that student's, not the cohort's: the run goes on and says so
                unwritten.append(data["extra_data"]["student"])
                progress.console.print(Text(f"results for {label(data['extra_data']['student'], 40)} "
                                            f"not written: {exc.strerror or exc}", style="red"))
                progress.update(task, advance=1)
                continue
            graded.append(data)  # written: counted, even if a Ctrl-C comes next
            if writer is not None:
                writer(data, stem)
            mean = sum(r["score"] for r in graded) / len(graded)
            progress.update(task, advance=1, mean=f"{mean:.1f}/{data['extra_data']['max_score']:g}",
                            student=Text(label(data["extra_data"]["student"], 40)))


def _feedback_writer(out: Path):
    from .. import feedback

    folder = out / feedback.FEEDBACK_DIR
    folder.mkdir(exist_ok=True)

    def write(data: dict, stem: str) -> None:
        try:
            feedback.write_student(data, folder, stem)
        except Exception as exc:  # noqa: BLE001 - a page that cannot be drawn never costs a grade
            from ..escape import one_line

            print(f"feedback page for {stem} not written: {type(exc).__name__}: {one_line(exc)}",
                  file=sys.stderr)

    return write


def _report(out: Path, results_key: bytes | None) -> None:
    from .. import cohort, feedback

    try:
        untrusted = {name: why for name, (_, why) in cohort.read_results(out, results_key).unsealed.items()}
        feedback.write_report(out, untrusted)
    except Exception as exc:  # noqa: BLE001 - the report is a view of the results files, which are kept
        from ..escape import one_line

        print(f"report not written: {type(exc).__name__}: {one_line(exc)}", file=sys.stderr)


def _manifest(out: Path, options, slots, started: float, graded: int, skipped: int) -> None:
    """OUT/run.manifest (JSON): the run's seed, slots (with their peak memory) and timing."""
    facts = list(getattr(slots, "facts", {}).values()) if slots is not None else []
    data = {"seed": options.seed, "graded": graded, "skipped": skipped,
            "seconds": round(time.monotonic() - started, 3), "slots": facts}
    temporary = out / ".run.manifest.tmp"
    temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(temporary, out / MANIFEST)


def _summary(out: Path, graded: list[dict], skipped: list[str], results_key: bytes | None = None,
             students: list | None = None) -> list[str]:
    """One screen whatever the cohort's size: the distribution and the checks missed most, then
    what the instructor must settle: regrades, names that collide, files this grader did not seal.
    Returns the students the grader itself failed on (status grader_error)."""
    from rich.console import Console
    from rich.text import Text

    from .. import cohort
    from ..escape import label, one_line, plural

    folder = cohort.read_results(out, results_key)
    everyone = list(folder.sealed.values())
    console = Console(highlight=False)
    if everyone:
        if len(everyone) <= 12:
            for data in sorted(everyone, key=lambda d: d["extra_data"]["student"]):
                console.print(Text(f"{data['score']:>7g} / {data['extra_data']['max_score']:<4g} "
                                   f"{label(data['extra_data']['student'], 60)}"))
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
            name = label(data["extra_data"]["student"], 40)
            console.print(Text(f"  REGRADE {name}: {reason}", style="yellow"))
        if len(flagged) > 10:
            console.print(Text(f"  ... and {len(flagged) - 10} more flagged for regrade (see grades.csv)"))
    groups = {tuple(sorted((s.entry, *s.collides_with))) for s in students or [] if s.collides_with}
    if groups:
        console.print(Text(f"{plural(len(groups), 'name')} shared by several entries (the same to an LMS "
                           "once case and Unicode forms are set aside): each is graded; settle whose is "
                           "whose (rename the entries, or --id-map) before exporting", style="yellow"))
        for group in sorted(groups)[:10]:
            console.print(Text("  SAME NAME " + ", ".join(label(e, 40) for e in group), style="yellow"))
    if folder.unsealed:
        console.print(Text(f"{plural(len(folder.unsealed), 'results file')} in {out} not sealed by this "
                           "grader here: not trusted, not resumed, listed in grades.csv as "
                           f"{cohort.UNAUTHENTICATED}, left out of exports", style="yellow"))
        for name, (_, why) in sorted(folder.unsealed.items())[:10]:
            console.print(Text(f"  UNSEALED {label(name, 60)}: {why}", style="yellow"))
    if skipped:
        console.print(Text(f"{len(skipped)} skipped: unchanged since their last grading", style="dim"))
    return [r["extra_data"]["student"] for r in everyone if r["extra_data"].get("status") == "grader_error"]
