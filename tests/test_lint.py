"""The code base stays lint-clean (ruff, a test extra, configured in pyproject.toml)."""

import sys

import pytest

from tests.conftest import run

pytestmark = pytest.mark.slow  # ruff runs in a subprocess


def test_ruff_finds_nothing():
    proc = run([sys.executable, "-m", "ruff", "check", "."])
    assert proc.returncode == 0, proc.stdout + proc.stderr
