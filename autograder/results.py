"""Gradescope's results.json, built from a grade and written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .judge import Grade
from .report import plain_summary

OUTPUT_EXCERPT = 4000


class ResultsPathError(Exception):
    """The results cannot be written where asked."""


def check_writable(path: Path) -> None:
    """Fail before grading, not after, when the results cannot be written."""
    if path.is_dir():
        raise ResultsPathError(f"--results {path} is a folder; give a file path")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ResultsPathError(f"--results {path}: folder {parent} does not exist")
    try:
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".results-", delete=True):
            pass
    except OSError as exc:
        raise ResultsPathError(f"--results {path}: cannot write in {parent} ({exc.strerror})") from None


def build(grade: Grade, quiz_tests: list[dict], notes: list[str] | None = None) -> dict:
    """results.json for ``grade`` plus the quiz tests; ``notes`` open the text summary."""
    tests = []
    for outcome in grade.outcomes:
        tests.append({
            "name": outcome.check.name,
            "number": str(len(tests) + 1),
            "score": outcome.score,
            "max_score": outcome.check.points,
            "status": "passed" if outcome.passed else "failed",
            "output": outcome.message,
            "tags": [outcome.check.id.split(".")[0]],
            "visibility": "visible",
        })
    for quiz in quiz_tests:
        tests.append({**quiz, "number": str(len(tests) + 1), "tags": ["quiz"]})
    output = "\n".join([*(notes or []), plain_summary(tests)])
    if grade.output.strip():
        total = len(grade.output.encode()) + grade.output_dropped
        shown = grade.output[:OUTPUT_EXCERPT]
        output += f"\n\nWhat your code printed ({total} bytes"
        output += f"; the first {len(shown)} characters):\n" if len(shown) < len(grade.output) or \
            grade.output_dropped else "):\n"
        output += shown
    return {
        "score": round(sum(t["score"] for t in tests), 4),
        "execution_time": round(grade.seconds, 3),
        "output": output,
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "max_score": sum(t["max_score"] for t in tests),
            "isolation": grade.notes,
            "processes_killed": grade.processes_killed,
            "grader_errors": grade.internal_errors,
        },
        "tests": tests,
    }


def write(path: Path, results: dict) -> None:
    """Write to a temporary file beside ``path``, then rename over it."""
    handle = tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".results-", suffix=".json",
                                         delete=False, encoding="utf-8")
    try:
        with handle:
            json.dump(results, handle, indent=2)
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
