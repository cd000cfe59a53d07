"""train: returns the losses, trains the given model, matches the reference, learns."""

import torch

from autograder.checks import check, expect
from autograder.context import same
from autograder.plan import TRAIN_SCENARIOS

F = "train"
EPOCHS = {s["name"]: s["epochs"] for s in TRAIN_SCENARIOS}


def _scenario(ctx, name):
    return ctx.scenario("train", F, name)


def _initial(ctx):
    return ctx.initial_weights("train")


@check("train.returns_losses")
def test_returns_losses(ctx):
    entry, _ = _scenario(ctx, "main")
    epochs = EPOCHS["main"]
    expect(entry.get("type") == "list" and entry.get("length") == epochs
           and entry.get("types") == ["float"],
           f"{F}: expected a list of {epochs} Python floats for epochs={epochs}, got "
           f"{entry.get('type')} of length {entry.get('length')} holding {entry.get('types')}. "
           "Hint: append the float that training_step returns, once per epoch")


@check("train.trains_passed_model")
def test_trains_passed_model(ctx):
    _, params = _scenario(ctx, "main")
    initial = _initial(ctx)
    expect(any(not torch.equal(params[k], v) for k, v in initial.items() if k in params),
           f"{F}: the model passed in is unchanged after training. Hint: train that very "
           "object (no copy.deepcopy, no new SimpleRNN inside train)")


@check("train.matches_reference")
def test_matches_reference(ctx):
    entry, params = _scenario(ctx, "main")
    want_losses, want_params = ctx.expected_train("main")
    losses = entry.get("losses") or []
    same_losses = len(losses) == len(want_losses) and all(
        isinstance(a, float) and abs(a - b) <= 1e-4 + 1e-3 * abs(b)
        for a, b in zip(losses, want_losses, strict=True))
    expect(same_losses,
           f"{F}: the per-epoch losses differ from the reference's from the same start "
           f"(first {losses[:2]} vs {[round(v, 4) for v in want_losses[:2]]}). Hint: "
           "torch.optim.Adam(model.parameters(), lr=lr) created once, nn.CrossEntropyLoss(), "
           "one full-batch training_step per epoch")
    expect(same(params, want_params, atol=1e-4, rtol=1e-3),
           f"{F}: the final weights differ from the reference's. Hint: one optimizer for the "
           "whole run, stepping the model you were given")


@check("train.max_grad_norm")
def test_max_grad_norm(ctx):
    _, params = _scenario(ctx, "clip")
    _, want = ctx.expected_train("clip")
    expect(same(params, want, atol=1e-4, rtol=1e-3),
           f"{F}: with max_grad_norm=0.1 the weights differ from the reference's. Hint: pass "
           "max_grad_norm on to training_step")


@check("train.loss_falls")
def test_loss_falls(ctx):
    _, params = _scenario(ctx, "main")
    start = ctx.dataset_loss(_initial(ctx))
    end = ctx.dataset_loss(params) if set(params) == set(_initial(ctx)) else float("inf")
    expect(end < 0.5 * start,
           f"{F}: after {EPOCHS['main']} epochs the loss measured by the grader is {end:.3f}, "
           f"not well below its start {start:.3f}. Hint: Adam with the given lr, zero_grad, "
           "backward, step each epoch")
