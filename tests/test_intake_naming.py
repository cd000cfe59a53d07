"""A submission graded whatever its file is called (the file chosen, and the student told which and why),
and a submission time only from evidence the student cannot write.

Fast: intake only reads bytes (no sandbox); the end-to-end case is in tests/test_grader.py."""

from __future__ import annotations

import os
import time

import nbformat
import pytest

from autograder import intake, paths, wire

SOLUTION = paths.SOLUTION_FILE.read_text()
HELPER = "def helper():\n    return 1\n"


def _folder(tmp_path, files: dict[str, str], ages: dict[str, float] | None = None):
    folder = tmp_path / "submission"
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    now = time.time()
    for name, age in (ages or {}).items():
        os.utime(folder / name, (now - age, now - age))
    return folder


def _notebook(source: str) -> str:
    return nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]))


def test_a_single_py_under_another_name_is_graded_as_rnn_py(tmp_path):
    folder = _folder(tmp_path, {"my_solution.py": SOLUTION, "quiz_answers.toml": 'q01 = "a"\n'})
    got = intake.load(folder)
    assert got.problem is None
    assert got.kind == wire.KIND_PY and got.files[wire.STUDENT_FILE] == SOLUTION.encode()
    assert wire.QUIZ_FILE in got.files
    assert any("my_solution.py" in n and "the only" in n for n in got.notes), got.notes


def test_a_single_notebook_under_any_name_is_graded(tmp_path):
    folder = _folder(tmp_path, {"Untitled (3).ipynb": _notebook(SOLUTION)})
    got = intake.load(folder)
    assert got.problem is None and got.kind == wire.KIND_NOTEBOOK and list(got.files) == ["Untitled (3).ipynb"]


def test_the_file_that_defines_the_exercise_wins_and_the_student_is_told(tmp_path):
    folder = _folder(tmp_path, {"helpers.py": HELPER, "answer_v2.py": SOLUTION})
    got = intake.load(folder)
    assert got.files[wire.STUDENT_FILE] == SOLUTION.encode()
    note = next(n for n in got.notes if "answer_v2.py" in n)
    assert "defines SimpleRNN" in note and "helpers.py" in note and "not graded" in note


def test_rnn_py_wins_over_other_names(tmp_path):
    folder = _folder(tmp_path, {"rnn.py": SOLUTION, "scratch.py": SOLUTION, "draft.ipynb": _notebook(SOLUTION)})
    got = intake.load(folder)
    assert got.kind == wire.KIND_PY and got.files[wire.STUDENT_FILE] == SOLUTION.encode()
    assert any("graded rnn.py" in n and "named rnn.py" in n for n in got.notes), got.notes


def test_several_rnn_py_the_nearest_the_top_then_the_newest(tmp_path):
    folder = _folder(tmp_path, {"rnn.py": SOLUTION, "old/rnn.py": SOLUTION + "\n# old\n"})
    got = intake.load(folder)
    assert got.files[wire.STUDENT_FILE] == SOLUTION.encode()
    assert any("nearest the top" in n for n in got.notes), got.notes
    folder = _folder(tmp_path / "2", {"a/rnn.py": SOLUTION + "# a\n", "b/rnn.py": SOLUTION + "# b\n"},
                     ages={"a/rnn.py": 10, "b/rnn.py": 3600})
    got = intake.load(folder)
    assert got.files[wire.STUDENT_FILE].endswith(b"# a\n")
    assert any("a/rnn.py" in n and "most recently modified" in n for n in got.notes), got.notes


def test_a_folder_without_any_code_still_says_so(tmp_path):
    folder = _folder(tmp_path, {"notes.txt": "hello"})
    got = intake.load(folder)
    assert got.problem and "no other Python file and no notebook" in got.problem


@pytest.mark.parametrize("name", ["my_solution.py", "rnn.py"])
def test_a_link_is_refused_whatever_its_name(tmp_path, name):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / name).symlink_to(paths.SOLUTION_FILE)
    got = intake.load(folder)
    assert got.problem and "symbolic link" in got.problem and not got.files


# --- the submission time: only nbgrader's own timestamp.txt is believed ------------------------------


def _with_timestamp(tmp_path, where="timestamp.txt"):
    folder = _folder(tmp_path, {"rnn.py": SOLUTION, where: "2020-01-01 00:00:00 UTC"})
    return folder


def test_a_students_own_timestamp_txt_is_never_believed(tmp_path):
    got = intake.load(_with_timestamp(tmp_path))
    assert got.submitted_at["source"] == "file modification time" and got.submitted_at["weak"] is True
    assert not got.submitted_at["time"].startswith("2020")


def test_a_single_file_never_takes_a_timestamp_txt_beside_it(tmp_path):
    folder = _with_timestamp(tmp_path)
    got = intake.load(folder / "rnn.py", nbgrader_layout=False)
    assert got.submitted_at["source"] == "file modification time"


def test_nbgrader_layout_believes_the_timestamp_nbgrader_wrote_and_only_that_one(tmp_path):
    got = intake.load(_with_timestamp(tmp_path), nbgrader_layout=True)
    assert got.submitted_at == {"time": "2020-01-01T00:00:00+00:00", "source": "nbgrader timestamp.txt",
                                "weak": False}
    nested = intake.load(_with_timestamp(tmp_path / "n", "work/timestamp.txt"), nbgrader_layout=True)
    assert nested.submitted_at["source"] == "file modification time" and nested.submitted_at["weak"]


def test_grade_all_believes_timestamp_txt_only_under_assignment(tmp_path):
    from argparse import Namespace

    from autograder import cohort
    from autograder.commands import grade_all
    from autograder.judge.grader import Options

    plain = tmp_path / "plain"
    (plain / "alice").mkdir(parents=True)
    (plain / "alice" / "rnn.py").write_text(SOLUTION)
    (plain / "alice" / "timestamp.txt").write_text("2020-01-01 00:00:00 UTC")
    nbgrader = tmp_path / "submitted" / "alice" / "module11"
    nbgrader.mkdir(parents=True)
    (nbgrader / "rnn.py").write_text(SOLUTION)
    (nbgrader / "timestamp.txt").write_text("2020-01-01 00:00:00 UTC")
    out = tmp_path / "out"
    out.mkdir()
    for root, assignment, source in ((plain, None, "file modification time"),
                                     (tmp_path / "submitted", "module11", "nbgrader timestamp.txt")):
        students = cohort.find_students(root, assignment)
        jobs, _, _ = grade_all._plan(students, out, Options(seed=1),
                                     Namespace(force=True, only=None, assignment=assignment),
                                     held={}, results_key=b"k" * 32)
        assert jobs[0].submission.submitted_at["source"] == source
