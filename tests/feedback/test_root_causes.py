"""A failure that follows from another check's (``extra_data.cause``): the student's page leads with
the root cause, and the cohort report counts each failure at its root."""

from __future__ import annotations

from autograder.feedback import model, render_student, report
from tests.feedback import cohort
from tests.feedback.conftest import md_text, visible_text

NAMES = {check_id: name for check_id, name, *_ in cohort.CATALOGUE}
SHAPE_FIRST = {
    # a right shape that cannot be credited until the values are computed: not the thing to fix
    "manual.shapes": "rnn_forward_manual: out has the right shape but not the recurrence's values in any "
                     "case, so the shape cannot be credited yet",
    "manual.values": "rnn_forward_manual (with h0): out differs from nn.RNN's with the same weights",
}


def _with_cause(results: dict, check_id: str, cause: str) -> dict:
    for test in results["tests"]:
        if test["extra_data"].get("check") == check_id:
            test["extra_data"]["cause"] = cause
    return results


def _student() -> dict:
    return _with_cause(cohort.make_results("root", fails=dict(SHAPE_FIRST), answers=None),
                       "manual.shapes", "manual.values")


def test_what_to_fix_next_leads_with_the_root_cause():
    html, md = render_student(_student(), "root")
    text = visible_text(html)
    fix = text[text.index("What to fix next"):text.index("Checks, by function")]
    values = NAMES["manual.values"]
    assert f"Start with {values}" in fix, fix
    assert cohort.HINTS["manual.values"] in fix and cohort.HINTS["manual.shapes"] not in fix
    assert f"Start with *{values}*" in md_text(md)


def test_without_a_cause_the_first_failure_in_grading_order_leads():
    results = cohort.make_results("plain", fails=dict(SHAPE_FIRST), answers=None)
    text = visible_text(render_student(results, "plain")[0])
    fix = text[text.index("What to fix next"):text.index("Checks, by function")]
    assert f"Start with {NAMES['manual.shapes']}" in fix


def test_the_report_counts_failures_at_their_root():
    views = [model.read(_student(), "root"), model.read(cohort.make_results("other", answers=None), "other")]
    stats = {s.key: s for s in report.check_stats(views)}
    assert (stats["manual.values"].failed, stats["manual.values"].followed) == (1, 0)
    assert (stats["manual.shapes"].failed, stats["manual.shapes"].followed) == (0, 1)
    assert stats["manual.shapes"].rate == 1.0 and stats["manual.values"].rate == 0.5
    html = visible_text(report.render(views))
    assert "+1 because of another check" in html
