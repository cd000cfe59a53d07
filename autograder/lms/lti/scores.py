"""The AGS Score object for a student, and where it goes.

POST ``<lineitem>/scores`` (the line item's query string kept after the new
path segment) with ``Content-Type: application/vnd.ims.lis.v1.score+json``.
A graded student gets ``scoreGiven``/``scoreMaximum`` and ``FullyGraded``; a
student whose status is not_run or grader_error gets ``PendingManual`` and no
score, so the LMS shows "needs grading" rather than a zero.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

from ..results_folder import StudentResult

CONTENT_TYPE = "application/vnd.ims.lis.v1.score+json"
COMMENT_LIMIT = 2000
PENDING_COMMENT = ("Your submission could not be graded automatically yet; it will be regraded, "
                   "and this grade updated.")


def scores_url(lineitem: str) -> str:
    """``https://lms/x/line_items/7?type=a`` -> ``https://lms/x/line_items/7/scores?type=a``."""
    parts = urlsplit(lineitem)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/scores", parts.query, ""))


def comment(student: StudentResult) -> str:
    if student.needs_regrade:
        return PENDING_COMMENT
    lines = []
    if student.late and student.late.get("output_line"):
        lines.append(str(student.late["output_line"]))
    if student.missed:
        lines.append("Missed: " + "; ".join(student.missed))
    else:
        lines.append("Every check passed.")
    text = "\n".join(lines)
    return text if len(text) <= COMMENT_LIMIT else text[:COMMENT_LIMIT - 15].rstrip() + " ... (more)"


def score(student: StudentResult, user_id: str, maximum: float) -> dict:
    """The Score, without its timestamp (added when it is sent)."""
    body: dict = {"userId": user_id, "activityProgress": "Completed"}
    if student.needs_regrade:
        body["gradingProgress"] = "PendingManual"
    else:
        body.update(scoreGiven=round(student.score, 4), scoreMaximum=maximum, gradingProgress="FullyGraded")
    body["comment"] = comment(student)
    return body


def stamped(body: dict) -> dict:
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    return {**body, "timestamp": now}
