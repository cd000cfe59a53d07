"""Student text made safe for where it is shown: a terminal, a CSV cell.

(HTML is escaped by the feedback pages with ``html.escape``.) Everything a
student controls (their folder's name, what their code printed, the messages
their exceptions carry) passes through here before it reaches those places.
"""

from __future__ import annotations

import re

# C0 and C1 control characters (ANSI escape sequences start with one) except tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def terminal(text: str) -> str:
    """No control characters (so no escape sequences): each shows as '?'. Linear time."""
    return _CONTROL.sub("?", str(text))


def one_line(text: str, limit: int = 300) -> str:
    flat = terminal(text).replace("\n", " ").replace("\t", " ")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def csv_cell(value) -> str:
    """A CSV cell that spreadsheets never read as a formula (OWASP: prefix a quote)."""
    text = terminal(value).replace("\n", " ")
    return "'" + text if text.startswith(_FORMULA_START) else text
