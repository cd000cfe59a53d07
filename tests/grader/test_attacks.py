"""Adversarial submissions, one per class the security review found: no unearned points, nothing
read, written or started outside the sandbox, nothing left behind, and always a results file.

The attack snippets live in ``tests/corpus/attacks``; each is appended to a base (the exercise
stubs, which earn nothing, or the reference solution, which earns everything), so the points an
attack may keep are exactly those of its honest part. The grader runs as it does for a real
cohort: as root, from a working folder holding a secret, with a secret in its environment and
an open file descriptor on a root-only secret file, beside a TCP port and a UNIX socket.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from autograder.judge.catalogue import SELF_REPORTED
from tests.grader.common import (
    CORPUS,
    IDS,
    ROOT,
    SOLUTION,
    STUBS,
    TOTAL,
    assert_valid_results,
    by_check,
    load_results,
    passed,
    processes_of_uid_range,
    processes_with,
)

pytestmark = pytest.mark.slow  # every test here grades in the sandbox or runs a subprocess

ALL = set(IDS)
FORWARD_LOST = ALL - {"forward.shapes", "forward.matches_reference", "forward.last_time_step",
                      "forward.batch_independence", "device.forward_meta"}
STEP_LOST = ALL - {c for c in ALL if c.startswith("training_step.")}
LIMITS = ["--import-timeout", "10", "--check-timeout", "10", "--total-timeout", "120", "--memory-mb", "512"]
SANDBOX_UIDS = (2_000_000_000, 2_000_000_256)
SECRET = "s3cret-" + uuid.uuid4().hex[:12]

# attack: (base, points it may keep: a set of check ids; None when only "no unearned points" is checked)
ATTACKS: dict[str, tuple[str, set[str] | None]] = {
    "exit_at_import": (STUBS, set()),
    "os_exit_at_import": (STUBS, set()),
    "raise_at_import": (STUBS, set()),
    "fake_score_output": (STUBS, set()),
    "write_results_files": (STUBS, set()),
    "patch_torch": (STUBS, set()),
    "patch_pytest": (STUBS, set()),
    "patch_builtins": (STUBS, set()),
    "fake_loss_curve": (STUBS, set()),
    "forge_protocol": (STUBS, set()),
    "dig_known_models": (STUBS, set()),
    "huge_structure": (STUBS, set()),
    "read_reference": (STUBS, set()),
    "read_suites": (STUBS, set()),
    "zero_forward": (STUBS, set()),
    "lying_tensor": (STUBS, set()),
    "loop_at_import": (SOLUTION, set()),
    "memory_hog_import": (SOLUTION, set()),
    "malformed_first_frame": (SOLUTION, set()),
    "loop_in_forward": (SOLUTION, FORWARD_LOST),
    "memory_hog_forward": (SOLUTION, FORWARD_LOST),
    "markup_output": (SOLUTION, FORWARD_LOST),
    "respawn_plant": (SOLUTION, STEP_LOST),
    "memory_hog_caught": (SOLUTION, ALL),
    "orphan_double_fork": (SOLUTION, ALL),
    "orphan_popen": (SOLUTION, ALL),
    "orphan_hopping": (SOLUTION, ALL),
    "fork_chain": (SOLUTION, ALL),
    "pickle_payload": (SOLUTION, ALL),
    "zero_targets_dataset": (SOLUTION, ALL),
    "output_flood": (SOLUTION, ALL),
    "huge_file": (SOLUTION, ALL),
    "fill_scratch": (SOLUTION, ALL),
    "network": (SOLUTION, ALL),
    "unix_socket": (SOLUTION, ALL),
    "read_environment": (SOLUTION, ALL),
    "inherited_fds": (SOLUTION, ALL),
    "grader_cwd": (SOLUTION, ALL),
    "memory_scan": (SOLUTION, ALL),
    "privileged_actions": (SOLUTION, ALL),
    "memory_children": (SOLUTION, None),  # the memory cap may kill the worker itself
}
IMPORT_FAILURES = {"exit_at_import": "exit", "raise_at_import": "ValueError", "loop_at_import": "Timeout",
                   "memory_hog_import": "MemoryError", "os_exit_at_import": "ended"}


class Arena:
    """Canaries, secrets and listeners shared by one attack run."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="rnn-attacks-", dir="/var/tmp"))
        os.chmod(self.base, 0o755)
        self.marker = "ak" + uuid.uuid4().hex[:8]
        self.canaries = self.base / "canaries"
        self.cwd = self.base / "cwd"
        self.cohort = self.base / f"cohort-{self.marker}"
        self.out = self.base / "out"
        for folder in (self.canaries, self.cwd, self.cohort):
            folder.mkdir()
            os.chmod(folder, 0o777)  # writable by anyone: only the sandbox may stop a payload
        (self.cwd / "secret.txt").write_text(SECRET)
        os.chmod(self.cwd / "secret.txt", 0o644)
        self.root_canary = self.base / "root-canary"
        self.root_canary.write_text("root only")
        os.chmod(self.root_canary, 0o600)
        self.secret_file = self.base / "secret-file"
        self.secret_file.write_text(SECRET)
        os.chmod(self.secret_file, 0o600)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.socket_path = self.base / "host.sock"
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind(str(self.socket_path))
        os.chmod(self.socket_path, 0o777)
        self.unix.listen(8)
        self.unix.setblocking(False)
        self.classmate = f"classmate-{self.marker}"

    def fill(self, name: str, text: str, results: Path | None = None) -> str:
        values = {"@@CANARY@@": str(self.canaries / name), "@@MARKER@@": f"{self.marker}{name[:4]}",
                  "@@PORT@@": str(self.port), "@@ROOT@@": str(ROOT), "@@SOCKET@@": str(self.socket_path),
                  "@@RESULTS@@": str(results or self.out / "unused.json"), "@@CWD@@": str(self.cwd),
                  "@@OUT@@": str(self.out), "@@SECRET@@": SECRET, "@@ROOT_CANARY@@": str(self.root_canary),
                  "@@CLASSMATE_A@@": self.classmate[:10], "@@CLASSMATE_B@@": self.classmate[10:],
                  "@@COHORT_A@@": self.cohort.name[:8], "@@COHORT_B@@": self.cohort.name[8:]}
        for key, value in values.items():
            text = text.replace(key, value)
        return text

    def attack(self, name: str, base: str, results: Path | None = None) -> str:
        snippet = (CORPUS / "attacks" / f"{name}.py").read_text(encoding="utf-8")
        return base.rstrip() + "\n\n\n# --- attack ---\n" + self.fill(name, snippet, results) + "\n"

    def grade(self, command: str, *args: str, timeout: float = 1200) -> subprocess.CompletedProcess:
        """Run the grader as a real cohort run would: secrets in its environment, cwd and fds."""
        fd = os.open(self.secret_file, os.O_RDWR)
        try:
            env = {**os.environ, "RNN_TEST_SECRET": SECRET, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
            return subprocess.run([sys.executable, "-m", "autograder", command, *args], cwd=self.cwd, env=env,
                                  capture_output=True, text=True, timeout=timeout, pass_fds=[fd])
        finally:
            os.close(fd)

    def accepted(self, listener) -> int:
        count = 0
        while True:
            try:
                conn, _ = listener.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def close(self) -> None:
        self.listener.close()
        self.unix.close()
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def arena():
    arena = Arena()
    yield arena
    arena.close()


@pytest.fixture(scope="module")
def graded(arena):
    for name, (base, _) in ATTACKS.items():
        (arena.cohort / f"{name}.py").write_text(arena.attack(name, base), encoding="utf-8")
    (arena.cohort / "reference.py").write_text(SOLUTION, encoding="utf-8")  # graded after the attacks
    classmate = arena.cohort / arena.classmate
    classmate.mkdir()
    (classmate / "rnn.py").write_text(SOLUTION, encoding="utf-8")
    free_before = shutil.disk_usage("/tmp").free
    # Two slots at once: nothing one student does may reach the other slot's student.
    proc = arena.grade("grade-all", str(arena.cohort), "--out", str(arena.out), "--no-quiz", "--jobs", "2", *LIMITS)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    time.sleep(1.0)  # let any survivor show itself
    results = load_results(arena.out)
    results["__free_before__"] = free_before
    return results


def test_every_attack_was_graded(graded, arena):
    assert set(graded) - {"__free_before__"} == {*ATTACKS, "reference", arena.classmate}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_earns_only_its_honest_points(graded, name):
    results = graded[name]
    assert_valid_results(results)
    allowed = ATTACKS[name][1]
    got = passed(results)
    if allowed is None:
        allowed = ALL if ATTACKS[name][0] is SOLUTION else set(SELF_REPORTED)
    assert got <= allowed, f"unearned: {sorted(got - allowed)}"
    if ATTACKS[name][1] is not None:
        lost = {c: by_check(results)[c]["output"] for c in sorted(allowed - got)}
        assert not lost, f"honest points lost: {lost}"


def test_forging_the_protocol_earns_nothing(graded):
    """Even the two checks that rest on reported devices need real numbers from the same code."""
    results = graded["forge_protocol"]
    assert passed(results) == set() and results["score"] == 0, by_check(results)


def test_the_cohort_goes_on_after_every_attack(graded, arena):
    for name in ("reference", arena.classmate):
        assert graded[name]["score"] == TOTAL, by_check(graded[name])


def test_no_payload_ran_outside_the_sandbox(graded, arena):
    assert sorted(p.name for p in arena.canaries.iterdir()) == []
    assert sorted(p.name for p in arena.cwd.iterdir()) == ["secret.txt"]
    assert not Path("/autograder/results/results.json").exists()
    assert not (ROOT / "model.pkl").exists()
    assert not list(arena.out.glob("*.pkl"))


def test_host_files_keep_their_owner_mode_and_content(graded, arena):
    info = os.lstat(arena.root_canary)
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o600)
    assert arena.root_canary.read_text() == "root only"
    assert not Path("/etc/rnn-owned").exists()
    printed = graded["privileged_actions"]["output"]
    assert "PRIVILEGED" not in printed, printed[-2000:]
    assert "'CapEff:\\t0000000000000000'" in printed and "'NoNewPrivs:\\t1'" in printed


def test_no_process_left_behind(graded, arena):
    assert processes_with(arena.marker) == []
    assert processes_of_uid_range(*SANDBOX_UIDS) == []


def test_orphans_and_fork_chains_were_killed(graded):
    for name in ("orphan_double_fork", "orphan_popen", "orphan_hopping", "fork_chain"):
        assert graded[name]["extra_data"]["processes_killed"] >= 1, (name, graded[name]["extra_data"])


def test_no_connection_reached_the_host(graded, arena):
    assert arena.accepted(arena.listener) == 0
    assert arena.accepted(arena.unix) == 0
    assert "CONNECTED" not in graded["network"]["output"] and "UNIX-CONNECTED" not in graded["unix_socket"]["output"]


def test_no_secret_reached_student_code(graded):
    for name, results in graded.items():
        if name != "__free_before__":
            assert SECRET not in results["output"] and "SECRET-LEAKED" not in results["output"], name
    keys = graded["read_environment"]["output"].split("ENV-KEYS", 1)[1].split("\n", 1)[0]
    assert "RNN_TEST_SECRET" not in keys and "PYTHONPATH" not in keys, keys


def test_only_the_workers_own_pipes_are_open(graded):
    printed = graded["inherited_fds"]["output"]
    fds = [int(line.split()[1]) for line in printed.splitlines() if line.startswith("OPEN-FD")]
    assert fds == [3, 4], printed[-2000:]
    assert "WROTE-FD" not in printed


def test_the_graders_folders_are_not_readable(graded):
    printed = graded["grader_cwd"]["output"]
    assert "LEAK" not in printed, printed[-2000:]
    for name in ("read_reference", "read_suites"):
        assert "READ-" not in graded[name]["output"], graded[name]["output"][-2000:]


def test_no_classmate_in_a_workers_memory(graded):
    printed = graded["memory_scan"]["output"]
    assert "MEMORY-SCAN clean" in printed, printed[-2000:]


def test_digging_the_graders_models_out_earns_nothing(graded):
    printed = graded["dig_known_models"]["output"]
    assert "FOUND-STEP" not in printed  # the judge's step is not in memory before train is judged
    assert graded["dig_known_models"]["score"] == 0


def test_memory_is_capped_for_all_processes_together(graded):
    results = graded["memory_children"]
    peak = results["extra_data"]["peak_memory_bytes"]
    assert peak is not None and peak <= 512 * 2**20 * 1.05, peak
    assert "CHILDREN-ALIVE 4" not in results["output"]


def test_the_scratch_folder_is_size_capped(graded):
    printed = graded["fill_scratch"]["output"]
    written = int(printed.split("WROTE-MB ", 1)[1].split()[0])
    assert written <= 64 + 16 + 20, written  # the scratch tmpfs, /dev/shm, and one file each that filled up
    assert shutil.disk_usage("/tmp").free > graded["__free_before__"] - (100 << 20)


def test_import_failures_read_as_one_friendly_line(graded):
    for name, kind in IMPORT_FAILURES.items():
        for test in by_check(graded[name]).values():
            message = test["output"]
            assert "\n" not in message and message.startswith("rnn.py could not be loaded: "), message
            assert kind in message, message


def test_limits_are_reported_where_they_held(graded):
    assert "MEMORY LIMIT HELD" in graded["memory_hog_caught"]["output"]
    assert "FILE-LIMIT-ERRNO 27" in graded["huge_file"]["output"]
    flood = graded["output_flood"]
    assert "xxxx" in flood["output"] and len(str(flood)) < 100_000


def test_results_files_written_by_the_student_are_not_used(graded, arena):
    for name, results in graded.items():
        if name != "__free_before__":
            assert "FAKE-RESULTS" not in str(results["tests"]), name
    assert "write_results_files" in (arena.out / "grades.csv").read_text()
    wrote = [line for line in graded["write_results_files"]["output"].splitlines() if line.startswith("WROTE")]
    assert all(" /tmp/work/" in line for line in wrote), wrote  # only its own scratch folder


def test_fake_score_output_stays_in_the_printed_excerpt(graded):
    results = graded["fake_score_output"]
    assert results["score"] == 0
    assert "FAKE-SCORE-LINE" in results["output"].split("What your code printed", 1)[1]
    assert all("FAKE-SCORE-LINE" not in t["output"] for t in results["tests"])


def test_the_sandbox_in_force_is_reported(graded):
    isolation = graded["reference"]["extra_data"]["isolation"]
    assert isolation["mode"] == "full"
    for measure in ("pid namespace", "mount namespace", "network namespace", "cgroup", "scratch tmpfs"):
        assert measure in isolation["measures"], isolation
    assert any(m.startswith("seccomp") for m in isolation["measures"])
    assert any(m.startswith("landlock") for m in isolation["measures"])


def test_the_judge_never_builds_from_a_claimed_size(arena, tmp_path):
    """A 384-byte claim of 14 GB of weights costs the judge nothing."""
    submission = tmp_path / "rnn.py"
    submission.write_text(arena.attack("huge_structure", STUBS), encoding="utf-8")
    code = ("import resource, sys; from autograder.cli import main; rc = main(sys.argv[1:]); "
            "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(rc)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code, "grade", str(submission), "--results",
                           str(tmp_path / "r.json"), "--quiet", *LIMITS], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    maxrss_kb = int(proc.stdout.split("MAXRSS", 1)[1].split()[0])
    assert maxrss_kb < 1_500_000, maxrss_kb


def test_student_text_reaches_the_terminal_as_text(arena, tmp_path):
    submission = tmp_path / "rnn.py"
    submission.write_text(arena.attack("markup_output", SOLUTION), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "300"}
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), *LIMITS],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "[bold]markup[/]" in proc.stdout
