"""Student-controlled text, made safe to show: terminal escapes out, controls visible, HTML and
Markdown escaped.

Every string a results file holds may come from a student (a name, a message their code
raised, what it printed), so every string passes through :func:`clean` before it reaches a
page, then through :func:`h` (HTML) or :func:`md` / :func:`md_code` (Markdown).

``clean`` removes ANSI/VT escape sequences (colours, cursor moves, window titles), keeps the
last state of a line that carriage returns overwrote (progress bars), shows every other
control character as its Unicode "control picture" (U+2400 block) or as ``<U+XXXX>``, shows
bidirectional overrides the same way (they could reorder what a reader sees), replaces lone
surrogates (which JSON can carry but UTF-8 cannot encode) and cuts very long strings.
"""

from __future__ import annotations

import html
import re

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences, 8-bit CSI.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# C0 controls but tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates,
# line/paragraph separators, and lone surrogates.
_VISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
DEFAULT_LIMIT = 20_000


def _show(match: re.Match) -> str:
    c = match.group()
    o = ord(c)
    if o < 0x20:
        return chr(0x2400 + o)  # ␀ .. ␟
    if o == 0x7F:
        return "\u2421"  # ␡
    if 0xD800 <= o <= 0xDFFF:
        return "\ufffd"
    return f"<U+{o:04X}>"


def clean(value, limit: int = DEFAULT_LIMIT, *, terminal: bool = False) -> str:
    """Plain, printable text from anything a results file may hold (None -> "").

    A bare carriage return is shown (␍): in a message it could otherwise hide the grader's
    words before it. With ``terminal`` (a program's printed output, where progress bars
    rewrite their line) a line keeps only what a terminal would show last.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if "\x1b" in text or "\x9b" in text:
        text = _ANSI.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if terminal:
            text = "\n".join(_last_state(line) for line in text.split("\n"))
    text = _VISIBLE.sub(_show, text)
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
    """``clean`` on one line: runs of whitespace (newlines included) become one space."""
    text = " ".join(clean(value, limit=limit * 4).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def h(value, limit: int = DEFAULT_LIMIT, *, terminal: bool = False) -> str:
    """Cleaned and HTML-escaped (quotes too: safe in text and in attribute values)."""
    return html.escape(clean(value, limit, terminal=terminal), quote=True)


def h1(value, limit: int = 300) -> str:
    """``one_line`` and HTML-escaped."""
    return html.escape(one_line(value, limit), quote=True)


# Markdown. CommonMark and GFM are the target; what matters is that nothing a student wrote
# can become HTML, a link, an image or page structure (headings, lists, tables, quotes).
# ``<``, ``>`` and ``&`` become entities (every Markdown dialect passes entities through);
# every other ASCII punctuation character that takes part in Markdown syntax is
# backslash-escaped, which also breaks GFM's bare-URL and e-mail autolinks (``:``, ``.``,
# ``/``); GFM finds e-mail addresses through escapes, so ``@`` is followed by an invisible
# word joiner (U+2060). Text is put on one line, so no student string can start a block.
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_PUNCT = set("\\`*_{}[]()#+-.!|~=:/$^")


def md(value, limit: int = 300) -> str:
    """One line of Markdown inline text that renders literally as ``value``."""
    out = []
    for c in one_line(value, limit):
        if c in _MD_ENTITIES:
            out.append(_MD_ENTITIES[c])
        elif c == "@":  # GFM links e-mail addresses even when escaped; a word joiner stops it
            out.append("\\@\u2060")
        elif c in _MD_PUNCT:
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


def md_code(value, limit: int = DEFAULT_LIMIT, info: str = "text") -> str:
    """A fenced code block holding ``value`` verbatim (after ``clean``), never rendered."""
    text = clean(value, limit).expandtabs(4).rstrip("\n")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def h_bank(value, limit: int = 4000) -> str:
    """Course text (the quiz bank's prompts, options, explanations): escaped like any other
    text, then its `code` spans shown as code."""
    return _CODE_SPAN.sub(r"<code>\1</code>", h(" ".join(clean(value, limit).split())))


def md_bank(value, limit: int = 4000) -> str:
    """Course text for Markdown: escaped, its `code` spans kept as code spans."""
    text = " ".join(clean(value, limit).split())
    out, at = [], 0
    for m in _CODE_SPAN.finditer(text):
        out.append(md(text[at:m.start()], limit) if m.start() > at else "")
        if text[at:m.start()].endswith(" "):
            out.append(" ")
        out.append(f"`{m.group(1)}`")
        at = m.end()
        if text[at:at + 1] == " ":
            out.append(" ")
    out.append(md(text[at:], limit))
    return "".join(out)


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def fmt_points(x) -> str:
    """Points as people write them: 3, 2.5, 1.33 (never 1.3333000001)."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "?"
    if x != x:  # NaN
        return "?"
    r = round(x, 2)
    return f"{r:g}" if abs(r) < 1e6 else f"{r:.3g}"
