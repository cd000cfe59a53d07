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
    # The meta device has no values: the same forward must compute something real on the CPU.
    expect(ctx.forward.identified.get(ctx.plan.main) is not None,
           f"{F}: it runs on the meta device, but on the CPU its output is not computed from the RNN's "
           "outputs, so it is not judged yet")


@check("device.train_meta")
def test_train_meta(ctx):
    info, calls, moved = _train_on(ctx, "meta")
    error = wire.error(info.get("error")) or {}
    after = wire.text(info.get("model_device_after"), 20)
    # An inline training loop (no training_step call) cannot be recorded; it must at least have
    # moved the model to meta, where its first .item() then fails.
    inline = not calls and after == "meta" and "meta" in error.get("message", "").lower()  # torch 2.2: "Meta"
    got = (", ".join(f"{k} on {wire.text(calls[0].get(k), 20)}" for k in ("model", "inputs", "targets"))
           if calls else f"the model on {after}" + (f" and {error['type']}: {error['message'][:160]}"
                                                      if error else ""))
    expect(moved or inline, f"train(..., device='meta'): expected the model, the inputs and the targets on "
                            f"meta, got {got}")
    expect(_trains_on_the_cpu(ctx), "train(..., device='meta'): it moves everything to meta, but on the CPU "
                                    "it does not train, so it is not judged yet")


def _trains_on_the_cpu(ctx) -> bool:
    """The meta device has no values: the same train must really train on the CPU."""
    from autograder.judge.expect import close

    try:
        entry, params = ctx.scenario(wire.TRAIN, "train", "main")
    except Exception:  # noqa: BLE001 - a train that fails on the CPU is judged by the train checks
        return False
    want_losses, want_params = ctx.expected.train("main")
    losses = [wire.number(v) for v in wire.sequence(entry.get("losses"), 1000)]
    first = losses[0] if losses else None
    if first is not None and abs(first - want_losses[0]) <= 1e-5 + 1e-4 * abs(want_losses[0]):
        return True
    initial = ctx.plan.train["weights"]
    if set(params) != set(initial):
        return False
    return close(params, want_params, atol=1e-4, rtol=1e-3) or (
        ctx.expected.train_loss(params) < ctx.expected.learning_bar())


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
