"""train, judged with the judge's own training step standing in for the student's.

So a training_step mistake costs points on the training_step checks only. The
stand-in marks what it returns (the batch's loss plus the run's tag, plus a
mark that encodes max_grad_norm when it is given one: see
:func:`autograder.judge.plan.stand_in_source`), so that the numbers train
returns show whether they went through training_step and what it received,
whether train takes one full-batch step per epoch or several mini-batch steps;
and the model is a MeanPoolMLP, not a SimpleRNN.
"""

import math

import torch

from autograder import wire
from autograder.judge.catalogue import CheckFailure, check, expect
from autograder.judge.expect import close
from autograder.judge.plan import PLAUSIBLE_LOSS, STAND_IN_MARK, STAND_IN_MARK_NORM, unmark

F = "train"


def _scenario(ctx, name):
    return ctx.scenario(wire.TRAIN, F, name)


def _spec(ctx, name) -> dict:
    return next(s for s in ctx.plan.train["scenarios"] if s["name"] == name)


def _epochs(ctx, name) -> int:
    return _spec(ctx, name)["epochs"]


def _losses(entry) -> list:
    return [wire.number(v) for v in wire.sequence(entry.get("losses"), 1000)]


def _same(a, b) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-5)


def _marked(ctx, value, max_grad_norm) -> bool:
    """Whether ``value`` is what the stand-in returns given ``max_grad_norm`` (or a mean of such)."""
    return value is not None and 0.0 <= unmark(value, ctx.plan.train["tag"], max_grad_norm) <= PLAUSIBLE_LOSS


def _params(ctx, params):
    initial = ctx.plan.train["weights"]
    if set(params) != set(initial) or any(params[k].shape != v.shape for k, v in initial.items()):
        raise CheckFailure(f"{F}: the model came back with other parameters than it was given")
    return params


def _returned_list(entry) -> bool:
    return wire.text(entry.get("type"), 40) in ("list", "tuple")


def _through_training_step(ctx, entry, name) -> bool:
    """train returned a list whose every value went through training_step (one per epoch, or the
    mean of an epoch's mini-batch steps)."""
    losses = _losses(entry) if _returned_list(entry) else []
    limit = _spec(ctx, name)["max_grad_norm"]
    return bool(losses) and all(_marked(ctx, v, limit) for v in losses)


def _batches(ctx, entry, name) -> str:
    """How train called training_step, in words, when not once per epoch on the whole data set."""
    calls = wire.integer(entry.get("calls"))
    sizes = [wire.integer(v) for v in wire.sequence(entry.get("batch_sizes"), 20)]
    epochs, n = _epochs(ctx, name), ctx.plan.train["inputs"].shape[0]
    if not calls or (calls == epochs and sizes == [n]):
        return ""
    shown = ", ".join(str(v) for v in sizes[:4]) + (", ..." if len(sizes) > 4 else "")
    return (f"it called training_step {calls} times over {epochs} epochs, on batches of {shown} sequences; "
            f"the exercise takes one full-batch step per epoch ({epochs} calls, each on all {n} sequences)")


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
    # An inline loop never calls training_step: its first value is then the first epoch's loss itself.
    tag = ctx.plan.train["tag"]
    if wire.integer(entry.get("calls")) == 0:
        expect(_same(first, want[0] - tag),
               f"{F}: it never called training_step, and the first value it returned, {first}, is not the "
               f"first epoch's loss, {want[0] - tag:.6f}")
        return
    expect(_through_training_step(ctx, entry, "main"),
           f"{F}: the first value returned is {first}, but training_step returned {want[0]:.6f} for the "
           "first epoch (while train is judged, the grader's training_step stands in for yours and marks "
           "what it returns): return what training_step returns, unchanged")


@check("train.trains_passed_model")
def test_trains_passed_model(ctx):
    entry, params = _scenario(ctx, "main")
    params = _params(ctx, params)
    initial = ctx.plan.train["weights"]
    changed = any(not torch.equal(params[k], v) for k, v in initial.items())
    expect(changed, f"{F}: the model passed in is unchanged after training: train that very object")
    _, want_params = ctx.expected.train("main")
    # The model that changed was trained by training_step (what train returned went through it), or
    # it ends where the reference ends (an inline loop).
    expect(_through_training_step(ctx, entry, "main") or close(params, want_params, atol=1e-4, rtol=1e-3),
           f"{F}: the model passed in changed, but not by training it with training_step")


@check("train.matches_reference")
def test_matches_reference(ctx):
    entry, params = _scenario(ctx, "main")
    want_losses, want_params = ctx.expected.train("main")
    params = _params(ctx, params)
    batches = _batches(ctx, entry, "main")
    expect(not batches, f"{F}: {batches}")
    # The losses are judged when they went through training_step (what else train returns is the
    # returns_losses check's matter); the weights, unless the model passed in was left unchanged (the
    # trains_passed_model check's matter) and the losses show the model it did train followed the
    # reference.
    through = _through_training_step(ctx, entry, "main")
    losses = _losses(entry) if through else []
    same = len(losses) == len(want_losses) and all(
        _same(a, b) for a, b in zip(losses, want_losses, strict=True))
    tag = ctx.plan.train["tag"]
    expect(same or not through,
           f"{F}: the per-epoch losses differ from the reference's from the same start "
           f"(first {[round(v - tag, 4) for v in losses[:3]]} vs "
           f"{[round(v - tag, 4) for v in want_losses[:3]]})")
    unchanged = all(torch.equal(params[k], v) for k, v in ctx.plan.train["weights"].items())
    expect(close(params, want_params, atol=1e-4, rtol=1e-3) or (unchanged and same),
           f"{F}: the final weights differ from the reference's")


@check("train.max_grad_norm")
def test_max_grad_norm(ctx):
    entry, params = _scenario(ctx, "clip")
    spec = _spec(ctx, "clip")
    limit = spec["max_grad_norm"]
    losses = _losses(entry) if _returned_list(entry) else []
    first = losses[0] if losses else None
    if _marked(ctx, first, limit):
        return  # training_step received max_grad_norm (what it returned carries it)
    received = None
    if first is not None and not _marked(ctx, first, None):
        received = (first - ctx.plan.train["tag"] - STAND_IN_MARK) / STAND_IN_MARK_NORM
    # Without a returned value to read (or with an inline loop, which never calls training_step),
    # the clipped weights tell: they differ from unclipped training at this max_grad_norm.
    _, want_params = ctx.expected.train("clip")
    clipped = close(_params(ctx, params), want_params, atol=1e-4, rtol=1e-3)
    expect(clipped,
           f"{F}: called with max_grad_norm={limit}, "
           + ("it did not take effect: training_step received None (or, in an inline loop, nothing was "
              "clipped)" if _marked(ctx, first, None) else
              f"training_step received max_grad_norm={received:.6g}" if received is not None and received > 0
              else "the result differs from the reference's"))


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
