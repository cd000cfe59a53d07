from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from autograder.cli import main

from .cohort import CANVAS_ROSTER, ID_MAP, MOODLE_ROSTER, write_cohort


class Ran:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys):
    """Run ``python -m autograder ARGS`` in this process; (exit status, stdout, stderr)."""

    def run(*args: str) -> Ran:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


@pytest.fixture
def results(tmp_path) -> Path:
    return write_cohort(tmp_path / "results")


@pytest.fixture
def canvas_roster(tmp_path) -> Path:
    path = tmp_path / "canvas_export.csv"
    path.write_text(CANVAS_ROSTER, encoding="utf-8")
    return path


@pytest.fixture
def moodle_roster(tmp_path) -> Path:
    path = tmp_path / "moodle_participants.csv"
    path.write_text(MOODLE_ROSTER, encoding="utf-8")
    return path


@pytest.fixture
def id_map(tmp_path) -> Path:
    path = tmp_path / "id_map.csv"
    path.write_text(ID_MAP, encoding="utf-8")
    return path


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
