"""Scoring schemes against hand-computed values, and answer files that go wrong."""

import pytest

import quizzes
from quizzes.answers import parse_answers
from quizzes.bank import parse_bank
from quizzes.scoring import score_sheet

# q05 in the bundled bank: keys a, b, d (C=3); distractors c, e (W=2); N=5; 2 points.
# Moodle fractions: keys +33.33333 %, distractors -50 %.
CASES = [
    # chosen,      exact, canvas,          moodle,                   edx
    (["a", "b", "d"], 1.0, 1.0, 1.0, 1.0),
    (["a", "b"], 0.0, 2 / 3, 2 / 3, 4 / 5),            # edx: 2 keys + 2 blanks left
    (["a", "b", "c"], 0.0, 1 / 3, 1 / 6, 3 / 5),       # canvas (2-1)/3; moodle 2/3-1/2
    (["a", "c", "e"], 0.0, 0.0, 0.0, 1 / 5),           # canvas max(0,(1-2)/3); edx 1+0
    (["a", "b", "c", "d", "e"], 0.0, 1 / 3, 0.0, 3 / 5),  # all boxes
    (["c"], 0.0, 0.0, 0.0, 1 / 5),                     # edx: 0 keys + e left blank
]


@pytest.mark.parametrize("chosen, exact, canvas, moodle, edx", CASES)
def test_multiple_answer_schemes_match_hand_values(bank, chosen, exact, canvas, moodle, edx):
    text = f"q05 = {chosen!r}".replace("'", '"')
    for scheme, expected in (("exact", exact), ("canvas", canvas), ("moodle", moodle),
                             ("edx", edx)):
        result = score_sheet(bank, parse_answers(text), scheme)
        q05 = next(r for r in result.questions if r.question.id == "q05")
        assert q05.score == pytest.approx(2 * expected, abs=1e-4), (scheme, chosen)


def test_edx_scores_empty_answer_zero_not_blank_credit(bank):
    result = score_sheet(bank, parse_answers("q05 = []"), "edx")
    q05 = next(r for r in result.questions if r.question.id == "q05")
    assert q05.score == 0 and "not answered" in q05.messages


def test_single_answer(bank):
    result = score_sheet(bank, parse_answers('q01 = "b"\nq02 = "A"\nq03 = ["c"]\nq04 = "a"'))
    scores = {r.question.id: r.score for r in result.questions}
    assert scores["q01"] == 1 and scores["q02"] == 1 and scores["q03"] == 1
    assert scores["q04"] == 0
    two = score_sheet(bank, parse_answers('q01 = ["b", "c"]'))
    assert two.questions[0].score == 0
    assert "takes one answer" in " ".join(two.questions[0].messages)


def test_full_marks_total(bank):
    lines = []
    for q in bank.questions:
        keys = sorted(q.keys)
        lines.append(f'{q.id} = "{keys[0]}"' if q.type == "single"
                     else f"{q.id} = {keys!r}".replace("'", '"'))
    tests = quizzes.autograder_tests("\n".join(lines))
    assert sum(t["score"] for t in tests) == bank.total_points == 15
    assert all(t["status"] == "passed" for t in tests)


def _tests_by_q(text, **kw):
    tests = quizzes.autograder_tests(text, **kw)
    return {t["name"].split(":")[0].replace("Quiz ", ""): t for t in tests}


def test_autograder_tests_shape(bank):
    tests = quizzes.autograder_tests('q01 = "b"\n')
    assert len(tests) == len(bank.questions)
    for t in tests:
        assert set(t) == {"name", "score", "max_score", "status", "output", "visibility",
                          "extra_data"}
        assert t["extra_data"]["check"] == t["name"][5:8].lower()
        assert t["name"].startswith("Quiz Q") and t["visibility"] == "visible"
        assert t["status"] in ("passed", "failed")
    assert tests[0]["output"].startswith("1/1 points")
    assert tests[0]["extra_data"]["chosen"] == ["b"] and tests[1]["extra_data"]["chosen"] == []
    assert "not answered" in tests[1]["output"] and tests[1]["score"] == 0
    assert quizzes.ANSWERS_FILENAME == "quiz_answers.toml"


def test_feedback_does_not_reveal_key_by_default(bank):
    t = _tests_by_q('q02 = "c"')["Q02"]
    assert "Adam" in t["output"] and "Key:" not in t["output"]


@pytest.mark.parametrize("text, qid, score, words", [
    ('q01 = "b"\nq02 = oops wrong\nq03 = "c"', "Q02", 0, "cannot read"),
    ('q01 = b', "Q01", 1, "letters need quotes"),
    ('q05 = [a, b, d]', "Q05", 2, "letters need quotes"),
    ('q01 = "a"\nq01 = "b"', "Q01", 1, "answered more than once"),
    ('q01 = "z"', "Q01", 0, "option 'z' does not exist"),
    ('q05 = ["a", "b", "d", "q"]', "Q05", 2, "option 'q' does not exist"),
    ('q05 = ["a", "a", "b", "d"]', "Q05", 2, "more than once; counted once"),
    ('q01 = 2', "Q01", 1, "read 2 as option 'b'"),
    ('q01 = true', "Q01", 0, "could not read true"),
    ('q1 = "b"', "Q01", 1, ""),
    ('Q01 = "b"', "Q01", 1, ""),
])
def test_messy_answers_get_per_question_messages(text, qid, score, words):
    t = _tests_by_q(text)[qid]
    assert t["score"] == score
    assert words in t["output"]


def test_broken_line_keeps_every_other_answer():
    tests = _tests_by_q('q01 = "b"\nq02 = "a\nq03 = "c"\n')
    assert tests["Q01"]["score"] == 1 and tests["Q03"]["score"] == 1
    assert "line 2" in tests["Q02"]["output"]
    assert "quiz_answers.toml:2" in tests["Quiz"]["output"]


def test_unknown_question_reported_not_lost():
    tests = _tests_by_q('q01 = "b"\nq99 = ["a", "c"]\n')
    note = tests["Quiz"]
    assert note["max_score"] == 0 and "q99" in note["output"] and '["a", "c"]' in note["output"]
    assert "quiz_answers.toml:2" in note["output"]


@pytest.mark.parametrize("text", [
    "", "\x00\x01binary", b"\xff\xfe\x00garbage", "[[[", "q01 = {a = 1}", "= = =",
    '__import__("os").system("echo pwned")', "student_id = []\noption_order = 3",
    "q01 = " + "[" * 200, 12345, None,
])
def test_garbage_never_raises(text, bank):
    tests = quizzes.autograder_tests(text)
    assert len([t for t in tests if t["name"].startswith("Quiz Q")]) == len(bank.questions)
    assert all(t["score"] == 0 for t in tests)


def test_empty_file_says_not_answered():
    tests = quizzes.autograder_tests("")
    assert all("not answered" in t["output"] for t in tests if t["max_score"])


def test_reveal_adds_key_and_explanation(bank):
    result = score_sheet(bank, parse_answers('q01 = "a"'), reveal=True)
    assert any(m.startswith("Key: b.") for m in result.questions[0].messages)


def test_answers_table_and_meta_are_read():
    sheet = parse_answers('student_id = "s1"\noption_order = "canonical"\n[answers]\nq01 = "b"\n')
    assert sheet.student_id == "s1" and sheet.answers[0].labels == ["b"]


def test_notebook_cells_helper():
    cells = ['# answer below\nq01 = "b"\n', 'print("hi")\nq05 = ["a", "b", "d"]', 42]
    text = quizzes.answers_from_notebook_cells(cells)
    assert text == 'q01 = "b"\nq05 = ["a", "b", "d"]\n'
    tests = _tests_by_q(text)
    assert tests["Q01"]["score"] == 1 and tests["Q05"]["score"] == 2


def test_custom_bank_single_scoring_points():
    b = parse_bank('''
[[questions]]
id = "x1"
type = "single"
points = 2.5
prompt = "P"
explanation = "E"
[[questions.options]]
id = "a"
text = "A"
correct = true
feedback = "f"
[[questions.options]]
id = "b"
text = "B"
correct = false
feedback = "g"
''')
    r = score_sheet(b, parse_answers('x1 = "a"'))
    assert r.score == 2.5 and r.max_score == 2.5
