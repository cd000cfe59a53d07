"""The zip, unpacked as Gradescope does, installs with setup.sh and grades with run_autograder.

setup.sh runs for real against this machine's package index, in a virtual
environment made with --system-site-packages so that the installed
torch==2.13.0 satisfies it; TORCH_PIP_ARGS (the documented switch) replaces
the CPU index, which CI cannot reach, and the zip's constraints.txt pins that
torch (the CPU wheel on this machine's disk) instead of the newest, a 3 GB CUDA
build here. run_autograder runs unmodified, with its --sandbox full,container.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.gradescope import bundle
from autograder.paths import PROJECT_ROOT

from .conftest import unpack_like_gradescope


def _run(args, env, cwd=None, timeout=600):
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def venv():
    """A virtual environment outside /tmp: in full mode the sandbox gives student code a fresh
    tmpfs at /tmp, which hides a Python installed there (Gradescope's lives in /usr)."""
    folder = Path(tempfile.mkdtemp(prefix="rnn-gradescope-venv-", dir="/var/tmp"))
    folder.chmod(0o755)  # readable by the sandbox user, like /usr on Gradescope
    try:
        made = _run([sys.executable, "-m", "venv", "--system-site-packages", str(folder)], env=dict(os.environ))
        assert made.returncode == 0, made.stderr
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_zip_installs_and_grades_a_submission_like_gradescope(tmp_path, venv):
    zip_path = tmp_path / "autograder.zip"
    bundle.build(zip_path)  # with its default TORCH_PIP_ARGS: the CPU index
    root = unpack_like_gradescope(zip_path, tmp_path / "autograder")
    constraints = root / "source" / "constraints.txt"
    pinned = re.sub(r"^torch==\S+", "torch==2.13.0", constraints.read_text(), flags=re.M)
    assert pinned.count("torch==2.13.0") >= 1 and pinned != constraints.read_text()
    constraints.write_text(pinned)
    shutil.copy(PROJECT_ROOT / "solutions" / "rnn.py", root / "submission" / "rnn.py")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{venv / 'bin'}:{env['PATH']}", AUTOGRADER_ROOT=str(root),
               TORCH_PIP_ARGS="torch", PYTHONDONTWRITEBYTECODE="1")
    setup = _run(["bash", str(root / "source" / "setup.sh")], env=env, cwd=root)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert "setup.sh: torch 2.13.0" in setup.stdout and "CPU-only" in setup.stdout

    graded = _run([str(root / "run_autograder")], env=env, cwd=root, timeout=900)
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["tests"] and data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    # the reference solution passes every check; it carries no quiz answers
    missed = [t["name"] for t in data["tests"] if t["status"] != "passed" and "quiz" not in t["tags"]]
    assert missed == [], data["output"][:2000]
    assert data["extra_data"]["isolation"]["mode"] in ("full", "container")
