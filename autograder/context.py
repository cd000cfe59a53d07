"""What a hidden check sees: the probes' results and the judge's own expectations.

Expected values are computed here, in the trusted process, with the reference
solution and the judge's tensors; probe results arrive as plain tensors
decoded from safetensors, so nothing the student's process did to torch can
reach a comparison.
"""

from __future__ import annotations

from functools import cache

import torch
from torch import nn

from . import plan as plan_module
from .checks import CheckFailure
from .harness import grouped, readout_with


def describe_error(error: dict | None) -> str:
    if not isinstance(error, dict):
        return "an unknown error"
    kind = str(error.get("type", "Error"))[:60]
    message = str(error.get("message", ""))[:300]
    where = error.get("where")
    text = f"{kind}: {message}" if message else kind
    return f"{text} (in {str(where)[:80]})" if where else text


class Context:
    """Shared by every check of one submission."""

    def __init__(self, probes, requests: list, reference, import_error=None):
        self.probes = probes  # has .result(probe_id) -> ProbeResult
        self.requests = {r.id: r for r in requests}
        self.ref = reference
        self.import_error = import_error

    # --- student side -------------------------------------------------------------

    def result(self, probe_id: str, function: str):
        """The probe's result, or a CheckFailure telling the student what went wrong."""
        result = self.probes.result(probe_id)
        if result.problem == "import":
            raise CheckFailure(f"rnn.py could not be loaded: {describe_error(self.import_error)}")
        if result.problem is not None or not result.ok:
            raise CheckFailure(f"{function}: {describe_error(result.error)}")
        return result

    def info(self, probe_id: str, function: str) -> dict:
        info = self.result(probe_id, function).info
        borrowed = info.get("borrowed")
        if borrowed:
            raise CheckFailure(
                f"{function}: SimpleRNN must be your own class in rnn.py; it derives from the "
                f"grader's {str(borrowed[0])[:80]}")
        return info

    def scenario(self, probe_id: str, function: str, name: str) -> tuple[dict, dict]:
        """One scenario of a multi-scenario probe: its info entry and its returned parameters."""
        entry = self.info(probe_id, function).get(name) or {}
        if entry.get("ok") is not True:
            raise CheckFailure(f"{function}: {describe_error(entry.get('error'))}")
        return entry, grouped(self.result(probe_id, function).tensors, f"p.{name}.")

    # --- judge side -------------------------------------------------------------

    def inputs(self, probe_id: str) -> dict:
        return self.requests[probe_id].tensors

    def initial_weights(self, probe_id: str) -> dict:
        """The weights the judge sent with a probe."""
        return grouped(self.inputs(probe_id), "w.")

    @cache  # noqa: B019 - one Context per submission
    def expected_forward(self) -> dict:
        tensors = self.inputs("forward")
        model = self.ref.SimpleRNN(*plan_module.FORWARD_SIZES)
        model.load_state_dict(grouped(tensors, "w."))
        model.eval()
        with torch.no_grad():
            return {case: model(x) for case, x in grouped(tensors, "x.").items()}

    @cache  # noqa: B019
    def expected_forward_grads(self) -> dict:
        """Parameter gradients of sum(logits * grad_out) on the main case."""
        tensors = self.inputs("forward")
        model = self.ref.SimpleRNN(*plan_module.FORWARD_SIZES)
        model.load_state_dict(grouped(tensors, "w."))
        (model(tensors["x.main"]) * tensors["grad_out"]).sum().backward()
        return {name: p.grad.detach().clone() for name, p in model.named_parameters()}

    @cache  # noqa: B019
    def expected_step(self, scenario: str) -> tuple[float, dict]:
        tensors = self.inputs("training_step")
        spec = next(s for s in plan_module.STEP_SCENARIOS if s["name"] == scenario)
        model = readout_with(grouped(tensors, "w."))
        stale = grouped(tensors, f"stale.{scenario}.")
        for name, p in model.named_parameters():
            if name in stale:
                p.grad = stale[name].clone()
        optimizer = torch.optim.SGD(model.parameters(), lr=spec["lr"])
        loss = self.ref.training_step(model, tensors["inputs"], tensors["targets"],
                                      nn.CrossEntropyLoss(), optimizer, spec["max_grad_norm"])
        return loss, {k: v.detach().clone() for k, v in model.named_parameters()}

    @cache  # noqa: B019
    def expected_train(self, scenario: str) -> tuple[list, dict]:
        tensors = self.inputs("train")
        spec = next(s for s in plan_module.TRAIN_SCENARIOS if s["name"] == scenario)
        model = readout_with(grouped(tensors, "w."))
        losses = self.ref.train(model, tensors["inputs"], tensors["targets"], epochs=spec["epochs"],
                                lr=spec["lr"], max_grad_norm=spec["max_grad_norm"])
        return losses, {k: v.detach().clone() for k, v in model.named_parameters()}

    def dataset_loss(self, weights: dict) -> float:
        """The judge's own measurement of a weight set's loss on the training data."""
        tensors = self.inputs("train")
        model = readout_with(weights)
        with torch.no_grad():
            return nn.functional.cross_entropy(model(tensors["inputs"]), tensors["targets"]).item()

    @cache  # noqa: B019
    def expected_predict(self) -> torch.Tensor:
        tensors = self.inputs("predict")
        return self.ref.predict(readout_with(grouped(tensors, "w.")), tensors["inputs"])


def same(got: dict, want: dict, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    """Every tensor of ``want`` is in ``got`` with the same shape and close values."""
    for key, value in want.items():
        other = got.get(key)
        if not isinstance(other, torch.Tensor) or other.shape != value.shape:
            return False
        if not torch.allclose(other.to(value.dtype), value, atol=atol, rtol=rtol):
            return False
    return True
