"""Student text on a terminal: control characters shown, never obeyed."""

from __future__ import annotations

import unicodedata


def shown(value: object) -> str:
    """``value`` as one terminal-safe line: escape sequences, newlines and other
    control characters appear as ``\\x1b``, ``\\n`` ... instead of acting."""
    text = str(value)
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 student', '3 students'."""
    return f"{count} {one if count == 1 else (many or one + 's')}"
