"""Read and write a student's answer file (``quiz_answers.toml``).

The format is flat TOML, one line per question, easy to edit and to embed::

    student_id = "s1234567"        # optional; needed when option_order = "shuffled"
    option_order = "canonical"     # or "shuffled": letters as on a personal sheet
    q01 = "b"                      # single answer: one letter
    q05 = ["a", "d"]               # multiple answer: a list of letters
    q07 = []                       # not answered yet

The file is untrusted data, written by the student: it is only parsed, never
executed, and the parser is part of the grader's security boundary. So it is not
a general TOML parser (``tomllib`` is quadratic on long dotted keys and recursive
on nested arrays) but a line reader for the subset above, in linear time:

- every regular expression here matches in time linear in its input: no nested
  quantifiers over overlapping characters (each repeated group starts with a
  character that ends the one before, e.g. a comma or a quote);
- the text is bounded (:data:`MAX_TEXT_BYTES`; beyond it the file is not read and
  says so), and so are the lines read, a line's length, the answers kept, the
  letters per answer and the notes;
- nothing recurses: an array holds strings, numbers or booleans, never arrays.

Reading never raises: what cannot be read becomes a note with ``file:line``, and
every line that can be read is kept, even when another line is broken or a
question is repeated. Valid TOML outside the subset (floats, dates, inline
tables, nested arrays) is reported per line like any other unreadable value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import _toml

META_KEYS = ("student_id", "option_order")
ORDERS = ("canonical", "shuffled")

# Bounds. A real answer file is about 1 KiB: 20 lines, 12 answers, a few letters each.
MAX_TEXT_BYTES = 64 * 1024  # larger answer text is not read at all (one clear note)
MAX_LINES = 2000  # lines read; the rest is ignored with a note
MAX_LINE_CHARS = 1000  # a longer line is reported, not read
MAX_ANSWERS = 100  # `name = value` entries kept; reading stops after that
MAX_LABELS = 26  # letters read per answer
MAX_NOTES = 20  # file-level notes kept (then one "... more" line)
MAX_ARRAY_LINES = 40  # lines a multi-line array may span
MAX_KEY_CHARS = 60  # a longer name is not a question name (the grader's wire keeps 60)
MAX_LABEL_CHARS = 8  # as option ids: a longer token is cut to 7 + "…", which no id can be
MAX_SHOWN = 80  # characters of student text quoted in a message

# --- the line grammar (every pattern linear: see the module docstring) -----------------
_WS = r"[ \t]*"
_SIMPLE_KEY = (rf"[A-Za-z0-9_-]{{1,{MAX_KEY_CHARS}}}"
               rf"""|"[^"\\\n]{{0,{MAX_KEY_CHARS}}}"|'[^'\n]{{0,{MAX_KEY_CHARS}}}'""")
_KEY = rf"(?P<key>{_SIMPLE_KEY})(?:{_WS}\.{_WS}(?P<sub>{_SIMPLE_KEY}))?"
_BASIC = r'"(?:[^"\\\n]|\\.)*"'  # a closing quote is the first unescaped one
_LITERAL = r"'[^'\n]*'"
_NUMBER = r"[+-]?[0-9]{1,18}(?:\.[0-9]{1,18})?"
_SCALAR = rf"{_BASIC}|{_LITERAL}|{_NUMBER}|true|false"
# Each repetition ends with a comma, and a scalar cannot start with a comma or a blank.
_ARRAY = rf"\[{_WS}(?:(?:{_SCALAR}){_WS},{_WS})*(?:(?:{_SCALAR}){_WS})?\]"
_LINE = re.compile(rf"{_WS}{_KEY}{_WS}={_WS}(?P<value>{_SCALAR}|{_ARRAY}){_WS}(?:#.*)?")
_SCALAR_RE = re.compile(_SCALAR)  # only ever run over an array _LINE has matched
_KEY_RE = re.compile(_SIMPLE_KEY)
# The part of a line before its comment: strings are skipped whole, so a '#' inside
# quotes is kept; it stops at the first '#' outside them or at an unclosed quote.
_CODE = re.compile(r"""(?:"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^"'#\n])*""")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)
# Quotes a word processor or a slide deck puts in, and spaces that are not ' ' or tab.
_LOOKALIKES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
                             "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
                             "\uff02": '"', "\uff07": "'", "\uff1d": "=", "\uff3b": "[",
                             "\uff3d": "]", "\uff0c": ","})
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


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
    notes_dropped: int = 0  # notes beyond MAX_NOTES, counted, not kept

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)
        else:
            self.notes_dropped += 1


def parse_answers(text: str | bytes | None, source: str = "quiz_answers.toml") -> AnswerSheet:
    """Parse answer-file text. Never raises; linear time; bounded output."""
    sheet = AnswerSheet(source=source)
    try:
        text = _as_text(text, sheet)
        if text is not None:
            _read(text, sheet)
    except Exception as exc:  # pragma: no cover - a bug here must not fail a grade
        sheet.answers.clear()
        sheet.readable = False
        sheet.note(f"{source}: could not be read ({type(exc).__name__})")
    if sheet.notes_dropped:
        sheet.notes.append(f"{source}: ... and {sheet.notes_dropped} more problems not listed")
        sheet.notes_dropped = 0
    return sheet


def _as_text(text, sheet: AnswerSheet) -> str | None:
    source = sheet.source
    if isinstance(text, (bytes, bytearray, memoryview)):
        size = text.nbytes if isinstance(text, memoryview) else len(text)
        if size > MAX_TEXT_BYTES:
            return _too_big(sheet, size)
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError:
            sheet.readable = False
            sheet.note(f"{source}: not UTF-8 text; save the file as UTF-8")
            return None
    if not isinstance(text, str):
        sheet.readable = False
        sheet.note(f"{source}: no answer text")
        return None
    if len(text) > MAX_TEXT_BYTES:  # cheap first: a character is at least one byte
        return _too_big(sheet, len(text))
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates: not text any file could hold
        text = text.encode("utf-8", "replace").decode("utf-8")
        size = len(text.encode("utf-8"))
        sheet.note(f"{source}: characters that are not valid Unicode were replaced by '?'")
    if size > MAX_TEXT_BYTES:
        return _too_big(sheet, size)
    return text.lstrip("\ufeff")


def _too_big(sheet: AnswerSheet, size: int) -> None:
    sheet.readable = False
    sheet.note(f"{sheet.source}: {size / 1024:.0f} KiB, over the {MAX_TEXT_BYTES // 1024} KiB "
               "limit for answer text, so it was not read (an answer file is a few lines "
               "like q01 = \"b\")")
    return None


def _read(text: str, sheet: AnswerSheet) -> None:
    source = sheet.source
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        sheet.note(f"{source}: more than {MAX_LINES} lines; only the first {MAX_LINES} were read")
        del lines[MAX_LINES:]
    read_any = broken = False
    first_broken = True
    i = 0
    while i < len(lines):
        n = i + 1
        raw = lines[i].rstrip("\r")
        i += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(raw) > MAX_LINE_CHARS:
            broken = True
            sheet.note(f"{source}:{n}: line of {len(raw)} characters, over the "
                       f"{MAX_LINE_CHARS} limit; not read")
            continue
        if stripped.startswith("["):
            header = "".join(_CODE.match(raw).group().split())
            if header != "[answers]":
                sheet.note(f"{source}:{n}: {_quote(stripped)} ignored: an answer file needs no "
                           "[table] header; the lines below it are read as answers")
            continue
        match = _LINE.fullmatch(raw)
        if match is None:
            match, used = _multiline_array(raw, lines, i)
            if match is not None:
                i += used
        if match is not None:
            read_any = True
            key = _key(match)
            _take(sheet, key, _value(match.group("value")), n)
        else:
            broken = True
            read_any |= _broken_line(sheet, raw, n, first_broken)
            first_broken = False
        if len(sheet.answers) >= MAX_ANSWERS:
            sheet.note(f"{source}: more than {MAX_ANSWERS} answers; the lines after line {n} "
                       "were not read")
            break
    if broken and not read_any:
        sheet.readable = False
    if not sheet.answers and not sheet.notes and not text.strip():
        sheet.note(f"{source}: the file is empty")


def _key(match: re.Match) -> str:
    key, sub = _unquote_key(match.group("key")), match.group("sub")
    if sub is None:
        return key
    sub = _unquote_key(sub)
    return sub if key == "answers" else f"{key}.{sub}"  # answers.q01 = "b" is q01


def _unquote_key(key: str) -> str:
    return key[1:-1] if key[:1] in "\"'" else key


def _multiline_array(raw: str, lines: list[str], start: int) -> tuple[re.Match | None, int]:
    """``q05 = [`` continued on the next lines up to ``]``: (match, lines used)."""
    code = _CODE.match(raw).group()
    head, eq, value = code.partition("=")
    if not (eq and value.lstrip().startswith("[") and "]" not in value):
        return None, 0
    parts = [code.rstrip()]
    size = len(code)
    for used, line in enumerate(lines[start:start + MAX_ARRAY_LINES], start=1):
        code = _CODE.match(line.rstrip("\r")).group()
        size += len(code)
        if size > MAX_LINE_CHARS:
            return None, 0
        parts.append(code.strip())
        if "]" in code:
            match = _LINE.fullmatch(" ".join(parts))
            return (match, used) if match else (None, 0)
    return None, 0


def _value(text: str):
    if text.startswith("["):
        return [_scalar(m.group()) for m in _SCALAR_RE.finditer(text, 1)]
    return _scalar(text)


def _scalar(text: str):
    first = text[0]
    if first == '"':
        return _ESCAPE.sub(_unescape, text[1:-1])
    if first == "'":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    return float(text) if "." in text else int(text)  # at most 18 digits: see _NUMBER


def _unescape(m: re.Match) -> str:
    code = m.group(1) or m.group(2)
    if code is None:
        return _ESCAPES.get(m.group(3), m.group(3))
    value = int(code, 16)
    if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        return "\ufffd"
    return chr(value)


def _broken_line(sheet: AnswerSheet, raw: str, n: int, first: bool) -> bool:
    """A line that is not ``name = value``: letters without quotes, or a note. True if read."""
    stripped = raw.strip()
    tidy = " ".join(raw.translate(_LOOKALIKES).split())  # typographic quotes, odd spaces
    match = _LINE.fullmatch(tidy) if tidy != raw else None
    if match is not None:
        key = _key(match)
        _take(sheet, key, _value(match.group("value")), n)
        note = (f"line {n}: read {_quote(stripped)} as {_quote(tidy)} (typographic quotes or "
                "unusual spaces; a plain-text editor avoids them)")
        if key in META_KEYS:
            sheet.note(f"{sheet.source}:{n}: {note[len(f'line {n}: '):]}")
        else:
            sheet.answers[-1].notes.insert(0, note)
        return True
    head, eq, value = raw.partition("=")
    head = head.strip()
    key = _unquote_key(head) if eq and _KEY_RE.fullmatch(head) else None
    letters = _bare_letters(value) if key else None
    if key and letters and key not in META_KEYS:
        written = ", ".join(letters)
        _take(sheet, key, written, n)
        sheet.answers[-1].notes.insert(
            0, f"line {n}: letters need quotes, read {_quote(stripped)} as {_quote(written)}")
        return True
    reason = _why(value if eq else raw, bool(eq), key is not None)
    problem = f"line {n}: cannot read {_quote(stripped)} ({reason})"
    if key and key not in META_KEYS:
        sheet.answers.append(RawAnswer(key=key, labels=[], line=n, notes=[problem],
                                       written=_cut(stripped)))
    else:
        sheet.note(f"{sheet.source}:{n}: cannot read {_quote(stripped)} ({reason})")
        return False
    if first:
        sheet.note(f"{sheet.source}:{n}: this line could not be read ({reason}); every other "
                   "line was read on its own")
    return False


def _bare_letters(value: str) -> list[str] | None:
    """``a``, ``a, c`` or ``[a, c]`` (letters without quotes) as letters, else None."""
    value = value.partition("#")[0].strip()
    if value.startswith("["):
        value = value[1:]
    if value.endswith("]"):
        value = value[:-1]
    tokens = value.replace(",", " ").replace(";", " ").split(None, MAX_LABELS)
    if not tokens or len(tokens) > MAX_LABELS:
        return None
    if all(len(t) <= 2 and t.isascii() and t.isalpha() for t in tokens):
        return tokens
    return None


def _why(value: str, has_eq: bool, has_key: bool) -> str:
    if not has_eq:
        return 'expected a line like q01 = "b"'
    if not has_key:
        return "the part before '=' is not a question name like q01"
    value = value.strip()
    if not value:
        return "no answer after '='"
    code = _CODE.match(value).group()
    if len(code) < len(value) and value[len(code)] in "\"'":
        return "a quote is not closed"
    if code.count("[") != code.count("]"):
        return "the brackets [ ] do not match"
    if code.count("[") > 1:
        return "a list holds letters, not other lists"
    return 'write a letter in quotes like "b", or a list like ["a", "c"]'


def _take(sheet: AnswerSheet, key: str, value, line: int | None) -> None:
    where = f"{sheet.source}:{line}" if line else sheet.source
    if key == "student_id":
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            sheet.student_id = str(value).strip()[:MAX_KEY_CHARS] or None
        else:
            sheet.note(f"{where}: student_id must be a string; ignored")
        return
    if key == "option_order":
        if isinstance(value, str) and value.strip().lower() in ORDERS:
            sheet.option_order = value.strip().lower()
        else:
            sheet.note(f"{where}: option_order must be \"canonical\" or \"shuffled\" "
                       f"(got {_cut(_show(value))}); assuming \"{sheet.option_order}\"")
        return
    answer = RawAnswer(key=key.strip(), labels=[], line=line, written=_cut(_show(value)))
    values = value if isinstance(value, list) else [value]
    for v in values[: MAX_LABELS + 1]:
        if len(answer.labels) > MAX_LABELS:
            break
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            answer.notes.append(f"could not read {_cut(_show(v))}: write a letter like \"b\" "
                                "or a list like [\"a\", \"c\"]")
            continue
        if isinstance(v, int):
            if 1 <= v <= 26:
                letter = chr(ord("a") + v - 1)
                answer.notes.append(f"read {v} as option {letter!r}")
                answer.labels.append(letter)
            else:
                answer.notes.append(f"could not read {_cut(str(v))}: options are letters")
            continue
        for token in v.replace(",", " ").replace(";", " ").split(None, MAX_LABELS):
            token = token.strip("()[].'\"").lower()
            if token:
                if len(token) > MAX_LABEL_CHARS:
                    token = token[: MAX_LABEL_CHARS - 1] + "…"
                answer.labels.append(token)
    if len(answer.labels) > MAX_LABELS or len(values) > MAX_LABELS + 1:
        answer.notes.append(f"more than {MAX_LABELS} letters; only the first {MAX_LABELS} "
                            "were read")
        del answer.labels[MAX_LABELS:]
    answer.notes = list(dict.fromkeys(answer.notes))  # one note per kind of mistake
    deduped = list(dict.fromkeys(answer.labels))
    if len(deduped) != len(answer.labels):
        answer.notes.append("an option was listed more than once; counted once")
        answer.labels = deduped
    sheet.answers.append(answer)


def _show(value) -> str:
    if isinstance(value, str):
        return _toml.dumps_string(value[: MAX_SHOWN + 1])
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value[:MAX_LABELS]) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _cut(text: str, width: int = MAX_SHOWN) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _quote(text: str) -> str:
    """Student text quoted in a message: cut, and with control characters escaped."""
    return repr(_cut(text))


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
