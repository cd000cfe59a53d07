"""The code base stays lint-clean (ruff, a test extra, configured in pyproject.toml)."""

import sys

from tests.conftest import run


def test_ruff_finds_nothing():
    proc = run([sys.executable, "-m", "ruff", "check", "."])
    assert proc.returncode == 0, proc.stdout + proc.stderr
