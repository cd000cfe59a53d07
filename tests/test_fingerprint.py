"""The grader's identity covers everything installed that can change a score, and a Dask worker's
arrival runs its checks in order (fast: no cluster)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder import arrival, fingerprint
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("copy")
    for folder in ("autograder", "quizzes", "solutions"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.mark.parametrize("relative", [
    "autograder/results.py",  # a worker whose results.py added 7 points was accepted
    "autograder/judge/catalogue.py",
    "autograder/lms/lateness.py",
    "autograder/examples/ada/quiz_answers.toml",
    "autograder/nbgrader_course/README.md",
    "quizzes/bank.toml",
    "quizzes/scoring.py",
    "solutions/rnn.py",
])
def test_every_file_that_can_change_a_score_changes_the_fingerprint(copy, relative):
    before = fingerprint.fingerprint(copy)
    path = copy / relative
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\n# changed\n")
        assert fingerprint.fingerprint(copy) != before
    finally:
        path.write_bytes(original)
    assert fingerprint.fingerprint(copy) == before


def test_a_new_file_changes_it_and_bytecode_does_not(copy):
    before = fingerprint.fingerprint(copy)
    (copy / "autograder" / "__pycache__").mkdir(exist_ok=True)
    (copy / "autograder" / "__pycache__" / "results.cpython-311.pyc").write_bytes(b"\0" * 16)
    assert fingerprint.fingerprint(copy) == before
    extra = copy / "quizzes" / "extra.toml"
    extra.write_text("x = 1\n")
    try:
        assert fingerprint.fingerprint(copy) != before
    finally:
        extra.unlink()


def test_torch_and_python_versions_are_part_of_it(copy, monkeypatch):
    before = fingerprint.inventory(copy)
    assert before["version:torch"].startswith("2.") and before["version:python"].count(".") == 2
    monkeypatch.setattr(fingerprint, "_torch_version", lambda: "2.99.0")
    after = fingerprint.inventory(copy)
    assert fingerprint.digest(after) != fingerprint.digest(before)
    assert "torch 2.99.0 there, " in fingerprint.differences(before, after)


def test_differences_name_the_files(copy):
    mine = fingerprint.inventory(copy)
    theirs = {**mine, "autograder/results.py": "0" * 64, "autograder/extra.py": "1" * 64}
    del theirs["quizzes/bank.toml"]
    text = fingerprint.differences(mine, theirs)
    assert "differs: autograder/results.py" in text and "only there: autograder/extra.py" in text
    assert "missing there: quizzes/bank.toml" in text


# --- the arrival checks ------------------------------------------------------------------------------


def _arrival(expected=None) -> arrival.Arrival:
    return arrival.Arrival(expected or fingerprint.inventory(), options=None, slots=1)


def test_the_version_check_comes_first_and_the_grader_starts_after_it():
    assert arrival.ARRIVAL_CHECKS[:2] == [arrival.same_grader, arrival.grader_starts]


def test_a_worker_with_another_copy_is_refused_and_told_what_differs():
    expected = {**fingerprint.inventory(), "autograder/results.py": "0" * 64}
    problems = arrival.run_checks(_arrival(expected), [arrival.same_grader])
    assert len(problems) == 1 and "differs: autograder/results.py" in problems[0]
    assert "install the same copy" in problems[0]
    assert arrival.run_checks(_arrival(), [arrival.same_grader]) == []


def test_another_check_joins_the_list_and_the_first_failure_stops_the_rest():
    ran = []

    def self_test(found: arrival.Arrival) -> str | None:
        ran.append("self_test")
        return "the self-test failed: forward.shapes"

    def never(found: arrival.Arrival) -> str | None:
        ran.append("never")
        return None

    def broken(found: arrival.Arrival) -> str | None:
        raise OSError("no such device")

    assert arrival.run_checks(_arrival(), [arrival.same_grader, self_test, never]) == \
        ["the self-test failed: forward.shapes"]
    assert ran == ["self_test"]
    assert arrival.run_checks(_arrival(), [broken]) == ["broken failed: OSError: no such device"]
