"""training_step on a model of another architecture: the loss returned, a descent step, the
reference's update, gradients cleared before backward, clipping before the step.

Three numbers per scenario come back: the parameters after the call, the
gradients right after backward accumulated them, and the gradients the
optimizer stepped with. Each check reads the one it is about, so a mistake
elsewhere in the step is charged once, on the check that names it.
"""

import math

import torch
from torch import nn

from autograder import wire
from autograder.judge.catalogue import check, expect
from autograder.judge.expect import close

F = "training_step"
# What a step may have computed its loss from: raw logits (right) or a transformation of them.
LOSS_INPUTS = {"raw logits": lambda y: y, "softmax": lambda y: torch.softmax(y, 1),
               "log_softmax": lambda y: torch.log_softmax(y, 1), "sigmoid": torch.sigmoid}


def _scenario(ctx, name):
    return ctx.scenario(wire.TRAINING_STEP, F, name)


def _grads(ctx, name, kind) -> torch.Tensor | None:
    result = ctx.result(wire.TRAINING_STEP, F)
    found = wire.grouped(result.tensors, f"{kind}.{name}.")
    weights = ctx.plan.step["weights"]
    if set(found) != set(weights) or any(found[k].shape != v.shape for k, v in weights.items()):
        return None
    return torch.cat([found[k].reshape(-1).double() for k in weights])


def _true_gradient(ctx) -> torch.Tensor:
    gradient = ctx.expected.step_gradient()
    return torch.cat([gradient[k].reshape(-1).double() for k in ctx.plan.step["weights"]])


def _cosine(a, b) -> float:
    return float(torch.dot(a, b) / (a.norm() * b.norm() + 1e-12))


def _backward_gradient(ctx, name) -> torch.Tensor:
    """The gradient right after backward, once shown to be a gradient of the batch's loss."""
    _scenario(ctx, name)
    grad = _grads(ctx, name, "backward")
    expect(grad is not None, f"{F}: backward never reached the model's parameters")
    cosine = _cosine(grad, _true_gradient(ctx)) if name != "stale" else 1.0
    expect(cosine > 0.5, f"{F}: the gradients after backward are not those of the batch's loss (cosine "
                         f"{cosine:.2f} with the true gradient)")
    return grad


@check("training_step.returns_float")
def test_returns_float(ctx):
    entry, _ = _scenario(ctx, "plain")
    kind = wire.text(entry.get("type"), 40)
    expect(kind == "float", f"{F}: expected the loss as a Python float, got a {kind}")
    value = wire.number(entry.get("value"))
    want, _ = ctx.expected.step("plain")
    spec = ctx.plan.step
    from autograder.worker.models import MeanPoolMLP, build

    with torch.no_grad():
        logits = build(MeanPoolMLP, spec["weights"])(spec["inputs"])
        losses = {name: nn.functional.cross_entropy(f(logits), spec["targets"]).item()
                  for name, f in LOSS_INPUTS.items()}
    close_to_a_loss = any(math.isclose(value, v, rel_tol=1e-4, abs_tol=1e-6) for v in losses.values()) \
        if value is not None else False
    expect(close_to_a_loss,
           f"{F}: returned {value}, but the batch's loss before the step is {want:.6f}")


@check("training_step.step_taken")
def test_step_taken(ctx):
    entry, params = _scenario(ctx, "plain")
    steps = wire.integer(entry.get("steps")) or 0
    expect(steps >= 1, f"{F}: the optimizer took no step (optimizer.step() was never called)")
    stepped = _grads(ctx, "plain", "step") if steps else None
    expect(stepped is not None and bool(stepped.abs().max() > 0),
           f"{F}: the optimizer stepped with no gradients (were they cleared between backward and the step?)")
    cosine = _cosine(stepped, _true_gradient(ctx))
    expect(cosine > 0.5, f"{F}: the optimizer stepped against something other than the loss's gradient "
                         f"(cosine {cosine:.2f})")
    initial = ctx.plan.step["weights"]
    moved = torch.cat([params[k].reshape(-1).double() - initial[k].reshape(-1).double() for k in initial]) \
        if set(params) == set(initial) else None
    expect(moved is not None and torch.allclose(moved, -ctx.plan.step["lr"] * stepped, atol=1e-6, rtol=1e-4),
           f"{F}: the parameters did not move by the step the optimizer took")


@check("training_step.matches_reference")
def test_matches_reference(ctx):
    _, params = _scenario(ctx, "plain")
    _, want = ctx.expected.step("plain")
    expect(close(params, want), f"{F}: the parameters after one SGD step differ from the reference's")
    # With a criterion of the grader's own (class weights, label smoothing) the step must follow it.
    _, params = _scenario(ctx, "criterion")
    _, want = ctx.expected.step("criterion")
    spec = ctx.plan.step["criterion"]
    given = (f"nn.CrossEntropyLoss(weight=<{spec['weight'].numel()} class weights>, "
             f"label_smoothing={spec['label_smoothing']})")
    _, default = ctx.expected.step("plain")
    expect(not close(params, default) or close(params, want),
           f"{F}: given the criterion {given}, the step is the one a plain nn.CrossEntropyLoss() gives: the "
           "loss must come from the criterion argument, not from a loss made inside training_step")
    expect(close(params, want), f"{F}: given the criterion {given}, the parameters after one SGD step differ "
                                "from the reference's")


@check("training_step.zero_grad")
def test_zero_grad(ctx):
    plain = _backward_gradient(ctx, "plain")
    _scenario(ctx, "stale")
    stale = _grads(ctx, "stale", "backward")
    expect(stale is not None, f"{F}: backward never reached the model's parameters")
    expect(torch.allclose(stale, plain, atol=1e-6, rtol=1e-5),
           f"{F}: with gradients left over from an earlier step, backward added this batch's gradients to "
           "them: they were not cleared first")


@check("training_step.clipping")
def test_clipping(ctx):
    plain = _backward_gradient(ctx, "plain")
    _scenario(ctx, "clip")
    before = _grads(ctx, "clip", "backward")
    stepped = _grads(ctx, "clip", "clip")
    expect(before is not None and stepped is not None, f"{F}: no gradients reached the step to be clipped")
    limit = ctx.plan.step["max_grad_norm"]
    norm = float(before.norm())
    want = before * min(1.0, limit / (norm + 1e-6))
    expect(torch.allclose(stepped, want, atol=1e-7, rtol=1e-4),
           f"{F}: with max_grad_norm={limit:.4f} the step used gradients of norm "
           f"{float(stepped.norm()):.4f}; "
           f"expected the gradients of norm {norm:.4f} scaled down to {min(norm, limit):.4f} before the step")
    del plain
