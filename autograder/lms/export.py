"""``export-grades``: a results folder -> a Canvas, Moodle or plain CSV file, plus its notes.

The run: read the results (:mod:`.results_folder`), apply and record the late
policy (:mod:`.late_record`), match students to the roster (:mod:`.matching`),
write the file (:mod:`.canvas`, :mod:`.moodle`, :mod:`.plain_csv`) and
``<file>.notes.txt`` beside it, and report on stderr whatever the instructor
must look at (:mod:`.findings`). Exit 0 when every student was exported, 1 when
something was flagged (the file holds the others), 2 when nothing could be done.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from . import (
    atomic,
    canvas,
    csv_files,
    findings,
    kept_policy,
    late_record,
    lateness,
    matching,
    moodle,
    plain_csv,
)
from . import id_map as id_map_module
from . import results_folder as results_module
from . import roster as roster_module
from .text import plural, shown

COMMAND = "export-grades"
NEXT_STEP = {
    "canvas": "import it in Canvas: Grades > Import > choose the file, then check the preview",
    "moodle": "import it in Moodle: Grades > Import > CSV file; map the identifier column to the "
              "user field and the grade column to the grade item",
    "csv": "open it in a spreadsheet; the columns are described in `export-grades --help`",
}


class OptionError(ValueError):
    """A bad option value (the CLI prints it as one line and exits 2)."""


@dataclass(frozen=True)
class Options:
    results: Path
    target: str
    out: Path
    roster: Path | None
    id_map: Path | None
    scale_to: float | None
    assignment_id: str | None
    assignment_name: str | None
    moodle_field: str
    late: lateness.PolicyRequest
    bom: bool = False  # a UTF-8 byte-order mark first (Excel)


def options_from(args) -> Options:
    target = args.to
    not_for = {"csv": ["roster", "id_map", "assignment_id", "assignment_name", "moodle_field"],
               "moodle": ["assignment_id"], "canvas": ["moodle_field"]}[target]
    for name in not_for:
        if getattr(args, name, None):
            raise OptionError(f"--{name.replace('_', '-')} does not apply to --to {target}")
    if args.scale_to is not None and not args.scale_to > 0:
        raise OptionError(f"--scale-to {args.scale_to:g}: give the LMS column's maximum, a positive number")
    if args.assignment_id is not None and not args.assignment_id.strip().isdigit():
        raise OptionError(f"--assignment-id {args.assignment_id!r}: Canvas assignment ids are numbers "
                          "(the number in the assignment's URL, .../assignments/<id>)")
    out = Path(args.out)
    if out.is_dir():
        raise OptionError(f"--out {out} is a folder; give a file name, e.g. {out / (target + '_grades.csv')}")
    if not out.absolute().parent.is_dir():
        raise OptionError(f"--out {out}: folder {out.absolute().parent} does not exist")
    results = Path(args.results)
    if out.absolute().parent.resolve() == results.absolute().resolve():
        if out.suffix == ".json":
            raise OptionError(f"--out {out} would be read as a student's results next time; "
                              "write it elsewhere or as .csv")
        if out.name == "grades.csv":
            raise OptionError(f"--out {out} is grade-all's own summary; give the export another name")
    try:
        late = lateness.request_from_args(args)
    except lateness.PolicyError as exc:
        raise OptionError(str(exc)) from None
    return Options(results, target, out, Path(args.roster) if args.roster else None,
                   Path(args.id_map) if args.id_map else None, args.scale_to,
                   args.assignment_id.strip() if args.assignment_id else None,
                   args.assignment_name, args.moodle_field or "username", late,
                   csv_files.BOM_BY_DEFAULT[target] if getattr(args, "excel", None) is None else args.excel)


def _fail(message: str) -> int:
    print(f"{COMMAND}: {message}", file=sys.stderr)
    return 2


def notes_path(out: Path) -> Path:
    return out.with_name(out.stem + ".notes.txt")


def _exportable(target: str, match: matching.Match, field: str) -> str | None:
    """Why this matched row cannot be imported, or None."""
    if target == "moodle":
        value = moodle.identifier(match, field)
        if not value:
            return (f"{shown(match.student.name)}: matched {match.entry and match.entry.display!s} but "
                    f"the roster's {roster_module.MOODLE_LABELS[field]} is empty; choose another "
                    "--moodle-field")
        ids = [value]
    else:
        ids = [v for v in (canvas.row(match, 0)[1], canvas.row(match, 0)[3]) if v]
    if ids and all(csv_files.needs_neutralising(v) for v in ids):
        return (f"{shown(match.student.name)}: identifier {shown(ids[0])!r} starts with a character a "
                "spreadsheet runs as a formula, so it was not written; give the student a safe "
                "identifier with --id-map")
    return None


def _load(options: Options):
    """(cohort, roster or None, id map or None); raises the readers' errors."""
    cohort = results_module.read(options.results)
    roster = None
    if options.roster:
        roster = (roster_module.read_canvas(options.roster) if options.target == "canvas"
                  else roster_module.read_moodle(options.roster, options.moodle_field))
    ids = id_map_module.read(options.id_map) if options.id_map else None
    return cohort, roster, ids


def _assess(cohort: results_module.Cohort, decision: kept_policy.Decision, report: findings.Findings,
            per_student: dict[str, list[str]]) -> list[late_record.LateOutcome]:
    """The late policy applied (and recorded) for every student; regrades flagged."""
    outcomes = [late_record.assess(s, decision.policy, drop=decision.drop) for s in cohort.students]
    weak = late_record.weak_evidence(cohort.students) if decision.policy else None
    if weak:
        report.add(findings.LATE, weak)
    for outcome in outcomes:
        student = outcome.student
        if outcome.note:
            heading = findings.late_heading(outcome.kind, outcome.flagged)
            report.add(heading, outcome.note)
            per_student.setdefault(student.name, []).append(outcome.note)
        if student.needs_regrade:
            reason = student.regrade_reason or "no reason recorded"
            report.add(findings.REGRADE, f"{shown(student.name)} ({student.path.name}): "
                                         f"{student.status}: {shown(reason)}")
            per_student.setdefault(student.name, []).append(f"needs a regrade: {reason}")
    return outcomes


def _lms_rows(options: Options, cohort, roster, ids, factor: float,
              report: findings.Findings) -> list[tuple[matching.Match, float]]:
    """The (match, points) pairs an LMS file gets; everything left out goes into ``report``."""
    paired = matching.match(cohort.students, roster, ids)
    for student, why in paired.not_in_roster:
        report.add(findings.NOT_IN_ROSTER, f"{shown(student.name)} ({student.path.name}): {why}")
    for entry in paired.without_results:
        report.add(findings.NO_RESULTS, f"{roster.describe(entry)}: no results file names them; "
                                        "did they submit? grade them, or map them with --id-map")
    chosen = []
    for match in paired.matched:
        if match.student.needs_regrade:
            continue
        problem = _exportable(options.target, match, options.moodle_field)
        if problem:
            report.add(findings.NOT_EXPORTED, problem)
            continue
        chosen.append((match, match.student.score * factor))
    if roster is not None:
        chosen.sort(key=lambda pair: pair[0].entry.line)
    return chosen


def export(options: Options) -> int:
    try:
        cohort, roster, ids = _load(options)
        decision = kept_policy.decide(options.results, options.late)
    except (results_module.CohortError, roster_module.RosterError, id_map_module.IdMapError,
            lateness.PolicyError) as exc:
        return _fail(str(exc))
    try:
        kept_policy.commit(options.results, decision)
    except OSError as exc:
        return _fail(f"cannot keep the late policy in {kept_policy.path(options.results)} "
                     f"({exc.strerror or exc}); nothing was exported")
    if decision.statement:
        print(f"{COMMAND}: {decision.statement}")
    report = findings.Findings(COMMAND)
    per_student: dict[str, list[str]] = {}
    for problem in cohort.problems:
        report.add(findings.LEFT_OUT, problem.line())
    for note in roster.notes if roster else []:
        report.add(findings.ROSTER_NOTES, note)
    if roster is None and options.target != "csv":
        report.add(findings.ROSTER_NOTES, "no --roster: LMS students without results cannot be listed, "
                                          "and logins are not checked; give the LMS's own export to check")
    outcomes = _assess(cohort, decision, report, per_student)

    maximum = cohort.max_score
    factor = options.scale_to / maximum if options.scale_to else 1.0
    if options.target == "csv":
        header, rows = plain_csv.table(outcomes, maximum, factor, per_student)
        title, exported = "score", sum(1 for o in outcomes if not o.student.needs_regrade)
    else:
        chosen = _lms_rows(options, cohort, roster, ids, factor, report)
        exported = len(chosen)
        if options.target == "canvas":
            title, notes = canvas.assignment_title(options.assignment_name, options.assignment_id, roster)
            for note in notes:
                report.add(findings.ASSIGNMENT, note)
            differ = canvas.points_possible_note(title, maximum * factor, roster)
            if differ:
                report.add(findings.POINTS, differ)
            header, rows = canvas.table(title, maximum * factor, chosen)
        else:
            title = options.assignment_name or moodle.DEFAULT_NAME
            header, rows = moodle.table(options.moodle_field, title, chosen)

    notes_file = notes_path(options.out)
    try:
        csv_files.write(options.out, header, rows, bom=options.bom)
        atomic.write_text(notes_file, _notes_text(options, cohort, title, maximum * factor, report,
                                                  decision))
    except OSError as exc:
        return _fail(f"cannot write {options.out} ({exc.strerror or exc})")
    print(f"{COMMAND}: wrote {options.out}: {plural(exported, 'student')}, {title!r} out of "
          f"{csv_files.number(maximum * factor)}; notes in {notes_file}")
    print(f"{COMMAND}: next, {NEXT_STEP[options.target]}")
    report.print(sys.stderr)
    return 1 if report.flagged else 0


def _notes_text(options: Options, cohort: results_module.Cohort, title: str, maximum: float,
                report: findings.Findings, decision: kept_policy.Decision) -> str:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    lines = [
        f"python -m autograder {COMMAND}, {now}",
        f"results: {cohort.folder} ({plural(len(cohort.students), 'student')})",
        f"file: {options.out} (--to {options.target}), column {title!r} out of "
        f"{csv_files.number(maximum)}"
        + (f" (scaled from {csv_files.number(cohort.max_score)})" if options.scale_to else ""),
        f"roster: {options.roster or 'none'}; id map: {options.id_map or 'none'}",
        decision.statement or "late policy: none",
        "",
    ]
    body = report.text_lines()
    return "\n".join(lines + (body or ["Nothing to report: every student was exported."])) + "\n"
