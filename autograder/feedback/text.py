"""Text on the feedback pages: the project's one rule for student text (:mod:`autograder.escape`,
re-exported here for the page modules), course text with its `code` spans, and points.

Every string a results file holds may come from a student (a name, a message their code
raised, what it printed), so every string passes through :func:`clean` before it reaches a
page, then through :func:`h` (HTML) or :func:`md` / :func:`md_code` (Markdown).
"""

from __future__ import annotations

import re

from ..escape import DEFAULT_LIMIT, clean, h, h1, md, md_code, one_line, plural

__all__ = ["DEFAULT_LIMIT", "clean", "fmt_points", "h", "h1", "h_bank", "md", "md_bank", "md_code",
           "one_line", "plural"]

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


def fmt_points(x) -> str:
    """Points as people write them: 3, 2.5, 1.33 (never 1.3333000001)."""
    try:
        x = float(x)
    except (TypeError, ValueError, OverflowError):
        return "?"
    if x != x:  # NaN
        return "?"
    r = round(x, 2)
    return f"{r:g}" if abs(r) < 1e6 else f"{r:.3g}"
