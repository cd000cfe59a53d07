"""Apply the late policy to each student and record it in their results file.

The file keeps everything it had: ``extra_data.late`` is added (with
``score_before``), the top-level ``score`` becomes the score after the
penalty, and one line at the top of ``output`` tells the student. Running
again recomputes from ``score_before`` (never a penalty on a penalty) and
replaces that line. Files are rewritten atomically, and only when they change.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from .. import seal
from . import atomic
from .lateness import LatePolicy, duration_text
from .results_folder import StudentResult
from .text import shown


@dataclass(frozen=True)
class LateOutcome:
    student: StudentResult
    kind: str  # "late", "grace", "on_time", "unknown_time", "regrade", "recorded_earlier"
    note: str  # for the instructor; '' when there is nothing to say
    penalty_percent: float = 0.0
    flagged: bool = False  # needs the instructor's attention


def _strip_line(output: str, line: str | None) -> str:
    if line and output.startswith(line):
        return output[len(line):].lstrip("\n")
    return output


def _record(student: StudentResult, late: dict, score: float, write: bool) -> str | None:
    """Put ``late`` and ``score`` into the student's data (and file); an error text or None."""
    data = copy.deepcopy(student.data)
    previous = data["extra_data"].get("late") if isinstance(data["extra_data"].get("late"), dict) else {}
    output = _strip_line(str(data.get("output", "")), previous.get("output_line"))
    if late.get("output_line"):
        output = late["output_line"] + ("\n" + output if output else "")
    data["output"] = output
    data["score"] = score
    data["extra_data"]["late"] = late
    changed = data != student.data
    student.data, student.score, student.late = data, score, late
    if write and changed:
        problem = _rewrite(student, data)
        if problem:
            return (f"could not record the late penalty in {student.path.name} ({problem}); "
                    "the export applies it all the same")
    return None


def _rewrite(student: StudentResult, data: dict) -> str | None:
    """Write ``data`` back over the student's file, sealed again (read_one checked the old seal with
    this machine's key, so the new content is ours to vouch for); the problem, or None."""
    try:
        key = seal.load_key(create=False)
        atomic.write_json(student.path, seal.seal(data, key) if key else data)
    except (OSError, seal.SealKeyError) as exc:
        return str(getattr(exc, "strerror", None) or exc)
    return None


def _remove(student: StudentResult, write: bool) -> str | None:
    """Take the late record out of the student's data (and file): the score before it comes back."""
    data = copy.deepcopy(student.data)
    late = data["extra_data"].pop("late", None)
    if not isinstance(late, dict):
        return None
    data["output"] = _strip_line(str(data.get("output", "")), late.get("output_line"))
    if isinstance(late.get("score_before"), (int, float)):
        data["score"] = late["score_before"]
    student.data, student.score, student.late = data, float(data["score"]), None
    if write:
        problem = _rewrite(student, data)
        if problem:
            return f"could not remove the late penalty from {student.path.name} ({problem})"
    return None


def assess(student: StudentResult, policy: LatePolicy | None, write: bool = True,
           drop: bool = False) -> LateOutcome:
    """Apply ``policy`` to ``student`` (updating them, and their file when ``write``); with ``drop``,
    remove any penalty recorded earlier instead."""
    name = shown(student.name)
    if drop:
        error = _remove(student, write) if student.late else None
        return LateOutcome(student, "dropped", f"{name}: {error}" if error else "", flagged=bool(error))
    if student.needs_regrade:
        return LateOutcome(student, "regrade", "")
    if policy is None:
        if student.late and student.late.get("penalty_percent"):
            return LateOutcome(student, "recorded_earlier",
                               f"{name}: late penalty recorded by an earlier export: "
                               f"-{student.late['penalty_percent']:g}% ({student.late.get('policy', '')}), "
                               "but no late policy is kept with the results folder, so a student graded "
                               "again would get none: give it again with --due ... (or drop every penalty "
                               "with --no-late-policy)",
                               float(student.late["penalty_percent"]), flagged=True)
        return LateOutcome(student, "on_time", "")
    time = student.submitted_at
    if time is None:
        why = "; ".join(student.notes) or "grade-all recorded no submission time"
        return LateOutcome(student, "unknown_time",
                           f"{name}: submission time unknown ({why}): the late policy was NOT "
                           "applied; check by hand", flagged=True)
    base = float(student.late["score_before"]) if student.late and \
        isinstance(student.late.get("score_before"), (int, float)) else student.score
    lateness = policy.assess(time.time)
    after = round(base * (1 - lateness.penalty_percent / 100), 4)
    late_by = duration_text(lateness.late_by)
    if lateness.penalty_percent:
        kind = "late"
        line = (f"Late penalty: submitted {late_by} after the due time "
                f"({policy.due.isoformat(timespec='minutes')}): -{lateness.penalty_percent:g}% "
                f"({lateness.periods} started {policy.period}{'s' if lateness.periods != 1 else ''}), "
                f"{base:g} -> {after:g} points.")
        note = f"{name}: -{lateness.penalty_percent:g}%, {base:g} -> {after:g}; submitted {late_by} late"
    elif lateness.late_by:
        kind = "grace" if lateness.within_grace else "late"
        line = (f"Submitted {late_by} after the due time "
                f"({policy.due.isoformat(timespec='minutes')})"
                f"{', within the grace period' if lateness.within_grace else ''}: no late penalty.")
        note = f"{name}: submitted {late_by} late, no penalty"
    else:
        kind, line, note = "on_time", None, ""
    if note:
        note += f"; submission time {time.describe()}"
    late = {
        "due": policy.due.isoformat(), "submitted_at": time.time.isoformat(), "source": time.source,
        "weak_evidence": time.weak, "late_by_seconds": lateness.late_by.total_seconds(),
        "days_late": round(lateness.late_by.total_seconds() / 86400, 4), "periods": lateness.periods,
        "policy": policy.describe(), "penalty_percent": lateness.penalty_percent,
        "score_before": base, "score_after": after, "output_line": line,
    }
    error = _record(student, late, after, write)
    if error:
        return LateOutcome(student, kind, f"{note}; {error}" if note else f"{name}: {error}",
                           lateness.penalty_percent, flagged=True)
    return LateOutcome(student, kind, note, lateness.penalty_percent)


def applied(data: dict, policy: LatePolicy, path) -> dict:
    """``data`` (a results dict ``grade-all`` is about to write at ``path``) with ``policy`` applied,
    as an export would apply it; unchanged when the student cannot be read as a results file."""
    from .results_folder import from_data

    try:
        student = from_data(copy.deepcopy(data), path)
    except ValueError:
        return data
    assess(student, policy, write=False)
    return student.data


def weak_evidence(students: list[StudentResult]) -> str | None:
    """One line naming the students whose submission time is a file time (weaker evidence), or None."""
    timed = [s for s in students if s.submitted_at is not None and not s.needs_regrade]
    weak = [s for s in timed if s.submitted_at.weak]
    if not weak:
        return None
    names = ", ".join(shown(s.name) for s in weak[:10])
    names += f" and {len(weak) - 10} more" if len(weak) > 10 else ""
    return (f"{len(weak)} of {len(timed)} submission times are file modification times, weaker evidence "
            f"(a copy, an unzip or the student can change them; only nbgrader's own timestamp.txt, read by "
            f"grade-all --assignment, is stronger): {names}")
