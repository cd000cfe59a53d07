"""What a student with only ``exercises/`` gets: the quiz sheet and the blank answer file."""

import json
import re

import pytest

import quizzes
from quizzes.answers import parse_answers
from quizzes.scoring import score_sheet


@pytest.fixture(scope="module")
def files():
    return quizzes.student_files()


def test_two_files_by_name(files):
    assert set(files) == {"quiz.md", "quiz_answers.toml"} == {quizzes.SHEET_FILENAME,
                                                             quizzes.ANSWERS_FILENAME}
    assert quizzes.student_files() == files  # the same on every run: a derived file


def test_sheet_has_every_question_and_option_and_no_key(files, bank):
    sheet = files["quiz.md"]
    for n, q in enumerate(bank.questions, start=1):
        assert f"## {n}. `{q.id}`" in sheet
        assert q.prompt in sheet
        for o in q.options:
            assert f"- **{o.id})** {o.text}" in sheet
            assert o.feedback not in sheet
        assert " ".join(q.explanation.split())[:50] not in " ".join(sheet.split())
    assert not re.search(r"\b(correct|right answer|key)\b", sheet, re.I)
    assert "Right:" not in sheet


def test_module_questions_are_verbatim_and_marked(files, bank):
    sheet = files["quiz.md"]
    module = [q for q in bank.questions if q.origin == "module"]
    assert [q.id for q in module] == ["q01", "q02"]
    assert module[0].prompt == ("What is the primary advantage of using RNNs over feedforward "
                                "neural networks?")
    assert module[1].prompt == ("Which of the following is a common technique to mitigate the "
                                "vanishing gradient problem in RNNs?")
    for q in bank.questions:
        heading = next(line for line in sheet.splitlines() if f"`{q.id}`" in line)
        assert ("from the module text" in heading) == (q.origin == "module")


def test_sheet_needs_no_package(files):
    sheet = files["quiz.md"]
    assert "python -m quizzes" not in sheet and "quiz_answers.toml" in sheet


def test_blank_answer_file_parses_with_nothing_answered(files, bank):
    text = files["quiz_answers.toml"]
    sheet = parse_answers(text)
    assert sheet.notes == [] and sheet.readable
    assert all(not a.labels and not a.notes for a in sheet.answers)
    result = score_sheet(bank, sheet)
    assert result.notes == [] and result.score == 0
    assert not any(r.answered for r in result.questions)
    assert [t["output"].splitlines()[1] for t in quizzes.autograder_tests(text)] == \
        ["not answered"] * len(bank.questions)


def test_blank_answer_file_explains_itself_and_has_no_key(files, bank):
    text = files["quiz_answers.toml"]
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert any("quiz.md" in c for c in comments)
    assert any('q01 = "b"' in c for c in comments) and any('["a", "c"]' in c for c in comments)
    for q in bank.questions:
        line = next(line for line in text.splitlines() if line.startswith(f"{q.id} = "))
        assert line.startswith(f'{q.id} = ""' if q.type == "single" else f"{q.id} = []")


def test_filled_in_blank_file_scores(files, bank):
    text = files["quiz_answers.toml"]
    for q in bank.questions:
        keys = sorted(q.keys)
        blank = f'{q.id} = ""' if q.type == "single" else f"{q.id} = []"
        text = text.replace(blank, f"{q.id} = " + json.dumps(keys[0] if q.type == "single" else keys))
    tests = quizzes.autograder_tests(text)
    assert sum(t["score"] for t in tests) == bank.total_points


# --- notebooks ------------------------------------------------------------------------

def _notebook(*cells):
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {"tags": tags}, "source": source, "outputs": [],
         "execution_count": None} for source, tags in cells]})


def test_answers_from_a_released_notebook_cell():
    nb = _notebook(("x = 1\nq01 = 'z'\n", []),
                   (['# Your quiz answers\n', 'QUIZ_ANSWERS = """\n', 'q01 = "b"\n',
                     'q05 = ["a", "b", "d"]\n', '"""\n'], ["quiz-answers"]))
    text = quizzes.answers_from_notebook(nb)
    assert text == 'q01 = "b"\nq05 = ["a", "b", "d"]\n'
    assert sum(t["score"] for t in quizzes.autograder_tests(text)) == 3


@pytest.mark.parametrize("cell, expected", [
    ('QUIZ_ANSWERS = """q01 = "b"\nq02 = "a""""', 'q01 = "b"\nq02 = "a"\n'),
    ("QUIZ_ANSWERS = '''\nq01 = 'b'\n'''", "q01 = 'b'\n"),
    ('q01 = """b"""', 'q01 = """b"""\n'),  # one line, both quotes: kept for the parser
    ('q01 = "b"\nprint(q01)\n# q02 = "a"', 'q01 = "b"\n'),
])
def test_notebook_cell_lines(cell, expected):
    assert quizzes.answers_from_notebook_cells([cell]) == expected


@pytest.mark.parametrize("data", [
    b"", b"not json", b"[]", b'{"cells": 3}', b'{"cells": [1, {"metadata": []}]}',
    b"[" * 100_000, "{\"cells\": [{\"metadata\": {\"tags\": [\"quiz-answers\"]}, \"source\": 5}]}",
    b'\xff\xfe{"cells": []}', None,
])
def test_unreadable_notebooks_give_none(data):
    assert quizzes.answers_from_notebook(data) in (None, "")


def test_oversized_quiz_cell_is_reported_not_read(bank):
    text = quizzes.answers_from_notebook_cells(['q01 = "b"\n' + "#" * 70_000])
    tests = quizzes.autograder_tests(text)
    assert "over the 64 KiB limit" in tests[-1]["output"]
    assert sum(t["score"] for t in tests) == 0
