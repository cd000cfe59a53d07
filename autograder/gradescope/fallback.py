"""``python3 -m autograder.gradescope.fallback RESULTS STATUS LOG``: results for a run that wrote none.

``run_autograder`` calls this when ``grade`` left no results file (no sandbox mode
could run, the submission folder was missing, the grader crashed): Gradescope
then shows the student a 0 with a message saying that the course staff see the
failure and will regrade, instead of "autograder failed". The reason (grade's
exit status and the end of what it printed) is in a test hidden from students,
which the staff see, and in ``extra_data``. Standard library only, so that it
runs when the grader's own imports do not; if even this fails, run_autograder
writes a fixed file of the same shape.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path

from ..results_schema import GRADER_ERROR, SCHEMA  # typing only: nothing the grader's failure can break

TAIL_CHARS = 3000
STUDENT_MESSAGE = (
    "Your submission was not graded: the autograder could not run on Gradescope's machine (this is "
    "not a problem with your code). It scores 0 for now. The course staff see this failure on their "
    "side and will regrade your submission; you need not resubmit.")
STAFF_TEST = "Autograder could not run (course staff only)"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def results(reason: str) -> dict:
    return {
        "score": 0,
        "output": STUDENT_MESSAGE,
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [{"name": STAFF_TEST, "number": "1", "score": 0, "max_score": 0, "status": "failed",
                   "visibility": "hidden", "output": reason, "tags": ["grader_error"]}],
        "extra_data": {"schema": SCHEMA, "student": "submission", "status": GRADER_ERROR,
                       "regrade_reason": reason, "grader_errors": [reason]},
    }


def reason_from(status: str, log: Path) -> str:
    try:
        printed = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        printed = ""
    printed = ANSI.sub("", printed).strip()
    tail = printed[-TAIL_CHARS:] if printed else "(it printed nothing on stderr)"
    return (f"run_autograder: `python3 -m autograder grade` wrote no results.json (exit status {status}). "
            f"Fix the cause, then regrade this submission. What it printed:\n{tail}")


def write(path: Path, data: dict) -> None:
    handle = tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".results-", suffix=".json",
                                         delete=False, encoding="utf-8")
    with handle:
        json.dump(data, handle, indent=2)
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, path)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python3 -m autograder.gradescope.fallback RESULTS STATUS LOG", file=sys.stderr)
        return 2
    path, status, log = Path(argv[0]), argv[1], Path(argv[2])
    write(path, results(reason_from(status, log)))
    print(f"run_autograder: grade wrote no results (exit status {status}); wrote {path} with 0 points and "
          "the reason for the staff", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
