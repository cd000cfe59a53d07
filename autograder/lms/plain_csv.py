"""The plain CSV: one row per student in the results, for a spreadsheet or a script.

Columns:

* ``student``: the name in the results (``extra_data.student``);
* ``score``: the points after any late penalty (scaled with ``--scale-to``);
  empty when the student needs a regrade;
* ``max_score``: the same for every row; ``percent``: score / max_score x 100;
* ``late_penalty_percent``, ``score_before_late``: the late penalty and the score
  it was taken from (empty without one);
* ``status``: graded, not_run or grader_error; ``regrade_reason``: why, when not graded;
* ``submitted_at``, ``submitted_at_source``: the submission time and where it
  came from (nbgrader timestamp.txt, or the file modification time);
  ``submitted_at_weak``: "yes" when that time is weaker evidence (a file time: a
  copy, an unzip or the student can change it), "no" for nbgrader's own;
* ``missed``: the checks not passed, separated by " | ";
* ``parts``: points per part, e.g. "core 80/100 | quiz 14/15";
* ``results_file``: the student's results file; ``notes``: what the export noticed.
"""

from __future__ import annotations

from .csv_files import number
from .late_record import LateOutcome

HEADER = ["student", "score", "max_score", "percent", "late_penalty_percent", "score_before_late",
          "status", "regrade_reason", "submitted_at", "submitted_at_source", "submitted_at_weak", "missed",
          "parts", "results_file", "notes"]


def table(outcomes: list[LateOutcome], maximum: float, factor: float,
          notes: dict[str, list[str]]) -> tuple[list, list[list]]:
    body = []
    for outcome in outcomes:
        student = outcome.student
        graded = not student.needs_regrade
        late = student.late if graded and student.late and student.late.get("penalty_percent") else None
        parts = " | ".join(f"{name} {number(p.get('score'))}/{number(p.get('max_score'))}"
                           for name, p in student.parts.items()
                           if isinstance(p.get("score"), (int, float))
                           and isinstance(p.get("max_score"), (int, float)))
        body.append([
            student.name,
            number(student.score * factor) if graded else "",
            number(maximum * factor),
            number(100 * student.score / maximum) if graded else "",
            number(late["penalty_percent"]) if late else "",
            number(float(late["score_before"]) * factor) if late else "",
            student.status,
            student.regrade_reason or "",
            student.submitted_at.time.isoformat() if student.submitted_at else "",
            student.submitted_at.source if student.submitted_at else "",
            ("yes" if student.submitted_at.weak else "no") if student.submitted_at else "",
            " | ".join(student.missed),
            parts,
            student.path.name,
            " | ".join(notes.get(student.name, [])),
        ])
    return HEADER, body
