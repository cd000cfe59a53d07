"""Each sandbox mode, on an operating system that lacks what it needs, refuses to run student code.

The conditions are simulated for the grader alone: CAP_SYS_ADMIN dropped (as in a Docker
container), the cgroup hierarchy read-only, Landlock's system calls refused, Python closed to
the sandbox user (the case on this machine: pyenv lives in /root). In each, a submission that
would leave a canary behind if it ever ran is graded, and the canary must not appear.
A Gradescope-like container (no CAP_SYS_ADMIN, Python readable by others, the grader's files
closed to them) runs ``container`` mode, whose measures are then checked from the inside.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.grader.common import SOLUTION
from tests.sandbox_env import LANDLOCK_OFF, in_container, python

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="simulating an OS needs root")]

CANARY_CODE = "import os\nopen(os.environ.get('HOME', '/tmp') + '/../../../../{canary}', 'w').close()\n" \
              "open('{canary}', 'w').close()\n"


def _canary_submission(tmp_path: Path) -> tuple[Path, Path]:
    canary = tmp_path / "canary"
    submission = tmp_path / "rnn.py"
    submission.write_text(CANARY_CODE.format(canary=canary) + SOLUTION, encoding="utf-8")
    os.chmod(tmp_path, 0o777)
    return submission, canary


def _shell(script: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _grade(submission: Path, *options: str) -> str:
    return " ".join(shlex.quote(a) for a in [sys.executable, "-m", "autograder", "grade", str(submission),
                                             "--no-quiz", *options])


def test_full_mode_refuses_without_namespaces(tmp_path):
    submission, canary = _canary_submission(tmp_path)
    proc = _shell(f"cd {ROOT} && capsh --drop=cap_sys_admin -- -c {shlex.quote(_grade(submission))}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "full:" in proc.stderr and "pid namespace" in proc.stderr, proc.stderr
    assert "Nothing was run" in proc.stderr
    assert not canary.exists()


def test_full_mode_refuses_when_the_cgroup_is_not_writable(tmp_path):
    submission, canary = _canary_submission(tmp_path)
    readonly = " && ".join(f"mount --bind /sys/fs/cgroup/{c} /sys/fs/cgroup/{c} && "
                           f"mount -o remount,bind,ro /sys/fs/cgroup/{c}" for c in ("memory", "pids"))
    proc = _shell(f"cd {ROOT} && unshare --mount bash -c {shlex.quote(readonly + ' && ' + _grade(submission))}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cgroup" in proc.stderr and "not writable" in proc.stderr, proc.stderr
    assert not canary.exists()


def test_full_mode_refuses_without_landlock(tmp_path):
    submission, canary = _canary_submission(tmp_path)
    launcher = tmp_path / "no_landlock.py"
    launcher.write_text(LANDLOCK_OFF)
    command = _grade(submission).replace(sys.executable, f"{sys.executable} {launcher}", 1)
    proc = _shell(f"cd {ROOT} && {command}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "landlock" in proc.stderr.lower(), proc.stderr
    assert not canary.exists()


def test_container_mode_refuses_when_python_is_closed_to_the_sandbox_user(tmp_path):
    if os.stat("/root").st_mode & 0o001:
        pytest.skip("Python is open to other users on this machine")
    submission, canary = _canary_submission(tmp_path)
    proc = _shell(f"cd {ROOT} && {_grade(submission, '--sandbox', 'container')}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Python's own files are not readable by the sandbox user" in proc.stderr
    assert "install Python where other users can read it" in proc.stderr
    assert not canary.exists()


def test_verification_refuses_a_process_that_is_not_confined(tmp_path):
    """The worker's own check, run in a root process with every capability: nothing verifies."""
    code = ("from autograder.sandbox.confine import Spawn, verify, Refused\n"
            "from autograder.sandbox.modes import WorkerConfig\n"
            "try:\n    verify(Spawn(WorkerConfig('full', 2000000000, hidden=['/root']), python_roots=[]))\n"
            "except Refused as exc:\n    print(sorted(exc.missing))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    missing = eval(proc.stdout.strip())  # noqa: S307 - our own printed list
    for measure in ("unprivileged uid", "no capabilities", "no_new_privs", "seccomp filter", "pid namespace",
                    "landlock"):
        assert measure in missing, missing




@pytest.fixture(scope="module")
def container(tmp_path_factory):
    """A Gradescope-like container: no CAP_SYS_ADMIN, Python open to others, the grader's files closed."""
    base = tmp_path_factory.mktemp("container")
    os.chmod(base, 0o755)
    cases = base / "cases"
    cases.mkdir()
    attacks = ROOT / "tests" / "corpus" / "attacks"
    (cases / "reference.py").write_text(SOLUTION)
    for name in ("read_reference", "privileged_actions", "network", "fork_chain", "inherited_fds"):
        text = (attacks / f"{name}.py").read_text().replace("@@ROOT@@", str(ROOT)).replace(
            "@@MARKER@@", "ctnrmark").replace("@@PORT@@", "9").replace("@@ROOT_CANARY@@", "/etc/hostname") \
            .replace("@@SECRET@@", "no-secret").replace("@@CANARY@@", str(base / f"canary-{name}"))
        (cases / f"{name}.py").write_text(SOLUTION + "\n\n" + text)
    os.chmod(cases, 0o777)
    out = base / "out"
    command = [sys.executable, "-m", "autograder", "grade-all", str(cases), "--out", str(out), "--no-quiz",
               "--sandbox", "full,container", "--total-timeout", "120"]
    # The project is seen only at $T/priv/main (closed to others); its own path shows an empty folder.
    proc = subprocess.run(in_container(command, base), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    return base, proc, results


def test_container_mode_grades_with_every_measure_verified(container):
    _, proc, results = container
    isolation = results["reference"]["extra_data"]["isolation"]
    assert isolation["mode"] == "container", isolation
    for measure in ("unprivileged uid", "no capabilities", "no_new_privs",
                    "grader files hidden (tried as each sandbox user)", "no inherited file descriptors",
                    "minimal environment", "rlimits"):
        assert measure in isolation["measures"], (measure, isolation)
    assert any(m.startswith("seccomp") for m in isolation["measures"]), isolation
    assert any("full" in reason and "pid namespace" in reason for reason in isolation.get("passed_over", [])), \
        isolation
    assert results["reference"]["score"] == 120


def test_container_mode_holds_against_attacks(container):
    base, _, results = container
    assert "READ-" not in results["read_reference"]["output"]
    assert "PRIVILEGED" not in results["privileged_actions"]["output"]
    assert "CONNECTED" not in results["network"]["output"]
    assert "SECRET-LEAKED" not in results["inherited_fds"]["output"]
    assert not list(base.glob("canary-*"))
    for name in ("read_reference", "privileged_actions", "network", "fork_chain", "inherited_fds"):
        assert results[name]["score"] == 120, (name, results[name]["output"][-1500:])


def test_container_mode_kills_every_process_of_its_user(container):
    from tests.grader.common import processes_of_uid_range, processes_with

    assert processes_with("ctnrmark") == []
    assert processes_of_uid_range(2_000_000_000, 2_000_000_256) == []
    assert container[2]["fork_chain"]["extra_data"]["processes_killed"] >= 1


def test_unconfined_runs_only_when_asked_and_says_so(tmp_path):
    submission = tmp_path / "rnn.py"
    submission.write_text(SOLUTION)
    results = tmp_path / "results.json"
    proc = _shell(f"cd {ROOT} && {_grade(submission, '--unconfined', '--results', str(results))}")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(results.read_text())
    assert data["extra_data"]["isolation"]["mode"] == "unconfined"
    assert data["output"].startswith("UNCONFINED")
    assert "UNCONFINED" in proc.stdout


def test_container_mode_refuses_when_the_graders_folders_are_open_to_others(tmp_path):
    """Without Landlock, only permissions close the cohort to the sandbox users: tried as each of
    them (by the judge, so that no worker is told where the cohort is), and refused when open."""
    base = tmp_path / "box"
    base.mkdir(mode=0o700)
    cohort = tmp_path / "open-cohort"  # under pytest's 0700 folder: open it up on the way down
    cohort.mkdir(mode=0o755)
    submission, canary = _canary_submission(cohort)
    os.chmod(tmp_path, 0o755)
    os.chmod(tmp_path.parent, 0o755)
    os.chmod(tmp_path.parent.parent, 0o755)
    command = [*python(base, landlock=False), "-m", "autograder", "grade-all", str(cohort), "--out",
               str(base / "out"), "--no-quiz", "--sandbox", "container", "--skip-selftest"]
    try:
        proc = subprocess.run(in_container(command, base), capture_output=True, text=True, timeout=600)
    finally:
        os.chmod(tmp_path.parent.parent, 0o700)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"readable by student code: {cohort}" in proc.stderr, proc.stderr
    assert "make the grader's folders unreadable to other users" in proc.stderr
    assert not canary.exists()
