"""`analyze` on a cohort folder as the grader reads it, the shipped sample, and the plot."""

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from quizzes import analysis
from quizzes.analysis import QuizStats, analyze, figure, read_cohort
from quizzes.cli import main
from tests.quiz import sample_cohort

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "quizzes" / "samples" / "cohort"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def notebook(answers: str, tags=("quiz-answers",)) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": "import torch\n", "outputs": [],
         "execution_count": None},
        {"cell_type": "code", "metadata": {"tags": list(tags)}, "outputs": [],
         "execution_count": None, "source": f'QUIZ_ANSWERS = """\n{answers}"""\n'},
    ]})


def chosen(cohort, student, qid="q01"):
    sheet = dict(cohort.responses)[student]
    return next((a.labels for a in sheet.answers if a.key == qid), None)


def test_flat_folder_keeps_its_behaviour(tmp_path):
    write(tmp_path / "s1.toml", 'q01 = "b"\n')
    write(tmp_path / "renamed.toml", 'student_id = "s2"\nq01 = "a"\n')
    write(tmp_path / "notes.txt", "not an answer file")
    cohort = read_cohort(tmp_path)
    assert [s for s, _ in cohort.responses] == ["s1", "s2"]
    assert cohort.problems == []


def test_every_layout_the_grader_reads(tmp_path):
    write(tmp_path / "alice" / "quiz_answers.toml", 'q01 = "b"\n')
    write(tmp_path / "bob" / "module11" / "quiz_answers.toml", 'q01 = "a"\n')  # nbgrader
    write(tmp_path / "bob" / "module11" / "rnn.py", "x = 1\n")
    write(tmp_path / "carol" / "module11" / "rnn.ipynb", notebook('q01 = "c"\n'))
    write(tmp_path / "dan.ipynb", notebook('q01 = "d"\n'))
    write(tmp_path / "erin" / "pyproject.toml", 'q01 = "a"\n')  # not an answer file
    cohort = read_cohort(tmp_path)
    assert [s for s, _ in cohort.responses] == ["alice", "bob", "carol", "dan"]
    assert [chosen(cohort, s) for s in ("alice", "bob", "carol", "dan")] == [
        ["b"], ["a"], ["c"], ["d"]]
    assert cohort.sources["carol"] == "carol/module11/rnn.ipynb"


def test_student_is_the_first_component_whatever_the_file_says(tmp_path):
    write(tmp_path / "alice" / "m11" / "quiz_answers.toml", 'student_id = "mallory"\nq01 = "b"\n')
    assert [s for s, _ in read_cohort(tmp_path).responses] == ["alice"]


def test_one_source_per_student_and_the_others_reported(tmp_path):
    write(tmp_path / "alice" / "quiz_answers.toml", 'q01 = "b"\n')
    write(tmp_path / "alice" / "old" / "quiz_answers.toml", 'q01 = "a"\n')
    write(tmp_path / "alice" / "rnn.ipynb", notebook('q01 = "c"\n'))
    write(tmp_path / "bob" / "rnn.ipynb", notebook("", tags=()))  # no quiz cell
    write(tmp_path / "bob" / "module11" / "rnn.ipynb", notebook('q01 = "d"\n'))
    cohort = read_cohort(tmp_path)
    assert chosen(cohort, "alice") == ["b"] and chosen(cohort, "bob") == ["d"]
    text = "\n".join(cohort.problems)
    assert "alice: answers taken from alice/quiz_answers.toml; also found" in text
    assert "bob/rnn.ipynb: no cell tagged quiz-answers" in text


def test_hidden_checkpoints_and_symlinks_are_skipped(tmp_path):
    write(tmp_path / "alice" / ".ipynb_checkpoints" / "rnn-checkpoint.ipynb", notebook('q01 = "a"\n'))
    write(tmp_path / "alice" / "rnn.ipynb", notebook('q01 = "b"\n'))
    write(tmp_path / ".git" / "quiz_answers.toml", 'q01 = "a"\n')
    outside = write(tmp_path.parent / f"{tmp_path.name}-outside" / "quiz_answers.toml", 'q01 = "a"\n')
    os.symlink(outside.parent, tmp_path / "linkdir")
    os.symlink(outside, tmp_path / "mallory.toml")
    write(tmp_path / "loop" / "quiz_answers.toml", 'q01 = "c"\n')
    os.symlink(tmp_path, tmp_path / "loop" / "again")  # a cycle, never entered
    cohort = read_cohort(tmp_path)
    assert [s for s, _ in cohort.responses] == ["alice", "loop"]
    assert chosen(cohort, "alice") == ["b"]


def test_walk_is_bounded_in_depth_and_entries(tmp_path, monkeypatch):
    deep = tmp_path / "alice" / "/".join(f"d{i}" for i in range(10)) / "quiz_answers.toml"
    write(deep, 'q01 = "b"\n')
    cohort = read_cohort(tmp_path)
    assert cohort.responses == [] and "more than 6 folders deep" in cohort.problems[0]
    for i in range(30):
        write(tmp_path / f"s{i:02d}.toml", 'q01 = "b"\n')
    monkeypatch.setattr(analysis, "MAX_ENTRIES", 10)
    cohort = read_cohort(tmp_path)
    assert len(cohort.responses) < 10 and any("stopped after 10 entries" in p for p in cohort.problems)


def test_unreadable_and_oversized_files_are_reported_per_file(tmp_path, monkeypatch):
    write(tmp_path / "alice" / "quiz_answers.toml", 'q01 = "b"\n')
    write(tmp_path / "bob" / "quiz_answers.toml", 'q01 = "b"\n')
    write(tmp_path / "carol" / "quiz_answers.toml", b'q01 = "b"\n' + b"#" * 70_000)
    write(tmp_path / "dan" / "quiz_answers.toml", b"\xff\xfe\x00")
    write(tmp_path / "erin" / "rnn.ipynb", "{not json")
    os.mkfifo(tmp_path / "fifo.toml")  # never opened: not a regular file
    real = analysis._read_bounded

    def refuse(path, limit):
        if "bob" in str(path):
            raise PermissionError(13, "Permission denied")
        return real(path, limit)

    monkeypatch.setattr(analysis, "_read_bounded", refuse)
    cohort = read_cohort(tmp_path)
    assert [s for s, _ in cohort.responses] == ["alice"]
    text = "\n".join(cohort.problems)
    assert "bob/quiz_answers.toml: cannot read (Permission denied); skipped" in text
    assert "carol/quiz_answers.toml" in text and "over the 64 KiB limit" in text
    assert "dan/quiz_answers.toml" in text and "not UTF-8" in text
    assert "erin/rnn.ipynb: no cell tagged quiz-answers (or not a notebook)" in text


def test_duplicate_ids_in_a_flat_folder(tmp_path):
    write(tmp_path / "a.toml", 'student_id = "same"\nq01 = "b"\n')
    write(tmp_path / "b.toml", 'student_id = "same"\nq01 = "a"\n')
    cohort = read_cohort(tmp_path)
    assert len(cohort.responses) == 1 and "already answered in a.toml" in cohort.problems[0]


def test_course_folder_instead_of_submitted_gets_a_hint(tmp_path):
    write(tmp_path / "submitted" / "alice" / "module11" / "quiz_answers.toml", 'q01 = "b"\n')
    write(tmp_path / "submitted" / "bob" / "module11" / "quiz_answers.toml", 'q01 = "a"\n')
    assert any("analyze" in p and "submitted" in p for p in read_cohort(tmp_path).problems)
    assert [s for s, _ in read_cohort(tmp_path / "submitted").responses] == ["alice", "bob"]


def test_cli_reports_problems_and_goes_on(tmp_path, capsys):
    write(tmp_path / "c" / "alice" / "m" / "quiz_answers.toml", 'q01 = "b"\nq02 = "a"\n')
    write(tmp_path / "c" / "bob" / "m" / "rnn.ipynb", notebook('q01 = "a"\nq02 = "a"\n'))
    write(tmp_path / "c" / "carol" / "m" / "rnn.ipynb", "{broken")
    out_csv, png = tmp_path / "ia.csv", tmp_path / "ia.png"
    assert main(["analyze", str(tmp_path / "c"), "--csv", str(out_csv), "--png", str(png)]) == 0
    captured = capsys.readouterr()
    assert "Item analysis (2 students)" in captured.out
    assert "note: carol/m/rnn.ipynb" in captured.err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["analyze", str(empty)]) == 2
    assert "no answer files" in capsys.readouterr().err


# --- the shipped sample -----------------------------------------------------------------

def test_sample_cohort_is_shipped_and_up_to_date():
    files = sample_cohort.render()
    on_disk = {str(p.relative_to(SAMPLE)): p.read_text(encoding="utf-8")
               for p in SAMPLE.rglob("*") if p.is_file()}
    assert on_disk == files, "run `python -m tests.quiz.sample_cohort`"
    assert 20 <= len(files) <= 40


@pytest.mark.slow
def test_sample_cohort_analysis_from_the_command_line(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "quizzes", "analyze", "quizzes/samples/cohort",
         "--csv", str(tmp_path / "ia.csv"), "--png", str(tmp_path / "ia.png")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # every sample file reads cleanly
    assert "Item analysis (32 students)" in out.stdout
    csv = (tmp_path / "ia.csv").read_text()
    assert "students,32" in csv
    q09 = next(line for line in csv.splitlines() if line.startswith("q09,"))
    assert float(q09.split(",")[3]) < 0.2  # the item built to be flagged for review


def test_sample_cohort_has_realistic_spread(bank):
    stats = analyze(bank, read_cohort(SAMPLE).responses)
    difficulties = [it.difficulty for it in stats.items]
    assert min(difficulties) < 0.45 < 0.85 < max(difficulties)
    assert 0.6 < stats.alpha < 0.95
    assert any(it.shares["blank"] > 0 for it in stats.items)


# --- the plot: labels never overlap -------------------------------------------------------

def _labels(fig):
    """Every piece of text drawn: tick labels in view, titles, axis labels, legend, notes."""
    fig.canvas.draw()
    texts = [fig._suptitle] if fig._suptitle else []
    for ax in fig.axes:
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        texts += [t for t in ax.get_xticklabels() if x0 <= t.get_position()[0] <= x1]
        texts += [t for t in ax.get_yticklabels() if y0 <= t.get_position()[1] <= y1]
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label,
                  *ax.texts]
    for legend in fig.legends:
        texts += legend.get_texts()
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def _stats(n: int, seed: int) -> QuizStats:
    import random

    rng = random.Random(seed)
    items = []
    for i in range(n):
        same = i % 3 == 0  # many items on the very same spot
        items.append(analysis.ItemStats(
            qid=f"question_{i + 1:03d}" if i % 5 == 4 else f"q{i + 1:02d}", points=1.0,
            difficulty=0.5 if same else rng.random(),
            point_biserial=None if i % 7 == 6 else (0.1 if same else rng.uniform(-0.5, 1)),
            discrimination=0.1 if same else rng.uniform(-1, 1),
            shares={"a": 0.5, "blank": 0.0}, keys=frozenset("a")))
    return QuizStats(40, items, 0.71, False, 1.2, 7.5, 2.0, float(n))


@pytest.mark.parametrize("n", [1, 2, 12, 40, 120])
def test_plot_labels_never_overlap(n):
    fig = figure(_stats(n, seed=n))
    renderer = fig.canvas.get_renderer()
    labels = _labels(fig)
    ids = {t.get_text() for t in labels}
    assert {f"q{i + 1:02d}" for i in range(n) if i % 5 != 4} <= ids  # every row is labelled
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels]
    width, height = fig.bbox.width, fig.bbox.height
    for text, box in boxes:
        assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1 and box.y1 <= height + 1, text
    for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
        overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
        overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
        assert overlap_x <= 0 or overlap_y <= 0, f"{ta!r} overlaps {tb!r}"


def test_plot_writes_a_png(tmp_path):
    path = tmp_path / "sub" / "ia.png"
    analysis.plot(_stats(12, seed=1), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
