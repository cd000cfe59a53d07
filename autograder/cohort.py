"""A cohort on disk: who the students are, and where each one's results go.

Each entry of the cohort folder is one student: a sub-folder, an ``.py`` or an
``.ipynb`` (with ``--assignment A``, nbgrader's ``<student>/A/`` instead).
Entries are listed without following links (a link is graded as what it is: a
refused submission). Two entries that would share a name (``alice/`` and
``alice.py``) keep their full entry names; a name that is not a safe file name
(``=HYPERLINK(...)``, spaces, non-ASCII) gets a safe file stem with a hash,
and the real name stays in the results (``extra_data.student``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .escape import csv_cell

RESERVED = {"grades", "report", "feedback", "manifest"}
_SAFE = re.compile(r"[^A-Za-z0-9._-]")
CSV_NAME = "grades.csv"


@dataclass(frozen=True)
class Student:
    name: str
    path: Path
    stem: str  # the results file is <stem>.json


def safe_stem(name: str) -> str:
    stem = _SAFE.sub("_", name).lstrip("._-")[:80] or "student"
    if stem != name or stem.lower() in RESERVED:
        stem = f"{stem}-{hashlib.sha1(name.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
    return stem


def find_students(root: Path, assignment: str | None = None) -> list[Student]:
    entries = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if assignment:
            if entry.is_dir(follow_symlinks=False):
                target = path / assignment
                if os.path.lexists(target):
                    entries.append((entry.name, target))
            continue
        is_file = entry.is_file(follow_symlinks=False) or entry.is_symlink()
        if entry.is_dir(follow_symlinks=False) or (is_file and path.suffix in (".py", ".ipynb")) \
                or (entry.is_symlink() and not path.suffix):
            entries.append((entry.name, path))
    stems = {}
    for name, path in entries:
        short = path.stem if path.suffix in (".py", ".ipynb") and not assignment else name
        stems.setdefault(short, []).append((name, path))
    named = []
    for short, group in stems.items():
        for name, path in group:
            named.append((short if len(group) == 1 else name, path))
    students, used = [], set()
    for name, path in sorted(named):
        stem = safe_stem(name)
        while stem.lower() in used:  # a case-insensitive file system must not merge two students
            stem = f"{stem}-{hashlib.sha1(stem.encode()).hexdigest()[:4]}"
        used.add(stem.lower())
        students.append(Student(name, path, stem))
    return students


def unchanged(out_dir: Path, stem: str, sha256: str, key: dict) -> bool:
    """Whether ``stem``'s results in ``out_dir`` were graded from the same submission, grader and
    options, and graded in full (a refused or failed grading is always graded again)."""
    try:
        with open(out_dir / f"{stem}.json", encoding="utf-8") as handle:
            extra = json.load(handle)["extra_data"]
        return (extra.get("status") == "graded" and extra["submission"]["sha256"] == sha256
                and extra.get("resume_key") == key)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def read_results(out_dir: Path) -> dict[str, dict]:
    """Every results file of a grade-all folder (by file name); unreadable ones are left out."""
    found = {}
    for path in sorted(out_dir.glob("[!.]*.json")):
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            extra = data.get("extra_data") if isinstance(data, dict) else None
            if isinstance(extra, dict) and "max_score" in extra:
                found[path.name] = data
        except (OSError, ValueError):
            continue
    return found


def rebuild_csv(out_dir: Path, csv_path: Path) -> int:
    """grades.csv from every results file in ``out_dir``; returns the number of rows."""
    rows = []
    for name, data in read_results(out_dir).items():
        try:
            extra = data["extra_data"]
            rows.append([csv_cell(extra.get("student", name)), f"{float(data['score']):g}",
                         f"{float(extra['max_score']):g}", csv_cell(extra.get("status", "graded")), name])
        except (ValueError, KeyError, TypeError):
            continue
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "score", "max_score", "status", "results"])
    writer.writerows(rows)
    temporary = csv_path.with_name(f".{csv_path.name}.tmp")
    temporary.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(temporary, csv_path)
    return len(rows)
