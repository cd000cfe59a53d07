"""Gradescope's results.json, built from a grade (see :mod:`results_schema`) and written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from . import results_schema as schema
from .report import plain_summary

OUTPUT_EXCERPT = 4000
QUIZ_VISIBILITIES = ("after_due_date", "after_published", "hidden", "visible")  # Gradescope's test visibility
QUIZ_SHOWN = {"after_due_date": "after the due date", "after_published": "once the grades are published",
              "hidden": "by the course staff"}
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


def build(grade, submission, options, seed: int | None, quiz_visibility: str = "visible") -> dict:
    """results.json for one graded (or refused) submission. ``quiz_visibility`` is Gradescope's
    visibility for the quiz's tests: anything but "visible" also keeps the quiz out of the summary
    in ``output``, so that resubmitting cannot find the key by trial."""
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
                      "tags": ["quiz", schema.QUIZ], "visibility": quiz_visibility,
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
    shown = tests
    if quiz_visibility != "visible" and grade.quiz_tests:
        shown = [t for t in tests if t["tags"][1] != schema.QUIZ]
        points = sum(t["max_score"] for t in tests if t["tags"][1] == schema.QUIZ)
        lines.append(f"The quiz ({points:g} points) is scored; your quiz results are shown "
                     f"{QUIZ_SHOWN[quiz_visibility]}.")
    output = "\n".join([*lines, plain_summary(shown)])
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
            "selftest": options.selftest,
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


def build_for(grader, grade, submission, options, quiz_visibility: str = "visible") -> dict:
    """results.json for ``grade``; a fault while building it is the grader's, never the student's:
    the student is then ``grader_error`` (through the same builder, or, if that fails too, through
    :func:`fault_record`, which depends on nothing else)."""
    seed = grader.plan.seed
    try:
        return build(grade, submission, options, seed, quiz_visibility)
    except Exception as exc:  # noqa: BLE001 - ours: flagged for a regrade
        try:
            return build(grader.failed(exc), submission, options, seed, quiz_visibility)
        except Exception as again:  # noqa: BLE001 - the builder itself is broken
            import quizzes

            maximum = sum(c.points for c in grader.catalogue) + (
                quizzes.load_bank().total_points if options.quiz else 0.0)
            faults = [f"results: {type(e).__name__}: {e}" for e in (exc, again)]
            return fault_record(submission, maximum, faults, seed)


def fault_record(submission, max_score: float, faults: list[str], seed: int | None = None) -> dict:
    """The smallest valid results file for a student the grader failed on: status ``grader_error``,
    flagged for a regrade, no score. Used when the ordinary builder cannot run."""
    reason = f"grader failure: {faults[0]}" if faults else "grader failure"
    return {
        "score": 0.0, "execution_time": 0.0, "output_format": "text", "visibility": "visible",
        "stdout_visibility": "hidden",
        "output": ("NOT GRADED YET: the grader itself failed on this submission; your instructor has been "
                   "told and will regrade it (flagged for regrade)"),
        "extra_data": {"schema": schema.SCHEMA, "student": getattr(submission, "name", "?"),
                       "status": schema.GRADER_ERROR, "regrade_reason": reason, "max_score": max_score,
                       "parts": {}, "isolation": {"mode": "unknown", "measures": []},
                       "submission": {"kind": getattr(submission, "kind", "?"),
                                      "sha256": getattr(submission, "sha256", ""), "files": [], "notes": []},
                       "submitted_at": getattr(submission, "submitted_at", None), "seed": seed,
                       "loss_curve": None, "notebook_cells": [], "processes_killed": 0,
                       "peak_memory_bytes": None, "grader_errors": list(faults)},
        "tests": [],
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
