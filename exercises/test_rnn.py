"""Visible checks for the RNN exercise: run ``pytest exercises``.

Each test names the function it checks. Tests of ``forward``, ``training_step``
and ``predict`` build their own layers, so each function can be checked as soon
as you have written it, whatever state the others are in.
"""

from __future__ import annotations

import pytest
import torch
from _feedback import expect, shape
from torch import nn

INPUT, HIDDEN, OUTPUT = 3, 7, 5  # sizes that match no default, so hard-coded sizes show up


def _layers(rnn, input_size=INPUT, hidden_size=HIDDEN, output_size=OUTPUT, seed=0):
    """A SimpleRNN whose layers are built here, not by the student's __init__."""
    torch.manual_seed(seed)
    model = rnn.SimpleRNN.__new__(rnn.SimpleRNN)
    nn.Module.__init__(model)
    model.hidden_size = hidden_size
    model.rnn = nn.RNN(input_size, hidden_size, batch_first=True)
    model.fc = nn.Linear(hidden_size, output_size)
    return model


class _ReadOut(nn.Module):
    """A known-good model, so the training functions are checked on their own."""

    def __init__(self, input_size=4, hidden_size=8, output_size=2, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.rnn = nn.RNN(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1, :])


def _data(n=32, seq_len=6, input_size=4, seed=0):
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, seq_len, input_size, generator=generator)
    targets = (inputs[:, :, 0].sum(dim=1) > 0).long()
    return inputs, targets


# --- SimpleRNN.__init__ ------------------------------------------------------


def test_init_builds_the_layers(rnn):
    model = rnn.SimpleRNN(INPUT, HIDDEN, OUTPUT)
    f = "SimpleRNN.__init__"
    expect(
        getattr(model, "hidden_size", None) == HIDDEN,
        f, f"self.hidden_size == {HIDDEN}", repr(getattr(model, "hidden_size", "no attribute")),
        "store the hidden_size argument on self",
    )
    layer = getattr(model, "rnn", None)
    expect(
        isinstance(layer, nn.RNN), f, "self.rnn to be an nn.RNN", type(layer).__name__,
        "self.rnn = nn.RNN(input_size, hidden_size, batch_first=True)",
    )
    expect(
        (layer.input_size, layer.hidden_size) == (INPUT, HIDDEN),
        f, f"nn.RNN({INPUT}, {HIDDEN})", f"nn.RNN({layer.input_size}, {layer.hidden_size})",
        "pass input_size and hidden_size through, in that order",
    )
    expect(
        layer.batch_first is True, f, "batch_first=True", f"batch_first={layer.batch_first}",
        "inputs are (batch, seq_len, input_size): build the RNN with batch_first=True",
    )
    fc = getattr(model, "fc", None)
    expect(
        isinstance(fc, nn.Linear) and (fc.in_features, fc.out_features) == (HIDDEN, OUTPUT),
        f, f"self.fc = nn.Linear({HIDDEN}, {OUTPUT})",
        f"nn.Linear({fc.in_features}, {fc.out_features})" if isinstance(fc, nn.Linear)
        else type(fc).__name__,
        "the read-out maps hidden_size features to output_size logits",
    )


# --- SimpleRNN.forward ---------------------------------------------------------


@pytest.mark.parametrize("batch, seq_len", [(4, 6), (1, 5), (3, 1)])
def test_forward_output_shape(rnn, batch, seq_len):
    model = _layers(rnn)
    logits = model(torch.randn(batch, seq_len, INPUT))
    expect(
        isinstance(logits, torch.Tensor) and tuple(logits.shape) == (batch, OUTPUT),
        "SimpleRNN.forward",
        f"logits of shape ({batch}, {OUTPUT}) for input ({batch}, {seq_len}, {INPUT})",
        shape(logits),
        "return one row of output_size logits per sequence; keep the batch dimension even "
        "when it is 1 (no .squeeze())",
    )


def test_forward_reads_the_last_time_step(rnn):
    model = _layers(rnn)
    x = torch.randn(2, 6, INPUT)
    with torch.no_grad():
        out, _ = model.rnn(x, torch.zeros(1, 2, HIDDEN))
        expected = model.fc(out[:, -1, :])
        logits = model(x)
    expect(
        isinstance(logits, torch.Tensor) and logits.shape == expected.shape
        and torch.allclose(logits, expected, atol=1e-5),
        "SimpleRNN.forward", "self.fc applied to the RNN output at the last time step",
        "different logits" if isinstance(logits, torch.Tensor) else shape(logits),
        "out has shape (batch, seq_len, hidden_size): take out[:, -1, :] and start from a zero h0",
    )


def test_forward_keeps_h0_on_the_input_device(rnn):
    # The meta device checks device placement without a GPU: a hidden state left
    # on the CPU fails here exactly as it would on a GPU.
    model = _layers(rnn).to("meta")
    try:
        logits = model(torch.empty(2, 4, INPUT, device="meta"))
    except NotImplementedError:
        raise
    except RuntimeError as exc:
        expect(
            False, "SimpleRNN.forward", "h0 on the same device as x",
            f"RuntimeError: {str(exc).splitlines()[0]}",
            "create h0 on x.device, e.g. torch.zeros(..., device=x.device)",
        )
    expect(
        isinstance(logits, torch.Tensor) and logits.device.type == "meta",
        "SimpleRNN.forward", "logits on the input's device", shape(logits),
        "everything forward creates must follow x.device",
    )


# --- training_step -------------------------------------------------------------


def _step(rnn, max_grad_norm=None, lr=0.5):
    model = _ReadOut()
    inputs, targets = _data()
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss = rnn.training_step(
        model, inputs, targets, nn.CrossEntropyLoss(), optimizer, max_grad_norm=max_grad_norm
    )
    pairs = zip(model.parameters(), before, strict=True)
    change = torch.cat([(p.detach() - b).flatten() for p, b in pairs])
    return loss, change


def test_training_step_returns_the_loss_as_a_float(rnn):
    loss, _ = _step(rnn)
    expect(
        type(loss) is float, "training_step", "the loss as a Python float", shape(loss),
        "return loss.item(), not the loss tensor",
    )
    expect(
        0.1 < loss < 5, "training_step", "the batch's cross-entropy (about 0.7 here)", repr(loss),
        "return the loss computed by criterion(model(inputs), targets)",
    )


def test_training_step_updates_the_parameters(rnn):
    _, change = _step(rnn)
    expect(
        change.abs().max().item() > 0, "training_step", "the parameters to change",
        "no change at all",
        "call loss.backward() and then optimizer.step(), and zero the gradients before "
        "backward, not between backward and step",
    )


def test_training_step_clips_the_gradient_norm(rnn):
    max_norm, lr = 0.01, 1.0
    _, change = _step(rnn, max_grad_norm=max_norm, lr=lr)
    size = change.norm().item()
    expect(
        0 < size <= max_norm * lr * 1.001, "training_step",
        f"an SGD step no longer than max_grad_norm * lr = {max_norm * lr}",
        f"a step of length {size:.4g}",
        "call torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm) between "
        "loss.backward() and optimizer.step()",
    )


# --- train -------------------------------------------------------------------------


def test_train_returns_one_float_per_epoch(rnn):
    inputs, targets = _data()
    losses = rnn.train(_ReadOut(), inputs, targets, epochs=3, lr=0.01)
    expect(
        isinstance(losses, list) and len(losses) == 3 and all(type(v) is float for v in losses),
        "train", "a list of 3 Python floats for epochs=3",
        f"{type(losses).__name__} {losses!r}"[:120],
        "append the float returned by training_step once per epoch and return the list",
    )


def test_train_lowers_the_loss_on_the_task(rnn):
    inputs, targets = rnn.make_dataset(n_sequences=128, seq_len=12)
    model = _ReadOut(hidden_size=16)
    losses = rnn.train(model, inputs, targets, epochs=60, lr=0.02)
    with torch.no_grad():
        final = nn.functional.cross_entropy(model(inputs), targets).item()
    expect(
        final < 0.6 * losses[0], "train",
        f"the trained model's loss well below its first loss ({losses[0]:.3f})",
        f"{final:.3f} after 60 epochs",
        "train the model you were given with Adam(model.parameters(), lr=lr) and "
        "CrossEntropyLoss, one training_step per epoch",
    )


# --- predict -----------------------------------------------------------------------


def test_predict_returns_class_indices(rnn):
    model = _ReadOut(output_size=3)
    inputs, _ = _data(n=5)
    predicted = rnn.predict(model, inputs)
    expect(
        isinstance(predicted, torch.Tensor) and predicted.dtype == torch.int64
        and tuple(predicted.shape) == (5,),
        "predict", "an int64 tensor of shape (5,) for 5 sequences", shape(predicted),
        "return model(inputs).argmax(dim=1): one class index per sequence, not the logits",
    )
    with torch.no_grad():
        expected = model(inputs).argmax(dim=1)
    expect(
        torch.equal(predicted, expected), "predict", "the index of the largest logit",
        f"{predicted.tolist()} instead of {expected.tolist()}", "argmax over dim=1, the classes",
    )


def test_predict_uses_eval_mode_without_gradients(rnn):
    model = _ReadOut()
    seen = {}

    def record(module, args):
        seen["training"] = module.training
        seen["grad"] = torch.is_grad_enabled()

    model.register_forward_pre_hook(record)
    rnn.predict(model, _data(n=4)[0])
    expect(
        seen.get("training") is False, "predict", "the model in eval mode during the forward pass",
        "training mode" if seen else "no call to the model", "call model.eval() first",
    )
    expect(
        seen.get("grad") is False, "predict", "no gradient tracking", "gradients tracked",
        "wrap the forward pass in `with torch.no_grad():`",
    )
