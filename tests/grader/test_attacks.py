"""Adversarial submissions: no unearned points, no payload run outside the sandbox or in the
judge, no process left behind, and always a valid results.json.

The attack snippets live in ``tests/corpus/attacks``; each is appended to a base (the exercise
stubs, which earn nothing, or the reference solution, which earns everything), so the points an
attack may keep are exactly those of its honest part.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tests.grader.common import (
    CORPUS,
    IDS,
    ROOT,
    SOLUTION,
    STUBS,
    TOTAL,
    assert_valid_results,
    by_check,
    edit,
    grade_all,
    grade_one,
    passed,
    processes_with,
)

ALL = set(IDS)
FORWARD_LOST = ALL - {"forward.shapes", "forward.matches_reference", "forward.last_time_step",
                      "forward.batch_independence", "device.forward_meta"}
LIMITS = ["--import-timeout", "8", "--check-timeout", "8", "--total-timeout", "120"]

# attack: (base text, points the attack may keep: a set of check ids, or the name of an honest twin)
ATTACKS: dict[str, tuple[str, set[str] | str]] = {
    "exit_at_import": (STUBS, set()),
    "os_exit_at_import": (STUBS, set()),
    "raise_at_import": (STUBS, set()),
    "fake_score_output": (STUBS, set()),
    "write_results_files": (STUBS, set()),
    "patch_torch": (STUBS, set()),
    "patch_pytest": (STUBS, set()),
    "patch_builtins": (STUBS, set()),
    "fake_loss_curve": (STUBS, {"train.returns_losses"}),
    "loop_at_import": (SOLUTION, set()),
    "loop_in_forward": (SOLUTION, FORWARD_LOST),
    "memory_hog_import": (SOLUTION, set()),
    "memory_hog_forward": (SOLUTION, FORWARD_LOST),
    "memory_hog_caught": (SOLUTION, ALL),
    "orphan_double_fork": (SOLUTION, ALL),
    "orphan_popen": (SOLUTION, ALL),
    "orphan_hopping": (SOLUTION, ALL),
    "read_reference": (STUBS, set()),
    "read_suites": (STUBS, set()),
    "pickle_payload": (SOLUTION, ALL),
    "zero_forward": (STUBS, "zero_forward"),
    "lying_tensor": (STUBS, "zero_forward"),
    "zero_targets_dataset": (SOLUTION, ALL),
    "output_flood": (SOLUTION, ALL),
    "huge_file": (SOLUTION, ALL),
    "network": (SOLUTION, ALL),
    "grader_helper_readout": (STUBS, set()),
    "forge_probe_results": (STUBS, set()),
}
# An edited make_dataset cannot help a train that does not learn: the judge uses its own data.
LAZY_TRAIN = edit(("    optimizer = torch.optim.Adam(model.parameters(), lr=lr)",
                   "    optimizer = torch.optim.Adam(model.parameters(), lr=1e-6)"))
IMPORT_FAILURES = {"exit_at_import": "exit", "raise_at_import": "ValueError", "loop_at_import": "Timeout",
                   "memory_hog_import": "MemoryError", "os_exit_at_import": "ended"}
CONFTEST = """import os, pytest
open("@@CANARY@@", "w").close()
def pytest_collection_modifyitems(items):
    for item in items:
        item.runtest = lambda: None
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().outcome = "passed"
"""


class Arena:
    """Placeholders, canaries and a listening socket shared by one attack run."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="rnn-attacks-"))
        self.canaries = self.base / "canaries"
        self.cwd = self.base / "cwd"
        self.out = self.base / "out"
        for folder in (self.canaries, self.cwd):
            folder.mkdir()
            os.chmod(folder, 0o777)  # writable by anyone: only the sandbox may stop a payload
        os.chmod(self.base, 0o755)
        self.marker = "ak" + uuid.uuid4().hex[:8]
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]

    def fill(self, name: str, text: str, results: Path | None = None) -> str:
        values = {"@@CANARY@@": str(self.canaries / name), "@@MARKER@@": f"{self.marker}{name[:4]}",
                  "@@PORT@@": str(self.port), "@@ROOT@@": str(ROOT),
                  "@@RESULTS@@": str(results or self.out / "unused.json"), "@@CWD@@": str(self.cwd),
                  "@@OUT@@": str(self.out)}
        for key, value in values.items():
            text = text.replace(key, value)
        return text

    def attack(self, name: str, base: str, results: Path | None = None) -> str:
        snippet = (CORPUS / "attacks" / f"{name}.py").read_text(encoding="utf-8")
        return base.rstrip() + "\n\n\n# --- attack ---\n" + self.fill(name, snippet, results) + "\n"

    def connections(self) -> int:
        count = 0
        while True:
            try:
                conn, _ = self.listener.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def close(self) -> None:
        self.listener.close()
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def arena():
    arena = Arena()
    yield arena
    arena.close()


@pytest.fixture(scope="module")
def graded(arena):
    folder = arena.base / "submissions"
    folder.mkdir()
    for name, (base, _) in ATTACKS.items():
        (folder / f"{name}.py").write_text(arena.attack(name, base), encoding="utf-8")
    (folder / "zero_targets_lazy_train.py").write_text(
        arena.attack("zero_targets_dataset", LAZY_TRAIN).replace("zero_targets_dataset", "zero_targets_lazy_train"),
        encoding="utf-8")
    beside = folder / "conftest_beside"
    beside.mkdir()
    (beside / "rnn.py").write_text(STUBS, encoding="utf-8")
    (beside / "conftest.py").write_text(arena.fill("conftest_beside", CONFTEST), encoding="utf-8")
    results = grade_all(folder, arena.out, *LIMITS, cwd=arena.cwd)
    time.sleep(1.0)  # let any survivor show itself
    return results


def test_every_attack_was_graded(graded):
    assert set(graded) == {*ATTACKS, "zero_targets_lazy_train", "conftest_beside"}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_earns_only_its_honest_points(graded, name):
    results = graded[name]
    assert_valid_results(results)
    allowed = ATTACKS[name][1]
    if isinstance(allowed, str):
        allowed = passed(graded[allowed])
    got = passed(results)
    assert got <= allowed, f"unearned: {sorted(got - allowed)}"
    lost = {c: by_check(results)[c]["output"] for c in sorted(allowed - got)}
    assert not lost, f"honest points lost: {lost}"


def test_edited_make_dataset_cannot_rescue_a_train_that_does_not_learn(graded):
    tests = by_check(graded["zero_targets_lazy_train"])
    assert tests["train.loss_falls"]["score"] == 0
    assert tests["train.matches_reference"]["score"] == 0


def test_conftest_beside_the_submission_is_ignored(graded, arena):
    assert_valid_results(graded["conftest_beside"])
    assert graded["conftest_beside"]["score"] == 0
    assert not (arena.canaries / "conftest_beside").exists()


def test_no_payload_ran_outside_the_sandbox(graded, arena):
    assert sorted(p.name for p in arena.canaries.iterdir()) == []
    assert sorted(p.name for p in arena.cwd.iterdir()) == []
    assert not Path("/autograder/results/results.json").exists()
    assert not (ROOT / "model.pkl").exists()
    assert not list(arena.out.glob("*.pkl"))


def test_orphans_were_started_and_killed(graded):
    for name in ("orphan_double_fork", "orphan_popen", "orphan_hopping"):
        assert graded[name]["extra_data"]["processes_killed"] >= 2, (name, graded[name]["extra_data"])


def test_no_process_left_behind(graded, arena):
    assert processes_with(arena.marker) == []
    assert processes_with("rnn-grade-") == []


def test_no_connection_reached_the_host(graded, arena):
    assert arena.connections() == 0
    assert "CONNECTED" not in graded["network"]["output"]


def test_reference_and_suites_were_not_readable(graded):
    for name in ("read_reference", "read_suites"):
        assert "READ-" not in graded[name]["output"], graded[name]["output"][-2000:]


def test_results_files_written_by_the_student_are_not_used(graded, arena):
    for name, results in graded.items():
        assert "FAKE-RESULTS" not in str(results["tests"]), name
    grades = (arena.out / "grades.csv").read_text(encoding="utf-8")
    assert "write_results_files,0,100," in grades
    wrote = [line for line in graded["write_results_files"]["output"].splitlines() if line.startswith("WROTE")]
    assert all("/rnn-grade-" in line for line in wrote), wrote  # only its own scratch folder


def test_fake_score_output_stays_in_the_printed_excerpt(graded):
    results = graded["fake_score_output"]
    assert results["score"] == 0
    assert "FAKE-SCORE-LINE" in results["output"].split("What your code printed", 1)[1]
    assert all("FAKE-SCORE-LINE" not in t["output"] for t in results["tests"])


@pytest.mark.parametrize("name", sorted(IMPORT_FAILURES))
def test_import_failure_reads_as_one_friendly_line(graded, name):
    for test in graded[name]["tests"]:
        message = test["output"]
        assert "\n" not in message and message.startswith("rnn.py could not be loaded: "), message
        assert IMPORT_FAILURES[name] in message, message


def test_limits_are_reported_where_they_held(graded):
    assert "MEMORY LIMIT HELD" in graded["memory_hog_caught"]["output"]
    assert "FILE-LIMIT-ERRNO 27" in graded["huge_file"]["output"]
    flood = graded["output_flood"]
    assert "xxxx" in flood["output"] and len(str(flood)) < 100_000


def test_isolation_is_in_force(graded):
    notes = graded["exit_at_import"]["extra_data"]["isolation"]
    assert "own session" in notes and "rlimits" in notes
    if os.geteuid() == 0:
        assert "network namespace" in notes and "user nobody" in notes


def test_results_path_attack_through_grade(arena, tmp_path):
    results_dir = tmp_path / "results"
    results_dir.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(results_dir, 0o777)
    results_path = results_dir / "results.json"
    submission = tmp_path / "student"
    submission.mkdir()
    (submission / "rnn.py").write_text(arena.attack("write_results_files", STUBS, results_path), encoding="utf-8")
    proc, results = grade_one(submission, results_path, *LIMITS, cwd=arena.cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert results is not None
    assert_valid_results(results)
    assert results["score"] == 0 and "FAKE-RESULTS" not in str(results["tests"])
    assert sorted(p.name for p in results_dir.iterdir()) == ["results.json"]
    assert not (arena.cwd / "results.json").exists()
    assert not (arena.canaries / "write_results_files").exists()


def test_total_is_never_above_the_honest_maximum(graded):
    for name, results in graded.items():
        assert results["score"] <= TOTAL, name


def test_import_failure_through_grade_names_the_error(arena, tmp_path):
    """The single-submission path must report the import error too, not "an unknown error"."""
    submission = tmp_path / "rnn.py"
    submission.write_text(arena.attack("raise_at_import", STUBS), encoding="utf-8")
    proc, results = grade_one(submission, tmp_path / "results.json", *LIMITS, cwd=arena.cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert_valid_results(results)
    assert results["score"] == 0
    for test in results["tests"]:
        assert test["output"].startswith("rnn.py could not be loaded: ValueError: student code broke"), test["output"]
