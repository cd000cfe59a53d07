"""training_step: float returned, step taken, same update, gradients cleared, clipping."""

import math

import torch

from autograder.checks import check, expect
from autograder.context import same

F = "training_step"


def _scenario(ctx, name):
    return ctx.scenario("training_step", F, name)


@check("training_step.returns_float")
def test_returns_float(ctx):
    entry, _ = _scenario(ctx, "plain")
    want, _ = ctx.expected_step("plain")
    expect(entry.get("type") == "float",
           f"{F}: expected the loss as a Python float, got {entry.get('type')}. "
           "Hint: return loss.item(), not the loss tensor")
    value = entry.get("value")
    expect(isinstance(value, float) and math.isclose(value, want, rel_tol=1e-4, abs_tol=1e-6),
           f"{F}: returned {value}, but the batch's loss is {want:.6f}. Hint: return the loss of "
           "this batch, computed before the step")


@check("training_step.step_taken")
def test_step_taken(ctx):
    _, params = _scenario(ctx, "plain")
    initial = ctx.initial_weights("training_step")
    moved = any(not torch.equal(params[k], v) for k, v in initial.items() if k in params)
    expect(moved, f"{F}: the parameters did not change. Hint: call loss.backward() then "
                  "optimizer.step(), and never zero the gradients between the two")


@check("training_step.matches_reference")
def test_matches_reference(ctx):
    _, params = _scenario(ctx, "plain")
    _, want = ctx.expected_step("plain")
    expect(same(params, want),
           f"{F}: the parameters after one SGD step differ from the reference's. Hint: forward, "
           "criterion(outputs, targets), loss.backward(), optimizer.step(); no clipping when "
           "max_grad_norm is None, no softmax before CrossEntropyLoss, no .detach()")


@check("training_step.zero_grad")
def test_zero_grad(ctx):
    _, params = _scenario(ctx, "stale")
    _, want = ctx.expected_step("stale")
    expect(same(params, want),
           f"{F}: with gradients left over from an earlier step the update is wrong. Hint: call "
           "optimizer.zero_grad() (or model.zero_grad()) before loss.backward()")


@check("training_step.clipping")
def test_clipping(ctx):
    _, params = _scenario(ctx, "clip")
    _, want = ctx.expected_step("clip")
    expect(same(params, want),
           f"{F}: with max_grad_norm=0.05 the update differs from the reference's. Hint: "
           "torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm) between "
           "loss.backward() and optimizer.step(), and only when max_grad_norm is not None")
