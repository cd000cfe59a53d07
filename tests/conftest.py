"""Shared fixtures for the project's own tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """Run a command from the project root and capture its text output."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **kwargs.pop("env", {})}
    return subprocess.run(
        args, cwd=kwargs.pop("cwd", ROOT), env=env, capture_output=True, text=True,
        timeout=timeout, **kwargs,
    )


@pytest.fixture(scope="session")
def python() -> str:
    return sys.executable


@pytest.fixture(scope="session", autouse=True)
def _results_key(tmp_path_factory):
    """The tests' own results key (autograder.seal), never the user's: grade-all run by a test
    (in this process or a child) seals with it, and the exports check it."""
    from autograder import seal

    folder = tmp_path_factory.mktemp("state") / "rnn-autograder"
    previous = os.environ.get(seal.STATE_ENV)
    os.environ[seal.STATE_ENV] = str(folder)
    yield seal.load_key(create=True)
    if previous is None:
        os.environ.pop(seal.STATE_ENV, None)
    else:
        os.environ[seal.STATE_ENV] = previous


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Tests, like the graders, compute with one thread (2 on a shared 2-core box can take 150x)."""
    import torch

    torch.set_num_threads(1)
