"""The zip, unpacked as Gradescope does, installs with setup.sh and grades with run_autograder.

setup.sh runs for real against this machine's package index, in a virtual
environment made with --system-site-packages so that the installed
torch==2.13.0 satisfies it; TORCH_PIP_ARGS (the documented switch) replaces
the CPU index, which CI cannot reach.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from autograder.gradescope import bundle
from autograder.paths import PROJECT_ROOT

from .conftest import unpack_like_gradescope

SANDBOX_FLAG = "--sandbox full,container"


def _run(args, env, cwd=None, timeout=600):
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_zip_installs_and_grades_a_submission_like_gradescope(tmp_path):
    zip_path = tmp_path / "autograder.zip"
    bundle.build(zip_path)  # with its default TORCH_PIP_ARGS: the CPU index
    root = unpack_like_gradescope(zip_path, tmp_path / "autograder")
    shutil.copy(PROJECT_ROOT / "solutions" / "rnn.py", root / "submission" / "rnn.py")

    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                env=dict(os.environ)).returncode == 0
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{venv / 'bin'}:{env['PATH']}", AUTOGRADER_ROOT=str(root),
               TORCH_PIP_ARGS="torch==2.13.0", PYTHONDONTWRITEBYTECODE="1")
    setup = _run(["bash", str(root / "source" / "setup.sh")], env=env, cwd=root)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert "setup.sh: torch 2.13.0" in setup.stdout and "CPU-only" in setup.stdout

    grade_help = _run(["python3", "-m", "autograder", "grade", "--help"], env=env, cwd=root / "source")
    has_sandbox_option = "--sandbox" in grade_help.stdout
    graded = _run([str(root / "run_autograder")], env=env, cwd=root, timeout=900)
    results = root / "results" / "results.json"
    if not has_sandbox_option:
        # grade --sandbox is being added by another change; until it lands the script must fail
        # on that option alone. Prove the rest of the layout with the flag taken out, then xfail.
        assert graded.returncode != 0 and "--sandbox" in graded.stderr, graded.stderr
        runner = (root / "run_autograder").read_text()
        assert SANDBOX_FLAG in runner
        (root / "run_without_sandbox").write_text(runner.replace(f" {SANDBOX_FLAG}", ""))
        graded = _run(["bash", str(root / "run_without_sandbox")], env=env, cwd=root, timeout=900)
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    data = json.loads(results.read_text())
    maximum = data["extra_data"].get("max_score") or sum(t["max_score"] for t in data["tests"])
    assert data["tests"] and data["score"] == pytest.approx(maximum), data["output"][:2000]
    if not has_sandbox_option:
        pytest.xfail("`grade --sandbox` is not in this tree yet: run_autograder passes it, so the "
                     "unmodified script fails on it; graded fine without the flag")
