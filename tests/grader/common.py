"""Shared helpers for the grader corpora: one grade-all run per corpus, results by student."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import nbformat

from autograder import paths
from autograder.judge.catalogue import CHECKS, PART2_CHECKS, SELF_REPORTED
from tests.conftest import ROOT, run
from tests.variants import SOLUTION, edit  # noqa: F401 - re-exported for the corpora

STUBS = paths.EXERCISE_FILE.read_text(encoding="utf-8")
CORPUS = ROOT / "tests" / "corpus"
GRADED = [*CHECKS, *PART2_CHECKS]  # core and part 2, in results order
IDS = [c.id for c in GRADED]
CORE_IDS = [c.id for c in CHECKS]
POINTS = {c.id: c.points for c in GRADED}
CORE_TOTAL = sum(c.points for c in CHECKS)
TOTAL = sum(POINTS.values())
SELF_REPORTED_IDS = set(SELF_REPORTED)
FUNCTION_LINE = re.compile(r"^(SimpleRNN\.(__init__|forward)|training_step|train|predict|rnn_forward_manual|"
                           r"hidden_gradient_norms|gradient_factors|rnn\.py|the notebook)\b")


def grade_all(folder: Path, out: Path, *options: str, cwd: Path | None = None, timeout: float = 900,
              env: dict | None = None) -> dict[str, dict]:
    """Grade every entry of ``folder`` with one ``grade-all`` run (no quiz); results by student name."""
    environment = {"PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env or {})}
    proc = run([sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out), "--no-quiz",
                *options], timeout=timeout, cwd=cwd or ROOT, env=environment)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return load_results(out)


def load_results(out: Path) -> dict[str, dict]:
    """Results by student name; by entry (alice, alice.py) where several entries share a name."""
    every = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(out.glob("[!.]*.json"))]
    names = [data["extra_data"]["student"] for data in every]
    return {data["extra_data"]["entry"] if names.count(name) > 1 else name: data
            for name, data in zip(names, every, strict=True)}


def grade_one(submission: Path, results: Path | None, *options: str, cwd: Path | None = None,
              timeout: float = 300, env: dict | None = None):
    """``python -m autograder grade``; returns (process, results dict or None)."""
    environment = {"PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env or {})}
    extra = ["--results", str(results)] if results is not None else []
    proc = run([sys.executable, "-m", "autograder", "grade", str(submission), *extra, *options],
               timeout=timeout, cwd=cwd or ROOT, env=environment)
    data = json.loads(results.read_text(encoding="utf-8")) if results is not None and results.is_file() else None
    return proc, data


def by_check(results: dict) -> dict[str, dict]:
    """The graded (non-quiz) tests keyed by catalogue id."""
    return {t["extra_data"]["check"]: t for t in results["tests"] if t["tags"][1] != "quiz"}


def assert_valid_results(results: dict, total: float = TOTAL) -> None:
    """A well-formed Gradescope results.json for the hidden catalogue (core and part 2)."""
    for key in ("score", "execution_time", "output", "tests", "extra_data"):
        assert key in results, key
    tests = by_check(results)
    assert list(tests) == IDS
    extra = results["extra_data"]
    assert extra["max_score"] == total
    assert extra["grader_errors"] == [], extra["grader_errors"]
    for number, test in enumerate(results["tests"], start=1):
        assert test["number"] == str(number)
        assert test["status"] == ("passed" if test["score"] == test["max_score"] else "failed")
        assert isinstance(test["output"], str)
    for check_id, test in tests.items():
        assert test["max_score"] == POINTS[check_id]
        assert test["score"] in (0, POINTS[check_id])
        assert test["tags"][0] == check_id.split(".")[0]
    assert abs(results["score"] - sum(t["score"] for t in results["tests"])) < 1e-9


def passed(results: dict) -> set[str]:
    return {check_id for check_id, test in by_check(results).items() if test["status"] == "passed"}


def failed(results: dict) -> set[str]:
    return set(by_check(results)) - passed(results)


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


def processes_of_uid_range(low: int, high: int) -> list[str]:
    """Live processes running as a sandbox uid (none may survive a grading run)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                text = handle.read()
        except OSError:
            continue
        uid = int(text.split("\nUid:", 1)[1].split()[0])
        state = text.split("\nState:", 1)[1].split()[0]
        if low <= uid < high and state != "Z":
            found.append(f"{entry} uid {uid}")
    return found


def write_variants(folder: Path, variants: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in variants.items():
        (folder / f"{name}.py").write_text(text, encoding="utf-8")


def notebook_of(code_cells: list[str], quiz: str | None = None) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# Module 11"))
    nb.cells.extend(nbformat.v4.new_code_cell(c) for c in code_cells)
    if quiz is not None:
        nb.cells.append(nbformat.v4.new_code_cell(quiz, metadata={"tags": ["quiz-answers"]}))
    return nbformat.writes(nb)
