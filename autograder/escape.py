"""Student text made safe for where it is shown: the one rule, for every sink.

Everything a student controls (their folder's name, what their code printed, the messages
their exceptions carry, their quiz answers) may reach four places: a terminal, a CSV file a
spreadsheet opens, an HTML page and a Markdown page. This module is the only place that
decides what is safe there; every other helper calls it (``feedback.text`` and ``lms.text``
re-export it).

The rule, in every sink:

* **Nothing invisible acts or hides.** C0 and C1 control characters (so every ANSI/VT escape
  sequence), DEL, Unicode format characters (bidirectional embeddings, overrides, isolates
  and marks, zero-width spaces, the word joiner, the byte-order mark, tag characters, ...),
  line and paragraph separators are shown, never passed on: a C0 control as its "control
  picture" (``␛``, ``␀``, ``␍``), any other as ``<U+202E>``. Only the zero-width joiner and
  non-joiner are kept (emoji sequences and several scripts need them). Lone surrogates,
  which JSON can carry and UTF-8 cannot, become U+FFFD.
* **Long text is cut**, and says so.
* **Per sink:** a terminal gets the text as above (Rich ``Text``, never markup); a CSV cell
  is one line and, when its first visible character would start a formula (``= + - @``,
  also after spaces), begins with ``'``; HTML is entity-escaped, quotes too; Markdown
  escapes what Markdown would act on (and breaks autolinks), nothing more.

Two shapes of text:

* :func:`clean` / :func:`one_line`: what a program printed or a message it raised.
  Escape *sequences* (colours, cursor moves, window titles) are presentation and are removed
  whole; progress bars that rewrite a line keep their last state (``terminal=True``).
* :func:`label`: a name or identifier. Nothing is removed: an escape sequence is shown
  (``mallory␛[2J``), and so are newlines and tabs, so that two names that look alike differ
  visibly.
"""

from __future__ import annotations

import html
import re

__all__ = ["DEFAULT_LIMIT", "UNSAFE", "clean", "csv_cell", "formula_like", "h", "h1", "label", "md",
           "md_code", "one_line", "plural"]

DEFAULT_LIMIT = 20_000
CSV_LIMIT = 32_000  # a spreadsheet cell holds 32,767 characters

# C0 controls but tab and newline, DEL, C1 controls; every format character (Unicode category
# Cf, as of Unicode 15.1) but U+200C/U+200D; line and paragraph separators (Zl, Zp); lone
# surrogates (Cs). tests/test_escape.py checks the Cf/Zl/Zp part against this Python's
# unicodedata.
_UNSAFE_CLASS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "\ud800-\udfff"
)
UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
_UNSAFE_OR_TAB_NEWLINE = re.compile(f"[{_UNSAFE_CLASS}\t\n]")

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC strings, other two-byte ESC
# sequences, 8-bit CSI.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)


def _show(match: re.Match) -> str:
    o = ord(match.group())
    if o < 0x20:
        return chr(0x2400 + o)  # ␀ .. ␟ (␉ tab, ␊ newline, ␍ carriage return, ␛ escape)
    if o == 0x7F:
        return "\u2421"  # ␡
    if 0xD800 <= o <= 0xDFFF:
        return "\ufffd"
    return f"<U+{o:04X}>"


def _text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def clean(value, limit: int = DEFAULT_LIMIT, *, terminal: bool = False) -> str:
    """Printable text, newlines and tabs kept, from anything a results file may hold (None -> "").

    Escape sequences are removed whole. A bare carriage return is shown (␍): in a message it
    could otherwise hide the grader's words before it. With ``terminal`` (a program's printed
    output, where progress bars rewrite their line) a line keeps only what a terminal would
    show last.
    """
    text = _text(value)
    if "\x1b" in text or "\x9b" in text:
        text = _ANSI.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if terminal:
            text = "\n".join(_last_state(line) for line in text.split("\n"))
    text = UNSAFE.sub(_show, text)
    if len(text) > limit:
        cut = len(text) - limit
        text = text[:limit] + f"\n… ({cut} more characters not shown)"
    return text


def _last_state(line: str) -> str:
    if "\r" not in line:
        return line
    parts = [p for p in line.split("\r") if p]
    return parts[-1] if parts else ""


def one_line(value, limit: int = 300) -> str:
    """:func:`clean` on one line: runs of whitespace (newlines included) become one space."""
    text = " ".join(clean(value, limit=limit * 4).split())
    return _cut(text, limit)


def label(value, limit: int = 200) -> str:
    """A name or identifier on one line with nothing hidden: every control character, escape
    sequence, format character, tab and newline shown (``mallory␛[2J␊fake``), and cut."""
    text = _UNSAFE_OR_TAB_NEWLINE.sub(_show, _text(value)[: limit * 2 + 2])
    return _cut(text, limit)


# --- CSV ------------------------------------------------------------------------------------------

# Spreadsheets (Excel, LibreOffice, Google Sheets) run a cell that starts with one of these as a
# formula, also after leading spaces; the full-width forms are read as formulas by some input
# methods. Tab and carriage return never start a cell: label() shows them.
_FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def formula_like(value) -> bool:
    """Whether a spreadsheet would read this text as a formula (leading whitespace skipped)."""
    return _text(value).lstrip().startswith(_FORMULA_STARTS) or _text(value).startswith(("\t", "\r"))


def csv_cell(value, limit: int = CSV_LIMIT) -> str:
    """A CSV cell's text: :func:`label` (one line, nothing hidden), then a leading ``'`` when a
    spreadsheet would read it as a formula (OWASP's advice). The csv module does the quoting."""
    text = label(value, limit)
    return "'" + text if formula_like(text) else text


# --- HTML -----------------------------------------------------------------------------------------

def h(value, limit: int = DEFAULT_LIMIT, *, terminal: bool = False) -> str:
    """:func:`clean`, HTML-escaped (quotes too: safe in text and in attribute values)."""
    return html.escape(clean(value, limit, terminal=terminal), quote=True)


def h1(value, limit: int = 300) -> str:
    """:func:`one_line`, HTML-escaped."""
    return html.escape(one_line(value, limit), quote=True)


# --- Markdown -------------------------------------------------------------------------------------
# CommonMark and GFM are the target; nothing a student wrote may become HTML, a link, an image,
# emphasis, code, a table cell or page structure. Text is put on one line, so no student string
# can start a block of its own; only what Markdown would act on is escaped:
#   & < >                 entities (raw HTML, autolinks <...>, entity references)
#   \ ` * _ [ ] ~ | $     backslash (escapes, code, emphasis, links and images, strikethrough,
#                         table cells, math); not "_" inside a word, which CommonMark never reads
#                         as emphasis
#   # + - = and "1." "1)" at the very start (headings, lists, setext underlines)
#   the second "/" of "//", ":" after mailto/xmpp, "." after "www" or before a top-level domain:
#                         GFM's and linkify's bare URL and domain autolinks (www.x.y,
#                         http://x, evil.com)
#   "@" in an e-mail address: GFM links e-mail addresses even through escapes; an invisible
#                         word joiner (U+2060) after the "@" stops it
# So "2026-12-06 20:30", "1.5", "torch.zeros(1)" and "a (b)" stay as they are.
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_ALWAYS = frozenset("\\`*_[]~|$")
_MD_BLOCK_START = re.compile(r"#{1,6}(?:\s|$)|[+\-](?:\s|$)|=+\s*$|-+\s*$")
_MD_ORDERED = re.compile(r"\d{1,9}([.)])(?:\s|$)")
_MAIL_SCHEMES = ("mailto", "xmpp")
# what linkify-it (markdown-it's linkify) takes for a top-level domain: two letters, or these
_FUZZY_TLD = re.compile(r"(?:[a-z]{2}|biz|com|edu|gov|net|org|pro|web|xxx|aero|asia|coop|info|museum"
                        r"|name|shop|рф)(?![\w-])", re.IGNORECASE)
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9.+_-]")


def md(value, limit: int = 300) -> str:
    """One line of Markdown inline text that renders literally as ``one_line(value)``."""
    text = one_line(value, limit)
    n = len(text)
    start = _line_start_escapes(text)
    out = []
    for i, c in enumerate(text):
        if i in start:
            out.append("\\")
        if c in _MD_ENTITIES:
            out.append(_MD_ENTITIES[c])
        elif c == "_" and 0 < i < n - 1 and text[i - 1].isalnum() and text[i + 1].isalnum():
            out.append(c)  # inside a word "_" never starts or ends emphasis: hidden_size stays
        elif c in _MD_ALWAYS:
            out.append("\\" + c)
        elif c == ":" and text[:i].lower().endswith(_MAIL_SCHEMES):
            out.append("\\:")
        elif c == "/" and i > 0 and text[i - 1] == "/":
            out.append("\\/")
        elif c == "." and 0 < i < n - 1 and text[i - 1].isalnum() and (
                text[:i].lower().endswith("www") or _FUZZY_TLD.match(text, i + 1)):
            out.append("\\.")
        elif c == "@" and 0 < i < n - 1 and _EMAIL_LOCAL.match(text[i - 1]) and text[i + 1].isalnum():
            out.append("@\u2060")
        else:
            out.append(c)
    return "".join(out)


def _line_start_escapes(text: str) -> set[int]:
    """Positions, at the start of ``text``, of a character that would start a block there."""
    if _MD_BLOCK_START.match(text):
        return {0}
    ordered = _MD_ORDERED.match(text)
    return {ordered.start(1)} if ordered else set()


def md_code(value, limit: int = DEFAULT_LIMIT, info: str = "text") -> str:
    """A fenced code block holding ``value`` verbatim (after :func:`clean`), never rendered."""
    text = clean(value, limit).expandtabs(4).rstrip("\n")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


# --- the words around student text ------------------------------------------------------------

def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 student', '3 students' (``many`` for irregular plurals)."""
    return f"{count} {one if count == 1 else (many or one + 's')}"
