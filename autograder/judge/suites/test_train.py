"""train, judged with the judge's own training step standing in for the student's.

So a training_step mistake costs points on the training_step checks only. The
stand-in returns the batch's loss (plus 1000 x max_grad_norm when one is
given: how train's passing of max_grad_norm shows in numbers), and the
model is a MeanPoolMLP, not a SimpleRNN.
"""

import math

import torch

from autograder import wire
from autograder.judge.catalogue import CheckFailure, check, expect
from autograder.judge.expect import close
from autograder.judge.plan import STAND_IN_MARK

F = "train"


def _scenario(ctx, name):
    return ctx.scenario(wire.TRAIN, F, name)


def _epochs(ctx, name) -> int:
    return next(s for s in ctx.plan.train["scenarios"] if s["name"] == name)["epochs"]


def _losses(entry) -> list:
    return [wire.number(v) for v in wire.sequence(entry.get("losses"), 1000)]


def _same(a, b) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-5)


def _params(ctx, params):
    initial = ctx.plan.train["weights"]
    if set(params) != set(initial) or any(params[k].shape != v.shape for k, v in initial.items()):
        raise CheckFailure(f"{F}: the model came back with other parameters than it was given")
    return params


@check("train.returns_losses")
def test_returns_losses(ctx):
    entry, _ = _scenario(ctx, "main")
    epochs = _epochs(ctx, "main")
    kind, length = wire.text(entry.get("type"), 40), wire.integer(entry.get("length"))
    types = [wire.text(t, 40) for t in wire.sequence(entry.get("types"), 5)]
    expect(kind == "list" and length == epochs and types == ["float"],
           f"{F}: expected a list of {epochs} Python floats for epochs={epochs}, got a {kind}"
           + (f" of length {length} holding {', '.join(types) or 'nothing'}" if length is not None else ""))
    want, _ = ctx.expected.train("main")
    first = _losses(entry)[0]
    expect(_same(first, want[0]),
           f"{F}: the first value returned is {first}, but training_step returned {want[0]:.6f} for the "
           "first epoch: return what training_step returns, unchanged")


@check("train.trains_passed_model")
def test_trains_passed_model(ctx):
    entry, params = _scenario(ctx, "main")
    params = _params(ctx, params)
    initial = ctx.plan.train["weights"]
    changed = any(not torch.equal(params[k], v) for k, v in initial.items())
    expect(changed, f"{F}: the model passed in is unchanged after training: train that very object")
    want_losses, want_params = ctx.expected.train("main")
    losses = _losses(entry) if _returned_list(entry) else []
    # The model that changed was trained by training_step (what it returned first is the judge's step's
    # number for this very model), or it ends where the reference ends.
    trained = bool(losses) and _same(losses[0], want_losses[0])
    expect(trained or close(params, want_params, atol=1e-4, rtol=1e-3),
           f"{F}: the model passed in changed, but not by training it with training_step")


def _returned_list(entry) -> bool:
    return wire.text(entry.get("type"), 40) in ("list", "tuple")


@check("train.matches_reference")
def test_matches_reference(ctx):
    entry, params = _scenario(ctx, "main")
    want_losses, want_params = ctx.expected.train("main")
    params = _params(ctx, params)
    if _returned_list(entry):  # what it returns is the returns_losses check's; judged here when a list
        losses = _losses(entry)
        same = len(losses) == len(want_losses) and all(
            _same(a, b) for a, b in zip(losses, want_losses, strict=True))
        shown = [round(v, 4) if v is not None else None for v in losses[:3]]
        expect(same, f"{F}: the per-epoch losses differ from the reference's from the same start "
                     f"(first {shown} vs {[round(v, 4) for v in want_losses[:3]]})")
    unchanged = all(torch.equal(params[k], v) for k, v in ctx.plan.train["weights"].items())
    expect(close(params, want_params, atol=1e-4, rtol=1e-3) or (unchanged and _returned_list(entry)),
           f"{F}: the final weights differ from the reference's")


@check("train.max_grad_norm")
def test_max_grad_norm(ctx):
    entry, params = _scenario(ctx, "clip")
    spec = next(s for s in ctx.plan.train["scenarios"] if s["name"] == "clip")
    want, want_params = ctx.expected.train("clip")
    losses = _losses(entry) if _returned_list(entry) else []
    first = losses[0] if losses else None
    if first is not None and _same(first, want[0]):
        return  # training_step received max_grad_norm (its return value carries it)
    # Without a returned value to read (or with an inline loop, which never calls training_step),
    # the clipped weights tell: they differ from unclipped training at this max_grad_norm.
    clipped = close(_params(ctx, params), want_params, atol=1e-4, rtol=1e-3)
    unmarked = first is not None and _same(first, want[0] - STAND_IN_MARK * spec["max_grad_norm"])
    expect(clipped,
           f"{F}: called with max_grad_norm={spec['max_grad_norm']}, "
           + ("it did not take effect: training_step received None (or, in an inline loop, nothing was "
              "clipped)" if unmarked else "the result differs from the reference's"))


@check("train.loss_falls")
def test_loss_falls(ctx):
    entry, params = _scenario(ctx, "main")
    params = _params(ctx, params)
    initial = ctx.plan.train["weights"]
    start, end = ctx.expected.train_loss(initial), ctx.expected.train_loss(params)
    want_losses, reference = ctx.expected.train("main")
    target = ctx.expected.train_loss(reference)
    needed = start - 0.5 * (start - target)
    if end > needed and all(torch.equal(params[k], v) for k, v in initial.items()) and _returned_list(entry):
        # The passed model was not trained (train.trains_passed_model's matter); the losses it returned
        # show whether the model it did train learned.
        losses = _losses(entry)
        if len(losses) == len(want_losses) and all(
                _same(a, b) for a, b in zip(losses, want_losses, strict=True)):
            return
    expect(end <= needed,
           f"{F}: after {_epochs(ctx, 'main')} epochs the loss measured by the grader is {end:.3f}; the "
           f"reference brings it from {start:.3f} to {target:.3f}, and at least {needed:.3f} is expected")
