"""Make an nbgrader course folder for Module 11 from the course template."""

from __future__ import annotations

import os
import re
from pathlib import Path

from . import ASSIGNMENT, NOTEBOOK_NAME, TEMPLATE_DIR

CONFIG_NAME = "nbgrader_config.py"
EXCHANGE_DIR = "exchange"  # c.Exchange.root in the template: beside nbgrader_config.py
# rwx for all, as nbgrader's release_assignment insists (it chmods the root to 0o777
# otherwise), plus the sticky bit, as on /tmp: a user cannot remove others' files.
EXCHANGE_MODE = 0o1777
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
    """Write ``nbgrader_config.py`` and ``source/module11/rnn.ipynb`` into ``course_dir``,
    and make the course's exchange folder (``exchange/``, :data:`EXCHANGE_MODE`).

    Refuses to overwrite either file unless ``force``; an existing exchange folder
    is left as it is (it may hold releases and submissions). Returns the files written.
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
    make_exchange(course)
    return list(targets)


def make_exchange(course: Path) -> Path:
    """``course/exchange`` with :data:`EXCHANGE_MODE`, unless it exists already."""
    exchange = course / EXCHANGE_DIR
    if exchange.is_symlink() or exchange.exists():
        if not exchange.is_dir():
            raise ScaffoldError(f"{exchange} exists and is not a folder")
        return exchange
    exchange.mkdir()
    os.chmod(exchange, EXCHANGE_MODE)  # mkdir's mode is cut by the umask
    return exchange

