"""Per-student option order, identical on every Python version.

The random stream is HMAC-SHA256 in counter mode, keyed with the course secret::

    block_i = HMAC-SHA256(secret, b"rnn-quiz-order-v1" 0x00 student 0x00 question 0x00 i)

with ``i`` as an 8-byte big-endian counter (0, 1, 2, ...). Each block is cut into
eight 32-bit big-endian words. ``below(n)`` takes the next word ``w``, rejects it if
``w >= 2**32 - 2**32 % n`` (so every result is equally likely) and returns ``w % n``.
The order is a Fisher-Yates shuffle of the canonical options: for ``i`` from
``n-1`` down to 1, swap position ``i`` with position ``below(i + 1)``.

``random`` is never used: its algorithms are not promised to stay the same across
Python versions. Scoring always uses canonical option ids; shuffling only changes
how options are displayed and lettered.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator, Sequence

DOMAIN = b"rnn-quiz-order-v1"
SECRET_ENV = "RNN_QUIZ_SECRET"


class SecretMissing(ValueError):
    pass


def course_secret(explicit: str | None = None) -> bytes:
    """The course secret from ``explicit`` or ``$RNN_QUIZ_SECRET``; raises if neither."""
    value = explicit if explicit else os.environ.get(SECRET_ENV, "")
    if not value:
        raise SecretMissing(f"no course secret: pass --secret or set {SECRET_ENV}")
    return value.encode("utf-8")


def _message(student_id: str, question_id: str) -> bytes:
    for name, value in (("student id", student_id), ("question id", question_id)):
        if "\x00" in value:
            raise ValueError(f"{name} must not contain NUL characters")
    return b"\x00".join((DOMAIN, student_id.encode("utf-8"), question_id.encode("utf-8")))


def words(secret: bytes, student_id: str, question_id: str) -> Iterator[int]:
    """The endless stream of 32-bit words for one (student, question) pair."""
    message = _message(student_id, question_id)
    counter = 0
    while True:
        block = hmac.new(secret, message + b"\x00" + counter.to_bytes(8, "big"),
                         hashlib.sha256).digest()
        for i in range(0, len(block), 4):
            yield int.from_bytes(block[i:i + 4], "big")
        counter += 1


def below(n: int, stream: Iterator[int]) -> int:
    """A uniform integer in [0, n) from ``stream`` by rejection sampling."""
    if not 0 < n <= 2**32:
        raise ValueError("n must be in 1..2**32")
    limit = 2**32 - (2**32 % n)
    for w in stream:
        if w < limit:
            return w % n
    raise RuntimeError("stream ended")  # pragma: no cover - the stream is endless


def fisher_yates(items: Sequence, stream: Iterator[int]) -> list:
    """A shuffled copy of ``items`` (Durstenfeld's in-place Fisher-Yates)."""
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = below(i + 1, stream)
        out[i], out[j] = out[j], out[i]
    return out


def option_order(secret: bytes, student_id: str, question_id: str,
                 option_ids: Sequence[str]) -> list[str]:
    """The display order of ``option_ids`` for this student and question."""
    return fisher_yates(option_ids, words(secret, student_id, question_id))


def display_labels(n: int) -> list[str]:
    """Positional labels shown to students: a, b, c, ..."""
    if n > 26:
        raise ValueError("at most 26 options per question")
    return [chr(ord("a") + i) for i in range(n)]


def label_map(order: Sequence[str]) -> dict[str, str]:
    """Displayed label -> canonical option id for a displayed ``order``."""
    return dict(zip(display_labels(len(order)), order, strict=True))
