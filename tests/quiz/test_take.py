"""The terminal quiz driven by scripted stdin."""

import io

from quizzes.answers import parse_answers
from quizzes.scoring import score_sheet
from quizzes.sheet import displayed_options
from quizzes.take import run


def drive(bank, tmp_path, keys, **kw):
    out = io.StringIO()
    path = tmp_path / "quiz_answers.toml"
    answers = run(bank, path, stdin=io.StringIO(keys), stdout=out, **kw)
    return answers, path, out.getvalue()


def test_letters_numbers_back_skip_and_save(bank, tmp_path):
    # q01: b; q02: 1 (= a); q03: Enter (skip); q04: "<" back to q03; q03: "x" (invalid),
    # then "c"; q04: "a c" (rejected: single); "c"; q05: "a,b d"; then w (save and quit)
    keys = "b\n1\n\n<\nx\nc\na c\nc\na,b d\nw\n"
    answers, path, screen = drive(bank, tmp_path, keys)
    assert answers == {"q01": ["b"], "q02": ["a"], "q03": ["c"], "q04": ["c"],
                       "q05": ["a", "b", "d"]}
    assert "Not an option: x" in screen and "exactly one answer" in screen
    assert "Saved 5/12 answers" in screen
    result = score_sheet(bank, parse_answers(path.read_text()))
    assert result.score == 6


def test_end_of_input_saves_and_resume_keeps_answers(bank, tmp_path):
    drive(bank, tmp_path, "b\n")  # EOF after the first question
    answers, path, screen = drive(bank, tmp_path, "\n-\n")  # keep q01, clear q02
    assert "Resuming" in screen and answers == {"q01": ["b"]}
    assert 'q01 = "b"' in path.read_text()


def test_shuffled_display_writes_canonical_ids(bank, tmp_path):
    secret = b"course-secret"
    label = {o.id: lab for lab, o in displayed_options(bank.get("q01"), secret, "alice")}["b"]
    answers, path, _ = drive(bank, tmp_path, f"{label}\nw\n", secret=secret, student_id="alice")
    assert answers["q01"] == ["b"]
    assert 'option_order = "canonical"' in path.read_text()
