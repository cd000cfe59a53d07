"""Hand-written grade-all output folders, following autograder/results_schema.py.

Until the new grader lands these are the realistic inputs of the LMS exports:
several students, a quiz part, a not_run student, a name that needs CSV
escaping, submission times from nbgrader and from file modification times,
and one student without a submission time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from autograder import seal
from autograder.results_schema import SCHEMA

DUE = "2026-12-01 09:00 UTC"
NBGRADER = "nbgrader timestamp.txt"
MTIME = "file modification time"
CORE_MAX, QUIZ_MAX = 100.0, 15.0
MAX = CORE_MAX + QUIZ_MAX
FORMULA = '=HYPERLINK("http://x","y")'


def results(student: str, core: float, quiz: float, missed: tuple[str, ...] = (),
            status: str = "graded", submitted: str | None = None, source: str = NBGRADER,
            reason: str | None = None) -> dict:
    """One student's results.json, as grade-all writes it."""
    tests = []

    def add(name, score, max_score, group, part, check):
        tests.append({"name": name, "number": str(len(tests) + 1), "score": score,
                      "max_score": max_score, "status": "passed" if score == max_score else "failed",
                      "output": "" if score == max_score else f"{name}: expected ... (hint: ...)",
                      "tags": [group, part], "visibility": "visible",
                      "extra_data": {"check": check, "hint": "read the module"}})

    if status == "graded":
        lost = CORE_MAX - core
        for i, name in enumerate(missed):
            add(name, 0.0, lost / len(missed), "forward", "core", f"forward.c{i}")
        add("construction and the rest", CORE_MAX - lost, CORE_MAX - lost, "construction", "core",
            "construction.all")
        add("Quiz Q01: What does an RNN carry from one time step to the next?", quiz, QUIZ_MAX,
            "quiz", "quiz", "q01")
    score = core + quiz if status == "graded" else 0.0
    return {
        "score": score,
        "execution_time": 3.2,
        "output": f"{score:g} / {MAX:g} points\n\nWhat your code printed (12 bytes):\nhello world\n",
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "schema": SCHEMA,
            "student": student,
            "status": status,
            "regrade_reason": reason,
            "max_score": MAX,
            "parts": {"core": {"score": core if status == "graded" else 0.0, "max_score": CORE_MAX},
                      "quiz": {"score": quiz if status == "graded" else 0.0, "max_score": QUIZ_MAX}},
            "isolation": {"mode": "full", "measures": ["pid namespace", "cgroup memory 2048 MiB"]},
            "submission": {"kind": "notebook", "sha256": "0" * 64, "notes": []},
            "submitted_at": {"time": submitted, "source": source, "weak": source != NBGRADER} if submitted else None,
            "grader_version": "0.1.0",
            "options": {},
            "seed": 11,
            "loss_curve": None,
            "notebook_cells": [],
            "processes_killed": 0,
            "peak_memory_bytes": None,
            "grader_errors": [],
        },
        "tests": tests,
    }


def sealed(data: dict) -> dict:
    """``data`` sealed as grade-all seals it, with this test session's results key."""
    return seal.seal(data, seal.load_key(create=True))


def stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", name).strip(".") or "student"


STUDENTS = {
    # on time, by nbgrader's timestamp
    "ada": dict(core=100.0, quiz=14.0, submitted="2026-11-30T20:15:00+00:00"),
    # 1 day 1.5 h late by the file's modification time: 2 started days
    "ben": dict(core=74.0, quiz=10.0, missed=("forward: same logits as the reference",
                                              "forward: reads out the last time step"),
                submitted="2026-12-02T10:30:00+00:00", source=MTIME),
    # refused before any code ran: needs a regrade, never a silent zero
    "carl": dict(core=0.0, quiz=0.0, status="not_run", submitted="2026-11-30T08:00:00+00:00",
                 reason="sandbox: the cgroup memory limit was refused"),
    # 10 minutes late, within a 15-minute grace period
    "dev": dict(core=86.0, quiz=15.0, missed=("predict: the index of the largest logit",),
                submitted="2026-12-01T09:10:00+00:00"),
    # a name a spreadsheet would run as a formula; no submission time recorded
    FORMULA: dict(core=57.5, quiz=0.0, missed=("training_step clears old gradients before backward",)),
}


def write_cohort(folder: Path, students: dict | None = None) -> Path:
    """The folder grade-all would leave: one results file per student and grades.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["student,score,max_score,results"]
    for name, spec in (students or STUDENTS).items():
        data = sealed(results(name, **spec))
        (folder / f"{stem(name)}.json").write_text(json.dumps(data, indent=2))
        rows.append(f'"{name.replace(chr(34), chr(34) * 2)}",{data["score"]:g},{MAX:g},{stem(name)}.json')
    (folder / "grades.csv").write_text("\n".join(rows) + "\n")
    (folder / "feedback").mkdir(exist_ok=True)
    return folder


CANVAS_ROSTER = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Module 11: Recurrent Neural Networks (4321),"
    "Module 10 (4320),Current Points,Final Score\n"
    "    Points Possible,,,,,115,100,(read only),(read only)\n"
    '"Lovelace, Ada",101,S-001,ada.lovelace,Section A,,90,90,90\n'
    '"Babbage, Ben",102,S-002,ben,Section A,,80,80,80\n'
    '"Carlsen, Carl",103,S-003,carl,Section B,,70,70,70\n'
    '"Devi, Dev",104,S-004,dev,Section B,,60,60,60\n'
    '"Formula, Fay",105,S-005,fay,Section B,,50,50,50\n'
    '"Absent, Eve",106,S-006,eve,Section A,,40,40,40\n'
    '"Student, Test",107,,,Section A,,,,\n'
)

MOODLE_ROSTER = (
    "First name,Last name,Username,ID number,Email address,Roles\n"
    "Ada,Lovelace,ada,,ada@uni.example,Student\n"
    "Ben,Babbage,ben,,ben@uni.example,Student\n"
    "Carl,Carlsen,carl,,carl@uni.example,Student\n"
    "Dev,Devi,dev,D-4,dev@uni.example,Student\n"
    "Fay,Formula,fay,,fay@uni.example,Student\n"
    "Eve,Absent,eve,,eve@uni.example,Student\n"
    "Tina,Teacher,tina,,tina@uni.example,Teacher\n"
)

# the hub names that differ from the LMS logins
ID_MAP = (
    "student,lms_id\n"
    "ada,ada.lovelace\n"
    f'"{FORMULA.replace(chr(34), chr(34) * 2)}",fay\n'
)
