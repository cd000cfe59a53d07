"""Visible checks for the RNN exercise: run ``pytest exercises``.

Each test names the function it checks; a failing one prints what was expected,
what your code gave and the same hint the graded (hidden) check gives for that
mistake. Each function is checked on its own, whatever state the others are in:

* ``forward`` on layers built here with fixed weights, against the logits the
  reference gives for them (stored as numbers in ``_expected.py``);
* ``training_step``, ``train`` and ``predict`` on a small model of another
  kind (an average over time, then a perceptron): they take any model;
* ``train`` with a stand-in that records how ``training_step`` is called;
* ``rnn_forward_manual`` against ``nn.RNN`` itself, with the same weights, and
  ``hidden_gradient_norms`` and ``gradient_factors`` against stored numbers
  (``gradient_factors`` with stand-ins that look up the stored norms and states,
  so that it is checked on its own too).
"""

from __future__ import annotations

import pytest
import torch
from _expected import FORWARD_INPUT, FORWARD_LOGITS, FORWARD_SIZES, PART2
from _feedback import NOT_IMPLEMENTED_PREFIX, FixedLayers, expect, fill_fixed, fixed, part2_data, shape
from _hints import HINTS
from torch import nn

INPUT, HIDDEN, OUTPUT = FORWARD_SIZES  # sizes that match no default, so hard-coded sizes show up


def _attach_layers(module, n_in, n_hidden, n_out):
    """Give ``module`` the exercise's two layers, built here, with fixed weights."""
    module.hidden_size = n_hidden
    module.rnn = nn.RNN(n_in, n_hidden, batch_first=True)
    module.fc = nn.Linear(n_hidden, n_out)
    return fill_fixed(module, layers=("rnn", "fc"))  # a state of your own (a learned h0) keeps its values


def _layers(rnn, n_in=INPUT, n_hidden=HIDDEN, n_out=OUTPUT):
    """A SimpleRNN whose layers are built here, so forward is checked apart from __init__.

    Your __init__ runs first when it works (it may set attributes of its own that
    forward reads); the layers are then replaced by correct ones.
    """
    try:
        model = rnn.SimpleRNN(n_in, n_hidden, n_out)
    except Exception:  # noqa: BLE001 - __init__ is checked by its own test
        model = rnn.SimpleRNN.__new__(rnn.SimpleRNN)
        nn.Module.__init__(model)
    return _attach_layers(model, n_in, n_hidden, n_out)


class _MeanPool(nn.Module):
    """A known-good model of another kind: the average over time, then a two-layer perceptron.

    ``training_step``, ``train`` and ``predict`` take any model mapping
    ``(batch, seq_len, input_size)`` to ``(batch, n_classes)``; checking them on
    this one keeps a mistake in your SimpleRNN from failing them.
    """

    def __init__(self, n_in=4, n_hidden=8, n_out=2):
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.out = nn.Linear(n_hidden, n_out)
        fill_fixed(self)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x.mean(dim=1)) * 3.0))


def _data(n=300, seq_len=6, n_in=4, seed=0):
    """Sequences of the exercise's task: more than any usual mini-batch, so that a train that steps on
    mini-batches shows it (the exercise takes one full-batch step per epoch)."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, seq_len, n_in, generator=generator)
    targets = (inputs[:, :, 0].sum(dim=1) > 0).long()
    return inputs, targets


def _flat(tensors) -> torch.Tensor:
    return torch.cat([t.detach().reshape(-1) for t in tensors])


def _about_devices(error: BaseException) -> bool:
    """Whether an error is about where tensors are (only then is the device to blame)."""
    return "device" in str(error).lower()


def _first_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0][:200]}"


def _ours(error: BaseException) -> bool:
    """A stub's own "not implemented yet" error, to be reported as it is."""
    return isinstance(error, NotImplementedError) and str(error).startswith(NOT_IMPLEMENTED_PREFIX)


# --- SimpleRNN.__init__ ------------------------------------------------------


def test_init_builds_the_layers(rnn):
    model = rnn.SimpleRNN(INPUT, HIDDEN, OUTPUT)
    f = "SimpleRNN.__init__"
    expect(
        getattr(model, "hidden_size", None) == HIDDEN,
        f, f"self.hidden_size == {HIDDEN}", repr(getattr(model, "hidden_size", "no attribute")),
        "store the hidden_size argument on self as it is",
    )
    layer = getattr(model, "rnn", None)
    expect(isinstance(layer, nn.RNN), f, "self.rnn to be an nn.RNN", type(layer).__name__,
           HINTS["construction.recurrent_layer"])
    expect(
        (layer.input_size, layer.hidden_size, layer.num_layers, layer.mode) == (INPUT, HIDDEN, 1, "RNN_TANH"),
        f, f"one tanh layer from {INPUT} to {HIDDEN} features",
        f"{layer.num_layers} {layer.mode} layer(s) from {layer.input_size} to {layer.hidden_size}",
        HINTS["construction.recurrent_layer"],
    )
    expect(layer.batch_first is True, f, "batch_first=True", f"batch_first={layer.batch_first}",
           HINTS["construction.batch_first"])
    fc = getattr(model, "fc", None)
    expect(
        isinstance(fc, nn.Linear) and (fc.in_features, fc.out_features) == (HIDDEN, OUTPUT),
        f, f"self.fc: a linear layer from {HIDDEN} to {OUTPUT} features",
        f"{fc.in_features} to {fc.out_features} features" if isinstance(fc, nn.Linear) else type(fc).__name__,
        HINTS["construction.readout_layer"],
    )


# --- SimpleRNN.forward ---------------------------------------------------------


@pytest.mark.parametrize("batch, seq_len", [(4, 6), (1, 5), (3, 1)])
def test_forward_output_shape(rnn, batch, seq_len):
    model = _layers(rnn)
    with torch.no_grad():
        logits = model(fixed(batch, seq_len, INPUT))
    expect(
        isinstance(logits, torch.Tensor) and tuple(logits.shape) == (batch, OUTPUT),
        "SimpleRNN.forward",
        f"logits of shape ({batch}, {OUTPUT}) for input ({batch}, {seq_len}, {INPUT})",
        shape(logits), HINTS["forward.shapes"],
    )


def test_forward_gives_the_reference_logits(rnn):
    model = _layers(rnn)
    with torch.no_grad():
        logits = model(fixed(*FORWARD_INPUT))
    expected = torch.tensor(FORWARD_LOGITS)
    same_shape = isinstance(logits, torch.Tensor) and logits.shape == expected.shape
    expect(
        same_shape and torch.allclose(logits.float(), expected, atol=1e-4),
        "SimpleRNN.forward", f"the reference's logits for fixed weights and inputs, first row "
        f"{[round(v, 4) for v in FORWARD_LOGITS[0]]}",
        f"first row {[round(v, 4) for v in logits[0].tolist()]}" if same_shape else shape(logits),
        HINTS["forward.matches_reference"],
    )


def test_forward_reads_the_last_time_step(rnn):
    model = _layers(rnn)
    x = fixed(*FORWARD_INPUT)
    changed = x.clone()
    changed[:, -1] += 1.0  # only the last time step differs
    with torch.no_grad():
        before, after = model(x), model(changed)
    expect(
        isinstance(before, torch.Tensor) and isinstance(after, torch.Tensor)
        and before.shape == after.shape and not torch.allclose(before, after),
        "SimpleRNN.forward", "logits that change when only the last time step of x changes",
        "the same logits" if isinstance(before, torch.Tensor) else shape(before),
        HINTS["forward.last_time_step"],
    )


def test_forward_classifies_each_sequence_on_its_own(rnn):
    model = _layers(rnn)
    x = fixed(*FORWARD_INPUT)
    with torch.no_grad():
        together = model(x)
        alone = [model(x[i:i + 1]) for i in range(len(x))]
    odd = next((y for y in [together, *alone] if not isinstance(y, torch.Tensor) or y.dim() != 2), None)
    expect(odd is None, "SimpleRNN.forward", f"logits of shape (batch, {OUTPUT}) for every batch size",
           shape(odd), HINTS["forward.shapes"])
    expect(
        together.shape == (len(x), OUTPUT) and torch.allclose(together, torch.cat(alone), atol=1e-5),
        "SimpleRNN.forward", "each row of the logits to be what that sequence gives on its own",
        "rows that depend on the other sequences of the batch", HINTS["forward.batch_independence"],
    )


def test_forward_keeps_h0_on_the_input_device(rnn):
    # The meta device checks device placement without a GPU: a hidden state left
    # on the CPU fails here exactly as it would on a GPU.
    model = _layers(rnn).to("meta")
    try:
        logits = model(torch.empty(2, 4, INPUT, device="meta"))
    except RuntimeError as exc:  # NotImplementedError included
        if _ours(exc) or not _about_devices(exc):
            raise  # not about devices: reported as the error it is
        expect(False, "SimpleRNN.forward", "every tensor forward makes on x's device (meta here)",
               _first_line(exc), HINTS["device.forward_meta"])
    expect(
        isinstance(logits, torch.Tensor) and logits.device.type == "meta" and logits.shape == (2, OUTPUT),
        "SimpleRNN.forward", f"meta logits of shape (2, {OUTPUT})",
        f"{shape(logits)} on {getattr(logits, 'device', 'no device')}", HINTS["device.forward_meta"],
    )


# --- training_step -------------------------------------------------------------


def _one_step(rnn, *, lr=0.5, max_grad_norm=None, stale=False, criterion=None):
    """The student's training_step once, with SGD, on _MeanPool (with plain cross-entropy unless
    another ``criterion`` is given).

    Returns what it returned, how the parameters moved, the true gradient of the
    batch's loss at the start and that loss.
    """
    criterion = criterion if criterion is not None else nn.CrossEntropyLoss()
    model = _MeanPool()
    inputs, targets = _data()
    parameters = list(model.parameters())
    start_loss = criterion(model(inputs), targets)
    gradient = _flat(torch.autograd.grad(start_loss, parameters))
    before = _flat(parameters)
    if stale:  # gradients left over from an earlier batch, as after a previous step
        for parameter in parameters:
            parameter.grad = torch.full_like(parameter, 0.25)
    optimizer = torch.optim.SGD(parameters, lr=lr)
    returned = rnn.training_step(model, inputs, targets, criterion, optimizer, max_grad_norm=max_grad_norm)
    return returned, _flat(parameters) - before, gradient, start_loss.item()


def test_training_step_returns_the_loss_as_a_float(rnn):
    returned, _, _, _ = _one_step(rnn)
    expect(type(returned) is float, "training_step", "the loss as a Python float", shape(returned),
           HINTS["training_step.returns_float"])


def test_training_step_returns_the_loss_from_before_the_step(rnn):
    returned, _, _, start = _one_step(rnn)
    try:
        value = float(returned)
    except (TypeError, ValueError, RuntimeError):
        value = None
    expect(
        value is not None and abs(value - start) < 1e-4,
        "training_step", f"the batch's loss before the step, {start:.5f}",
        f"{value:.5f}" if value is not None else shape(returned), HINTS["training_step.returns_float"],
    )


def test_training_step_takes_a_descent_step(rnn):
    lr = 0.5
    _, change, gradient, _ = _one_step(rnn, lr=lr)
    expect(bool(change.abs().max() > 0), "training_step", "the parameters to change", "no change at all",
           HINTS["training_step.step_taken"])
    expect(
        torch.allclose(change, -lr * gradient, atol=1e-5, rtol=1e-3),
        "training_step", f"one SGD step of lr = {lr} times the batch's gradient (length "
        f"{lr * gradient.norm():.4f})", f"a step of length {change.norm():.4f}",
        HINTS["training_step.matches_reference"],
    )


def test_training_step_uses_the_criterion_it_is_given(rnn):
    lr = 0.5
    weighted = nn.CrossEntropyLoss(weight=torch.tensor([0.4, 1.7]), label_smoothing=0.2)
    _, change, gradient, _ = _one_step(rnn, lr=lr, criterion=weighted)
    expect(
        torch.allclose(change, -lr * gradient, atol=1e-5, rtol=1e-3),
        "training_step", "one SGD step along the gradient of the criterion it was given (here a "
        "cross-entropy with class weights and label smoothing)",
        f"a step of length {change.norm():.4f} where {lr * gradient.norm():.4f} was expected",
        HINTS["training_step.matches_reference"],
    )


def test_training_step_clears_old_gradients(rnn):
    lr = 0.5
    _, change, gradient, _ = _one_step(rnn, lr=lr, stale=True)
    expect(bool(change.abs().max() > 0), "training_step", "the parameters to change", "no change at all",
           HINTS["training_step.step_taken"])
    expect(
        torch.allclose(change, -lr * gradient, atol=1e-5, rtol=1e-3),
        "training_step", "a step from this batch's gradient alone, with gradients of an earlier "
        "step still in the parameters' .grad",
        "a step that added the old gradients to the new ones", HINTS["training_step.zero_grad"],
    )


def test_training_step_clips_the_gradient_norm(rnn):
    lr, limit = 1.0, 0.01
    _, change, gradient, _ = _one_step(rnn, lr=lr, max_grad_norm=limit)
    clipped = gradient * (limit / (gradient.norm() + 1e-6))
    expect(
        torch.allclose(change, -lr * clipped, atol=1e-6, rtol=1e-3),
        "training_step", f"an SGD step of length max_grad_norm * lr = {limit * lr:g} along the gradient "
        f"(whose norm is {gradient.norm():.3f})", f"a step of length {change.norm():.4g}",
        HINTS["training_step.clipping"],
    )


# --- train -------------------------------------------------------------------------


class _Recorder:
    """Stands in for training_step while train is checked: it records each call and trains nothing."""

    def __init__(self):
        self.calls = []

    def __call__(self, model, inputs, targets, criterion, optimizer, max_grad_norm=None):
        first = list(model.parameters())[0]
        self.calls.append({
            "model": model, "model_device": first.device.type, "inputs": inputs, "targets": targets,
            "criterion": criterion, "optimizer": optimizer, "max_grad_norm": max_grad_norm,
        })
        return 0.5 + len(self.calls) / 64  # a different float each call


def _train_with_recorder(rnn, *args, **kwargs):
    """(recorder, what train returned, the error it raised or None), with the stand-in in place."""
    recorder, original = _Recorder(), rnn.training_step
    rnn.training_step = recorder
    try:
        return recorder, rnn.train(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 - each test decides what an error means
        if _ours(exc):
            raise
        return recorder, None, exc
    finally:
        rnn.training_step = original


def test_train_returns_one_float_per_epoch(rnn):
    inputs, targets = _data()
    recorder, losses, error = _train_with_recorder(rnn, _MeanPool(), inputs, targets, epochs=3, lr=0.01)
    if error is not None:
        raise error
    expect(
        isinstance(losses, list) and len(losses) == 3 and all(type(v) is float for v in losses),
        "train", "a list of 3 Python floats for epochs=3", f"{type(losses).__name__} {losses!r}"[:120],
        HINTS["train.returns_losses"],
    )
    returned = [0.5 + n / 64 for n in range(1, len(recorder.calls) + 1)]
    expect(
        not recorder.calls or losses == returned, "train",
        f"the floats training_step returned, in order: {returned}", repr(losses)[:120],
        HINTS["train.returns_losses"],
    )


def _check_adam_first_step(rnn, lr):
    """train with its own loop (no training_step call): Adam's first step moves every weight by lr."""
    model = _MeanPool()
    inputs, targets = _data()
    before = _flat(model.parameters())
    rnn.train(model, inputs, targets, epochs=1, lr=lr)
    moved = (_flat(model.parameters()) - before).abs()
    expect(
        torch.allclose(moved, torch.full_like(moved, lr), rtol=1e-2),
        "train", f"Adam's first step, which moves every weight by lr = {lr}",
        f"moves between {moved.min():.3g} and {moved.max():.3g}", HINTS["train.matches_reference"],
    )


def test_train_runs_one_training_step_per_epoch_with_adam(rnn):
    model, (inputs, targets) = _MeanPool(), _data()
    epochs, lr, limit = 3, 0.03, 0.7
    recorder, _, error = _train_with_recorder(rnn, model, inputs, targets, epochs=epochs, lr=lr,
                                              max_grad_norm=limit)
    if error is not None:
        raise error
    calls = recorder.calls
    if not calls:  # a loop of its own instead of training_step: judged by what it did
        _check_adam_first_step(rnn, lr)
        return
    expect(len(calls) == epochs, "train", f"{epochs} calls of training_step for epochs={epochs}",
           f"{len(calls)}", HINTS["train.matches_reference"])
    expect(all(c["model"] is model for c in calls), "train", "training_step called with the model passed in",
           "another model object", HINTS["train.trains_passed_model"])
    expect(
        all(c["inputs"].shape == inputs.shape and torch.equal(c["inputs"].cpu(), inputs)
            and torch.equal(c["targets"].cpu(), targets) for c in calls),
        "train", f"the whole data set in every step, inputs {tuple(inputs.shape)}",
        f"inputs {tuple(calls[0]['inputs'].shape)}", HINTS["train.matches_reference"],
    )
    optimizer = calls[0]["optimizer"]
    group = optimizer.param_groups[0] if getattr(optimizer, "param_groups", None) else {}
    optimized = {id(p) for g in getattr(optimizer, "param_groups", []) for p in g["params"]}
    expect(
        isinstance(optimizer, torch.optim.Adam) and group.get("lr") == lr
        and optimized == {id(p) for p in model.parameters()}
        and all(c["optimizer"] is optimizer for c in calls),
        "train", f"one Adam optimizer over the model's parameters with lr={lr}, the same in every step",
        f"{type(optimizer).__name__} with lr={group.get('lr')}"
        + ("" if all(c["optimizer"] is optimizer for c in calls) else ", a new one each step"),
        HINTS["train.matches_reference"],
    )
    logits = torch.tensor([[0.3, -1.2], [2.0, 0.1], [-0.5, 0.4]])
    labels = torch.tensor([1, 0, 0])
    try:
        value = float(calls[0]["criterion"](logits, labels))
    except Exception:  # noqa: BLE001 - any failure means it is not the loss asked for
        value = float("nan")
    want = nn.functional.cross_entropy(logits, labels).item()
    expect(abs(value - want) < 1e-5, "train", "the cross-entropy loss as the criterion",
           f"a criterion giving {value:.4f} where cross-entropy gives {want:.4f}",
           HINTS["train.matches_reference"])
    expect(all(c["max_grad_norm"] == limit for c in calls), "train",
           f"max_grad_norm={limit} passed on to training_step", repr(calls[0]["max_grad_norm"]),
           HINTS["train.max_grad_norm"])


def test_train_moves_model_and_data_to_the_device(rnn):
    # The meta device stands in for a GPU: tensors there have shapes but no values.
    model, (inputs, targets) = _MeanPool(), _data()
    recorder, _, error = _train_with_recorder(rnn, model, inputs, targets, epochs=2, lr=0.01, device="meta")
    calls = recorder.calls
    where = list(model.parameters())[0].device.type
    if calls:
        if error is not None and not _about_devices(error):
            raise error
        got = calls[0]
        expect(
            all(c["model_device"] == c["inputs"].device.type == c["targets"].device.type == "meta"
                for c in calls),
            "train", "with device='meta': the model, the inputs and the targets on meta",
            f"the model on {got['model_device']}, the inputs on {got['inputs'].device.type}, the targets "
            f"on {got['targets'].device.type}", HINTS["device.train_meta"],
        )
        return
    # A loop of its own: on meta its first Tensor.item() fails, once the model is there.
    if error is not None and where == "meta" and "meta" in str(error).lower():  # torch 2.2 says "Meta"
        return
    if error is not None and not _about_devices(error):
        raise error
    expect(False, "train", "with device='meta': the model, the inputs and the targets on meta",
           f"the model on {where}" + (f" and {_first_line(error)}" if error is not None else ""),
           HINTS["device.train_meta"])


# --- predict -----------------------------------------------------------------------


def test_predict_returns_class_indices(rnn):
    model = _MeanPool(n_out=3)
    inputs, _ = _data(n=7)
    predicted = rnn.predict(model, inputs)
    expect(
        isinstance(predicted, torch.Tensor) and predicted.dtype == torch.int64
        and tuple(predicted.shape) == (7,),
        "predict", "an int64 tensor of shape (7,) for 7 sequences", shape(predicted),
        HINTS["predict.dtype_shape"],
    )
    with torch.no_grad():
        logits = model(inputs)
    in_range = bool(((predicted >= 0) & (predicted < 3)).all())
    chosen = logits.gather(1, predicted.clamp(0, 2).reshape(-1, 1))
    expect(
        in_range and bool((chosen >= logits).all()),
        "predict", "for each sequence, the class whose logit is the largest",
        f"classes {predicted.tolist()} for logits {[[round(v, 2) for v in row] for row in logits.tolist()]}",
        HINTS["predict.matches_reference"],
    )


def test_predict_uses_eval_mode_without_gradients(rnn):
    model = _MeanPool()
    seen = {}

    def record(module, args):
        seen["training"] = module.training
        seen["grad"] = torch.is_grad_enabled()

    model.register_forward_pre_hook(record)
    rnn.predict(model, _data(n=4)[0])
    expect(seen.get("training") is False, "predict", "the model in evaluation mode during the forward pass",
           "training mode" if seen else "no call to the model", HINTS["predict.eval_mode"])
    expect(seen.get("grad") is False, "predict", "no gradient tracking during the forward pass",
           "gradients tracked", HINTS["predict.no_grad"])


# --- rnn_forward_manual ---------------------------------------------------------------

MANUAL = {"batch": 3, "seq_len": 5, "n_in": 4, "n_hidden": 6}
WEIGHTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _manual_case(with_h0):
    """nn.RNN with fixed weights, an input and, when asked, an initial hidden state."""
    b, t, n_in, n_hidden = MANUAL.values()
    reference = fill_fixed(nn.RNN(n_in, n_hidden, batch_first=True))
    x = 2 * fixed(b, t, n_in, salt=7)
    h0 = fixed(1, b, n_hidden, salt=8) if with_h0 else None
    return reference, x, h0


def _run_manual(rnn, reference, x, h0, track=False):
    """rnn_forward_manual on leaf copies of the inputs; (result, the leaves by name)."""
    leaves = {"x": x.clone().requires_grad_(track)}
    for name in WEIGHTS:
        leaves[name] = getattr(reference, f"{name}_l0").detach().clone().requires_grad_(track)
    if h0 is not None:
        leaves["h0"] = h0.clone().requires_grad_(track)
    result = rnn.rnn_forward_manual(leaves["x"], *(leaves[n] for n in WEIGHTS), h0=leaves.get("h0"))
    return result, leaves


def _pair(result):
    ok = isinstance(result, tuple) and len(result) == 2 and all(isinstance(r, torch.Tensor) for r in result)
    return result if ok else (None, None)


def _label(with_h0):
    return "with h0" if with_h0 else "with h0=None"


def test_rnn_forward_manual_shapes(rnn):
    b, t, _, n_hidden = MANUAL.values()
    for with_h0 in (True, False):
        reference, x, h0 = _manual_case(with_h0)
        result, _ = _run_manual(rnn, reference, x, h0)
        out, h_n = _pair(result)
        expect(
            out is not None and tuple(out.shape) == (b, t, n_hidden) and tuple(h_n.shape) == (1, b, n_hidden),
            "rnn_forward_manual", f"({_label(with_h0)}) a tuple (out, h_n) of shapes ({b}, {t}, {n_hidden}) "
            f"and (1, {b}, {n_hidden})", shape(result), HINTS["manual.shapes"],
        )


@pytest.mark.parametrize("with_h0", [True, False])
def test_rnn_forward_manual_matches_nn_rnn(rnn, with_h0):
    reference, x, h0 = _manual_case(with_h0)
    result, _ = _run_manual(rnn, reference, x, h0)
    out, h_n = _pair(result)
    with torch.no_grad():
        want_out, want_h_n = reference(x, h0)
    shaped = out is not None and out.shape == want_out.shape and h_n.shape == want_h_n.shape
    expect(
        shaped and torch.allclose(out.detach(), want_out, atol=1e-5)
        and torch.allclose(h_n.detach(), want_h_n, atol=1e-5),
        "rnn_forward_manual", f"({_label(with_h0)}) the out and h_n nn.RNN gives with the same weights",
        "other values" if shaped else shape(result), HINTS["manual.values"],
    )


@pytest.mark.parametrize("with_h0", [True, False])
def test_rnn_forward_manual_gradients_match_nn_rnn(rnn, with_h0):
    reference, x, h0 = _manual_case(with_h0)
    result, leaves = _run_manual(rnn, reference, x, h0, track=True)
    out, h_n = _pair(result)
    b, t, _, n_hidden = MANUAL.values()
    expect(out is not None and out.shape == (b, t, n_hidden) and h_n.shape == (1, b, n_hidden),
           "rnn_forward_manual", "out and h_n of the right shapes before their gradients are compared",
           shape(result), HINTS["manual.shapes"])
    weights_out, weights_h = fixed(b, t, n_hidden, salt=9), fixed(1, b, n_hidden, salt=10)
    names = list(leaves)
    try:
        got = torch.autograd.grad((out * weights_out).sum() + (h_n * weights_h).sum(),
                                  [leaves[n] for n in names], allow_unused=True)
    except RuntimeError as exc:
        expect(False, "rnn_forward_manual", f"({_label(with_h0)}) gradients flowing back through out and h_n",
               _first_line(exc), HINTS["manual.gradients"])
    x_leaf = x.clone().requires_grad_(True)
    h0_leaf = h0.clone().requires_grad_(True) if h0 is not None else None
    want_out, want_h_n = reference(x_leaf, h0_leaf)
    sources = {"x": x_leaf, **{n: getattr(reference, f"{n}_l0") for n in WEIGHTS}, "h0": h0_leaf}
    want = torch.autograd.grad((want_out * weights_out).sum() + (want_h_n * weights_h).sum(),
                               [sources[n] for n in names])
    wrong = [n for n, g, w in zip(names, got, want, strict=True)
             if g is None or g.shape != w.shape or not torch.allclose(g, w, atol=1e-5, rtol=1e-4)]
    expect(not wrong, "rnn_forward_manual", f"({_label(with_h0)}) the gradients nn.RNN gives",
           "other gradients reaching " + ", ".join(wrong), HINTS["manual.gradients"])


# --- hidden_gradient_norms --------------------------------------------------------------


def _part2_case(case="plain"):
    """A network with fixed weights (W_hh scaled up in "amplified"), fixed inputs and their labels."""
    return FixedLayers(amplified=case == "amplified"), *part2_data()


def _relative_gaps(got, want):
    """|got - want| / |want| entry by entry, or None when got is not a tensor of want's shape."""
    if not isinstance(got, torch.Tensor) or got.shape != want.shape:
        return None
    return (got.detach().double() - want).abs() / want.abs()


def _worst(got, want, gaps) -> str:
    t = int(gaps.argmax())
    return f"entry {t} is {float(got[t]):.4g} where {float(want[t]):.4g} was expected"


def test_hidden_gradient_norms_shape(rnn):
    layers, x, targets = _part2_case()
    norms = rnn.hidden_gradient_norms(layers, x, targets)
    seq_len = x.shape[1]
    expect(
        isinstance(norms, torch.Tensor) and norms.is_floating_point() and tuple(norms.shape) == (seq_len,),
        "hidden_gradient_norms", f"a float tensor of shape ({seq_len},), one norm per time step",
        shape(norms), HINTS["bptt.shape"],
    )


@pytest.mark.parametrize("case", ["plain", "amplified"])
def test_hidden_gradient_norms_values(rnn, case):
    layers, x, targets = _part2_case(case)
    want = torch.tensor(PART2[case]["norms"], dtype=torch.float64)
    norms = rnn.hidden_gradient_norms(layers, x, targets)
    gaps = _relative_gaps(norms, want)
    expect(
        gaps is not None and bool((gaps <= 1e-3).all()),
        "hidden_gradient_norms", f"({case} network) |dLoss/dh_t| for t = 0..{len(want) - 1}, from "
        f"{want[0]:.3g} to {want[-1]:.3g}, every entry within 0.1%",
        _worst(norms, want, gaps) if gaps is not None else shape(norms), HINTS["bptt.values"],
    )


# --- gradient_factors ---------------------------------------------------------------------


def _stored_stand_ins(rnn, case, x):
    """Stand-ins for hidden_gradient_norms and rnn_forward_manual while gradient_factors is checked:
    they look up the stored numbers of this one case (and know nothing else), so that a mistake in
    those functions shows in their own checks only."""
    stored = PART2[case]

    def hidden_gradient_norms(model, inputs, labels):
        if not torch.equal(inputs.detach().float(), x):
            raise LookupError("the visible check's hidden_gradient_norms stand-in knows only its own case")
        return torch.tensor(stored["norms"], dtype=inputs.dtype)

    def rnn_forward_manual(inputs, weight_ih, weight_hh, bias_ih, bias_hh, h0=None):
        if h0 is not None or not torch.equal(inputs.detach().float(), x):
            raise LookupError("the visible check's stand-in for rnn_forward_manual knows only its own case")
        states = torch.tensor(stored["states"], dtype=inputs.dtype)
        return states, states[:, -1:].transpose(0, 1).contiguous()

    return {"hidden_gradient_norms": hidden_gradient_norms, "rnn_forward_manual": rnn_forward_manual}


def _factors_and_bounds(rnn, case):
    layers, x, targets = _part2_case(case)
    stand_ins = _stored_stand_ins(rnn, case, x)
    originals = {name: getattr(rnn, name) for name in stand_ins}
    for name, stand_in in stand_ins.items():
        setattr(rnn, name, stand_in)
    try:
        result = rnn.gradient_factors(layers, x, targets)
    finally:
        for name, original in originals.items():
            setattr(rnn, name, original)
    pair = isinstance(result, tuple) and len(result) == 2
    return (result if pair else (None, None)), result


@pytest.mark.parametrize("case", ["plain", "amplified"])
def test_gradient_factors_per_step(rnn, case):
    (factors, _), result = _factors_and_bounds(rnn, case)
    want = torch.tensor(PART2[case]["factors"], dtype=torch.float64)
    gaps = _relative_gaps(factors, want)
    expect(
        gaps is not None and bool((gaps <= 1e-3).all()),
        "gradient_factors", f"({case} network) factors |dL/dh_t| / |dL/dh_(t+1)| of shape ({len(want)},), "
        f"from {want[0]:.3g} to {want[-1]:.3g}",
        _worst(factors, want, gaps) if gaps is not None else shape(result), HINTS["factors.per_step"],
    )


@pytest.mark.parametrize("case", ["plain", "amplified"])
def test_gradient_factors_bounds(rnn, case):
    (factors, bounds), result = _factors_and_bounds(rnn, case)
    want = torch.tensor(PART2[case]["bounds"], dtype=torch.float64)
    gaps = _relative_gaps(bounds, want)
    expect(
        gaps is not None and bool((gaps <= 1e-3).all()),
        "gradient_factors", f"({case} network) bounds, the largest spectral norm of diag(1 - h_(t+1)^2) W_hh "
        f"over the batch, of shape ({len(want)},), from {want[0]:.3g} to {want[-1]:.3g}",
        _worst(bounds, want, gaps) if gaps is not None else shape(result), HINTS["factors.bounds"],
    )
