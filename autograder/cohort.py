"""A cohort on disk: who the students are, where each one's results go, and which results stand.

Each entry of the cohort folder is one student: a sub-folder, an ``.py`` or an ``.ipynb``
(with ``--assignment A``, nbgrader's ``<student>/A/`` instead). Entries are listed without
following links (a link is graded as what it is: a refused submission).

**Names.** A student's name is their entry's name (a file's without ``.py``/``.ipynb``).
Two entries whose names are the same once case and Unicode compatibility forms are set aside
(``alice/`` and ``ALICE/``, ``alice/`` and ``alice.py``, ``ａｌｉｃｅ/`` and ``alice/``) are
what an LMS, a case-insensitive disk or a reader takes for one person: both are graded, both
results say so (``extra_data.name_collision``) and the summary names them, for the instructor
to settle before exporting.

**Results files.** ``OUT/<stem>.json``, the stem a function of the name alone, so that no
other entry, present or new, can change it: the name itself when it is lower-case ASCII
(letters, digits, ``. _ -``, no ``--``), else a readable part plus ``--`` and a hash of the
name (``ALICE--<hash>``, ``_HYPERLINK_x--<hash>``). Two stems never differ only by case.
Two entries with the same name (``alice/`` and ``alice.py``) cannot share one stem: the one
whose results are already there keeps it, the other takes ``--`` and a hash of its entry;
nobody's results are ever renamed or overwritten by another entry's.

**Which results stand** (:func:`unchanged`): those sealed by this machine's key
(:mod:`autograder.seal`), graded in full, from the same submission, entry, name, options
(the resume key) and in a sandbox mode this run accepts. Anything else is graded again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import seal
from .escape import UNSAFE, csv_cell

RESERVED = {"grades", "report", "feedback", "manifest", "run", "probe"}
_PLAIN = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")
CSV_NAME = "grades.csv"
UNAUTHENTICATED = "unauthenticated"  # grades.csv status of a results file without this machine's seal


@dataclass(frozen=True)
class Student:
    name: str
    path: Path
    stem: str  # the results file is <stem>.json
    entry: str = ""  # the entry in the cohort folder: "alice", "alice.py", nbgrader's "alice"
    collides_with: tuple[str, ...] = field(default=())  # entries whose names are the same as this one's

    @property
    def name_collision(self) -> dict | None:
        """What the results say when the name collides (None when it does not)."""
        if not self.collides_with:
            return None
        return {"entries": sorted((self.entry, *self.collides_with)), "others": list(self.collides_with)}


def identity(name: str) -> str:
    """What people, LMSs and case-insensitive disks take for the same name: NFKC, case folded,
    invisible format characters and surrounding spaces left out."""
    text = unicodedata.normalize("NFKC", UNSAFE.sub("", name))
    return unicodedata.normalize("NFKC", text.casefold()).strip()


def _hash(text: str, size: int = 16) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:size]


def safe_stem(name: str) -> str:
    """The results file's stem for ``name``: a function of the name alone (see the module)."""
    if _PLAIN.fullmatch(name) and "--" not in name and name not in RESERVED and not name.endswith("."):
        return name
    readable = _UNSAFE_RUN.sub("_", name).strip("._-")[:60].rstrip("._-") or "student"
    return f"{readable}--{_hash(name)}"


def _entry_stem(name: str, entry: str) -> str:
    """The stem of an entry whose name's stem is already another entry's."""
    return f"{safe_stem(name).split('--')[0]}--{_hash('entry:' + entry)}"


def _entries(root: Path, assignment: str | None) -> list[tuple[str, str, Path]]:
    """(name, entry, path) of every entry, in entry order."""
    found = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if assignment:
            if entry.is_dir(follow_symlinks=False):
                target = path / assignment
                if os.path.lexists(target):
                    found.append((entry.name, entry.name, target))
            continue
        is_file = entry.is_file(follow_symlinks=False) or entry.is_symlink()
        if entry.is_dir(follow_symlinks=False) or (entry.is_symlink() and not path.suffix):
            found.append((entry.name, entry.name, path))
        elif is_file and path.suffix in (".py", ".ipynb"):
            found.append((path.stem or entry.name, entry.name, path))
    return found


def find_students(root: Path, assignment: str | None = None,
                  held: dict[str, dict] | None = None) -> list[Student]:
    """Every student of ``root``, each with a stem no other entry can take or change.

    ``held``: the sealed results already in the results folder (:func:`read_results`), which
    say which entry holds a stem.
    """
    entries = _entries(root, assignment)
    same_name: dict[str, list[str]] = {}
    for name, entry, _ in entries:
        same_name.setdefault(identity(name), []).append(entry)
    same_stem: dict[str, list[tuple[str, str, Path]]] = {}
    for name, entry, path in entries:
        same_stem.setdefault(safe_stem(name).casefold(), []).append((name, entry, path))
    students = []
    for group in same_stem.values():
        stem = safe_stem(group[0][0])
        holder = _holder((held or {}).get(f"{stem}.json"))
        # the entry whose results are there keeps the stem; with none there, the first entry takes it;
        # if another entry's results are there, they stay, and nobody of this group takes it
        owner = holder if holder is not None else group[0][1]
        for name, entry, path in group:
            others = tuple(e for e in same_name[identity(name)] if e != entry)
            own = stem if entry == owner else _entry_stem(name, entry)
            students.append(Student(name, path, own, entry, others))
    students.sort(key=lambda s: (s.name, s.entry))
    return students


def _holder(data: dict | None) -> str | None:
    entry = data["extra_data"].get("entry") if data is not None else None
    return entry if isinstance(entry, str) else None


def _load(path: Path) -> dict | None:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("extra_data"), dict) else None


def unchanged(data: dict | None, student: Student, sha256: str, key: dict, accepted_modes: list[str]) -> bool:
    """Whether ``student``'s sealed results ``data`` still stand (see the module)."""
    if data is None:
        return False
    extra = data["extra_data"]
    try:
        return (extra.get("status") == "graded" and extra["submission"]["sha256"] == sha256
                and extra.get("resume_key") == key and extra.get("student") == student.name
                and extra.get("entry") == student.entry and extra["isolation"]["mode"] in accepted_modes)
    except (KeyError, TypeError):
        return False


def kept_seed(held: dict[str, dict], students: list[Student]) -> int | None:
    """The seed most of the students' sealed results were graded with (None if none)."""
    seeds = Counter()
    for student in students:
        seed = held.get(f"{student.stem}.json", {}).get("extra_data", {}).get("seed")
        if isinstance(seed, int) and not isinstance(seed, bool):
            seeds[seed] += 1
    return seeds.most_common(1)[0][0] if seeds else None


@dataclass
class Folder:
    """The results files of a grade-all folder (by file name)."""

    sealed: dict[str, dict]
    unsealed: dict[str, tuple[dict, str]]  # file name -> (data, why it is not trusted)


def read_results(out_dir: Path, results_key: bytes | None = None) -> Folder:
    """Every results file of a grade-all folder, sealed or not; unreadable ones are left out."""
    found = Folder({}, {})
    for path in sorted(out_dir.glob("[!.]*.json")):
        data = _load(path)
        if data is None or "max_score" not in data["extra_data"]:
            continue
        verdict = seal.check(data, results_key)
        if verdict.ok:
            found.sealed[path.name] = data
        else:
            found.unsealed[path.name] = (data, verdict.why)
    return found


def rebuild_csv(out_dir: Path, csv_path: Path, results_key: bytes | None = None) -> int:
    """grades.csv from every results file in ``out_dir``; returns the number of rows.

    A file without this machine's seal has a row with no score and status ``unauthenticated``.
    """
    folder = read_results(out_dir, results_key)
    rows = []
    for name, data in folder.sealed.items():
        try:
            extra = data["extra_data"]
            rows.append([csv_cell(extra.get("student", name)), f"{float(data['score']):g}",
                         f"{float(extra['max_score']):g}", csv_cell(extra.get("status", "graded")), name])
        except (ValueError, KeyError, TypeError, OverflowError):
            continue
    for name, (data, _) in folder.unsealed.items():
        rows.append([csv_cell(data["extra_data"].get("student", name)), "", "", UNAUTHENTICATED, name])
    rows.sort(key=lambda row: row[-1])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "score", "max_score", "status", "results"])
    writer.writerows(rows)
    temporary = csv_path.with_name(f".{csv_path.name}.tmp")
    temporary.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(temporary, csv_path)
    return len(rows)
