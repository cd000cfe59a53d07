"""Shared helpers for the grader corpora: variants of the solution, one grade-all run per corpus."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from autograder import paths
from autograder.judge.catalogue import CHECKS
from tests.conftest import ROOT, run
from tests.variants import SOLUTION, edit  # noqa: F401 - re-exported for the corpora

STUBS = paths.EXERCISE_FILE.read_text(encoding="utf-8")
CORPUS = ROOT / "tests" / "corpus"
IDS = [c.id for c in CHECKS]
POINTS = {c.id: c.points for c in CHECKS}
TOTAL = sum(POINTS.values())
FUNCTION_LINE = re.compile(r"^(SimpleRNN\.(__init__|forward)|training_step|train|predict|rnn\.py)\b")


def grade_all(folder: Path, out: Path, *limits: str, cwd: Path | None = None,
              timeout: float = 600) -> dict[str, dict]:
    """Grade every entry of ``folder`` with one ``grade-all`` subprocess; results by student name."""
    env = {"PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = run([sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out), *limits],
               timeout=timeout, cwd=cwd or ROOT, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = {}
    for path in sorted(out.glob("*.json")):
        results[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return results


def grade_one(submission: Path, results: Path, *limits: str, cwd: Path | None = None,
              timeout: float = 300):
    """``python -m autograder grade``; returns (process, results dict or None)."""
    env = {"PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = run([sys.executable, "-m", "autograder", "grade", str(submission), "--results", str(results),
                *limits], timeout=timeout, cwd=cwd or ROOT, env=env)
    data = json.loads(results.read_text(encoding="utf-8")) if results.is_file() else None
    return proc, data


def by_check(results: dict) -> dict[str, dict]:
    """The results' tests keyed by catalogue id (tests come in catalogue order)."""
    tests = results["tests"]
    assert [t["name"] for t in tests[:len(CHECKS)]] == [c.name for c in CHECKS]
    return {c.id: t for c, t in zip(CHECKS, tests, strict=False)}


def assert_valid_results(results: dict) -> None:
    """A well-formed Gradescope results.json for the hidden catalogue."""
    for key in ("score", "execution_time", "output", "tests", "extra_data"):
        assert key in results, key
    tests = by_check(results)
    assert results["extra_data"]["max_score"] == TOTAL
    assert results["extra_data"]["grader_errors"] == [], results["extra_data"]["grader_errors"]
    for number, (check_id, test) in enumerate(tests.items(), start=1):
        assert test["number"] == str(number)
        assert test["max_score"] == POINTS[check_id]
        assert test["score"] in (0, POINTS[check_id])
        assert test["status"] == ("passed" if test["score"] == POINTS[check_id] else "failed")
        assert test["tags"][0] == check_id.split(".")[0]
        assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert isinstance(test["output"], str)
    assert abs(results["score"] - sum(t["score"] for t in tests.values())) < 1e-9


def passed(results: dict) -> set[str]:
    return {check_id for check_id, test in by_check(results).items() if test["status"] == "passed"}


def processes_with(marker: str) -> list[str]:
    """Command lines of live processes whose command line holds ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != b"Z":
            found.append(f"{entry}: {cmdline}")
    return found


def write_variants(folder: Path, variants: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in variants.items():
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
