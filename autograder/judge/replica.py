"""The student's layers, rebuilt by the judge, and what a forward pass over them could compute.

The construct probe reports the structure of the student's ``SimpleRNN``
(parameter names and shapes, layer types and options). That report is only a
claim: the judge rebuilds the layers from it with torch's own modules, loads
*its own* fresh weights into both copies, and every claim is then settled by
numbers the student's copy must reproduce.

:func:`readouts` lists what common forward passes compute from the rebuilt
layers (the last, first or mean time step, the final hidden state, the
seq-first slip ``out[-1]``; raw logits or a softmax, log-softmax, ReLU,
sigmoid or tanh on top), so that a forward pass can be *identified* by its
numbers: the forward checks then judge the readout and the post-processing
separately, and each mistake costs points once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn

from .. import wire

MAX_ENTRIES = 64
MAX_ELEMENTS = 1 << 21
RECURRENT = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
_LAYER_KEY = re.compile(r"^(weight|bias)_(ih|hh|hr)_l(\d+)(_reverse)?$")


class StructureError(ValueError):
    """The reported structure is malformed, too large, or not something torch builds."""


@dataclass(frozen=True)
class Structure:
    """The student's parameters and buffers: name -> (shape, dtype), as reported."""

    entries: tuple[tuple[str, tuple[int, ...], str], ...]
    layers: dict
    # The model's own state outside its layers (a learnable initial state, say) that its __init__
    # makes as zeros: the judge loads zeros there too, and random values everywhere else.
    zeros: frozenset = frozenset()

    @classmethod
    def from_info(cls, info: dict) -> Structure:
        entries = []
        for item in wire.sequence(info.get("state"), MAX_ENTRIES + 1):
            if not (isinstance(item, list) and len(item) == 3):
                raise StructureError("malformed parameter list")
            name, shape, dtype = item
            if not isinstance(name, str) or len(name) > 120 or not isinstance(shape, list) or len(shape) > 4 \
                    or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 1 << 16
                               for n in shape):
                raise StructureError("malformed parameter list")
            entries.append((name, tuple(shape), wire.text(dtype, 20)))
        if len(entries) > MAX_ENTRIES:
            raise StructureError(f"more than {MAX_ENTRIES} parameters and buffers")
        total = sum(_numel(shape) for _, shape, _ in entries)
        if total > MAX_ELEMENTS:
            raise StructureError(f"{total} parameter values: too large to judge")
        reported = list(wire.mapping(info.get("layers")).items())[:8]
        layers = {wire.text(k, 40): wire.mapping(v) for k, v in reported}
        own = {name for name, _, _ in entries if "." not in name}
        zeros = frozenset(n for n in wire.sequence(info.get("zero_entries"), MAX_ENTRIES) if n in own)
        return cls(tuple(entries), layers, zeros)

    def shapes(self, prefix: str = "") -> dict[str, tuple[int, ...]]:
        return {n[len(prefix):]: s for n, s, _ in self.entries if n.startswith(prefix)}

    def weights(self, generator: torch.Generator, scale: float) -> dict[str, torch.Tensor]:
        """Fresh values for every entry (uniform in [-scale, scale]; non-float buffers and the
        model's own zero-made state zero)."""
        found = {}
        for name, shape, dtype in self.entries:
            if dtype in ("float32", "float64", "float16", "bfloat16"):
                value = (torch.rand(shape, generator=generator) * 2 - 1) * scale
                found[name] = value.to(getattr(torch, dtype)) * (0 if name in self.zeros else 1)
            else:
                kind = getattr(torch, dtype, None)
                found[name] = torch.zeros(shape,
                                          dtype=kind if isinstance(kind, torch.dtype) else torch.float32)
        return found


def _numel(shape) -> int:
    count = 1
    for n in shape:
        count *= n
    return count


def exercise_structure(input_size: int, hidden_size: int, output_size: int) -> Structure:
    shapes = {"rnn.weight_ih_l0": (hidden_size, input_size), "rnn.weight_hh_l0": (hidden_size, hidden_size),
              "rnn.bias_ih_l0": (hidden_size,), "rnn.bias_hh_l0": (hidden_size,),
              "fc.weight": (output_size, hidden_size), "fc.bias": (output_size,)}
    layers = {"rnn": {"type": "RNN", "mode": "RNN_TANH", "batch_first": True},
              "fc": {"type": "Linear"}}
    return Structure(tuple((n, s, "float32") for n, s in shapes.items()), layers)


@dataclass
class Replica:
    """Torch modules rebuilt from a structure, holding the judge's weights."""

    rnn: nn.RNNBase  # as the student built it (their batch_first)
    rnn_batch_first: nn.RNNBase  # the same weights, reading batch-first
    fc: nn.Linear
    kind: str  # "RNN", "LSTM" or "GRU"

    @property
    def is_exercise(self) -> bool:
        """One tanh layer, one direction, with biases: what the exercise asks for."""
        r = self.rnn
        return (self.kind == "RNN" and r.nonlinearity == "tanh" and r.num_layers == 1
                and not r.bidirectional and r.bias)


def recurrent_layer(structure: Structure) -> nn.RNNBase:
    """An nn.RNN/LSTM/GRU whose parameter shapes are exactly the reported ``rnn.*`` ones."""
    shapes = structure.shapes("rnn.")
    keys = [_LAYER_KEY.match(k) for k in shapes]
    if not shapes or not all(keys):
        raise StructureError("self.rnn is not a torch recurrent layer")
    info = structure.layers.get("rnn", {})
    kind = str(info.get("type", ""))
    if kind not in RECURRENT:
        raise StructureError(f"self.rnn is a {kind or 'module'} the grader cannot rebuild")
    layers = 1 + max(int(k.group(3)) for k in keys)
    hidden = shapes["weight_hh_l0"][1] if "weight_hh_l0" in shapes else 0
    options = dict(input_size=shapes.get("weight_ih_l0", (0, 0))[1], hidden_size=hidden, num_layers=layers,
                   bias="bias_ih_l0" in shapes, batch_first=info.get("batch_first") is True,
                   bidirectional="weight_ih_l0_reverse" in shapes)
    if kind == "RNN":
        options["nonlinearity"] = "relu" if info.get("nonlinearity") == "relu" else "tanh"
    if kind == "LSTM" and "weight_hr_l0" in shapes:
        options["proj_size"] = shapes["weight_hr_l0"][0]
        options["hidden_size"] = shapes["weight_hr_l0"][1]
    try:
        module = RECURRENT[kind](**options)
    except (ValueError, TypeError, RuntimeError) as exc:
        raise StructureError(f"self.rnn cannot be rebuilt ({exc})") from None
    if {k: tuple(v.shape) for k, v in module.state_dict().items()} != shapes:
        raise StructureError("self.rnn's parameters do not match a torch recurrent layer")
    return module


def build(structure: Structure, weights: dict[str, torch.Tensor]) -> Replica:
    rnn = recurrent_layer(structure)
    fc_shapes = structure.shapes("fc.")
    if set(fc_shapes) not in ({"weight", "bias"}, {"weight"}) or len(fc_shapes["weight"]) != 2:
        raise StructureError("self.fc is not an nn.Linear")
    out_features, in_features = fc_shapes["weight"]
    fc = nn.Linear(in_features, out_features, bias="bias" in fc_shapes)
    rnn.load_state_dict(wire.grouped(weights, "rnn."))
    fc.load_state_dict(wire.grouped(weights, "fc."))
    batch_first = type(rnn)(**_options(rnn, batch_first=True))
    batch_first.load_state_dict(rnn.state_dict())
    for module in (rnn, batch_first, fc):
        module.eval()
    kind = next(name for name, cls in RECURRENT.items() if type(rnn) is cls)
    return Replica(rnn, batch_first, fc, kind)


def _options(rnn: nn.RNNBase, **changes) -> dict:
    options = dict(input_size=rnn.input_size, hidden_size=rnn.hidden_size, num_layers=rnn.num_layers,
                   bias=rnn.bias, batch_first=rnn.batch_first, bidirectional=rnn.bidirectional)
    if isinstance(rnn, nn.RNN):
        options["nonlinearity"] = rnn.nonlinearity
    if isinstance(rnn, nn.LSTM) and rnn.proj_size:
        options["proj_size"] = rnn.proj_size
    options.update(changes)
    return options


# --- what a forward pass could compute ---------------------------------------------------------

POSTS = {
    "raw logits": lambda y: y,
    "softmax": lambda y: torch.softmax(y, dim=-1),
    "log_softmax": lambda y: torch.log_softmax(y, dim=-1),
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
}
LAST = "the last time step"


def _final_state(h_n) -> torch.Tensor:
    return (h_n[0] if isinstance(h_n, tuple) else h_n)[-1]


# How students mix up the batch and time dimensions of x before the RNN sees it.
INPUTS = {
    "": lambda x: x,
    "x with its batch and time dimensions mixed (transpose then reshape)":
        lambda x: x.transpose(0, 1).reshape(x.shape),
    "x with its batch and time dimensions mixed (reshape then transpose)":
        lambda x: x.reshape(x.shape[1], x.shape[0], -1).transpose(0, 1),
    "x transposed to (seq_len, batch, input_size)": lambda x: x.transpose(0, 1),
}


def readouts(replica: Replica, x: torch.Tensor,
             h0: torch.Tensor | None = None) -> dict[tuple[str, str], torch.Tensor]:
    """(input, readout) -> fc(readout): the read-outs students write, under both readings of the
    layer, on x as given and on x with its batch and time dimensions mixed up; from zeros, or from
    the initial state ``h0`` when given."""
    found = {}
    with torch.no_grad():
        for inputs, prepare in INPUTS.items():
            try:
                seen = prepare(x).contiguous()
            except RuntimeError:
                continue
            for reading, layer in (("", replica.rnn_batch_first), (" (as built)", replica.rnn)):
                try:
                    out, h_n = layer(seen) if h0 is None else layer(seen, h0.to(seen.dtype))
                except (RuntimeError, ValueError, TypeError, AssertionError):
                    continue
                candidates = {
                    LAST: out[:, -1, :],
                    "the first time step": out[:, 0, :],
                    "the mean over time": out.mean(dim=1),
                    "the final hidden state h_n[-1]": _final_state(h_n),
                    "out[-1] (the last sequence of the batch, not the last time step)": out[-1],
                }
                for name, value in candidates.items():
                    if value.shape[-1] == replica.fc.in_features:
                        found.setdefault((inputs, name + reading), replica.fc(value))
    return found


@dataclass(frozen=True)
class Identified:
    inputs: str  # a key of INPUTS: "" when x was used as given
    readout: str  # the read-out, e.g. LAST
    post: str  # a key of POSTS
    start: str = ""  # "" from zeros (or no h0); else how the initial state differs

    @property
    def is_last_step(self) -> bool:
        return self.readout.startswith((LAST, "the final hidden state"))

    @property
    def is_reference(self) -> bool:
        return self.is_last_step and self.post == "raw logits" and not self.inputs and not self.start

    def describe(self) -> str:
        text = f"self.fc of {self.readout}"
        if self.inputs:
            text += f", computed from {self.inputs}"
        if self.start:
            text += f", started from {self.start}"
        if self.post != "raw logits":
            text += f", with {self.post} applied"
        return text

    def started(self, start: str) -> Identified:
        return Identified(self.inputs, self.readout, self.post, start)


def identify(y: torch.Tensor | None, candidates: dict, atol: float = 1e-4,
             seen_elsewhere: frozenset = frozenset()) -> Identified | None:
    """Which candidate (and which post-processing) the student's output ``y`` is, if any.

    Compared on the values alone (flattened), so a shape slip such as squeeze()
    is judged by the shape check only. A candidate whose values are all (nearly) the
    same identifies nothing on its own: a constant output, such as zeros matching the
    ReLU of logits that all came out negative, is not computed from the RNN. It does
    identify an output when that same read-out and post-processing is identified,
    on values that vary, for another input (``seen_elsewhere``): then the constant is
    what that forward pass computes here too.
    """
    if not isinstance(y, torch.Tensor) or not y.is_floating_point():
        return None
    flat = y.reshape(-1).double()
    for (inputs, name), base in candidates.items():
        if base.numel() != flat.numel():
            continue
        for post, apply in POSTS.items():
            want = apply(base).reshape(-1).double()
            found = Identified(inputs, name, post)
            if (want.numel() > 1 and float(want.max() - want.min()) <= 10 * atol
                    and found not in seen_elsewhere):
                continue
            if torch.allclose(flat, want, atol=atol, rtol=1e-4):
                return found
    return None
