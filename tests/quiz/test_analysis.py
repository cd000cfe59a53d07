"""Item analysis formulas against values computed by hand."""

import math

import pytest

from quizzes.analysis import analyze, read_responses_csv, to_csv
from quizzes.bank import parse_bank

ITEM = '''
[[questions]]
id = "i{n}"
type = "single"
points = 1
prompt = "P{n}"
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
'''
BANK = parse_bank("".join(ITEM.format(n=n) for n in (1, 2, 3)))
# scores:   i1 i2 i3  total
# s1 a a a   1  1  1   3
# s2 a a b   1  1  0   2
# s3 a b b   1  0  0   1
# s4 b b -   0  0  0   0
CSV = "student_id,i1,i2,i3\ns1,a,a,a\ns2,a,a,b\ns3,a,b,b\ns4,b,b,\n"


@pytest.fixture(scope="module")
def stats():
    return analyze(BANK, read_responses_csv(CSV))


def test_difficulty(stats):
    assert [it.difficulty for it in stats.items] == [0.75, 0.5, 0.25]


def test_item_rest_point_biserial(stats):
    # i1 = [1,1,1,0], rest = [2,1,0,0]: sxy = .75, sxx = .75, syy = 2.75
    assert stats.items[0].point_biserial == pytest.approx(0.75 / math.sqrt(0.75 * 2.75))
    # i2 = [1,1,0,0], rest = [2,1,1,0]: sxy = 1, sxx = 1, syy = 2
    assert stats.items[1].point_biserial == pytest.approx(1 / math.sqrt(2))


def test_discrimination_27_percent_groups(stats):
    # n = 4 -> groups of round(1.08) = 1: top s1 (3), bottom s4 (0)
    assert [it.discrimination for it in stats.items] == [1.0, 1.0, 1.0]


def test_distractor_shares(stats):
    assert stats.items[2].shares == {"a": 0.25, "b": 0.5, "blank": 0.25}
    assert stats.items[0].shares == {"a": 0.75, "b": 0.25, "blank": 0.0}


def test_kr20_and_sem(stats):
    # totals 3,2,1,0: var 1.25; item variances .1875 + .25 + .1875 = .625
    assert stats.kr20 is True
    assert stats.alpha == pytest.approx(3 / 2 * (1 - 0.625 / 1.25))  # 0.75
    assert stats.sem == pytest.approx(math.sqrt(1.25) * math.sqrt(1 - 0.75))
    assert stats.mean == 1.5


def test_partial_credit_is_alpha_not_kr20(bank):
    rows = "student_id,q05\ns1,a;b\ns2,a b d\ns3,c\n"
    st = analyze(bank, read_responses_csv(rows))
    assert st.kr20 is False
    q05 = next(it for it in st.items if it.qid == "q05")
    assert q05.difficulty == pytest.approx((2 / 3 + 1 + 0) / 3, abs=1e-4)  # scores: 4 d.p.


def test_csv_report(stats):
    text = to_csv(stats)
    assert text.splitlines()[0].startswith("question,points,difficulty,point_biserial")
    assert "i1,1,0.7500,0.5222,1.0000" in text
    assert "KR-20,0.7500" in text and "SEM,0.5590" in text


def test_bad_csv_header():
    with pytest.raises(ValueError, match="student_id"):
        read_responses_csv("name,q01\nx,a\n")


def test_students_who_answered_nothing_are_left_out_and_counted(stats):
    with_absent = analyze(BANK, read_responses_csv(CSV + "s5,,,\ns6,,,\n"))
    assert with_absent.left_out == 2 and stats.left_out == 0
    assert with_absent.n_students == stats.n_students == 4
    assert [it.difficulty for it in with_absent.items] == [it.difficulty for it in stats.items]
    assert with_absent.alpha == stats.alpha and with_absent.items[2].shares["blank"] == 0.25
    assert "left_out_no_answers,2" in to_csv(with_absent)
    with pytest.raises(ValueError, match="none of the 2 responses answers any question"):
        analyze(BANK, read_responses_csv("student_id,i1,i2,i3\ns5,,,\ns6,,,\n"))
