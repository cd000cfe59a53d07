"""Take a submission off the disk: regular files only, size-capped, never followed through a link.

This runs in the trusted process and reads student *bytes* only: it never
parses them (the sandboxed worker does, before any student code runs). Every
file is opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked to be a regular
file on the opened descriptor, so a symbolic link (to the reference, the quiz
key, a classmate's file), a FIFO, a device or a socket is refused with a
message, never read; folders are walked without following links, bounded in
depth and entries.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import wire

MAX_CODE_BYTES = 8 << 20
MAX_QUIZ_BYTES = 64 << 10
MAX_DEPTH = 6
MAX_ENTRIES = 4000
TIMESTAMP_FILE = "timestamp.txt"  # written by nbgrader's submit, beside the files it collects
NBGRADER_SOURCE = "nbgrader timestamp.txt"
MTIME_SOURCE = "file modification time"
_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.\d{1,6})?\s*(UTC|[+-]\d\d:?\d\d|Z)?$")


class IntakeError(Exception):
    """Nothing gradable can be read at the path given (the instructor's problem, not the student's)."""


@dataclass
class Submission:
    name: str  # the student, as found in the cohort
    origin: Path
    kind: str = wire.KIND_PY  # "py" or "notebook"
    files: dict[str, bytes] = field(default_factory=dict)  # the code file first, then the quiz file
    notes: list[str] = field(default_factory=list)
    problem: str | None = None  # set when nothing can be graded: the student's message
    submitted_at: dict | None = None  # {"time": ISO 8601, "source": ...}

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256(self.kind.encode())
        for name, data in self.files.items():
            digest.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(data).digest())
        digest.update(b"\0problem\0" + (self.problem or "").encode())
        return digest.hexdigest()

    def payload(self) -> bytes:
        return wire.encode_submission(self.kind, self.files)


def may_plot(submission: Submission) -> bool:
    """Whether the submission's code may import matplotlib. Speed only: the fork server then
    imports it once for the whole run; without it, a worker that plots imports it itself (about
    0.6 s, its font cache included). Counted on the raw bytes, never parsed; the course
    notebook's own read-only plot cell, which the graders skip, does not count."""
    from .nbgrader_course import PLOT_CELL, PLOT_CELL_MATPLOTLIB

    code = next(iter(submission.files.values()), b"")  # the code file comes first
    mentions = code.count(b"matplotlib")
    if submission.kind == wire.KIND_NOTEBOOK and f'"{PLOT_CELL}"'.encode() in code:
        mentions -= PLOT_CELL_MATPLOTLIB
    return mentions > 0


class Refused(Exception):
    """A file that must not be read (a link, a FIFO, a device, too large)."""


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file, never through a link, at most ``limit`` of them."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: the last component is a symbolic link
            raise Refused(f"{path.name} is a symbolic link: hand in the file itself") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{path.name} is not a regular file ({_kind(info.st_mode)}): "
                          "hand in the file itself")
        if info.st_size > limit:
            raise Refused(f"{path.name} is {info.st_size >> 10} KiB, more than the {limit >> 10} KiB allowed")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise Refused(f"{path.name} is more than the {limit >> 10} KiB allowed")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISLNK, "a link")):
        if test(mode):
            return name
    return "not a plain file"


def _walk(folder: Path) -> list[Path]:
    """Every regular file and link under ``folder`` (links not followed), bounded; hidden entries skipped."""
    found, stack, seen = [], [(folder, 0)], 0
    while stack:
        current, depth = stack.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                return found
            if entry.name.startswith(".") or entry.name == "__pycache__":
                continue
            if entry.is_dir(follow_symlinks=False):
                if depth + 1 < MAX_DEPTH:
                    stack.append((Path(entry.path), depth + 1))
            else:
                found.append(Path(entry.path))
    return found


def _submitted_at(folder: Path, files: list[Path], trust_timestamp: bool = False) -> dict | None:
    """When it was handed in: nbgrader's timestamp.txt when ``trust_timestamp`` (nbgrader's layout,
    under ``--assignment``, where nbgrader wrote it after the student's files), else the newest file's
    modification time, marked weak. A timestamp.txt anywhere else is the student's own file: never
    believed."""
    stamp = folder / TIMESTAMP_FILE
    try:
        if not trust_timestamp:
            raise Refused("not nbgrader's layout")
        text = read_regular(stamp, 200).decode("utf-8", errors="replace").strip()
        match = _TIMESTAMP.match(text)
        if match:
            day, clock, fraction, zone = match.groups()
            when = datetime.fromisoformat(f"{day}T{clock}{fraction or ''}")
            if zone and zone not in ("UTC", "Z"):
                sign = 1 if zone[0] == "+" else -1
                digits = zone[1:].replace(":", "")
                offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
                from datetime import timedelta

                when = when.replace(tzinfo=timezone(timedelta(minutes=offset)))
            else:
                when = when.replace(tzinfo=timezone.utc)
            return {"time": when.astimezone(timezone.utc).isoformat(), "source": NBGRADER_SOURCE,
                    "weak": False}
    except (OSError, Refused, ValueError):
        pass
    times = []
    for path in files:
        try:
            times.append(os.lstat(path).st_mtime)
        except OSError:
            continue
    if not times:
        return None
    when = datetime.fromtimestamp(max(times), tz=timezone.utc)
    return {"time": when.isoformat(), "source": MTIME_SOURCE, "weak": True}


def load(path: str | Path, name: str | None = None, nbgrader_layout: bool = False) -> Submission:
    """Read a submission. IntakeError when the path itself cannot be read (missing, unreadable).

    ``nbgrader_layout``: ``path`` is ``submitted/<student>/<assignment>/`` of nbgrader's layout
    (``grade-all --assignment``), whose top-level timestamp.txt nbgrader wrote: the submission time
    comes from it. Anywhere else the time is the files' modification time (weaker evidence)."""
    path = Path(path)
    name = name or (path.stem if path.suffix in (".py", ".ipynb") else path.name)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise IntakeError(f"no such file or folder: {path}") from None
    except OSError as exc:
        raise IntakeError(f"cannot read {path}: {exc.strerror}") from None
    submission = Submission(name=name, origin=path)
    if stat.S_ISLNK(info.st_mode):
        submission.problem = f"{path.name} is a symbolic link: hand in the file or folder itself"
        return submission
    if stat.S_ISDIR(info.st_mode):
        try:
            os.listdir(path)
        except OSError as exc:
            raise IntakeError(f"cannot read {path}: {exc.strerror}") from None
        return _from_folder(submission, path, trust_timestamp=nbgrader_layout)
    if not stat.S_ISREG(info.st_mode):
        submission.problem = f"{path.name} is {_kind(info.st_mode)}, not a file: hand in rnn.py or a notebook"
        return submission
    if path.suffix not in (".py", ".ipynb"):
        raise IntakeError(f"{path}: expected rnn.py, a folder or a .ipynb notebook")
    submission.submitted_at = _submitted_at(path.parent, [path])
    _take_code(submission, path)
    if path.name == wire.STUDENT_FILE:  # a stray .py does not claim the folder's quiz
        _take_quiz(submission, path.parent / wire.QUIZ_FILE)
    return submission


def _take_code(submission: Submission, path: Path) -> None:
    try:
        data = read_regular(path, MAX_CODE_BYTES)
    except Refused as exc:
        submission.problem = str(exc)
        return
    except OSError as exc:
        submission.problem = f"{path.name} could not be read ({exc.strerror})"
        return
    if path.suffix == ".ipynb":
        submission.kind, submission.files = wire.KIND_NOTEBOOK, {path.name: data}
    else:
        submission.kind, submission.files = wire.KIND_PY, {wire.STUDENT_FILE: data}


def _take_quiz(submission: Submission, path: Path) -> None:
    try:
        os.lstat(path)
    except OSError:
        return  # no answer file: the quiz is unanswered
    try:
        submission.files[wire.QUIZ_FILE] = read_regular(path, MAX_QUIZ_BYTES)
    except Refused as exc:
        submission.notes.append(f"{exc} (the quiz was not read)")
    except OSError as exc:
        submission.notes.append(f"{wire.QUIZ_FILE} could not be read ({exc.strerror})")


CANDIDATES_READ = 64  # files whose first bytes are looked at to choose (the rest rank on name and place)
DEFINES = b"class SimpleRNN"


def _defines_the_exercise(path: Path) -> bool:
    """Whether the file's bytes mention the class the exercise asks for (a byte search, no parsing)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and DEFINES in os.read(fd, 1 << 20)
    except OSError:
        return False
    finally:
        os.close(fd)


def _mtime(path: Path) -> float:
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return 0.0


def choose_code(folder: Path, candidates: list[Path]) -> tuple[Path, str | None]:
    """The file to grade among every .py and notebook handed in, and what the student is told.

    In order: a file named rnn.py; one that defines SimpleRNN; the nearest the top of the
    submission; the most recently modified; the first by name. The note names the file graded,
    the rule that chose it and the files left out (None: the one rnn.py, nothing to say).
    """
    def relative(path: Path) -> str:
        return path.relative_to(folder).as_posix()

    if len(candidates) == 1:
        only = candidates[0]
        if only.name == wire.STUDENT_FILE or only.suffix == ".ipynb" and only.parent == folder:
            return only, None
        return only, (f"graded {relative(only)}: the only Python file or notebook handed in "
                      f"(the exercise's file is {wire.STUDENT_FILE})")
    ranked = sorted(candidates, key=lambda p: (p.name != wire.STUDENT_FILE, len(p.relative_to(folder).parts),
                                               relative(p)))
    defines = {p: i < CANDIDATES_READ and _defines_the_exercise(p) for i, p in enumerate(ranked)}
    rules = [(f"named {wire.STUDENT_FILE}", lambda p: p.name == wire.STUDENT_FILE),
             ("defines SimpleRNN", lambda p: defines[p]),
             ("nearest the top of the submission", lambda p: -len(p.relative_to(folder).parts)),
             ("most recently modified", _mtime)]
    left, chosen_by = list(ranked), []
    for phrase, score in rules:
        best = max(score(p) for p in left)
        kept = [p for p in left if score(p) == best]
        if len(kept) < len(left):
            left, chosen_by = kept, [*chosen_by, phrase]
        if len(left) == 1:
            break
    if len(left) > 1:
        chosen_by.append("first by name (the others tie with it)")
    chosen = sorted(left, key=relative)[0]
    others = [relative(p) for p in ranked if p != chosen]
    listed = ", ".join(others[:4]) + (f" and {len(others) - 4} more" if len(others) > 4 else "")
    return chosen, (f"graded {relative(chosen)} of the {len(candidates)} Python files and notebooks handed "
                    f"in (chosen as the one {', then '.join(chosen_by)}); not graded: {listed}")


def _from_folder(submission: Submission, folder: Path, trust_timestamp: bool = False) -> Submission:
    files = _walk(folder)
    submission.submitted_at = _submitted_at(folder, files, trust_timestamp)
    candidates = [p for p in files if p.suffix in (".py", ".ipynb") and ".ipynb_checkpoints" not in p.parts]
    if not candidates:
        submission.problem = ("the submission holds no rnn.py, no other Python file and no notebook: "
                              "hand in rnn.py (or one notebook)")
        return submission
    code, note = choose_code(folder, candidates)
    if note:
        submission.notes.append(note)
    _take_code(submission, code)
    for place in dict.fromkeys((code.parent, folder)):
        if (place / wire.QUIZ_FILE).name in os.listdir(place):
            _take_quiz(submission, place / wire.QUIZ_FILE)
            break
    return submission
