"""CSV files an LMS imports and a spreadsheet opens safely.

A cell whose text begins with ``= + - @`` (also after spaces) is read as a
formula by Excel, LibreOffice and Google Sheets: a student named
``=HYPERLINK("http://x","y")`` would become a live link in the instructor's
gradebook. :func:`cell` applies the project's one rule for student text
(:func:`autograder.escape.csv_cell`: one line, nothing invisible, ``'`` before a
formula). Numbers this project formats itself go through :func:`number` and are
never prefixed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..escape import csv_cell, formula_like
from . import atomic


class Number(str):
    """A cell this project formatted from a number: written as is."""


def cell(value: object) -> str:
    """Text for a CSV cell, neutralised when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    if isinstance(value, Number):
        return str(value)
    return csv_cell(value)


def needs_neutralising(value: str) -> bool:
    return formula_like(value)


def number(value: float | None) -> Number:
    """Points as LMS importers read them: '12.5', '3', never '1e+02'; '' for None."""
    if value is None:
        return Number("")
    text = f"{round(float(value), 2):.2f}".rstrip("0").rstrip(".")
    return Number("0" if text in {"", "-0"} else text)


def render(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """The CSV text: every cell through :func:`cell`, CRLF line ends as RFC 4180 has them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell(v) for v in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return buffer.getvalue()


BOM = "\ufeff"
BOM_BY_DEFAULT = {"canvas": False, "moodle": True, "csv": True}  # where the target reads one


def write(path: Path, header: Sequence[object], rows: Iterable[Sequence[object]], bom: bool = False) -> None:
    """Write the CSV atomically, UTF-8; with ``bom``, a byte-order mark first, without which Excel
    reads the file in the machine's code page ('Seán' shows as 'SeÃ¡n')."""
    atomic.write_text(Path(path), (BOM if bom else "") + render(header, rows))


def read_rows(path: Path) -> list[list[str]]:
    """All rows of a CSV file an LMS exported (UTF-8, with or without a byte-order mark).

    Raises ``OSError``, ``UnicodeDecodeError`` or ``csv.Error``; callers name the file.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))
