"""Make an nbgrader course folder for Module 11 from the course template."""

from __future__ import annotations

import re
from pathlib import Path

from . import ASSIGNMENT, NOTEBOOK_NAME, TEMPLATE_DIR

CONFIG_NAME = "nbgrader_config.py"
COURSE_ID_LINE = re.compile(r'^c\.CourseDirectory\.course_id = ".*"$', re.M)


class ScaffoldError(Exception):
    """The course folder cannot be made as asked; the message says why."""


def config_text(course_id: str | None = None) -> str:
    """The template's ``nbgrader_config.py``, with ``course_id`` if given."""
    text = (TEMPLATE_DIR / CONFIG_NAME).read_text(encoding="utf-8")
    if course_id:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", course_id):
            raise ScaffoldError(f"course id {course_id!r}: use letters, digits, '.', '_', '-'")
        text = COURSE_ID_LINE.sub(f'c.CourseDirectory.course_id = "{course_id}"', text)
    return text


def init_course(course_dir: str | Path, *, course_id: str | None = None,
                force: bool = False) -> list[Path]:
    """Write ``nbgrader_config.py`` and ``source/module11/rnn.ipynb`` into ``course_dir``.

    Refuses to overwrite either file unless ``force``. Returns the files written.
    """
    course = Path(course_dir)
    notebook = TEMPLATE_DIR / "source" / ASSIGNMENT / NOTEBOOK_NAME
    if not notebook.is_file():
        raise ScaffoldError(f"{notebook} is missing: run `python -m autograder build` first")
    targets = {
        course / CONFIG_NAME: config_text(course_id),
        course / "source" / ASSIGNMENT / NOTEBOOK_NAME: notebook.read_text(encoding="utf-8"),
    }
    existing = [str(path) for path in targets if path.exists()]
    if existing and not force:
        raise ScaffoldError(f"would overwrite {', '.join(existing)} (use --force)")
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(targets)

