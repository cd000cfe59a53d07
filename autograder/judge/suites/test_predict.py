"""predict on a model whose output shows its mode and whether gradients are tracked.

In training mode the model adds a large shift towards one class, with
gradients enabled towards another, with both towards a third: so each of the
four (mode, gradient) combinations predicts other classes, and the numbers
alone tell which one predict used. What came back is identified as the class
indices, indices along the wrong dimension, or the logits/probabilities
themselves, so each mistake is charged on its own check.
"""

from dataclasses import dataclass

import torch

from autograder import wire
from autograder.judge.catalogue import check, expect
from autograder.judge.context import describe_value

F = "predict"
CLASSES, WRONG_DIM, SCORES = "class indices", "indices along dimension 0", "logits or probabilities"
SMALLEST = "the index of the smallest logit"


@dataclass(frozen=True)
class Seen:
    kind: str  # CLASSES, WRONG_DIM or SCORES
    mode: str  # "eval, no_grad", ...


def _returned(ctx):
    result = ctx.result(wire.PREDICT, F)
    return result.info, wire.tensor(result.tensors, "predicted", max_elements=1 << 14)


def _identify(ctx, value) -> Seen | None:
    """Which reading of the model's logits, in which mode, ``value`` is. A reading whose indices
    are all the same identifies nothing: a constant answer is not computed from the model."""
    if not isinstance(value, torch.Tensor):
        return None
    for mode, logits in ctx.expected.predict_logits().items():
        if value.is_floating_point():
            want = logits.argmax(dim=1)
            if value.shape == logits.shape and _informative(want) and torch.equal(value.argmax(dim=1), want):
                return Seen(SCORES, mode)
            continue
        flat = value.reshape(-1).to(torch.int64)
        for kind, want in ((CLASSES, logits.argmax(dim=1)), (WRONG_DIM, logits.argmax(dim=0)),
                           (SMALLEST, logits.argmin(dim=1))):
            if flat.shape == want.shape and _informative(want) and torch.equal(flat, want):
                return Seen(kind, mode)
    return None


def _informative(indices: torch.Tensor) -> bool:
    return indices.numel() > 1 and bool((indices != indices[0]).any())


@check("predict.dtype_shape")
def test_dtype_shape(ctx):
    info, value = _returned(ctx)
    batch = ctx.plan.predict["inputs"].shape[0]
    seen = _identify(ctx, value)
    got = describe_value(value) if value is not None else f"a {wire.text(info.get('type'), 40)}"
    if seen is not None and seen.kind != CLASSES:
        got += f" ({seen.kind})"
    expect(isinstance(value, torch.Tensor) and value.dtype == torch.int64 and tuple(value.shape) == (batch,),
           f"{F}: expected an int64 tensor of shape ({batch},), got {got}")
    expect(seen is not None,
           f"{F}: returned int64 indices of the right shape that are not the model's classes")
    del seen


@check("predict.matches_reference")
def test_matches_reference(ctx):
    _, value = _returned(ctx)
    seen = _identify(ctx, value)
    expect(seen is not None and seen.kind in (CLASSES, SCORES),
           f"{F}: the result is not the index of the largest logit of each sequence (returned "
           f"{describe_value(value)}" + (f": {seen.kind}" if seen else "") + ")")


@check("predict.eval_mode")
def test_eval_mode(ctx):
    _, value = _returned(ctx)
    seen = _identify(ctx, value)
    expect(seen is not None,
           f"{F}: what it returned does not come from the model, so its mode cannot be told")
    expect(seen.mode.startswith("eval"), f"{F}: the model was in training mode when it predicted")


@check("predict.no_grad")
def test_no_grad(ctx):
    _, value = _returned(ctx)
    seen = _identify(ctx, value)
    expect(seen is not None,
           f"{F}: what it returned does not come from the model, so gradient tracking cannot be told")
    expect(seen.mode.endswith("no_grad"), f"{F}: gradients were being tracked when the model predicted")
