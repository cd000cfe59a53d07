"""Moodle GIFT text. GIFT has no points field: set each question's default mark in
Moodle after import (Moodle XML carries the points). Special characters
``~ = # { } :`` and backslash are escaped with a backslash."""

from __future__ import annotations

import re

from ._package import unwrap
from .moodle_xml import CATEGORY, fraction_text

_SPECIAL = "\\~=#{}:"


def escape(text: str) -> str:
    out = "".join("\\" + ch if ch in _SPECIAL else ch for ch in unwrap(text))
    return out


def unescape(text: str) -> str:
    """Inverse of :func:`escape` (for checks)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _SPECIAL:
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def export(bank) -> bytes:
    # GIFT category names: letters, digits and '_' keep old parsers happy
    category = "$course$/top/" + re.sub(r"\W+", "_", CATEGORY.split("/")[-1]).strip("_")
    lines = [f"// {bank.title}", f"// exported from the quiz bank; {len(bank.questions)} "
             "questions. GIFT has no points: set marks in Moodle.", "",
             f"$CATEGORY: {category}", ""]
    for q in bank.questions:
        lines.append(f"// {q.id}: {q.type} answer, {q.points:g} point(s)")
        lines.append(f"::{escape(q.id)}::[plain]{escape(q.prompt)} {{")
        for o in q.options:
            if q.type == "single":
                mark = "=" if o.correct else "~"
            else:
                mark = f"~%{fraction_text(o.fraction)}%"
            lines.append(f"\t{mark}{escape(o.text)}#{escape(o.feedback)}")
        lines.append(f"\t####{escape(q.explanation)}")
        lines.append("}")
        lines.append("")
    return "\n".join(lines).encode("utf-8")
