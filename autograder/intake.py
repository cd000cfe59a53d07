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
TIMESTAMP_FILE = "timestamp.txt"  # written by nbgrader's collect/submit
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


def _submitted_at(folder: Path, files: list[Path]) -> dict | None:
    """When it was handed in: nbgrader's timestamp.txt, else the newest file's modification time."""
    stamp = folder / TIMESTAMP_FILE
    try:
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
            return {"time": when.astimezone(timezone.utc).isoformat(), "source": "nbgrader timestamp.txt"}
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
    return {"time": when.isoformat(), "source": "file modification time"}


def load(path: str | Path, name: str | None = None) -> Submission:
    """Read a submission. IntakeError when the path itself cannot be read (missing, unreadable)."""
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
        return _from_folder(submission, path)
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


def _from_folder(submission: Submission, folder: Path) -> Submission:
    files = _walk(folder)
    submission.submitted_at = _submitted_at(folder, files)
    code = [p for p in files if p.name == wire.STUDENT_FILE]
    if not code:
        notebooks = [p for p in files if p.suffix == ".ipynb" and ".ipynb_checkpoints" not in p.parts]
        if len(notebooks) == 1:
            _take_code(submission, notebooks[0])
            _take_quiz(submission, folder / wire.QUIZ_FILE)
            return submission
        found = f"{len(notebooks)} notebooks" if notebooks else "no rnn.py and no notebook"
        submission.problem = f"the submission holds {found}: hand in rnn.py or one notebook"
        return submission
    if len(code) > 1:
        where = ", ".join(str(p.relative_to(folder)) for p in code[:4])
        submission.problem = f"the submission holds several rnn.py files ({where}): hand in one"
        return submission
    _take_code(submission, code[0])
    for place in dict.fromkeys((code[0].parent, folder)):
        if (place / wire.QUIZ_FILE).name in os.listdir(place):
            _take_quiz(submission, place / wire.QUIZ_FILE)
            break
    return submission
