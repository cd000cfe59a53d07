"""training_step on a model of another architecture: the loss returned, a descent step, the
reference's update, gradients cleared first, clipping.

The update checks compare the student's own scenarios with one another (stale
gradients planted vs. none; clipping vs. none) once the plain step is shown to
be a real descent step, so a mistake elsewhere in the step is charged once,
on the check that names it.
"""

import math

import torch

from autograder import wire
from autograder.judge.catalogue import CheckFailure, check, expect
from autograder.judge.expect import close

F = "training_step"


def _scenario(ctx, name):
    return ctx.scenario(wire.TRAINING_STEP, F, name)


def _flat(params: dict, names) -> torch.Tensor:
    return torch.cat([params[n].reshape(-1).double() for n in names])


def _change(ctx, params) -> torch.Tensor:
    initial = ctx.plan.step["weights"]
    names = list(initial)
    if set(params) != set(names) or any(params[n].shape != initial[n].shape for n in names):
        raise CheckFailure(f"{F}: the model came back with other parameters than it was given")
    return _flat(params, names) - _flat(initial, names)


def _descent(ctx) -> torch.Tensor:
    """The plain step's change, once it is shown to be a step against the gradient."""
    _, params = _scenario(ctx, "plain")
    change = _change(ctx, params)
    expect(bool(change.abs().max() > 0),
           f"{F}: the parameters did not change: the optimizer took no step after backward")
    gradient = ctx.expected.step_gradient()
    g = torch.cat([gradient[n].reshape(-1).double() for n in ctx.plan.step["weights"]])
    cosine = float(torch.dot(-change, g) / (change.norm() * g.norm() + 1e-12))
    expect(cosine > 0.5, f"{F}: the parameters moved, but not against the loss's gradient "
                         f"(cosine {cosine:.2f}): backpropagate the batch's loss before the step")
    return change


@check("training_step.returns_float")
def test_returns_float(ctx):
    entry, _ = _scenario(ctx, "plain")
    want, _ = ctx.expected.step("plain")
    kind = wire.text(entry.get("type"), 40)
    expect(kind == "float", f"{F}: expected the loss as a Python float, got a {kind}")
    value = wire.number(entry.get("value"))
    expect(value is not None and math.isclose(value, want, rel_tol=1e-4, abs_tol=1e-6),
           f"{F}: returned {value}, but the batch's loss before the step is {want:.6f}")


@check("training_step.step_taken")
def test_step_taken(ctx):
    _descent(ctx)


@check("training_step.matches_reference")
def test_matches_reference(ctx):
    _, params = _scenario(ctx, "plain")
    _, want = ctx.expected.step("plain")
    expect(close(params, want), f"{F}: the parameters after one SGD step differ from the reference's")


@check("training_step.zero_grad")
def test_zero_grad(ctx):
    plain = _descent(ctx)
    _, params = _scenario(ctx, "stale")
    stale = _change(ctx, params)
    expect(torch.allclose(stale, plain, atol=1e-6, rtol=1e-5),
           f"{F}: with gradients left over from an earlier step the update changes: they were added to "
           "this batch's gradients")


@check("training_step.clipping")
def test_clipping(ctx):
    plain = _descent(ctx)
    _, params = _scenario(ctx, "clip")
    clipped = _change(ctx, params)
    spec = ctx.plan.step
    norm = float(plain.norm()) / spec["lr"]  # the gradient norm the plain step used
    want = plain * min(1.0, spec["max_grad_norm"] / (norm + 1e-6))
    got_norm = float(clipped.norm()) / spec["lr"]
    expect(torch.allclose(clipped, want, atol=1e-6, rtol=1e-3),
           f"{F}: with max_grad_norm={spec['max_grad_norm']:.4f} the step used a gradient of norm "
           f"{got_norm:.4f}; expected the gradient of norm {norm:.4f} scaled down to "
           f"{min(norm, spec['max_grad_norm']):.4f} before the step")
