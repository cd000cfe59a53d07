"""predict on a model whose output shows its mode and whether gradients are tracked.

In training mode the model adds a large shift towards one class, with
gradients enabled towards another, with both towards a third: so each of the
four (mode, gradient) combinations predicts other classes, and the numbers
alone tell which one predict used.
"""

import torch

from autograder import wire
from autograder.judge.catalogue import check, expect
from autograder.judge.context import describe_value

F = "predict"


def _returned(ctx):
    result = ctx.result(wire.PREDICT, F)
    return result.info, wire.tensor(result.tensors, "predicted", max_elements=1 << 14)


def _classes(value):
    """The class indices a returned tensor stands for: itself, or its argmax over classes."""
    if not isinstance(value, torch.Tensor):
        return None
    if value.is_floating_point() and value.dim() == 2:
        return value.argmax(dim=1)
    if not value.is_floating_point() and not value.is_complex():
        return value.reshape(-1).to(torch.int64)
    return None


def _variant(ctx, value) -> str | None:
    classes = _classes(value)
    if classes is None:
        return None
    for name, want in ctx.expected.predictions().items():
        if classes.shape == want.shape and torch.equal(classes, want):
            return name
    return None


@check("predict.dtype_shape")
def test_dtype_shape(ctx):
    info, value = _returned(ctx)
    batch = ctx.plan.predict["inputs"].shape[0]
    got = describe_value(value) if value is not None else f"a {wire.text(info.get('type'), 40)}"
    expect(isinstance(value, torch.Tensor) and value.dtype == torch.int64 and tuple(value.shape) == (batch,),
           f"{F}: expected an int64 tensor of shape ({batch},), got {got}")
    expect(_variant(ctx, value) is not None,
           f"{F}: returned int64 indices of the right shape that are not the model's classes")


@check("predict.matches_reference")
def test_matches_reference(ctx):
    _, value = _returned(ctx)
    expect(_variant(ctx, value) is not None,
           f"{F}: the result is not the index of the largest logit of each sequence (returned "
           f"{describe_value(value)})")


@check("predict.eval_mode")
def test_eval_mode(ctx):
    _, value = _returned(ctx)
    variant = _variant(ctx, value)
    expect(variant is not None, f"{F}: not judged until predict returns the model's classes")
    expect(variant.startswith("eval"), f"{F}: the model was in training mode when it predicted")


@check("predict.no_grad")
def test_no_grad(ctx):
    _, value = _returned(ctx)
    variant = _variant(ctx, value)
    expect(variant is not None, f"{F}: not judged until predict returns the model's classes")
    expect(variant.endswith("no_grad"), f"{F}: gradients were being tracked when the model predicted")
