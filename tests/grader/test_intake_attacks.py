"""Attacks on the trusted side before any student code runs: links, FIFOs and devices in a
submission, notebooks built to crash a parser, answer files built to stall a regex, names built
for a spreadsheet, and names that collide. Every student gets a results file with the same
maximum, the cohort goes on, and grades.csv is written."""

from __future__ import annotations

import csv
import json
import os
import time

import nbformat
import pytest

import quizzes
from tests.conftest import ROOT
from tests.grader.common import SOLUTION, by_check, grade_all

pytestmark = pytest.mark.slow  # every test here grades in the sandbox or runs a subprocess

SECRET = "intake-secret-4f1d"
SPREADSHEET_NAMES = ['=HYPERLINK("evil.example","click")', "+cmd", "-2+3", "@SUM(A1)"]
QUIZ_BACKTRACK = "q01 = " + "a, " * 5000 + "!\nq02 = [" + "a " * 30 + "\n"


def _notebook_with(cell_source) -> str:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    data = json.loads(nbformat.writes(nb))
    data["cells"][0]["source"] = cell_source
    return json.dumps(data)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    base = tmp_path_factory.mktemp("intake")
    root = base / "cohort"
    root.mkdir()
    secret = base / "root-only.toml"
    secret.write_text(f'q01 = "{SECRET}"\n')
    os.chmod(secret, 0o600)

    def student(name: str, files: dict[str, str | None]) -> None:
        folder = root / name
        folder.mkdir()
        for file, text in files.items():
            if text is not None:
                (folder / file).write_text(text, encoding="utf-8")

    student("honest", {"rnn.py": SOLUTION})
    student("link_to_reference", {})
    (root / "link_to_reference" / "rnn.py").symlink_to(ROOT / "solutions" / "rnn.py")
    student("link_to_classmate", {})
    (root / "link_to_classmate" / "rnn.py").symlink_to(root / "honest" / "rnn.py")
    student("quiz_link_to_key", {"rnn.py": SOLUTION})
    (root / "quiz_link_to_key" / "quiz_answers.toml").symlink_to(ROOT / "quizzes" / "bank.toml")
    student("quiz_link_to_root_file", {"rnn.py": SOLUTION})
    (root / "quiz_link_to_root_file" / "quiz_answers.toml").symlink_to(secret)
    student("fifo", {})
    os.mkfifo(root / "fifo" / "rnn.py")
    student("device_zero", {})
    (root / "device_zero" / "rnn.py").symlink_to("/dev/zero")
    (root / "entry_is_a_link").symlink_to(ROOT / "solutions")
    student("quiz_backtrack", {"rnn.py": SOLUTION, "quiz_answers.toml": QUIZ_BACKTRACK})
    for name in SPREADSHEET_NAMES:
        student(name, {"rnn.py": SOLUTION})
    student("alice", {"rnn.py": SOLUTION})
    (root / "alice.py").write_text(SOLUTION.replace("lr=lr)", "lr=1e-6)", 1), encoding="utf-8")
    (root / "lone_surrogate.ipynb").write_text(_notebook_with("x = '\\ud800'\n"), encoding="utf-8")
    (root / "lone_surrogate_raw.ipynb").write_bytes(_notebook_with("x = 1").replace('"x = 1"', '"\\ud800 x"')
                                                     .encode())
    (root / "deep_expression.ipynb").write_text(_notebook_with("x = " + "(" * 50000 + "1" + ")" * 50000))
    (root / "non_string_source.ipynb").write_text(_notebook_with(5))
    (root / "nested_json.ipynb").write_text('{"cells": ' + "[" * 100000 + "]" * 100000 + "}")
    (root / "not_json.ipynb").write_text("{ not json")
    (root / "huge.ipynb").write_bytes(b'{"cells": [], "pad": "' + b"x" * (9 << 20) + b'"}')
    deep = root / "too_deep"
    nested = deep / "a" / "b" / "c" / "d" / "e" / "f" / "g"
    nested.mkdir(parents=True)
    (nested / "rnn.py").write_text(SOLUTION)
    out = base / "out"
    started = time.monotonic()
    results = grade_all(root, out, "--import-timeout", "20", "--total-timeout", "120", timeout=1500)
    return root, out, results, time.monotonic() - started


def test_every_entry_gets_a_results_file_with_the_same_maximum(cohort):
    root, out, results, _ = cohort
    assert len(results) == len([p for p in os.listdir(root) if not p.startswith(".")])
    assert {r["extra_data"]["max_score"] for r in results.values()} == {120}
    assert results["honest"]["score"] == 120


@pytest.mark.parametrize("name, words", [
    ("link_to_reference", "symbolic link"), ("link_to_classmate", "symbolic link"),
    ("fifo", "not a regular file"), ("device_zero", "symbolic link"), ("entry_is_a_link", "symbolic link")])
def test_links_fifos_and_devices_are_refused_with_a_message(cohort, name, words):
    results = cohort[2][name]
    assert results["score"] == 0 and results["extra_data"]["status"] == "graded"
    assert all(words in t["output"] for t in by_check(results).values()), by_check(results)


def test_a_linked_answer_file_is_never_read(cohort):
    _, out, results, _ = cohort
    explanation = quizzes.load_bank().questions[0].explanation[:60]
    for path in out.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert SECRET not in text and explanation not in text, path.name
    for name in ("quiz_link_to_key", "quiz_link_to_root_file"):
        assert results[name]["score"] == 120  # the code is graded; the quiz was not read
        assert "symbolic link" in results[name]["output"]


def test_a_backtracking_answer_line_is_read_at_once(cohort):
    assert cohort[2]["quiz_backtrack"]["score"] == 120
    assert cohort[3] < 600


@pytest.mark.parametrize("name", ["lone_surrogate", "lone_surrogate_raw", "deep_expression", "non_string_source",
                                  "nested_json", "not_json", "huge"])
def test_a_notebook_built_to_crash_a_parser_is_reported_not_fatal(cohort, name):
    results = cohort[2][name]
    assert results["extra_data"]["status"] == "graded"
    assert results["extra_data"]["max_score"] == 120
    assert results["score"] == 0


def test_spreadsheet_names_are_neutralised_in_grades_csv(cohort):
    _, out, results, _ = cohort
    rows = list(csv.reader((out / "grades.csv").open(encoding="utf-8")))
    cells = [row[0] for row in rows[1:]]
    for name in SPREADSHEET_NAMES:
        assert name in results, sorted(results)
        assert "'" + name in cells, cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_colliding_names_are_both_graded(cohort):
    results = cohort[2]
    assert "alice" in results and "alice.py" in results
    assert results["alice"]["score"] == 120 and results["alice.py"]["score"] < 120
    # one name for two entries: both graded, each in a file of its own, both flagged for the instructor
    assert results["alice"]["extra_data"]["student"] == results["alice.py"]["extra_data"]["student"] == "alice"
    for entry in ("alice", "alice.py"):
        assert results[entry]["extra_data"]["name_collision"]["entries"] == ["alice", "alice.py"]


def test_folders_deeper_than_the_walk_are_not_searched(cohort):
    results = cohort[2]["too_deep"]
    assert results["score"] == 0 and "no rnn.py" in by_check(results)["forward.shapes"]["output"]
