"""The real nbgrader pipeline, with a real kernel, in a temporary course folder.

init -> generate_assignment -> (the release is clean: no solution, hidden test, quiz
key or answer fragment) -> submissions -> autograde -> gradebook scores ->
generate_feedback -> export (Canvas, Moodle); then the same submissions through
``python -m autograder grade`` (the tamper-proof path), which, like the notebook,
grades part 2 and the quiz: an honest notebook earns the same fraction both ways.
"""

from __future__ import annotations

import csv
import json
import sys

import nbformat
import pytest
from nbclient import NotebookClient

import quizzes
from autograder import stubgen
from autograder.judge.catalogue import BY_ID, CHECKS, PART2_CHECKS
from autograder.nbgrader_course import ASSIGNMENT, NOTEBOOK_NAME
from autograder.nbgrader_course.scaffold import init_course
from tests.conftest import ROOT, run
from tests.nbgrader.course import (
    grade_id,
    nbgrader,
    nbgrader_env,
    read,
    submission,
    submit,
)

pytestmark = pytest.mark.slow

QUIZ = {"q01": "b", "q02": "a", "q03": "d", "q05": ["a"]}  # some right, one partly
LAST_STEP = ("        return self.fc(out[:, -1, :])", "        return self.fc(out[:, 0, :])")
IGNORES_H0 = ("    h = x.new_zeros(batch, weight_hh.shape[0]) if h0 is None else h0[0]",
              "    h = x.new_zeros(batch, weight_hh.shape[0])")
TAMPER = '''

def _skip_graders(lines):
    """An IPython input transformer: every later cell that grades becomes `None`."""
    if any("run_check" in line or "quiz_points" in line for line in lines):
        return ["None\\n"]
    return lines


if "get_ipython" in globals():  # only in a kernel: nothing to see for other graders
    get_ipython().input_transformers_post.append(_skip_graders)  # noqa: F821
'''
CHECK_POINTS = sum(c.points for c in [*CHECKS, *PART2_CHECKS])
QUIZ_POINTS = quizzes.load_bank().total_points

# QUIZ by hand, from the bank's keys: q01 and q02 right, q03 wrong, q05 one of its three keys
# (2 points; the default scheme, right minus wrong: (1 - 0) / 3).
QUIZ_EARNED = 1 + 1 + 0 + 2 * (1 - 0) / 3


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder taken through the whole pipeline; yields its path."""
    course = tmp_path_factory.mktemp("course")
    init_course(course)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release = read(course / "release" / ASSIGNMENT / NOTEBOOK_NAME)
    source = read(course / "source" / ASSIGNMENT / NOTEBOOK_NAME)
    buggy = submission(release, source, edits=(LAST_STEP, IGNORES_H0), quiz=QUIZ)
    edited = {
        grade_id(c): "print('all checks pass')\n1.0"
        for c in release.cells
        if (grade_id(c) or "").startswith(("check-", "quiz-", "visible-"))
    }
    predict = next(c for c in source.cells if grade_id(c) == "answer-predict").source
    submissions = {
        "correct": submission(release, source, quiz=QUIZ),
        "stub": submission(release, source, answers=False),
        "buggy": buggy,
        "edits-tests": submission(release, source, edits=(LAST_STEP, IGNORES_H0), quiz=QUIZ,
                                  cell_edits=edited),
        "kernel-tamper": submission(release, source, edits=(LAST_STEP, IGNORES_H0), quiz=QUIZ,
                                    cell_edits={"answer-predict": predict + TAMPER}),
    }
    for student, nb in submissions.items():
        submit(course, student, nb)
    nbgrader(course, "autograde", ASSIGNMENT, "--force", timeout=600)
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    return course


@pytest.fixture(scope="module")
def grades(course):
    """student -> {grade_id: points} and student -> total, from the gradebook."""
    from nbgrader.api import Gradebook

    cells, totals = {}, {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in ["correct", "stub", "buggy", "edits-tests", "kernel-tamper"]:
            nb = gb.find_submission_notebook(NOTEBOOK_NAME[:-6], ASSIGNMENT, student)
            cells[student] = {g.name: g.score for g in nb.grades}
            totals[student] = gb.find_submission(ASSIGNMENT, student).score
        max_score = gb.find_assignment(ASSIGNMENT).max_score
    return cells, totals, max_score


def _checks(cells: dict) -> float:
    return sum(v for k, v in cells.items() if k.startswith("check-"))


# --- the release ---------------------------------------------------------------------


def test_release_holds_no_solution_no_hidden_test_and_no_quiz_key(course):
    path = course / "release" / ASSIGNMENT / NOTEBOOK_NAME
    text = path.read_text()
    release = read(path)
    for marker in ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "run_check",
                   "quiz_points", "autograder.inkernel"]:
        assert marker not in text, marker
    solution = (ROOT / "solutions" / "rnn.py").read_text().splitlines()
    answer_lines = {
        line.strip()
        for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")
        for line in c.source.splitlines()
    }
    for region in stubgen.find_regions("\n".join(solution)):
        for line in solution[region.begin:region.end - 1]:
            assert line.strip() not in answer_lines, line
    assert answer_lines >= {"# YOUR CODE HERE", "raise NotImplementedError()"}
    # no statement or key expression of an answer anywhere (the quiz may quote the module's sample)
    fragments = stubgen.answer_fragments("\n".join(solution))
    quiz_from = next(n for n, c in enumerate(release.cells) if c.source.startswith("## Quiz"))
    for number, cell in enumerate(release.cells):
        quoted = stubgen.MODULE_SAMPLE if number >= quiz_from else ""
        assert stubgen.find_answers(fragments, cell.source, quoted=quoted) == [], cell.source[:300]
    flat = " ".join(text.split())
    bank = quizzes.load_bank()
    for q in bank.questions:
        blank = f'{q.id} = \\"\\"' if q.type == "single" else f"{q.id} = []"
        assert blank in text  # blank answers only
        for option in q.options:
            assert json.dumps(option.feedback)[1:-1] not in text
        assert " ".join(q.explanation.split())[:50] not in flat
    quiz_cell = [c for c in release.cells if "quiz-answers" in c.metadata.get("tags", [])]
    assert len(quiz_cell) == 1


# --- autograde ---------------------------------------------------------------------------


def test_gradebook_total_is_checks_plus_quiz(grades):
    _, _, max_score = grades
    assert max_score == pytest.approx(CHECK_POINTS + QUIZ_POINTS)


def test_correct_notebook_earns_every_check_point_and_its_quiz_points(grades):
    cells, totals, _ = grades
    assert _checks(cells["correct"]) == pytest.approx(CHECK_POINTS), cells["correct"]
    assert totals["correct"] == pytest.approx(CHECK_POINTS + QUIZ_EARNED, abs=1e-4)  # quiz points: 4 d.p.


def test_stub_notebook_earns_nothing(grades):
    _, totals, _ = grades
    assert totals["stub"] == 0


def test_buggy_notebook_loses_the_checks_that_catch_its_bug(grades):
    cells, _, _ = grades
    assert cells["buggy"]["check-forward-last-time-step"] == 0
    assert cells["buggy"]["check-manual-values"] == 0  # part 2 has its own cells
    assert cells["buggy"]["check-bptt-values"] == BY_ID["bptt.values"].points
    assert 0 < _checks(cells["buggy"]) < CHECK_POINTS
    assert sum(v for k, v in cells["buggy"].items() if k.startswith("quiz-")) == \
        pytest.approx(QUIZ_EARNED, abs=1e-4)


def test_autograde_skips_the_cells_that_only_show_the_student(course):
    nb = read(course / "autograded" / "correct" / ASSIGNMENT / NOTEBOOK_NAME)
    shown = [c for c in nb.cells if (grade_id(c) or "").startswith(("visible-", "demo-", "plot-"))
             and grade_id(c) != "visible-checks"]
    answers = [c for c in nb.cells if (grade_id(c) or "").startswith("answer-")]
    assert len(shown) == len(answers) + 2 and all(c.execution_count for c in shown)  # run, and skipped themselves
    assert [c.outputs for c in shown] == [[]] * len(shown)
    checks = [c for c in nb.cells if (grade_id(c) or "").startswith("check-")]
    assert checks and all(c.execution_count for c in checks)


def test_edited_test_cells_are_restored_before_grading(grades):
    cells, _, _ = grades
    assert cells["edits-tests"] == cells["buggy"]


def test_kernel_tamper_fools_nbgrader_as_the_readme_warns(grades):
    cells, _, _ = grades
    # Documented weakness: code in the student's kernel rewrites the test cells after it.
    assert _checks(cells["kernel-tamper"]) == pytest.approx(CHECK_POINTS)


def test_feedback_shows_scores_but_no_hidden_test_source(course, grades):
    _, totals, max_score = grades
    for student in ["correct", "buggy", "kernel-tamper"]:
        html = (course / "feedback" / student / ASSIGNMENT / "rnn.html").read_text()
        for secret in ["BEGIN HIDDEN TESTS", "import run_check", "run_check(globals()",
                       "quiz_points(globals()", "autograder.inkernel"]:
            assert secret not in html, (student, secret)
        assert f"<h4>rnn (Score: {round(totals[student], 2)} / {round(max_score, 2)})</h4>" in html


# --- export ------------------------------------------------------------------------------


def test_canvas_and_moodle_exports(course, grades, tmp_path):
    _, totals, max_score = grades
    nbgrader(course, "db", "student", "add", "correct", "--first-name", "Ada",
             "--last-name", "Lovelace", "--email", "ada@example.org")
    roster = tmp_path / "canvas_export.csv"
    roster.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,Module 11 (4321)\n"
        "    Points Possible,,,,,100\n"
        '"Lovelace, Ada",17,S-001,correct,Section A,\n'
    )
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + (
        '\nc.CanvasExportPlugin.canvas_ids = {"module11": "4321"}\n'
        '\nc.CanvasExportPlugin.titles = {"module11": "Module 11"}\n'
        f"c.CanvasExportPlugin.roster = {str(roster)!r}\n"
    ))
    exporter = "autograder.nbgrader_course.exports."
    nbgrader(course, "export", "--exporter", exporter + "CanvasExportPlugin", "--to", "canvas.csv")
    nbgrader(course, "export", "--exporter", exporter + "MoodleExportPlugin", "--to", "moodle.csv")

    with (course / "canvas.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Module 11 (4321)"]
    assert rows[1][0].strip() == "Points Possible" and float(rows[1][5]) == max_score
    by_login = {r[3]: r for r in rows[2:]}
    assert by_login["correct"][:5] == ["Lovelace, Ada", "17", "S-001", "correct", "Section A"]
    assert float(by_login["correct"][5]) == pytest.approx(totals["correct"], abs=0.01)
    assert float(by_login["stub"][5]) == 0 and by_login["stub"][0] == "stub"

    with (course / "moodle.csv").open(newline="") as handle:
        moodle = list(csv.DictReader(handle))
    row = next(r for r in moodle if r["ID number"] == "correct")
    assert (row["First name"], row["Last name"], row["Email address"]) == \
        ("Ada", "Lovelace", "ada@example.org")
    assert float(row["module11"]) == pytest.approx(totals["correct"], abs=0.01)
    assert len(moodle) == 5


# --- the student's view -------------------------------------------------------------------


def test_filled_in_student_notebook_runs_top_to_bottom_in_a_fresh_kernel(course):
    nb = read(course / "submitted" / "correct" / ASSIGNMENT / NOTEBOOK_NAME)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(course)}}).execute(env=nbgrader_env())
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    answers = len(stubgen.find_regions((ROOT / "solutions" / "rnn.py").read_text())) - 1  # __init__, forward: one cell
    assert text.count("visible checks pass.") == answers and "Held-out accuracy" in text
    plots = [o for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "plot-gradient-norms"
             for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(plots) == 1, "the gradient-norm plot did not draw"


# --- the same fraction through the project's grader --------------------------------------


def _grade(course, student, tmp_path) -> float:
    notebook = course / "submitted" / student / ASSIGNMENT / NOTEBOOK_NAME
    results = tmp_path / f"{student}.json"
    proc = run([sys.executable, "-m", "autograder", "grade", str(notebook), "--results",
                str(results), "--quiet"], timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(results.read_text())
    return data["score"] / sum(t["max_score"] for t in data["tests"])


@pytest.mark.parametrize("student", ["correct", "buggy", "stub"])
def test_honest_notebook_earns_the_same_fraction_from_both_graders(course, grades, tmp_path,
                                                                   student):
    _, totals, max_score = grades
    assert _grade(course, student, tmp_path) == pytest.approx(totals[student] / max_score,
                                                              abs=1e-3)


def test_project_grader_over_submitted_is_not_fooled_by_kernel_tamper(course, grades, tmp_path):
    _, totals, max_score = grades
    assert _grade(course, "kernel-tamper", tmp_path) == pytest.approx(
        totals["buggy"] / max_score, abs=1e-3)


def test_release_notebook_is_valid_nbformat(course):
    nbformat.validate(read(course / "release" / ASSIGNMENT / NOTEBOOK_NAME))
