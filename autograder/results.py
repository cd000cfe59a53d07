"""Gradescope's results.json, built from a grade (see :mod:`results_schema`) and written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from . import results_schema as schema
from .report import plain_summary

OUTPUT_EXCERPT = 4000
UNCONFINED_BANNER = ("UNCONFINED: this submission ran without a sandbox (--unconfined); use these results "
                     "only for code you trust.")


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


def build(grade, submission, options, seed: int | None) -> dict:
    """results.json for one graded (or refused) submission."""
    tests = []
    for outcome in grade.outcomes:
        check = outcome.check
        tests.append({
            "name": check.name, "number": str(len(tests) + 1), "score": outcome.score,
            "max_score": check.points, "status": "passed" if outcome.passed else "failed",
            "output": outcome.message, "tags": [check.group, check.part], "visibility": "visible",
            "extra_data": {"check": check.id, "function": check.function, "hint": check.hint,
                           **({"cause": outcome.cause} if not outcome.passed and outcome.cause else {})},
        })
    for quiz in grade.quiz_tests:
        extra = dict(quiz.get("extra_data") or {})
        tests.append({**{k: v for k, v in quiz.items() if k != "extra_data"}, "number": str(len(tests) + 1),
                      "tags": ["quiz", schema.QUIZ], "visibility": quiz.get("visibility", "visible"),
                      "extra_data": {"function": "quiz", **extra}})
    parts: dict[str, dict] = {}
    for test in tests:
        part = parts.setdefault(test["tags"][1], {"score": 0.0, "max_score": 0.0})
        part["score"] = round(part["score"] + test["score"], 4)
        part["max_score"] += test["max_score"]
    lines = []
    if grade.isolation.get("mode") == "unconfined":
        lines.append(UNCONFINED_BANNER)
    if grade.status != schema.GRADED:
        lines.append("NOT GRADED YET: " + (grade.reason or "see below") + " (flagged for regrade)")
    lines += grade.notes
    output = "\n".join([*lines, plain_summary(tests)])
    if grade.printed.strip():
        total = len(grade.printed.encode()) + grade.printed_dropped
        shown = grade.printed[:OUTPUT_EXCERPT]
        cut = len(shown) < len(grade.printed) or grade.printed_dropped
        output += f"\n\nWhat your code printed ({total} bytes" + (
            f"; the first {len(shown)} characters):\n" if cut else "):\n") + shown
    return {
        "score": round(sum(t["score"] for t in tests), 4),
        "execution_time": round(grade.seconds, 3),
        "output": output,
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "schema": schema.SCHEMA,
            "student": submission.name,
            "status": grade.status,
            "regrade_reason": grade.reason if grade.status != schema.GRADED else None,
            "max_score": sum(t["max_score"] for t in tests),
            "parts": parts,
            "isolation": grade.isolation,
            "submission": {"kind": submission.kind, "sha256": submission.sha256,
                           "files": list(submission.files), "notes": list(submission.notes)},
            "submitted_at": submission.submitted_at,
            "grader_version": options.key()["grader_version"],
            "options": options.key(),
            "seed": seed,
            "loss_curve": grade.loss_curve,
            "notebook_cells": grade.cells,
            "processes_killed": grade.processes_killed,
            "peak_memory_bytes": grade.peak_memory,
            "grader_errors": grade.grader_errors,
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
