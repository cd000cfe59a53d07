"""TOML reading for Python 3.10-3.13: stdlib ``tomllib`` or the ``tomli`` backport."""

from __future__ import annotations

import re
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

TOMLDecodeError = tomllib.TOMLDecodeError
loads = tomllib.loads

_AT_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


def error_line(exc: Exception) -> int | None:
    """Line number of a TOML decode error (1-based), or None if it names none."""
    lineno = getattr(exc, "lineno", None)  # tomllib >= 3.14 / tomli >= 2.1 carry it
    if isinstance(lineno, int) and lineno > 0:
        return lineno
    match = _AT_LINE.search(str(exc))
    return int(match.group(1)) if match else None


def error_message(exc: Exception) -> str:
    """The decode error's message without the '(at line ..)' suffix."""
    msg = getattr(exc, "msg", None) or str(exc)
    return _AT_LINE.sub("", msg).strip()


def dumps_string(value: str) -> str:
    """A TOML basic string literal for ``value``."""
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
