"""Correct forms of the exercise: each must earn every hidden check in full (100 / 100)."""

from __future__ import annotations

import nbformat
import pytest

from tests.grader.common import (
    IDS,
    SOLUTION,
    TOTAL,
    assert_valid_results,
    by_check,
    grade_all,
    write_variants,
)
from tests.variants import CORRECT, INLINE_TRAIN, MAIN


def _notebook(later_cells_use_timed_results: bool = False, setup_cell_first: bool = False) -> str:
    """The solution split over notebook cells, with magics, shell lines and a %%time cell.

    With ``later_cells_use_timed_results``, a later cell reads the variable the ``%%time``
    cell (and a ``%time`` line) assigned, as it would in Jupyter. With ``setup_cell_first``,
    the ``!pip``/``%matplotlib`` cell comes before the cell holding ``from __future__ import
    annotations`` (fine in Jupyter, where each cell is compiled on its own).
    """
    head, rest = SOLUTION.split("class SimpleRNN(nn.Module):", 1)
    model, rest = rest.split("def training_step(", 1)
    steps, main = rest.split(MAIN, 1)
    setup = nbformat.v4.new_code_cell("!pip install torch\n%matplotlib inline\nimport math")
    cells = [
        nbformat.v4.new_markdown_cell("# Module 11: recurrent networks"),
        *([setup] if setup_cell_first else []),
        nbformat.v4.new_code_cell(head),
        *([] if setup_cell_first else [setup]),
        nbformat.v4.new_code_cell("class SimpleRNN(nn.Module):" + model),
        nbformat.v4.new_code_cell("def training_step(" + steps),
        nbformat.v4.new_code_cell("%%time\nlosses = train(SimpleRNN(4, 16, 2), *make_dataset(), epochs=5)"),
    ]
    if later_cells_use_timed_results:
        cells += [
            nbformat.v4.new_code_cell("print(losses[-1])"),
            nbformat.v4.new_code_cell("%time accuracy = predict(SimpleRNN(4, 16, 2), make_dataset()[0])\n"
                                      "print(accuracy.shape)"),
        ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.writes(notebook)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("correct")
    write_variants(folder, {**CORRECT, "inline_train": INLINE_TRAIN})
    (folder / "notebook.ipynb").write_text(_notebook(), encoding="utf-8")
    (folder / "notebook_uses_timed_cell.ipynb").write_text(_notebook(True), encoding="utf-8")
    (folder / "notebook_setup_cell_first.ipynb").write_text(_notebook(setup_cell_first=True), encoding="utf-8")
    (folder / "reference.py").write_text(SOLUTION, encoding="utf-8")
    return grade_all(folder, tmp_path_factory.mktemp("correct-out"))


def test_every_form_was_graded(graded):
    assert set(graded) == {*CORRECT, "inline_train", "notebook", "notebook_uses_timed_cell", "notebook_setup_cell_first", "reference"}


@pytest.mark.parametrize("name", ["reference", *sorted(CORRECT), "notebook", "notebook_uses_timed_cell",
                                  "notebook_setup_cell_first"])
def test_correct_form_earns_full_marks(graded, name):
    results = graded[name]
    assert_valid_results(results)
    lost = {i: t["output"] for i, t in by_check(results).items() if t["score"] != t["max_score"]}
    assert not lost, lost
    assert results["score"] == TOTAL == 100


def test_inline_training_loop_earns_full_marks(graded):
    results = graded["inline_train"]
    assert_valid_results(results)
    lost = {i: t["output"] for i, t in by_check(results).items() if t["score"] != t["max_score"]}
    assert not lost, lost


def test_prints_show_up_in_the_output_excerpt_only(graded):
    results = graded["prints_everywhere"]
    assert "What your code printed" in results["output"] and "Epoch 1/" in results["output"]
    assert all("Epoch" not in t["output"] for t in results["tests"])


def test_results_order_follows_the_catalogue(graded):
    assert [t["tags"][0] for t in graded["reference"]["tests"][:len(IDS)]] == [i.split(".")[0] for i in IDS]
