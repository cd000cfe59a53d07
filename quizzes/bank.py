"""Load and validate a quiz bank (TOML).

A malformed bank raises :class:`BankError` whose message starts with ``file:line:``
and says what is wrong, so an instructor can fix it from the message alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import _toml

BUNDLED_BANK = Path(__file__).with_name("bank.toml")

QUESTION_TYPES = ("single", "multiple")
ORIGINS = ("module", "added")
ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
OPTION_ID_RE = re.compile(r"^[a-z][a-z0-9]{0,7}$")

# Fractions (percent) Moodle accepts for an answer; negatives are allowed too.
MOODLE_FRACTIONS = (
    100.0, 90.0, 83.33333, 80.0, 75.0, 70.0, 66.66667, 60.0, 50.0, 40.0, 33.33333,
    30.0, 25.0, 20.0, 16.66667, 14.28571, 12.5, 11.11111, 10.0, 5.0, 0.0,
)

_QUESTION_KEYS = {"id", "type", "points", "origin", "topic", "prompt", "explanation", "options"}
_OPTION_KEYS = {"id", "text", "correct", "feedback", "fraction"}
_TOP_KEYS = {"title", "questions"}


class BankError(ValueError):
    """A bank that cannot be used; ``str()`` is ``file:line: message``."""

    def __init__(self, path: str, line: int | None, message: str):
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Option:
    id: str
    text: str
    correct: bool
    feedback: str
    fraction: float  # Moodle fraction in percent (single: 100 or 0)


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    points: float
    prompt: str
    explanation: str
    options: tuple[Option, ...]
    origin: str = "added"
    topic: str = ""

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(o.id for o in self.options if o.correct)

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)

    def option(self, option_id: str) -> Option:
        for o in self.options:
            if o.id == option_id:
                return o
        raise KeyError(option_id)


@dataclass(frozen=True)
class Bank:
    title: str
    questions: tuple[Question, ...]
    path: str = ""
    _by_id: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self._by_id.update({q.id: q for q in self.questions})

    def get(self, qid: str) -> Question | None:
        return self._by_id.get(qid)

    @property
    def total_points(self) -> float:
        return sum(q.points for q in self.questions)


class _Lines:
    """Maps parsed tables back to source lines for array-of-tables banks."""

    _HEADER = re.compile(r"^\s*\[\[\s*(questions(?:\s*\.\s*options)?)\s*\]\]")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")

    def __init__(self, text: str):
        self.questions: list[int] = []  # line of each [[questions]]
        self.options: list[list[int]] = []  # per question, line of each option
        self.keys: dict[int, dict[str, int]] = {}  # table line -> key -> line
        self.top: dict[str, int] = {}
        current: dict[str, int] = self.top
        for n, raw in enumerate(text.splitlines(), start=1):
            head = self._HEADER.match(raw)
            if head:
                current = self.keys.setdefault(n, {})
                if "options" in head.group(1):
                    if self.options:
                        self.options[-1].append(n)
                else:
                    self.questions.append(n)
                    self.options.append([])
                continue
            if raw.lstrip().startswith("["):
                current = {}
                continue
            key = self._KEY.match(raw)
            if key:
                current.setdefault(key.group(1), n)

    def question(self, qi: int, key: str | None = None) -> int | None:
        if qi >= len(self.questions):
            return None
        line = self.questions[qi]
        return self.keys.get(line, {}).get(key, line) if key else line

    def option(self, qi: int, oi: int, key: str | None = None) -> int | None:
        if qi >= len(self.options) or oi >= len(self.options[qi]):
            return self.question(qi)
        line = self.options[qi][oi]
        return self.keys.get(line, {}).get(key, line) if key else line


def load_bank(path: str | Path | None = None) -> Bank:
    """Load and validate a bank file (default: the bundled module 11 bank)."""
    p = Path(path) if path is not None else BUNDLED_BANK
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise BankError(str(p), None, f"cannot read bank: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BankError(str(p), None, "bank is not UTF-8 text") from None
    return parse_bank(text, str(p))


def parse_bank(text: str, source: str = "<bank>") -> Bank:
    """Parse and validate bank TOML text; ``source`` names it in error messages."""
    try:
        data = _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        raise BankError(source, _toml.error_line(exc),
                        f"not valid TOML: {_toml.error_message(exc)}") from None
    return _Validator(text, source).bank(data)


class _Validator:
    def __init__(self, text: str, source: str):
        self.lines = _Lines(text)
        self.source = source

    def fail(self, line: int | None, message: str):
        raise BankError(self.source, line, message)

    def bank(self, data: dict) -> Bank:
        for key in data:
            if key not in _TOP_KEYS:
                self.fail(self.lines.top.get(key), f"unknown top-level key {key!r} "
                          f"(expected: {', '.join(sorted(_TOP_KEYS))})")
        title = data.get("title", "Quiz")
        if not isinstance(title, str) or not title.strip():
            self.fail(self.lines.top.get("title"), "'title' must be a non-empty string")
        raw = data.get("questions")
        if not isinstance(raw, list) or not raw:
            self.fail(self.lines.top.get("questions", 1),
                      "no questions: add at least one [[questions]] table")
        questions: list[Question] = []
        seen: dict[str, int] = {}
        for qi, item in enumerate(raw):
            q = self.question(qi, item)
            if q.id in seen:
                self.fail(self.lines.question(qi, "id"),
                          f"duplicate question id {q.id!r} (first used by question {seen[q.id]})")
            seen[q.id] = qi + 1
            questions.append(q)
        return Bank(title=title.strip(), questions=tuple(questions), path=self.source)

    def _text(self, table: dict, key: str, line, what: str, required: bool = True) -> str:
        value = table.get(key)
        if value is None:
            if required:
                self.fail(line(None), f"{what} is missing required key '{key}'")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail(line(key), f"{what}: '{key}' must be a non-empty string")
        return value.strip()

    def question(self, qi: int, item) -> Question:
        def line(key):
            return self.lines.question(qi, key)

        what = f"question {qi + 1}"
        if not isinstance(item, dict):
            self.fail(line(None), f"{what} must be a table ([[questions]])")
        for key in item:
            if key not in _QUESTION_KEYS:
                self.fail(line(key), f"{what}: unknown key {key!r} "
                          f"(expected: {', '.join(sorted(_QUESTION_KEYS))})")
        qid = self._text(item, "id", line, what)
        if not ID_RE.match(qid):
            self.fail(line("id"), f"{what}: id {qid!r} must start with a letter and use only "
                      "letters, digits, '_' and '-' (at most 40 characters)")
        what = f"question {qid!r}"
        qtype = item.get("type")
        if qtype not in QUESTION_TYPES:
            self.fail(line("type") if "type" in item else line(None),
                      f"{what}: 'type' must be one of {', '.join(QUESTION_TYPES)} (got {qtype!r})")
        points = item.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
            self.fail(line("points") if "points" in item else line(None),
                      f"{what}: 'points' must be a positive number (got {points!r})")
        origin = item.get("origin", "added")
        if origin not in ORIGINS:
            self.fail(line("origin"), f"{what}: 'origin' must be one of {', '.join(ORIGINS)}")
        topic = self._text(item, "topic", line, what, required=False)
        prompt = self._text(item, "prompt", line, what)
        explanation = self._text(item, "explanation", line, what)
        raw_options = item.get("options")
        if not isinstance(raw_options, list) or len(raw_options) < 2:
            self.fail(line(None), f"{what}: needs at least two [[questions.options]] tables")
        options = [self.option(qi, oi, o, what, qtype) for oi, o in enumerate(raw_options)]
        seen: set[str] = set()
        for oi, o in enumerate(options):
            if o.id in seen:
                self.fail(self.lines.option(qi, oi, "id"), f"{what}: duplicate option id {o.id!r}")
            seen.add(o.id)
        keys = [o for o in options if o.correct]
        if qtype == "single" and len(keys) != 1:
            self.fail(line("type"), f"{what}: a 'single' question needs exactly one option "
                      f"with correct = true (found {len(keys)})")
        if qtype == "multiple" and not keys:
            self.fail(line("type"), f"{what}: a 'multiple' question needs at least one option "
                      "with correct = true")
        options = self._fractions(qi, what, qtype, options, raw_options)
        return Question(id=qid, type=qtype, points=float(points), prompt=prompt,
                        explanation=explanation, options=tuple(options), origin=origin,
                        topic=topic)

    def option(self, qi: int, oi: int, item, what: str, qtype: str) -> Option:
        def line(key):
            return self.lines.option(qi, oi, key)

        owhat = f"{what}, option {oi + 1}"
        if not isinstance(item, dict):
            self.fail(line(None), f"{owhat} must be a table ([[questions.options]])")
        for key in item:
            if key not in _OPTION_KEYS:
                self.fail(line(key), f"{owhat}: unknown key {key!r} "
                          f"(expected: {', '.join(sorted(_OPTION_KEYS))})")
        oid = self._text(item, "id", line, owhat)
        if not OPTION_ID_RE.match(oid):
            self.fail(line("id"), f"{owhat}: option id {oid!r} must be a lowercase letter "
                      "followed by up to 7 lowercase letters or digits (e.g. 'a')")
        owhat = f"{what}, option {oid!r}"
        text = self._text(item, "text", line, owhat)
        correct = item.get("correct")
        if not isinstance(correct, bool):
            self.fail(line("correct") if "correct" in item else line(None),
                      f"{owhat}: 'correct' must be true or false")
        feedback = self._text(item, "feedback", line, owhat)
        return Option(id=oid, text=text, correct=correct, feedback=feedback, fraction=float("nan"))

    def _fractions(self, qi, what, qtype, options, raw_options) -> list[Option]:
        n_keys = sum(o.correct for o in options)
        n_wrong = len(options) - n_keys
        out = []
        for oi, (o, raw) in enumerate(zip(options, raw_options, strict=True)):
            given = raw.get("fraction")
            if given is None:
                if qtype == "single":
                    frac = 100.0 if o.correct else 0.0
                else:
                    frac = round(100.0 / n_keys, 5) if o.correct else round(-100.0 / n_wrong, 5)
                if not _moodle_fraction(frac):
                    self.fail(self.lines.option(qi, oi), f"{what}: default fraction {frac:g}% is "
                              "not one Moodle accepts; set 'fraction' on each option")
            else:
                line = self.lines.option(qi, oi, "fraction")
                if qtype == "single":
                    self.fail(line, f"{what}: 'fraction' is only allowed in 'multiple' questions")
                if isinstance(given, bool) or not isinstance(given, (int, float)):
                    self.fail(line, f"{what}, option {o.id!r}: 'fraction' must be a number")
                frac = float(given)
                if not _moodle_fraction(frac):
                    self.fail(line, f"{what}, option {o.id!r}: fraction {frac:g} is not one of "
                              "Moodle's (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, "
                              "33.33333, 30, 25, 20, 16.66667, 14.28571, 12.5, 11.11111, 10, 5, "
                              "0 or their negatives)")
                if (frac > 0) != o.correct:
                    self.fail(line, f"{what}, option {o.id!r}: a key needs a positive fraction "
                              "and a distractor a zero or negative one")
            out.append(Option(o.id, o.text, o.correct, o.feedback, frac))
        if qtype == "multiple":
            total = sum(o.fraction for o in out if o.fraction > 0)
            if abs(total - 100.0) > 0.01:
                self.fail(self.lines.question(qi), f"{what}: the fractions of the keys add up to "
                          f"{total:g}%, not 100%")
        return out


def _moodle_fraction(frac: float) -> bool:
    return any(abs(abs(frac) - f) < 1e-4 for f in MOODLE_FRACTIONS)
