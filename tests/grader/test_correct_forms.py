"""Correct forms of the exercise, as files and as honest notebooks: each earns every point
(100 core + 20 part 2), and a notebook is graded as Jupyter runs it ("Restart & Run All"
with errors allowed)."""

from __future__ import annotations

import nbformat
import pytest

from tests.grader.common import CORE_TOTAL, IDS, SOLUTION, TOTAL, assert_valid_results, by_check, grade_all
from tests.variants import CORRECT, CORRECT_PART2, INLINE_TRAIN, MAIN

pytestmark = pytest.mark.slow  # every test here grades in the sandbox or runs a subprocess


def _cells(text: str = SOLUTION) -> dict[str, str]:
    """The solution cut where a student would cut it into notebook cells."""
    head, rest = text.split("class SimpleRNN(nn.Module):", 1)
    model, rest = rest.split("def training_step(", 1)
    steps, rest = rest.split("# --- Part 2", 1)
    part2, _ = rest.split(MAIN, 1)
    return {"head": head, "model": "class SimpleRNN(nn.Module):" + model, "steps": "def training_step(" + steps,
            "part2": "# --- Part 2" + part2}


def notebook(*sources: str, quiz: str | None = None) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# Module 11: recurrent networks"))
    for source in sources:
        nb.cells.append(nbformat.v4.new_code_cell(source))
    if quiz is not None:
        nb.cells.append(nbformat.v4.new_code_cell(quiz, metadata={"tags": ["quiz-answers"]}))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.writes(nb)


def released_notebook(broken_given_cell: bool) -> str:
    """The course notebook with its answers filled in and its hidden-check cells as released (empty).
    With ``broken_given_cell``, the read-only visible-check cell after the first answer raises, as
    a student's edit of a locked cell would: graders run the released cell, never the edit."""
    from autograder.nbgrader_course.notebook import SOURCE_NOTEBOOK

    nb = nbformat.read(SOURCE_NOTEBOOK, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = ""  # as in the student's copy: the hidden checks are not there
        if broken_given_cell and grade_id == "visible-simplernn":
            cell.source = "raise RuntimeError('an edited read-only cell')"
    return nbformat.writes(nb)


CELLS = _cells()
NOTEBOOKS = {
    "notebook_as_released": released_notebook(broken_given_cell=False),
    "notebook_edited_given_cell": released_notebook(broken_given_cell=True),
    # Magics, shell lines and a timed cell whose result a later cell reads, as in Jupyter.
    "notebook_with_magics": notebook(
        CELLS["head"], "!pip install torch\n%matplotlib inline\nimport math", CELLS["model"], CELLS["steps"],
        CELLS["part2"], "%%time\nlosses = train(SimpleRNN(4, 16, 2), *make_dataset(), epochs=5)",
        "print(losses[-1])", "%time accuracy = predict(SimpleRNN(4, 16, 2), make_dataset()[0])\nprint(accuracy.shape)"),
    # The setup cell (with a magic) before the cell holding `from __future__ import annotations`.
    "notebook_setup_cell_first": notebook(
        "%matplotlib inline\nimport math", CELLS["head"], CELLS["model"], CELLS["steps"], CELLS["part2"]),
    # Leftover scratch cells that raise: the next cells still run.
    "notebook_scratch_errors": notebook(
        CELLS["head"], "print(undefined_variable)", CELLS["model"],
        "m = SimpleRNN(4, 16, 2)\nm(torch.randn(3, 4, 5))", CELLS["steps"], "1 / 0", CELLS["part2"]),
    "notebook_get_ipython": notebook(
        'get_ipython().run_line_magic("matplotlib", "inline")\nfrom IPython.display import display',
        CELLS["head"], CELLS["model"], "display(SimpleRNN(4, 8, 2))", CELLS["steps"], CELLS["part2"]),
    # A cell with a syntax error fails alone; later definitions win, as in a kernel.
    "notebook_later_definitions_win": notebook(
        CELLS["head"], "def predict(model, inputs):\n    return None", "def broken(:\n    pass",
        CELLS["model"], CELLS["steps"], CELLS["part2"]),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("correct")
    for name, text in {**CORRECT, **CORRECT_PART2, "inline_train": INLINE_TRAIN, "reference": SOLUTION}.items():
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
    for name, text in NOTEBOOKS.items():
        (folder / f"{name}.ipynb").write_text(text, encoding="utf-8")
    # Not UTF-8: graded, with a note saying so.
    (folder / "latin1_comment.py").write_bytes(SOLUTION.replace("# Hint:", "# Cafe hint:", 1)
                                                .encode("utf-8").replace(b"# Cafe", b"# Caf\xe9"))
    return grade_all(folder, tmp_path_factory.mktemp("correct-out"))


def test_every_form_was_graded(graded):
    assert set(graded) == {*CORRECT, *CORRECT_PART2, "inline_train", "reference", *NOTEBOOKS, "latin1_comment"}


@pytest.mark.parametrize("name", ["reference", *sorted(CORRECT), *sorted(CORRECT_PART2), "inline_train",
                                  *sorted(NOTEBOOKS), "latin1_comment"])
def test_correct_form_earns_full_marks(graded, name):
    results = graded[name]
    assert_valid_results(results)
    lost = {i: t["output"] for i, t in by_check(results).items() if t["score"] != t["max_score"]}
    assert not lost, lost
    assert results["score"] == TOTAL
    assert results["extra_data"]["parts"]["core"] == {"score": CORE_TOTAL, "max_score": CORE_TOTAL}
    assert results["extra_data"]["status"] == "graded"


def test_notebook_cell_errors_are_reported_by_cell(graded):
    cells = graded["notebook_scratch_errors"]["extra_data"]["notebook_cells"]
    errors = {c["cell"]: c["message"] for c in cells if c["status"] == "error"}
    assert errors == {3: "cell 3 raised NameError: name 'undefined_variable' is not defined (line 1)",
                      5: errors.get(5), 7: errors.get(7)}, errors
    assert errors[5].startswith("cell 5 raised RuntimeError") and "ZeroDivisionError" in errors[7]
    output = graded["notebook_scratch_errors"]["output"]
    assert "cell 3 raised NameError" in output
    assert "rnn.py" not in output.split("What your code printed")[0]


def test_read_only_given_cells_are_not_run(graded):
    # The visible checks, the training demo and the plot print for the student; grading reads
    # nothing from them.
    for name in ("notebook_as_released", "notebook_edited_given_cell"):
        cells = graded[name]["extra_data"]["notebook_cells"]
        assert not [c for c in cells if c["status"] == "error"], cells
        assert "an edited read-only cell" not in graded[name]["output"]
        assert "Held-out accuracy" not in graded[name]["output"]  # the training demo's line


def test_a_syntax_error_fails_its_cell_alone(graded):
    cells = graded["notebook_later_definitions_win"]["extra_data"]["notebook_cells"]
    errors = [c["message"] for c in cells if c["status"] == "error"]
    assert len(errors) == 1 and errors[0].startswith("cell 4 raised SyntaxError"), errors


def test_a_file_that_is_not_utf8_is_graded_with_a_note(graded):
    results = graded["latin1_comment"]
    assert any("not valid UTF-8" in n for n in results["extra_data"]["submission"]["notes"]) or \
        "not valid UTF-8" in results["output"]


def test_prints_show_up_in_the_output_excerpt_only(graded):
    results = graded["prints_everywhere"]
    assert "What your code printed" in results["output"] and "Epoch 1/" in results["output"]
    assert all("Epoch" not in t["output"] for t in results["tests"])


def test_results_follow_the_catalogue_order(graded):
    assert [t["extra_data"]["check"] for t in graded["reference"]["tests"]] == IDS


def test_the_loss_curve_of_a_correct_form_follows_the_reference(graded):
    curve = graded["reference"]["extra_data"]["loss_curve"]
    assert len(curve["student"]) == len(curve["reference"]) == 20  # plan.end_to_end["epochs"]
    assert all(abs(a - b) < 1e-4 for a, b in zip(curve["student"], curve["reference"], strict=True))
