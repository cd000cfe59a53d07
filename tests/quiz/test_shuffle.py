"""Per-student option order: known-answer vectors and canonical scoring."""

import hashlib
import hmac

import pytest

from quizzes.answers import parse_answers, render_answers
from quizzes.scoring import score_sheet
from quizzes.sheet import displayed_options, question_sheet
from quizzes.shuffle import SecretMissing, below, course_secret, option_order, words

SECRET = b"course-secret"


@pytest.mark.parametrize("student, qid, n, expected", [
    ("alice", "q01", 4, ["b", "a", "d", "c"]),
    ("bob", "q05", 5, ["b", "d", "e", "c", "a"]),
    ("s001", "q10", 5, ["e", "a", "b", "d", "c"]),
    ("Zoë", "q07", 5, ["c", "e", "b", "a", "d"]),
])
def test_known_answer_vectors(student, qid, n, expected):
    assert option_order(SECRET, student, qid, [chr(97 + i) for i in range(n)]) == expected


def test_stream_is_counter_mode_hmac_words():
    block0 = hmac.new(b"k", b"rnn-quiz-order-v1\x00s\x00q\x00" + bytes(8), hashlib.sha256).digest()
    block1 = hmac.new(b"k", b"rnn-quiz-order-v1\x00s\x00q\x00" + (1).to_bytes(8, "big"),
                      hashlib.sha256).digest()
    w = words(b"k", "s", "q")
    got = [next(w) for _ in range(9)]
    assert got[:8] == [int.from_bytes(block0[i:i + 4], "big") for i in range(0, 32, 4)]
    assert got[8] == int.from_bytes(block1[:4], "big")
    assert got[:3] == [1858733075, 2646852159, 2782887841]


def test_two_options_follow_first_word_parity():
    # n=2: one swap step, j = below(2) = first word % 2 (2**32 is a multiple of 2: no rejection)
    first = next(words(SECRET, "alice", "qx"))
    expected = ["a", "b"] if first % 2 == 1 else ["b", "a"]
    assert option_order(SECRET, "alice", "qx", ["a", "b"]) == expected


def test_rejection_sampling_skips_words_at_or_above_limit():
    limit = 2**32 - 2**32 % 3
    assert below(3, iter([limit, limit + 1, 7])) == 1


def test_order_is_a_permutation_and_varies():
    orders = {tuple(option_order(SECRET, f"s{i}", "q01", "abcd")) for i in range(60)}
    assert all(sorted(o) == list("abcd") for o in orders)
    assert len(orders) > 10


def test_shuffled_and_canonical_copies_score_the_same(bank):
    chosen = {q.id: sorted(q.keys)[:1] if q.type == "single" else sorted(q.keys)[:2]
              for q in bank.questions}
    chosen["q01"] = ["a"]  # a wrong one too
    canonical = render_answers(bank, chosen)
    shown = {}
    for q in bank.questions:
        back = {o.id: lab for lab, o in displayed_options(q, SECRET, "alice")}
        shown[q.id] = [back[c] for c in chosen[q.id]]
    personal = render_answers(bank, shown, student_id="alice", option_order="shuffled")
    assert personal != canonical
    a = score_sheet(bank, parse_answers(canonical))
    b = score_sheet(bank, parse_answers(personal), secret=SECRET)
    assert [r.score for r in a.questions] == [r.score for r in b.questions]
    assert [r.chosen for r in a.questions] == [r.chosen for r in b.questions]
    assert a.score == b.score < bank.total_points


def test_shuffled_sheet_without_secret_is_explained(bank, monkeypatch):
    monkeypatch.delenv("RNN_QUIZ_SECRET", raising=False)
    r = score_sheet(bank, parse_answers('student_id = "alice"\noption_order = "shuffled"\n'
                                        'q01 = "b"'))
    assert r.questions[0].score == 0
    assert "no course secret" in " ".join(r.questions[0].messages)
    assert '"b"' in " ".join(r.questions[0].messages)  # the answer is not lost
    with pytest.raises(SecretMissing):
        course_secret(None)


def test_secret_from_environment(bank, monkeypatch):
    monkeypatch.setenv("RNN_QUIZ_SECRET", SECRET.decode())
    label = {o.id: lab for lab, o in displayed_options(bank.get("q01"), SECRET, "bob")}["b"]
    text = f'student_id = "bob"\noption_order = "shuffled"\nq01 = "{label}"'
    assert score_sheet(bank, parse_answers(text)).questions[0].score == 1


def test_personal_sheet_has_no_key(bank):
    sheet = question_sheet(bank, secret=SECRET, student_id="alice")
    assert "Personal sheet" in sheet
    for q in bank.questions:
        assert q.prompt in sheet
        for o in q.options:
            assert o.text in sheet and o.feedback not in sheet
        assert q.explanation.split("\n")[1] not in sheet
