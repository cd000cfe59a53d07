"""Exports of the bank for learning-management systems, one module per format.

Each exporter is ``export(bank) -> bytes``; the bytes are the same on every run.
"""

from __future__ import annotations

from importlib import import_module

# format name -> (module, default output path, what it is)
FORMATS = {
    "canvas": ("canvas_qti", "out/quiz-canvas-qti.zip", "Canvas: QTI 1.2 zip (Import content)"),
    "moodle-xml": ("moodle_xml", "out/quiz-moodle.xml", "Moodle XML (Question bank > Import)"),
    "gift": ("gift", "out/quiz-moodle.gift", "Moodle GIFT text (Question bank > Import)"),
    "olx": ("olx", "out/quiz-edx-olx.tar.gz", "Open edX OLX course archive (Studio > Import)"),
    "blackboard": ("blackboard_qti", "out/quiz-blackboard-qti21.zip",
                   "Blackboard: QTI 2.1 zip (Question pools > Import)"),
    "blackboard-tsv": ("blackboard_tsv", "out/quiz-blackboard.txt",
                       "Blackboard tab-separated upload (Upload questions; no feedback)"),
}


def export(fmt: str, bank) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    module = import_module(f"{__name__}.{FORMATS[fmt][0]}")
    return module.export(bank)
