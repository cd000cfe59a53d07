"""Device handling: forward and train on the meta device (no GPU needed), and on CUDA/MPS where present.

On the meta device tensors have shapes but no values, so these two checks
rest on what the worker reports (the device a tensor is on): they are the
only self-reported points of the catalogue (10), and the README says so.
"""

import torch

from autograder import wire
from autograder.judge.catalogue import check, expect
from autograder.judge.context import describe_value

F = "SimpleRNN.forward"


def _forward_on(ctx, device):
    result = ctx.result(f"{wire.DEVICE_FORWARD}@{device}", F)
    return result.info, result.tensors


def _train_on(ctx, device):
    info = ctx.result(f"{wire.DEVICE_TRAIN}@{device}", "train").info
    calls = [wire.mapping(c) for c in wire.sequence(info.get("calls"), 100)]
    moved = bool(calls) and all(c.get(k) == device for c in calls for k in ("model", "inputs", "targets"))
    return info, calls, moved


@check("device.forward_meta")
def test_forward_meta(ctx):
    info, _ = _forward_on(ctx, "meta")  # the shape is forward.shapes' to judge, not this check's
    expect(info.get("device") == "meta" and wire.text(info.get("type"), 40) == "Tensor",
           f"{F}: with the model and the input on the meta device, expected logits on meta, got a "
           f"{wire.text(info.get('type'), 40)} on {wire.text(info.get('device'), 20) or 'no device'}")


@check("device.train_meta")
def test_train_meta(ctx):
    info, calls, moved = _train_on(ctx, "meta")
    error = wire.error(info.get("error")) or {}
    after = wire.text(info.get("model_device_after"), 20)
    # An inline training loop (no training_step call) cannot be recorded; it must at least have
    # moved the model to meta, where its first .item() then fails.
    inline = not calls and after == "meta" and "meta" in error.get("message", "")
    got = (", ".join(f"{k} on {wire.text(calls[0].get(k), 20)}" for k in ("model", "inputs", "targets"))
           if calls else f"the model on {after}" + (f" and {error['type']}: {error['message'][:160]}"
                                                      if error else ""))
    expect(moved or inline, f"train(..., device='meta'): expected the model, the inputs and the targets on "
                            f"meta, got {got}")


def _accelerator_forward(ctx, device):
    info, tensors = _forward_on(ctx, device)
    y = wire.tensor(tensors, "y")
    replica = ctx.forward.replica
    with torch.no_grad():
        out, _ = replica.rnn_batch_first(ctx.plan.device_x)
        want = replica.fc(out[:, -1, :])
    expect(info.get("device") == device and isinstance(y, torch.Tensor) and y.shape == want.shape
           and torch.allclose(y, want, atol=1e-4),
           f"{F} on {device}: expected the reference's logits on {device}, got {describe_value(y)} on "
           f"{wire.text(info.get('device'), 20)}")


def _accelerator_train(ctx, device):
    info, calls, moved = _train_on(ctx, device)
    losses = wire.sequence(info.get("losses"), 100)
    expect(moved and losses and all(isinstance(v, float) for v in losses),
           f"train(..., device='{device}'): expected training on {device} returning floats, got "
           f"{calls[0] if calls else wire.error(info.get('error'))}")


@check("device.forward_cuda")
def test_forward_cuda(ctx):
    _accelerator_forward(ctx, "cuda")


@check("device.train_cuda")
def test_train_cuda(ctx):
    _accelerator_train(ctx, "cuda")


@check("device.forward_mps")
def test_forward_mps(ctx):
    _accelerator_forward(ctx, "mps")


@check("device.train_mps")
def test_train_mps(ctx):
    _accelerator_train(ctx, "mps")
