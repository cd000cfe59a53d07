"""How the judge names a forward pass from its numbers: only a reading that carries information counts."""

from __future__ import annotations

import pytest
import torch

from autograder.judge.replica import LAST, identify


def candidates(base: torch.Tensor) -> dict:
    return {("", LAST): base}


def test_a_forward_pass_is_identified_with_its_post_processing():
    base = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    assert identify(base.clone(), candidates(base)).post == "raw logits"
    assert identify(torch.softmax(base, -1), candidates(base)).post == "softmax"


def test_a_constant_output_is_never_identified_even_when_a_reading_of_the_rnn_is_constant():
    # Logits that all came out negative: their ReLU is all zeros, the same as a forward pass
    # that returns torch.zeros and never runs the RNN (the random plan makes this happen now and then).
    base = -torch.rand(4, 3, generator=torch.Generator().manual_seed(1)) - 0.1
    assert identify(torch.zeros(4, 3), candidates(base)) is None
    assert identify(torch.relu(base), candidates(base)) is None


def test_the_predict_model_tells_every_mode_apart_for_every_sequence_whatever_the_seed():
    # predict's eval_mode and no_grad checks read the mode off the predicted classes alone: two
    # (mode, gradient) combinations predicting the same class for a sequence would charge one
    # mistake on the other's check.
    from autograder.judge import reference
    from autograder.judge.expect import Expectations
    from autograder.judge.plan import build

    make_dataset = reference.load().make_dataset
    for seed in range(40):
        classes = [logits.argmax(dim=1)
                   for logits in Expectations(build(make_dataset, seed), None).predict_logits().values()]
        assert len(classes) == 4
        for i, first in enumerate(classes):
            for second in classes[i + 1:]:
                assert not (first == second).any(), f"seed {seed}"


def test_no_constant_answer_passes_for_a_prediction_whatever_the_seed():
    # A model whose bias makes one class win (or lose) for every sequence would let `zeros` (or
    # any constant) pass for predict's answer in some mode, or leave an honest argmin or
    # argmax(dim=0) unrecognised: the plan draws until every reading the judge knows varies.
    from autograder.judge import reference
    from autograder.judge.expect import Expectations
    from autograder.judge.plan import build

    make_dataset = reference.load().make_dataset
    for seed in range(40):
        for logits in Expectations(build(make_dataset, seed), None).predict_logits().values():
            for classes in (logits.argmax(dim=1), logits.argmin(dim=1)):
                counts = torch.bincount(classes)
                assert int((counts > 0).sum()) >= 3 and int(counts.max()) <= len(logits) // 2, f"seed {seed}"
            assert len(set(logits.argmax(dim=0).tolist())) > 1, f"seed {seed}"


@pytest.mark.slow
def test_a_constant_answer_to_predict_identifies_no_reading_of_the_logits():
    # Whatever the plan draws, `zeros` is judged as coming from no model, in no mode.
    from types import SimpleNamespace

    from autograder.judge.suites.test_predict import _identify

    logits = torch.tensor([[0.0, 1.0, 2.0, 3.0], [3.0, 2.0, 1.0, 0.0], [1.0, 3.0, 0.0, 2.0]])
    ctx = SimpleNamespace(expected=SimpleNamespace(predict_logits=lambda: {"eval, no_grad": logits}))
    assert _identify(ctx, torch.tensor([3, 0, 1])).kind == "class indices"
    assert _identify(ctx, torch.tensor([0, 3, 2])).kind == "the index of the smallest logit"
    assert _identify(ctx, torch.zeros(3, dtype=torch.int64)) is None
    constant = {"eval, no_grad": torch.tensor([[0.0, 1.0, 2.0, 3.0], [0.0, 2.0, 1.0, 3.0]])}
    ctx = SimpleNamespace(expected=SimpleNamespace(predict_logits=lambda: constant))
    assert _identify(ctx, torch.full((2,), 3)) is None
    assert _identify(ctx, torch.zeros(2, dtype=torch.int64)) is None
    assert _identify(ctx, torch.tensor([[0.0, 0.0, 0.0, 9.0], [0.0, 0.0, 0.0, 9.0]])) is None


def test_a_constant_reading_is_identified_when_the_same_forward_pass_is_identified_elsewhere():
    base = -torch.rand(1, 3, generator=torch.Generator().manual_seed(2)) - 0.1
    elsewhere = identify(torch.relu(torch.tensor([[0.5, -1.0, 2.0]])), candidates(torch.tensor([[0.5, -1.0, 2.0]])))
    assert elsewhere is not None and elsewhere.post == "relu"
    assert identify(torch.relu(base), candidates(base), seen_elsewhere=frozenset({elsewhere})).post == "relu"
    # Seen elsewhere as raw logits, a constant output still identifies nothing here.
    raw = identify(torch.tensor([[0.5, -1.0, 2.0]]), candidates(torch.tensor([[0.5, -1.0, 2.0]])))
    assert identify(torch.zeros(1, 3), candidates(base), seen_elsewhere=frozenset({raw})) is None


def _seed_with_all_negative_logits() -> int:
    """A plan seed under which the reference logits are all negative for a shape case and for
    the main batch (every row of it)."""
    from autograder.judge import reference
    from autograder.judge.expect import Expectations
    from autograder.judge.plan import build

    make_dataset = reference.load().make_dataset
    for seed in range(1000):
        plan = build(make_dataset, seed)
        expected = Expectations(plan, None)
        logits = expected.forward_candidates(expected.exercise_replica())
        if bool((logits[plan.main][("", LAST)] <= 0).all()) and any(
                bool((logits[case][("", LAST)] <= 0).all()) for case in plan.shape_cases):
            return seed
    raise AssertionError("no seed in 1000 gives all-negative logits")


@pytest.mark.slow
def test_relu_after_fc_costs_the_logits_check_alone_even_when_its_output_is_all_zeros(tmp_path):
    # With logits all negative, `relu(fc(...))` returns zeros: the shape check must not call
    # that "not computed from the RNN's outputs", nor the batch check "the same logits for every
    # sequence", while a forward that returns zeros everywhere still earns nothing.
    from tests.grader.common import by_check, failed, grade_all, write_variants
    from tests.grader.test_mistakes import MISTAKES

    write_variants(tmp_path / "in", {name: MISTAKES[name][0] for name in ("relu_after_fc", "constant_forward")})
    graded = grade_all(tmp_path / "in", tmp_path / "out", "--seed", str(_seed_with_all_negative_logits()))
    assert failed(graded["relu_after_fc"]) == {"forward.matches_reference"}, by_check(graded["relu_after_fc"])
    assert {"forward.shapes", "forward.matches_reference", "forward.batch_independence"} <= failed(
        graded["constant_forward"])
