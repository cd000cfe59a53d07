"""Adversarial submissions, one per class the security reviews found: no unearned points, nothing
read, written or started outside the sandbox, nothing left behind, no wait without an end, and
always a results file.

The attack snippets live in ``tests/corpus/attacks``; each is appended to a base (the exercise
stubs, which earn nothing, or the reference solution, which earns everything), so the points an
attack may keep are exactly those of its honest part. The grader runs as it does for a real
cohort: as root, from a working folder holding a secret, with a secret in its environment and
an open file descriptor on a root-only secret file, beside a TCP port and a UNIX socket.

The whole corpus runs in both sandbox modes: ``full`` on this machine, and ``container`` in a
simulated Gradescope-like container (no CAP_SYS_ADMIN, the grader's folders closed to others, as
the README asks), with two slots grading at once.
"""

from __future__ import annotations

import json
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
    notebook_of,
    passed,
    processes_of_uid_range,
    processes_with,
)
from tests.sandbox_env import in_container

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
    "memory_many_processes": (SOLUTION, None),  # 40 x 110 MiB: killed for the total, never the judge
    "stall_judge_write": (SOLUTION, FORWARD_LOST),
    "junk_frames": (SOLUTION, FORWARD_LOST),
    "deep_tree": (SOLUTION, ALL),
    "markers_1_leave": (SOLUTION, ALL),
    "markers_2_find": (SOLUTION, ALL),
}
# notebooks (code, then the attack in a cell of its own), graded like the rest: they keep every point
NOTEBOOK_ATTACKS = ("shell_1_plant", "shell_2_look")
# What a mode changes: in container mode a student whose files pass --scratch-mb is stopped (no
# tmpfs there to refuse the write), so filling the scratch folder costs the whole load.
KEPT_IN = {"container": {"fill_scratch": set()}}
IMPORT_FAILURES = {"exit_at_import": "exit", "raise_at_import": "ValueError", "loop_at_import": "Timeout",
                   "memory_hog_import": "MemoryError", "os_exit_at_import": "ended"}


MEASURED = ("import resource, sys; from autograder.cli import main; status = main(sys.argv[1:]); "
            "print('JUDGE-MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(status)")


class Arena:
    """Canaries, secrets and listeners shared by one attack run, in one sandbox mode."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.base = Path(tempfile.mkdtemp(prefix="rnn-attacks-", dir="/var/tmp"))
        # container mode asks the instructor to close the grader's folders to other users
        os.chmod(self.base, 0o755 if mode == "full" else 0o700)
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
            argv = [sys.executable, "-c", MEASURED, command, *args]  # also prints the judge's peak memory
            if self.mode == "container":
                argv = in_container([*argv, "--sandbox", "container"], self.base, cwd=self.cwd)
            return subprocess.run(argv, cwd=self.cwd, env=env, capture_output=True, text=True, timeout=timeout,
                                  pass_fds=[fd])
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


@pytest.fixture(scope="module", params=["full", "container"])
def arena(request):
    arena = Arena(request.param)
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
    for name in NOTEBOOK_ATTACKS:  # notebooks: what one leaves in its IPython shell
        head, tail = SOLUTION.split("class SimpleRNN", 1)
        cells = [head, "class SimpleRNN" + tail, arena.attack(name, "")]
        (arena.cohort / f"{name}.ipynb").write_text(notebook_of(cells), encoding="utf-8")
    free_before = shutil.disk_usage("/tmp").free
    # Two slots at once: nothing one student does may reach the other slot's student.
    proc = arena.grade("grade-all", str(arena.cohort), "--out", str(arena.out), "--no-quiz", "--jobs", "2", *LIMITS)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    time.sleep(1.0)  # let any survivor show itself
    results = load_results(arena.out)
    results["__free_before__"] = free_before
    return results


def test_every_attack_was_graded(graded, arena):
    assert set(graded) - {"__free_before__"} == {*ATTACKS, *NOTEBOOK_ATTACKS, "reference", arena.classmate}


def test_nothing_one_notebook_leaves_in_its_shell_reaches_a_later_one(graded):
    planted = graded["shell_1_plant"]["output"]
    assert "PLANTED db" in planted and "PLANTED startup" in planted, planted[-2000:]
    looked = graded["shell_2_look"]["output"]
    assert "SHELL-LOOKED" in looked and "FOUND-PLANT" not in looked, looked[-2000:]
    for name in NOTEBOOK_ATTACKS:
        assert graded[name]["score"] == TOTAL, by_check(graded[name])


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_earns_only_its_honest_points(graded, arena, name):
    results = graded[name]
    assert_valid_results(results)
    allowed = KEPT_IN.get(arena.mode, {}).get(name, ATTACKS[name][1])
    got = passed(results)
    if allowed is None:
        allowed = ALL if ATTACKS[name][0] is SOLUTION else set(SELF_REPORTED)
    assert got <= allowed, f"unearned: {sorted(got - allowed)}"
    if allowed is not None and ATTACKS[name][1] is not None:
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
    # (in container mode the canaries' folder is closed to other users, as the README asks)
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


def test_the_scratch_folder_is_size_capped(graded, arena):
    printed = graded["fill_scratch"]["output"]
    if arena.mode == "full":
        written = int(printed.split("WROTE-MB ", 1)[1].split()[0])
        assert written <= 64 + 16 + 20, written  # the scratch tmpfs, /dev/shm, and one file each that filled up
    else:  # no tmpfs: the watchdog stops the student once its files pass --scratch-mb
        assert "WROTE-MB" not in printed, printed[-2000:]
        assert "its files took more than the 64 MiB" in graded["fill_scratch"]["output"], printed[-2000:]
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
    own = " /tmp/work/" if arena.mode == "full" else " /tmp/rnn-grader-"
    assert wrote and all(line.startswith("WROTE" + own) for line in wrote), wrote  # only its own scratch


def test_fake_score_output_stays_in_the_printed_excerpt(graded):
    results = graded["fake_score_output"]
    assert results["score"] == 0
    assert "FAKE-SCORE-LINE" in results["output"].split("What your code printed", 1)[1]
    assert all("FAKE-SCORE-LINE" not in t["output"] for t in results["tests"])


def test_the_sandbox_in_force_is_reported(graded, arena):
    isolation = graded["reference"]["extra_data"]["isolation"]
    assert isolation["mode"] == arena.mode
    wanted = ("pid namespace", "mount namespace", "network namespace", "cgroup", "scratch tmpfs") \
        if arena.mode == "full" else ("unprivileged uid", "no capabilities",
                                      "grader files hidden (tried as each sandbox user)")
    for measure in wanted:
        assert measure in isolation["measures"], isolation
    assert any(m.startswith("seccomp") for m in isolation["measures"])
    assert any(m.startswith("landlock") for m in isolation["measures"])


def test_a_stalled_pipe_or_a_flood_of_frames_never_stalls_the_judge(graded):
    # stall_judge_write stops reading with a shrunken request pipe: the judge's write has a deadline
    stalled = by_check(graded["stall_judge_write"])
    assert "did not finish within 10 s" in stalled["device.forward_meta"]["output"], stalled["device.forward_meta"]
    assert graded["stall_judge_write"]["execution_time"] < 60, graded["stall_judge_write"]["execution_time"]
    flood = by_check(graded["junk_frames"])["forward.shapes"]["output"]
    assert "sent malformed data back: a frame that answers no request in flight" in flood, flood


def test_a_student_leaves_nothing_a_later_student_can_see(graded, arena):
    found = graded["markers_2_find"]["output"]
    assert "LOOKED" in found and "FOUND-MARKER" not in found, found[-2000:]
    left = graded["markers_1_leave"]["output"]
    assert "LEFT sysv-shm" not in left and "LEFT sysv-msg" not in left and "LEFT posix-mq" not in left, left
    assert not marked_files(arena.marker), marked_files(arena.marker)
    for table in ("shm", "msg", "sem"):
        rows = Path(f"/proc/sysvipc/{table}").read_text().splitlines()[1:]
        owners = {int(row.split()[7 if table == "shm" else 6]) for row in rows if row.split()}
        assert not {u for u in owners if SANDBOX_UIDS[0] <= u < SANDBOX_UIDS[1]}, rows


def test_any_tree_a_student_made_is_removed(graded, arena):
    printed = graded["deep_tree"]["output"]
    assert "DEEP-TREE " in printed, printed[-2000:]
    assert not marked_files(arena.marker)
    assert not list(Path("/tmp").glob("rnn-grader-*")), "a scratch folder outlived its run"


def test_many_processes_are_stopped_by_their_total_not_the_judge(graded, arena):
    results = graded["memory_many_processes"]
    assert results["extra_data"]["status"] == "graded"
    assert "MANY-ALIVE 40" not in results["output"], results["output"][-2000:]
    assert graded["reference"]["score"] == TOTAL  # the cohort, graded after it, went on


def marked_files(marker: str) -> list[str]:
    """Entries named with this run's marker in the machine's shared writable folders."""
    found = []
    for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        try:
            found += [f"{folder}/{name}" for name in os.listdir(folder) if marker in name]
        except OSError:
            continue
    return found


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


def _timed_grade(arena, tmp_path, text: str, *limits: str) -> tuple[float, dict, int]:
    """``grade`` on ``text`` (in the arena's mode): seconds, results, the judge's peak RSS in KiB."""
    submission = arena.cohort / f"timed-{uuid.uuid4().hex[:6]}.py"
    submission.write_text(text, encoding="utf-8")
    results = arena.out / f"{submission.stem}.json"
    arena.out.mkdir(exist_ok=True)
    started = time.monotonic()
    proc = arena.grade("grade", str(submission), "--results", str(results), "--quiet", "--no-quiz", *limits,
                       timeout=600)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return elapsed, json.loads(results.read_text(encoding="utf-8")), int(proc.stdout.split("JUDGE-MAXRSS ")[1].split()[0])


def test_grade_returns_within_its_total_timeout_whatever_the_worker_does(arena, tmp_path):
    """A worker that stalls the pipes: grade ends within --total-timeout plus start-up and clean-up
    (the margin the README states: 30 s), with a check timeout longer than the whole."""
    elapsed, results, _ = _timed_grade(arena, tmp_path, arena.attack("stall_judge_write", SOLUTION),
                                       "--total-timeout", "15", "--check-timeout", "600", "--import-timeout", "600")
    assert elapsed < 15 + 30, elapsed
    assert "the grading time limit" in str(results["tests"]), results["output"][-2000:]


def test_the_judges_memory_stays_bounded_against_a_flood_of_frames(arena, tmp_path):
    """Unsolicited 4 MiB frames cost the judge no more than an honest student (within 64 MiB)."""
    _, honest, honest_rss = _timed_grade(arena, tmp_path, SOLUTION, *LIMITS)
    _, flood, flood_rss = _timed_grade(arena, tmp_path, arena.attack("junk_frames", SOLUTION), *LIMITS)
    assert honest["score"] == TOTAL
    assert flood_rss - honest_rss < 64 * 1024, (honest_rss, flood_rss)
