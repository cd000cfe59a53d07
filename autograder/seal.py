"""Results files this grader wrote, told apart from any other: a seal over the whole file.

``grade-all`` seals each results file it writes with an HMAC-SHA256 over the file's content
(``extra_data.seal``), keyed by a secret that never enters OUT: ``results.key`` in a state
folder of the user who grades (``$RNN_AUTOGRADER_STATE``, else
``$XDG_STATE_HOME/rnn-autograder``, else ``~/.local/state/rnn-autograder``; for root,
``/root/.local/state/rnn-autograder``). The folder is created ``0700`` and the key ``0600``;
a key or folder that another user could read or replace is refused, never used.

What trusts the seal, and what a file that fails it gets:

* resume (``grade-all`` run again) reuses a student's results only when they carry this
  machine's seal: anything else is simply graded again, never believed;
* ``grades.csv`` lists an unsealed file with status ``unauthenticated`` and no score, and the
  summary names it;
* ``export-grades`` and ``lti push`` leave an unsealed file out, as a problem they name.

A new machine or a cluster's coordinator makes its own key on its first ``grade-all``: results
sealed elsewhere are graded again there. To export on another machine, copy the key with the
results (``install -m 600``), or export where ``grade-all`` ran. Deleting the key makes every
earlier result count as unsealed (graded again, not exported): the way to revoke it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

STATE_ENV = "RNN_AUTOGRADER_STATE"
KEY_FILE = "results.key"
FIELD = "seal"  # extra_data.seal = {"key": <key id>, "hmac": <hex>}
_KEY_BYTES = 32
_DOMAIN = b"rnn-autograder results seal v1\0"


class SealKeyError(Exception):
    """The key cannot be kept or read safely; ``str()`` says why and what to do."""


def state_dir() -> Path:
    explicit = os.environ.get(STATE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "rnn-autograder"


def key_path() -> Path:
    return state_dir() / KEY_FILE


def _private(st: os.stat_result, what: Path, kind: str) -> None:
    if st.st_uid != os.geteuid():
        raise SealKeyError(f"{what} belongs to uid {st.st_uid}, not to this user ({os.geteuid()}): the "
                           f"results key must be this user's alone; remove it or set {STATE_ENV} to a folder "
                           "of yours")
    if st.st_mode & 0o077:
        raise SealKeyError(f"{what} is {kind} others can use (mode {stat.S_IMODE(st.st_mode):o}); "
                           f"make it private: chmod {'700' if kind == 'a folder' else '600'} {what}")


def load_key(create: bool = False) -> bytes | None:
    """This user's results key; a new one when ``create`` and there is none (else None).

    Raises :class:`SealKeyError` when the key or its folder is not private to this user.
    """
    folder = state_dir()
    path = folder / KEY_FILE
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(folder)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SealKeyError(f"cannot make the results key's folder {folder}: {exc.strerror or exc}; "
                           f"set {STATE_ENV} to a folder only you can write") from None
    if not stat.S_ISDIR(st.st_mode):
        raise SealKeyError(f"{folder} is not a folder (a link?); set {STATE_ENV} to a private folder")
    _private(st, folder, "a folder")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if not create:
            return None
        return _new_key(path)
    except OSError as exc:
        raise SealKeyError(f"cannot read the results key {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise SealKeyError(f"{path} is not a regular file")
        _private(st, path, "a file")
        key = handle.read(_KEY_BYTES + 1)
    if len(key) != _KEY_BYTES:
        raise SealKeyError(f"{path} is not a results key ({len(key)} bytes, not {_KEY_BYTES}); remove it "
                           "and a new one is made (earlier results are then graded again)")
    return key


def _new_key(path: Path) -> bytes:
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:  # another grade-all made it first
        return load_key(create=False)
    except OSError as exc:
        raise SealKeyError(f"cannot write the results key {path}: {exc.strerror or exc}; "
                           f"set {STATE_ENV} to a folder only you can write") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key


def key_id(key: bytes) -> str:
    """A name for the key that gives nothing of it away (which machine sealed a file)."""
    return hashlib.sha256(b"rnn-autograder key id\0" + key).hexdigest()[:16]


def _mac(data: dict, key: bytes) -> str:
    extra = data.get("extra_data") if isinstance(data, dict) else None
    if not isinstance(extra, dict):
        raise ValueError("not a results file")
    body = {**data, "extra_data": {k: v for k, v in extra.items() if k != FIELD}}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)
    return hmac.new(key, _DOMAIN + canonical.encode("ascii"), hashlib.sha256).hexdigest()


def seal(data: dict, key: bytes) -> dict:
    """``data`` (as it will be written and read back as JSON) with its seal in ``extra_data``."""
    data = json.loads(json.dumps(data))  # what a reader will see: tuples as lists, keys as text
    data["extra_data"][FIELD] = {"key": key_id(key), "hmac": _mac(data, key)}
    return data


@dataclass(frozen=True)
class Verdict:
    ok: bool
    why: str = ""  # for the instructor, when not ok


def check(data, key: bytes | None) -> Verdict:
    """Whether ``data`` (a results file as JSON gave it) carries this key's seal, and if not, why."""
    extra = data.get("extra_data") if isinstance(data, dict) else None
    found = extra.get(FIELD) if isinstance(extra, dict) else None
    if not isinstance(found, dict) or not isinstance(found.get("hmac"), str):
        return Verdict(False, "not sealed by this grader's grade-all (no seal)")
    if key is None:
        return Verdict(False, f"no results key on this machine ({key_path()}) to check its seal: export "
                              "where grade-all ran, or copy its key here")
    if found.get("key") != key_id(key):
        return Verdict(False, "sealed with another results key (another machine, or a key since replaced)")
    try:
        expected = _mac(data, key)
    except (ValueError, TypeError, RecursionError):
        return Verdict(False, "not a results file this grader could have sealed")
    if not hmac.compare_digest(expected, found["hmac"]):
        return Verdict(False, "its seal does not match: the file was changed after grading")
    return Verdict(True)
