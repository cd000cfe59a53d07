"""The judge's inputs: which probes to run, with which sizes, weights and data.

Everything is generated here, in the trusted process, from fixed seeds; the
student's ``make_dataset`` is never used. Sizes match no default so that
hard-coded sizes show up, and batch never equals sequence length so that
batch_first mix-ups show up.
"""

from __future__ import annotations

import torch

from .harness import ReadOut
from .sandbox.session import ProbeRequest

FORWARD_SIZES = (3, 9, 5)  # input, hidden, output
FORWARD_SHAPES = {"b1s1": (1, 1), "b1s7": (1, 7), "b5s3": (5, 3), "b3s5": (3, 5), "b6s1": (6, 1)}
MAIN_CASE = (4, 6)
STEP_SIZES = (4, 8, 3)
STEP_SCENARIOS = [
    {"name": "plain", "lr": 0.5, "max_grad_norm": None},
    {"name": "stale", "lr": 0.5, "max_grad_norm": None},
    {"name": "clip", "lr": 0.5, "max_grad_norm": 0.05},
]
TRAIN_SIZES = (4, 12, 2)
TRAIN_SCENARIOS = [
    {"name": "main", "epochs": 30, "lr": 0.02, "max_grad_norm": None},
    {"name": "clip", "epochs": 3, "lr": 0.02, "max_grad_norm": 0.1},
]
PREDICT_SIZES = (4, 6, 3)


def _weights(sizes, seed: int) -> dict:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = ReadOut(*sizes)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _randn(generator, *shape, scale=1.0):
    return torch.randn(*shape, generator=generator) * scale


def build(make_dataset, accelerators: list[str]) -> list[ProbeRequest]:
    """The probe plan. ``make_dataset`` is the trusted reference's."""
    g = torch.Generator().manual_seed(1234)
    plan = [ProbeRequest("construct", "construct", dict(zip(
        ("input_size", "hidden_size", "output_size"), FORWARD_SIZES, strict=True)), {})]

    fw = _weights(FORWARD_SIZES, 1)
    cases = {name: _randn(g, b, s, FORWARD_SIZES[0]) for name, (b, s) in FORWARD_SHAPES.items()}
    main = _randn(g, *MAIN_CASE, FORWARD_SIZES[0])
    last = main.clone()
    last[:, -1, :] = _randn(g, MAIN_CASE[0], FORWARD_SIZES[0], scale=2.0)
    cases.update(main=main, last=last)
    cases.update({f"row{i}": main[i:i + 1].clone() for i in range(MAIN_CASE[0])})
    tensors = {f"w.{k}": v for k, v in fw.items()}
    tensors.update({f"x.{k}": v for k, v in cases.items()})
    tensors["grad_out"] = _randn(g, MAIN_CASE[0], FORWARD_SIZES[2])
    plan.append(ProbeRequest("forward", "forward", {}, tensors))

    device_x = _randn(g, 2, 5, FORWARD_SIZES[0])
    dw = _weights((4, 6, 2), 2)
    d_inputs = _randn(g, 8, 5, 4)
    d_targets = (d_inputs[:, :, 0].sum(1) > 0).long()
    for device in ["meta", *accelerators]:
        plan.append(ProbeRequest(f"forward@{device}", "device_forward", {"device": device},
                                 {**{f"w.{k}": v for k, v in fw.items()}, "x": device_x}))
        plan.append(ProbeRequest(
            f"train@{device}", "device_train", {"device": device, "epochs": 2, "lr": 0.01},
            {**{f"w.{k}": v for k, v in dw.items()}, "inputs": d_inputs, "targets": d_targets}))

    sw = _weights(STEP_SIZES, 3)
    s_inputs = _randn(g, 16, 6, STEP_SIZES[0], scale=3.0)
    s_targets = torch.randint(0, STEP_SIZES[2], (16,), generator=g)
    tensors = {f"w.{k}": v for k, v in sw.items()}
    tensors.update({f"stale.stale.{k}": _randn(g, *v.shape, scale=2.0) for k, v in sw.items()})
    tensors.update(inputs=s_inputs, targets=s_targets)
    plan.append(ProbeRequest("training_step", "training_step", {"scenarios": STEP_SCENARIOS}, tensors))

    inputs, targets = make_dataset(n_sequences=128, seq_len=12, input_size=TRAIN_SIZES[0], seed=7)
    tensors = {f"w.{k}": v for k, v in _weights(TRAIN_SIZES, 4).items()}
    tensors.update(inputs=inputs, targets=targets)
    plan.append(ProbeRequest("train", "train", {"scenarios": TRAIN_SCENARIOS}, tensors,
                             timeout_s=None))

    tensors = {f"w.{k}": v for k, v in _weights(PREDICT_SIZES, 5).items()}
    tensors["inputs"] = _randn(g, 7, 5, PREDICT_SIZES[0])
    plan.append(ProbeRequest("predict", "predict", {}, tensors))
    return plan
