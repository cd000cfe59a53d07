"""The nbgrader source notebook, its config and the course scaffold (no kernels: fast)."""

from __future__ import annotations

import re
import subprocess
import sys
from unittest import mock

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

import quizzes
from autograder import derived, stubgen
from autograder.judge.catalogue import CHECKS, PART2_CHECKS
from autograder.nbgrader_course import TEMPLATE_DIR, notebook, visible
from autograder.nbgrader_course.scaffold import ScaffoldError, init_course
from tests.conftest import ROOT, run
from tests.nbgrader.course import release_view

SOURCE = notebook.SOURCE_NOTEBOOK


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(SOURCE, as_version=4)


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _cells(nb, prefix: str):
    return [c for c in nb.cells if _meta(c).get("grade_id", "").startswith(prefix)]


def test_source_notebook_is_derived_and_up_to_date():
    items = [item for item in derived.derived_files() if item.path == SOURCE]
    assert len(items) == 1, "the source notebook is not registered in derived_files()"
    assert derived.drift(items[0]) == "", "notebook drifted: run `python -m autograder build`"


def test_hand_edit_of_the_notebook_shows_as_drift(tmp_path):
    stale = tmp_path / "rnn.ipynb"
    stale.write_text(SOURCE.read_text().replace("Recurrent Neural Networks", "RNNs!", 1))
    diff = derived.drift(derived.Derived(stale, notebook.render, SOURCE))
    assert "-    \"# Module 11: RNNs!" in diff and "+    \"# Module 11: Recurrent Neural Networks" in diff


def test_first_code_cell_installs_only_what_is_missing(nb):
    setup = next(c for c in nb.cells if c.cell_type == "code")
    assert "pip" in setup.source and "torch" in setup.source
    with mock.patch.object(subprocess, "run") as fake_run:
        exec(compile(setup.source, "setup-cell", "exec"), {})  # torch is installed here
    fake_run.assert_not_called()
    with mock.patch.object(subprocess, "run") as fake_run, \
            mock.patch("importlib.util.find_spec", return_value=None):
        exec(compile(setup.source, "setup-cell", "exec"), {})
    args = fake_run.call_args.args[0]
    assert args[:4] == [sys.executable, "-m", "pip", "install"] and "torch" in args
    if sys.platform == "linux":  # the CPU-only build, not 3 GB of CUDA
        assert args[-2:] == ["--index-url", "https://download.pytorch.org/whl/cpu"]


def test_answer_cells_are_the_solution_regions_with_their_hints(nb):
    answers = [c for c in nb.cells if _meta(c).get("solution")]
    regions = stubgen.find_regions(notebook.paths.SOLUTION_FILE.read_text())
    text = "\n".join(c.source for c in answers)
    assert text.count("### BEGIN SOLUTION") == text.count("### END SOLUTION") == len(regions)
    for region in regions:
        assert "\n".join(region.hint_lines) in "\n".join(line.strip() for line in text.splitlines())
    assert all(not _meta(c).get("grade") for c in answers), "answers are graded by test cells"


def test_visible_checks_run_every_test_of_the_exercise(nb):
    tests = visible.parse_tests((ROOT / "exercises" / "test_rnn.py").read_text())
    runs = "\n".join(c.source for c in _cells(nb, "visible-") if c.source.startswith("# Visible"))
    cases = re.findall(r"\((test_\w+), ", runs)
    assert sorted(cases) == sorted(t.name for t in tests for _ in t.cases)
    assert len(cases) == 31  # as many as `pytest exercises` runs
    assert all(_meta(c)["locked"] and not _meta(c)["grade"] for c in _cells(nb, "visible-"))


def _notebook_namespace() -> tuple[dict, list]:
    """The visible-checks cell and the solution's definitions, executed as the notebook does."""
    namespace: dict = {}
    exec("import torch\nfrom torch import nn\n", namespace)
    sources = visible.read_sources(ROOT / "exercises")
    exec(visible.helper_cell(sources), namespace)
    exec(notebook.paths.SOLUTION_FILE.read_text().split('if __name__ == "__main__":')[0], namespace)
    namespace["__name__"] = "__main__"
    return namespace, visible.parse_tests(sources[visible.TESTS])


def test_visible_check_cells_give_one_line_per_check(capsys):
    from autograder.judge.catalogue import HINTS

    namespace, tests = _notebook_namespace()
    exec(visible.run_cell(tests, ["predict"]), namespace)  # passes
    exec("def predict(model, inputs):\n    return model(inputs)\n", namespace)
    with pytest.raises(AssertionError, match="2 of 2 visible checks failed"):
        exec(visible.run_cell(tests, ["predict"]), namespace)
    lines = capsys.readouterr().out.splitlines()
    assert "All 2 visible checks pass." in lines
    assert "FAIL test_predict_returns_class_indices: predict: expected an int64 tensor of shape " \
        "(7,) for 7 sequences, got a float32 tensor of shape (7, 3). Hint: " + HINTS["predict.dtype_shape"] in lines


def test_every_visible_check_passes_on_the_solution_inside_the_notebook(capsys):
    # train's checks swap a recording stand-in for training_step: in the notebook that goes
    # through the notebook's globals, and the real one is back afterwards.
    namespace, tests = _notebook_namespace()
    step = namespace["training_step"]
    functions = [f for piece in notebook.split_solution(notebook.paths.SOLUTION_FILE.read_text())[1]
                 for f in piece.functions]
    exec(visible.run_cell(tests, functions), namespace)
    assert f"All {sum(len(t.cases) for t in tests)} visible checks pass." in capsys.readouterr().out
    assert namespace["training_step"] is step


def test_the_visible_checks_cell_ships_no_answer(nb):
    cell = next(c for c in _cells(nb, "visible-checks"))
    fragments = stubgen.answer_fragments(notebook.paths.SOLUTION_FILE.read_text())
    assert stubgen.find_answers(fragments, cell.source) == []
    assert "class _ReadOut" not in cell.source and "class _MeanPool" in cell.source


def test_the_release_holds_no_answer_anywhere(nb):
    fragments = stubgen.answer_fragments(notebook.paths.SOLUTION_FILE.read_text())
    release = release_view(nb)
    quiz_from = next(n for n, c in enumerate(release.cells) if c.source.startswith("## Quiz"))
    for number, cell in enumerate(release.cells):
        quoted = stubgen.MODULE_SAMPLE if number >= quiz_from else ""  # the quiz quotes the module
        hits = stubgen.find_answers(fragments, cell.source, quoted=quoted)
        assert hits == [], (cell.source[:200], hits)
    answers = "\n".join(c.source for c in release.cells if _meta(c).get("solution"))
    assert answers.count("raise NotImplementedError()") == len(stubgen.find_regions(
        notebook.paths.SOLUTION_FILE.read_text()))


def test_the_plot_cell_draws_both_curves_with_the_gradient_vanishing(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda: None)
    namespace, _ = _notebook_namespace()
    (cell,) = _cells(nbformat.read(SOURCE, as_version=4), "plot-gradient-norms")
    exec(cell.source, namespace)
    axes = plt.gcf().axes[0]
    lines = {line.get_label(): list(line.get_ydata()) for line in axes.get_lines()}
    plt.close("all")
    assert set(lines) == {"seq_len = 10", "seq_len = 60"} and axes.get_yscale() == "log"
    long = lines["seq_len = 60"]
    assert len(long) == 60 and long[0] < 1e-6 * long[-1]  # vanished
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # what nbgrader sets while it grades: nothing runs
    exec(cell.source.replace("plt.show()", "raise AssertionError"), namespace)


@pytest.mark.parametrize("value", ["autograde", "validate"])
def test_cells_that_only_show_the_student_skip_themselves_while_nbgrader_runs(nb, monkeypatch, capsys, value):
    shown = [c for c in nb.cells if _meta(c).get("grade_id", "").startswith(("visible-", "demo-", "plot-"))
             and _meta(c)["grade_id"] != "visible-checks"]
    answers = [c for c in nb.cells if _meta(c).get("grade_id", "").startswith("answer-")]
    assert len(shown) == len(answers) + 2  # a visible-check cell per answer, the training demo, the plot
    namespace, _ = _notebook_namespace()
    for cell in shown:
        monkeypatch.setenv("NBGRADER_EXECUTION", value)
        exec(cell.source.replace("plt.show()", "raise AssertionError"), dict(namespace, run_visible_checks=None,
                                                                              train=None, SimpleRNN=None))
    assert capsys.readouterr().out == ""


def test_points_table_matches_the_catalogue_and_the_readme(nb):
    intro = nb.cells[0].source
    rows = dict(re.findall(r"^\| [^|]+ \| `([\w.]+)` \| (\d+) \|$", intro, re.M))
    readme = (ROOT / "exercises" / "README.md").read_text()
    assert rows == dict(re.findall(r"^\| [^|]+ \| `([\w.]+)` \| (\d+) \|$", readme, re.M))
    assert sum(map(float, rows.values())) == sum(c.points for c in [*CHECKS, *PART2_CHECKS])


def test_hidden_cells_follow_the_grader_checks_point_for_point(nb):
    hidden = _cells(nb, "check-")
    checks = [*CHECKS, *PART2_CHECKS]  # part 2 included: `grade` includes it unless --no-part2
    assert [float(_meta(c)["points"]) for c in hidden] == [float(c.points) for c in checks]
    assert sum(float(_meta(c)["points"]) for c in hidden) == 120
    for cell, check in zip(hidden, checks, strict=True):
        body = cell.source.split("### BEGIN HIDDEN TESTS", 1)[1]
        assert "from autograder.inkernel import run_check" in body
        assert f"run_check(globals(), {check.id!r})" in body
        assert body.rstrip().endswith("### END HIDDEN TESTS")
        assert _meta(cell)["grade"] and _meta(cell)["locked"]


def test_quiz_cells_ask_every_question_without_the_key(nb):
    bank = quizzes.load_bank()
    answers = [c for c in nb.cells if "quiz-answers" in c.metadata.get("tags", [])]
    assert len(answers) == 1 and answers[0].source.count('"""') == 2
    for q in bank.questions:
        assert re.search(rf"^{q.id} = ", answers[0].source, re.M)
    visible_text = "\n".join(
        c.source.split("### BEGIN HIDDEN TESTS")[0] for c in nb.cells
    )
    for q in bank.questions:
        assert q.prompt.split("`")[0].strip()[:40] in visible_text
        for option in q.options:
            assert option.feedback not in visible_text
        assert " ".join(q.explanation.split())[:60] not in " ".join(visible_text.split())
    quiz = _cells(nb, "quiz-")
    assert [_meta(c)["points"] for c in quiz] == [q.points for q in bank.questions]
    assert sum(_meta(c)["points"] for c in quiz) == bank.total_points


def test_notebook_kernel_is_python3(nb):
    assert nb.metadata.kernelspec["name"] == "python3"


# --- nbgrader_config.py ------------------------------------------------------------------


@pytest.fixture(scope="module")
def config():
    return PyFileConfigLoader("nbgrader_config.py", path=str(TEMPLATE_DIR)).load_config()


def test_config_sets_a_per_cell_timeout_and_short_tracebacks(config):
    assert 0 < config.Execute.timeout <= 300 and config.Execute.interrupt_on_timeout
    assert "--InteractiveShell.xmode=Minimal" in config.Execute.extra_arguments
    assert config.LimitOutput.max_traceback <= 20


def test_config_ignores_python_warnings_and_nothing_else(config):
    assert config.IgnorePattern.enabled is True
    pattern = re.compile(config.IgnorePattern.pattern)
    torch_warning = (
        "/usr/lib/python3/site-packages/torch/nn/modules/rnn.py:123: UserWarning: "
        "RNN module weights are not part of single contiguous chunk of memory.\n  result = ...\n"
    )
    assert pattern.search(torch_warning)
    assert pattern.search("<ipython-input-3>:1: DeprecationWarning: old\n")
    assert not pattern.search("Traceback (most recent call last):\nValueError: bad shape\n")
    assert not pattern.search("my own message on stderr\n")


def test_config_feedback_clears_hidden_tests(config):
    assert "nbgrader.preprocessors.ClearHiddenTests" in config.GenerateFeedback.preprocessors
    assert "nbgrader.preprocessors.GetGrades" in config.GenerateFeedback.preprocessors


# --- scaffolding -------------------------------------------------------------------------


@pytest.mark.slow
def test_init_writes_a_course_folder_and_refuses_to_overwrite(tmp_path):
    course = tmp_path / "course"
    proc = run([sys.executable, "-m", "autograder.nbgrader_course", "init", str(course),
                "--course-id", "dl-2026"])
    assert proc.returncode == 0, proc.stderr
    assert (course / "source" / "module11" / "rnn.ipynb").read_text() == SOURCE.read_text()
    assert 'c.CourseDirectory.course_id = "dl-2026"' in (course / "nbgrader_config.py").read_text()
    assert "nbgrader generate_assignment module11" in proc.stdout
    again = run([sys.executable, "-m", "autograder.nbgrader_course", "init", str(course)])
    assert again.returncode == 1 and "would overwrite" in again.stderr and "--force" in again.stderr
    with pytest.raises(ScaffoldError, match="course id"):
        init_course(tmp_path / "other", course_id="bad id!")


def test_readme_gives_the_command_sequence_and_the_tamper_warning():
    text = (TEMPLATE_DIR.parent / "README.md").read_text()
    walkthrough = text[text.index("## From a fresh clone"):]
    order = ["python -m autograder.nbgrader_course init", "nbgrader generate_assignment module11",
             "nbgrader release_assignment module11", "nbgrader collect module11",
             "nbgrader autograde module11", "nbgrader generate_feedback module11", "nbgrader export"]
    positions = [walkthrough.index(command) for command in order]
    assert positions == sorted(positions)
    assert "input transformer" in text and "full marks" in text
    assert "python -m autograder grade-all submitted --assignment module11" in text
