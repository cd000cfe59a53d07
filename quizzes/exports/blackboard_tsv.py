"""Blackboard "Upload Questions" tab-separated text: ``MC`` (single) and ``MA``
(multiple) rows of ``question TAB option TAB correct|incorrect ...``.

The format has no field for option feedback or explanations: use the
``blackboard`` (QTI 2.1) export to keep them. Tabs and newlines in the text are
replaced by spaces.
"""

from __future__ import annotations

from ._package import unwrap


def _cell(text: str) -> str:
    return unwrap(text.replace("\t", " "))


def export(bank) -> bytes:
    rows = []
    for q in bank.questions:
        cells = ["MC" if q.type == "single" else "MA", _cell(q.prompt)]
        for o in q.options:
            cells += [_cell(o.text), "correct" if o.correct else "incorrect"]
        rows.append("\t".join(cells))
    return ("\n".join(rows) + "\n").encode("utf-8")
