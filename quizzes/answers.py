"""Read and write a student's answer file (``quiz_answers.toml``).

The format is flat TOML, one line per question, easy to edit and to embed::

    student_id = "s1234567"        # optional; needed when option_order = "shuffled"
    option_order = "canonical"     # or "shuffled": letters as on a personal sheet
    q01 = "b"                      # single answer: one letter
    q05 = ["a", "d"]               # multiple answer: a list of letters
    q07 = []                       # not answered yet

The file is untrusted data: it is only parsed, never executed. Reading never
raises: what cannot be read becomes a note with ``file:line``, and every line that
can be read is kept, even when another line is broken or a question is repeated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import _toml

META_KEYS = ("student_id", "option_order")
ORDERS = ("canonical", "shuffled")
_TOKEN_SPLIT = re.compile(r"[\s,;]+")
_KEY_LINE = re.compile(r"""^\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*=""")
_TABLE_LINE = re.compile(r"^\s*\[")


@dataclass
class RawAnswer:
    """What a student wrote for one key, as option labels (lowercase)."""

    key: str
    labels: list[str]
    line: int | None
    notes: list[str] = field(default_factory=list)
    written: str = ""  # the value as written, for messages


@dataclass
class AnswerSheet:
    source: str
    answers: list[RawAnswer] = field(default_factory=list)  # file order, repeats kept
    student_id: str | None = None
    option_order: str = "canonical"
    notes: list[str] = field(default_factory=list)  # file-level problems
    readable: bool = True  # False when nothing at all could be read


def parse_answers(text: str | bytes, source: str = "quiz_answers.toml") -> AnswerSheet:
    """Parse answer-file text. Never raises."""
    sheet = AnswerSheet(source=source)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            sheet.readable = False
            sheet.notes.append(f"{source}: not UTF-8 text; save the file as UTF-8")
            return sheet
    if not isinstance(text, str):
        sheet.readable = False
        sheet.notes.append(f"{source}: no answer text")
        return sheet
    text = text.lstrip("\ufeff")
    try:
        data = _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        line = _toml.error_line(exc)
        where = f"{source}:{line}" if line else source
        sheet.notes.append(f"{where}: not valid TOML ({_toml.error_message(exc)}); "
                           "each line was read on its own")
        _read_line_by_line(text, sheet)
    else:
        lines = _key_lines(text)
        items = []
        for key, value in data.items():
            if key == "answers" and isinstance(value, dict):  # tolerate an [answers] table
                items.extend((k, v, lines.get(k)) for k, v in value.items())
            else:
                items.append((key, value, lines.get(key)))
        for key, value, line in items:
            _take(sheet, key, value, line)
    if not sheet.answers and not sheet.notes and not text.strip():
        sheet.notes.append(f"{source}: the file is empty")
    return sheet


def _key_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        m = _KEY_LINE.match(raw)
        if m:
            key = next(g for g in m.groups() if g is not None)
            lines.setdefault(key, n)
    return lines


_BARE = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=\s*\[?\s*([A-Za-z]{1,2}(?:\s*[,; ]\s*[A-Za-z]{1,2})*)"
                   r"\s*,?\s*\]?\s*(?:#.*)?$")


def _read_line_by_line(text: str, sheet: AnswerSheet) -> None:
    any_read = False
    for n, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or _TABLE_LINE.match(raw):
            continue
        try:
            data = _toml.loads(raw)
        except _toml.TOMLDecodeError as exc:
            bare = _BARE.match(raw)
            if bare and bare.group(1) not in META_KEYS:
                any_read = True
                _take(sheet, bare.group(1), bare.group(2), n)
                sheet.answers[-1].notes.insert(
                    0, f"line {n}: letters need quotes, read {stripped!r} as {bare.group(2)!r}")
                continue
            m = _KEY_LINE.match(raw)
            key = next((g for g in m.groups() if g is not None), None) if m else None
            problem = f"line {n}: cannot read {stripped[:80]!r} ({_toml.error_message(exc)})"
            if key and key not in META_KEYS:
                sheet.answers.append(RawAnswer(key=key, labels=[], line=n, notes=[problem],
                                               written=stripped[:80]))
            else:
                sheet.notes.append(f"{sheet.source}:{n}: cannot read {stripped[:80]!r} "
                                   f"({_toml.error_message(exc)})")
            continue
        for key, value in data.items():
            any_read = True
            _take(sheet, key, value, n)
    if not any_read:
        sheet.readable = False


def _take(sheet: AnswerSheet, key: str, value, line: int | None) -> None:
    where = f"{sheet.source}:{line}" if line else sheet.source
    if key == "student_id":
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            sheet.student_id = str(value).strip() or None
        else:
            sheet.notes.append(f"{where}: student_id must be a string; ignored")
        return
    if key == "option_order":
        if isinstance(value, str) and value.strip().lower() in ORDERS:
            sheet.option_order = value.strip().lower()
        else:
            sheet.notes.append(f"{where}: option_order must be \"canonical\" or \"shuffled\" "
                               f"(got {value!r}); assuming \"{sheet.option_order}\"")
        return
    answer = RawAnswer(key=key.strip(), labels=[], line=line, written=_show(value))
    values = value if isinstance(value, list) else [value]
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            answer.notes.append(f"could not read {_show(v)}: write a letter like \"b\" "
                                "or a list like [\"a\", \"c\"]")
            continue
        if isinstance(v, int):
            if 1 <= v <= 26:
                letter = chr(ord("a") + v - 1)
                answer.notes.append(f"read {v} as option {letter!r}")
                answer.labels.append(letter)
            else:
                answer.notes.append(f"could not read {v}: options are letters")
            continue
        for token in _TOKEN_SPLIT.split(v.strip()):
            token = token.strip().strip("()[].'\"").lower()
            if token:
                answer.labels.append(token)
    deduped = list(dict.fromkeys(answer.labels))
    if len(deduped) != len(answer.labels):
        answer.notes.append("an option was listed more than once; counted once")
        answer.labels = deduped
    sheet.answers.append(answer)


def _show(value) -> str:
    if isinstance(value, str):
        return _toml.dumps_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_answers(bank, answers: dict[str, list[str]] | None = None, *,
                   student_id: str | None = None, option_order: str = "canonical",
                   header: str = "") -> str:
    """Answer-file text for ``bank``: one line per question, blank where unanswered.

    ``answers`` maps question id -> chosen labels (canonical ids unless
    ``option_order`` is "shuffled").
    """
    answers = answers or {}
    out = []
    for line in (header or _DEFAULT_HEADER).strip("\n").splitlines():
        out.append(f"# {line}".rstrip())
    out.append("")
    out.append(f"student_id = {_toml.dumps_string(student_id or '')}")
    out.append(f"option_order = {_toml.dumps_string(option_order)}")
    out.append("")
    for q in bank.questions:
        chosen = list(answers.get(q.id, []))
        kind = "one letter" if q.type == "single" else "a list of letters (all that apply)"
        note = f"  # {kind}, {q.points:g} point{'s' if q.points != 1 else ''}"
        if q.type == "single":
            value = _toml.dumps_string(chosen[0] if chosen else "")
        else:
            value = "[" + ", ".join(_toml.dumps_string(c) for c in chosen) + "]"
        out.append(f"{q.id} = {value}{note}")
    return "\n".join(out) + "\n"


_DEFAULT_HEADER = """
Quiz answers. Keep this file named quiz_answers.toml, beside your rnn.py.
Single-answer questions: one letter, e.g.  q01 = "b"
Multiple-answer questions: a list, e.g.    q05 = ["a", "c"]   ([] = not answered)
Use the letters printed on your question sheet. If your sheet says it is personal
(options shuffled for you), keep option_order = "shuffled" and your student_id.
"""
