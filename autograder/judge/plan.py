"""The judge's inputs: sizes, weights, data and seeds, chosen fresh for each grading run.

Everything is drawn here, in the trusted process, from one seed that is new
for every run (``secrets``) unless an instructor fixes it to reproduce a run.
Nothing in the public code predicts it, so a submission cannot carry answers
prepared in advance. Sizes are drawn so that hard-coded sizes fail: batch
never equals sequence length, input, hidden and output sizes differ, and the
training functions are judged on models of another architecture
(:mod:`autograder.worker.models`).

The student's own ``make_dataset`` is never used; the task's data comes from
the reference's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import torch

from ..worker.models import Layers, MeanPoolMLP, ModeRevealingMLP
from . import new_seed
from .replica import Structure, exercise_structure

MAX_MANUAL_OUTPUT = 4096  # elements of out (or h_n) whose gradients are compared

# train is judged with the judge's own training step standing in (sent with the train probe only,
# after training_step has been judged). What it returns is marked, so that the judge can read from
# train's list whether its values went through training_step, and which max_grad_norm it received:
# the batch's cross-entropy + the run's TAG (drawn per run), + MARK + MARK_NORM * max_grad_norm when
# train passed one on. Averaging marked values per epoch (mini-batches) keeps the marks.
STAND_IN_MARK = 1000.0
STAND_IN_MARK_NORM = 1.0e6
PLAUSIBLE_LOSS = 50.0  # a cross-entropy of the judge's data at any weights train reaches stays below


def stand_in_source(tag: float) -> str:
    """The judge's training step, as source, with the run's tag."""
    return f'''
def training_step(model, inputs, targets, criterion, optimizer, max_grad_norm=None):
    optimizer.zero_grad()
    logits = model(inputs)
    loss = criterion(logits, targets)
    loss.backward()
    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    # What it returns does not depend on train's choice of criterion (the weights show that).
    seen = torch.nn.functional.cross_entropy(logits.detach(), targets).item() + {tag!r}
    if max_grad_norm is not None:
        seen += {STAND_IN_MARK!r} + {STAND_IN_MARK_NORM!r} * max_grad_norm
    return seen
'''


def unmark(value: float, tag: float, max_grad_norm: float | None) -> float:
    """What the stand-in's return ``value`` says about the loss, given the tag and the mark."""
    value -= tag
    if max_grad_norm is not None:
        value -= STAND_IN_MARK + STAND_IN_MARK_NORM * max_grad_norm
    return value


# The judge's rnn_forward_manual and hidden_gradient_norms, sent with the gradient_factors probe only
# (after both have been judged): the recurrence by torch's fused op, and |dLoss/dh_t| from nn.RNN
# itself, the sequence split at t. gradient_factors is judged with them standing in for the student's.
PART2_STAND_IN_SOURCE = '''
def rnn_forward_manual(x, weight_ih, weight_hh, bias_ih, bias_hh, h0=None):
    if h0 is None:
        h0 = x.new_zeros(1, x.shape[0], weight_hh.shape[0])
    return torch.rnn_tanh(x, h0, [weight_ih, weight_hh, bias_ih, bias_hh], True, 1, 0.0, False, False, True)


def hidden_gradient_norms(model, x, targets):
    norms = []
    for t in range(x.shape[1]):
        with torch.no_grad():
            _, h_t = model.rnn(x[:, :t + 1])
        leaf = h_t.clone().requires_grad_(True)
        h_last = model.rnn(x[:, t + 1:], leaf)[1] if t + 1 < x.shape[1] else leaf
        loss = torch.nn.functional.cross_entropy(model.fc(h_last[0]), targets)
        norms.append(torch.autograd.grad(loss, leaf)[0].norm())
    return torch.stack(norms)
'''
PART2_STAND_INS = ("rnn_forward_manual", "hidden_gradient_norms")

# Records where train put the model and the data; takes no step on the meta device.
RECORDING_SOURCE = '''
def training_step(calls, model, inputs, targets, criterion, optimizer, max_grad_norm=None):
    first = next(iter(model.parameters()), None)
    calls.append({"model": first.device.type if first is not None else None,
                  "inputs": getattr(getattr(inputs, "device", None), "type", None),
                  "targets": getattr(getattr(targets, "device", None), "type", None)})
    if first is None or first.device.type == "meta":
        return 0.0
    optimizer.zero_grad()
    loss = criterion(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()
'''


def _distinct(generator: torch.Generator, ranges: list[tuple[int, int]]) -> list[int]:
    """One integer from each inclusive range, all different."""
    while True:
        values = [int(torch.randint(lo, hi + 1, (1,), generator=generator)) for lo, hi in ranges]
        if len(set(values)) == len(values):
            return values


def _uniform(generator, *shape, scale=1.0) -> torch.Tensor:
    return (torch.rand(*shape, generator=generator) * 2 - 1) * scale


def _state(model: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _orders(n: int, generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Two permutations of n >= 4 classes such that the four logit orders the predict model can
    show (as is, train_order, grad_order, both) send every class to four different places: each
    (mode, gradient) combination then predicts a different class for every sequence."""
    identity = torch.arange(n)
    while True:
        first, second = torch.randperm(n, generator=generator), torch.randperm(n, generator=generator)
        orders = (identity, first, second, first[second])
        if all(bool((a != b).all()) for i, a in enumerate(orders) for b in orders[i + 1:]):
            return first, second


def _varied_predictions(pi: int, ph: int, po: int, generator, rows: int = 16) -> tuple[dict, torch.Tensor]:
    """The predict model's weights and inputs, drawn until every reading of its logits that the
    judge recognises varies: the largest and the smallest logit of each row, at least three
    classes, none for more than half of the rows; the largest along the wrong dimension, not
    one value. A model whose bias makes one class win (or lose) everywhere would let a constant
    answer (all zeros) pass for a real prediction, or leave an honest mistake unrecognised."""
    from ..worker.models import build as build_model

    def varied(indices: torch.Tensor) -> bool:
        counts = torch.bincount(indices, minlength=po)
        return int((counts > 0).sum()) >= 3 and int(counts.max()) <= len(indices) // 2

    while True:
        weights = _model_weights(ModeRevealingMLP, (pi, ph, po), generator)
        inputs = torch.randn(rows, 4, pi, generator=generator)
        with torch.no_grad():
            logits = build_model(ModeRevealingMLP, weights).eval()(inputs)
        if varied(logits.argmax(dim=1)) and varied(logits.argmin(dim=1)) \
                and len(set(logits.argmax(dim=0).tolist())) > 1:
            return weights, inputs


def _gradient_norm(cls, weights, inputs, targets) -> float:
    from ..worker.models import build as build_model

    model = build_model(cls, weights)
    torch.nn.functional.cross_entropy(model(inputs), targets).backward()
    return float(torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters())))


def _adam(weights, inputs, targets, epochs, lr, max_grad_norm) -> dict:
    from ..worker.models import build as build_model

    model = build_model(MeanPoolMLP, weights)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs), targets).backward()
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
    return {k: v.detach() for k, v in model.named_parameters()}


def _telling_clip(weights, inputs, targets, epochs, lr, max_grad_norm) -> float:
    """A max_grad_norm whose clipped run ends at least 20 tolerances from the unclipped one."""
    free = _adam(weights, inputs, targets, epochs, lr, None)
    for _ in range(8):
        clipped = _adam(weights, inputs, targets, epochs, lr, max_grad_norm)
        gap = max(float(((clipped[k] - v).abs() / (1e-4 + 1e-3 * v.abs())).max()) for k, v in free.items())
        if gap >= 20:
            break
        max_grad_norm /= 2
    return round(max_grad_norm, 8)


def _model_weights(cls, sizes, generator) -> dict:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
        return _state(cls(*sizes))


@dataclass
class Plan:
    """One run's inputs. Built once per run; every submission of the run gets the same."""

    seed: int
    sizes: tuple[int, int, int]  # SimpleRNN(input, hidden, output)
    layer_x: torch.Tensor  # for self.rnn: (batch, seq, input)
    layer_h: torch.Tensor  # for self.fc: (n, hidden)
    cases: dict[str, torch.Tensor]  # forward inputs by name
    shape_cases: tuple[str, ...]
    main: str
    rows: tuple[str, ...]  # the main batch's rows, one at a time
    grad_out: torch.Tensor
    device_x: torch.Tensor
    step: dict = field(default_factory=dict)
    predict: dict = field(default_factory=dict)
    manual: dict = field(default_factory=dict)
    bptt: dict = field(default_factory=dict)
    end_to_end: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)
    device_train: dict = field(default_factory=dict)
    _structures: dict = field(default_factory=dict)

    def weights_for(self, structure: Structure) -> dict[str, torch.Tensor]:
        """Fresh weights for a reported structure: the same structure always gets the same ones."""
        key = (structure.entries, structure.zeros)
        if key not in self._structures:
            digest = hashlib.sha256(repr(key).encode()).digest()
            generator = torch.Generator().manual_seed(self.seed ^ int.from_bytes(digest[:6], "little"))
            scale = 1.0 / max(self.sizes[1], 1) ** 0.5
            self._structures[key] = structure.weights(generator, scale)
        return self._structures[key]

    @property
    def exercise(self) -> Structure:
        return exercise_structure(*self.sizes)


def build(make_dataset, seed: int | None = None) -> Plan:
    """The run's plan. ``make_dataset`` is the trusted reference's."""
    seed = new_seed() if seed is None else seed
    g = torch.Generator().manual_seed(seed)
    I, H, O = _distinct(g, [(3, 7), (8, 13), (2, 6)])
    batch, seq = _distinct(g, [(2, 5), (7, 9)])  # batch + 1 < seq too: the main case
    cases = {}
    shape_cases = []
    for b, s in [(1, 1), (1, seq), (batch, 3 if batch != 3 else 2), (3 if batch != 3 else 2, batch),
                 (batch + 3, 1)]:
        name = f"b{b}s{s}"
        cases[name] = torch.randn(b, s, I, generator=g)
        shape_cases.append(name)
    main = torch.randn(batch + 1, seq, I, generator=g)
    last = main.clone()
    last[:, -1, :] = torch.randn(batch + 1, I, generator=g) * 2
    cases.update(main=main, last=last)
    rows = tuple(f"row{i}" for i in range(batch + 1))
    cases.update({f"row{i}": main[i:i + 1].clone() for i in range(batch + 1)})
    plan = Plan(seed=seed, sizes=(I, H, O), layer_x=torch.randn(batch, seq, I, generator=g),
                layer_h=torch.randn(3, H, generator=g), cases=cases, shape_cases=tuple(shape_cases),
                main="main", rows=rows, grad_out=torch.randn(4096, generator=g),
                device_x=torch.randn(batch + 1, 3, I, generator=g))  # short: meta runs in Python

    # training_step: a MeanPoolMLP, SGD, plain / stale gradients / clipping.
    si, sh, so = _distinct(g, [(3, 6), (7, 12), (2, 5)])
    weights = _model_weights(MeanPoolMLP, (si, sh, so), g)
    inputs, targets = torch.randn(24, 5, si, generator=g) * 3, torch.randint(0, so, (24,), generator=g)
    norm = _gradient_norm(MeanPoolMLP, weights, inputs, targets)
    plan.step = {
        "weights": weights, "inputs": inputs, "targets": targets,
        "stale": {k: torch.randn(v.shape, generator=g) * 2 for k, v in weights.items()},
        "lr": 0.2 + 0.6 * float(torch.rand(1, generator=g)),
        # well below the gradient's norm, so that clipping always acts
        "max_grad_norm": norm * (0.1 + 0.3 * float(torch.rand(1, generator=g))),
        # A criterion of the judge's own, unlike the default nn.CrossEntropyLoss(): class weights
        # and label smoothing, so that a step that ignores its criterion argument shows.
        "criterion": {"weight": 0.3 + 2.0 * torch.rand(so, generator=g),
                      "label_smoothing": round(0.1 + 0.2 * float(torch.rand(1, generator=g)), 4)},
    }

    # predict: a model whose mode and gradient tracking show in its predictions.
    pi, ph, po = _distinct(g, [(3, 6), (7, 12), (4, 6)])
    weights, inputs = _varied_predictions(pi, ph, po, g)
    weights["train_order"], weights["grad_order"] = _orders(po, g)
    plan.predict = {"weights": weights, "inputs": inputs}

    # part 2: the recurrence by hand, its gradients, the gradient norms and their per-step factors.
    mi, mh = _distinct(g, [(2, 5), (6, 9)])
    mb, ms = _distinct(g, [(2, 4), (5, 8)])
    scale = 1.0 / mh ** 0.5
    inputs = {
        "x": torch.randn(mb, ms, mi, generator=g),
        "weight_ih": _uniform(g, mh, mi, scale=scale), "weight_hh": _uniform(g, mh, mh, scale=scale),
        "bias_ih": _uniform(g, mh, scale=scale), "bias_hh": _uniform(g, mh, scale=scale),
        "h0": torch.randn(1, mb, mh, generator=g),
    }
    plan.manual = {
        **inputs,
        # the weights of the loss <u_out, out> + <u_h, h_n> whose gradients are compared, long enough
        # for any layout the outputs come in
        "u_out": torch.randn(MAX_MANUAL_OUTPUT, generator=g),
        "u_h": torch.randn(MAX_MANUAL_OUTPUT, generator=g),
        # one direction per input for the finite differences of the student's own function
        **{f"dir.{name}": torch.randn(value.shape, generator=g) for name, value in inputs.items()},
    }
    bi, bh, bo = _distinct(g, [(3, 5), (6, 10), (2, 3)])
    weights = _model_weights(Layers, (bi, bh, bo), g)
    # The same network with its recurrent weights scaled up: the gradient grows going back in time.
    amplified = dict(weights)
    amplified["rnn.weight_hh_l0"] = weights["rnn.weight_hh_l0"] * (2.5 + float(torch.rand(1, generator=g)))
    plan.bptt = {"sizes": (bi, bh, bo), "x": torch.randn(6, 15, bi, generator=g),
                 "targets": torch.randint(0, bo, (6,), generator=g),
                 "scenarios": {"plain": weights, "amplified": amplified}}

    # The student's whole pipeline, for the feedback's loss curve (no points).
    inputs, targets = make_dataset(n_sequences=128, seq_len=12, input_size=4,
                                   seed=int(torch.randint(0, 2**31 - 1, (1,), generator=g)))
    plan.end_to_end = {"sizes": (4, 16, 2), "epochs": 20, "lr": 0.025, "inputs": inputs, "targets": targets,
                       "weights": exercise_structure(4, 16, 2).weights(g, 0.25)}

    # train: a MeanPoolMLP learning the task, with the judge's step standing in. More sequences than
    # any usual mini-batch (32, 64, 128, 256), so that mini-batches show as several steps an epoch.
    ti, th, to = 4, 8 + int(torch.randint(0, 5, (1,), generator=g)), 2
    inputs, targets = make_dataset(n_sequences=257 + int(torch.randint(0, 64, (1,), generator=g)), seq_len=10,
                                   input_size=ti, seed=int(torch.randint(0, 2**31 - 1, (1,), generator=g)))
    weights = _model_weights(MeanPoolMLP, (ti, th, to), g)
    norm = _gradient_norm(MeanPoolMLP, weights, inputs, targets)
    tag = round(200.0 + 100.0 * float(torch.rand(1, generator=g)), 6)
    plan.train = {
        "weights": weights, "inputs": inputs, "targets": targets, "tag": tag,
        "stand_in": stand_in_source(tag),
        "scenarios": [
            {"name": "main", "epochs": 20 + int(torch.randint(0, 8, (1,), generator=g)),
             "lr": round(0.03 + 0.04 * float(torch.rand(1, generator=g)), 4), "max_grad_norm": None},
            # clipping acts on every step, so clipped and unclipped Adam runs end measurably apart
            {"name": "clip", "epochs": 4, "lr": 0.05,
             "max_grad_norm": _telling_clip(weights, inputs, targets, 4, 0.05,
                                            norm * (0.05 + 0.1 * float(torch.rand(1, generator=g))))},
        ],
    }
    plan.device_train = {"weights": _model_weights(MeanPoolMLP, (ti, th, to), g),
                         "inputs": inputs[:16], "targets": targets[:16], "epochs": 2, "lr": 0.01}
    return plan
