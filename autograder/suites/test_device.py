"""Device handling without a GPU (the meta device), and on CUDA/MPS where present."""

import torch

from autograder.checks import CheckFailure, check, expect
from autograder.plan import FORWARD_SIZES

O = FORWARD_SIZES[2]


def _forward_on(ctx, device):
    try:
        return ctx.info(f"forward@{device}", "SimpleRNN.forward"), ctx.result(
            f"forward@{device}", "SimpleRNN.forward").tensors
    except CheckFailure as exc:
        raise CheckFailure(
            f"{exc} [model and input on {device}] Hint: create h0 on x.device, e.g. "
            "torch.zeros(1, x.size(0), self.hidden_size, device=x.device)") from None


def _train_on(ctx, device):
    info = ctx.info(f"train@{device}", "train")
    calls = info.get("calls") or []
    moved = bool(calls) and all(
        call.get(k) == device for call in calls if isinstance(call, dict)
        for k in ("model", "inputs", "targets"))
    return info, calls, moved


@check("device.forward_meta")
def test_forward_meta(ctx):
    info, _ = _forward_on(ctx, "meta")
    expect(info.get("device") == "meta" and info.get("shape") == [2, O],
           f"SimpleRNN.forward: on the meta device expected meta logits of shape (2, {O}), got "
           f"{info.get('type')} on {info.get('device')} with shape {info.get('shape')}. "
           "Hint: everything forward creates must follow x.device")


@check("device.train_meta")
def test_train_meta(ctx):
    info, calls, moved = _train_on(ctx, "meta")
    error = info.get("error") or {}
    inline_loop_on_meta = (not calls and info.get("model_device_after") == "meta"
                           and "meta" in str(error.get("message", "")))
    expect(moved or inline_loop_on_meta,
           "train(..., device='meta'): expected the model, inputs and targets on meta, got "
           + (", ".join(f"{k} on {calls[0].get(k)}" for k in ("model", "inputs", "targets"))
              if calls else f"model on {info.get('model_device_after')}"
              + (f" and {error.get('type')}: {str(error.get('message'))[:160]}" if error else ""))
           + ". Hint: model.to(device), inputs.to(device), targets.to(device); device=None means "
             "the device of the model's parameters")


def _accelerator_forward(ctx, device):
    info, tensors = _forward_on(ctx, device)
    y = tensors.get("y")
    x = ctx.inputs(f"forward@{device}")["x"]
    model = ctx.ref.SimpleRNN(*FORWARD_SIZES)
    model.load_state_dict(ctx.initial_weights(f"forward@{device}"))
    with torch.no_grad():
        want = model(x)
    expect(info.get("device") == device and isinstance(y, torch.Tensor)
           and y.shape == want.shape and torch.allclose(y, want, atol=1e-4),
           f"SimpleRNN.forward on {device}: expected the reference's logits on {device}, got "
           f"{info.get('type')} on {info.get('device')}. Hint: create h0 on x.device")


def _accelerator_train(ctx, device):
    info, calls, moved = _train_on(ctx, device)
    losses = info.get("losses")
    expect(moved and isinstance(losses, list) and all(isinstance(v, float) for v in losses),
           f"train(..., device='{device}'): expected training on {device} returning floats, got "
           f"{calls[0] if calls else info.get('error')}. Hint: move model and data to device")


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
