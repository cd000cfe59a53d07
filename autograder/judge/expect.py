"""The judge's own numbers: what a correct submission returns for this run's inputs.

Computed in the trusted process with the reference solution, torch's own
modules and the models of :mod:`autograder.worker.models`, once per run (they
depend only on the plan) or once per structure of student layers, and cached.
"""

from __future__ import annotations

from functools import cache

import torch
from torch import nn

from ..worker.models import Layers, MeanPoolMLP, ModeRevealingMLP, build
from . import plan as plan_module
from .replica import Replica, Structure, StructureError, readouts
from .replica import build as build_replica


def _params(model: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.named_parameters()}


class Expectations:
    """Shared by every submission of a run."""

    def __init__(self, plan: plan_module.Plan, reference):
        self.plan, self.ref = plan, reference
        self._replicas: dict = {}

    def warm_up(self, part2: bool = True) -> None:
        """Compute what every submission of the run will be compared with, once, up front."""
        self.forward_candidates(self.exercise_replica())
        self.forward_grads(self.exercise_replica())
        for scenario in ("plain", "stale", "clip", "criterion"):
            self.step(scenario)
        self.step_gradient()
        self.predict_logits()
        for scenario in ("main", "clip"):
            self.train(scenario)
        self.learning_bar()
        self.end_to_end()
        if part2:
            for case in ("with_h0", "no_h0"):
                self.manual(case)
            for scenario in self.plan.bptt["scenarios"]:
                self.gradient_factors(scenario)

    # --- the student's layers, rebuilt -------------------------------------------------------

    def replica(self, structure: Structure) -> Replica:
        """Raises StructureError when the structure is not one torch can rebuild."""
        layers = tuple(sorted((k, tuple(sorted(v.items()))) for k, v in structure.layers.items()))
        key = (structure.entries, layers, structure.zeros)
        if key not in self._replicas:
            try:
                self._replicas[key] = build_replica(structure, self.plan.weights_for(structure))
            except StructureError as exc:
                self._replicas[key] = exc
        found = self._replicas[key]
        if isinstance(found, StructureError):
            raise found
        return found

    @cache  # noqa: B019 - one Expectations per run
    def exercise_replica(self) -> Replica:
        structure = self.plan.exercise
        return build_replica(structure, self.plan.weights_for(structure))

    def forward_candidates(self, replica: Replica) -> dict[str, dict[str, torch.Tensor]]:
        """case -> readout name -> logits, for every forward case."""
        cached = getattr(replica, "_candidates", None)
        if cached is None:
            cached = {case: readouts(replica, x) for case, x in self.plan.cases.items()}
            replica._candidates = cached
        return cached

    def forward_grads(self, replica: Replica, readout: str = "") -> dict[str, torch.Tensor]:
        """Parameter gradients of sum(reference logits * grad_out) on the main case.

        Under the reading the student's output was identified with: the layer as built
        (seq-first when built so) or read batch-first.
        """
        as_built = readout.endswith("(as built)")
        cache = replica.__dict__.setdefault("_grads", {})
        if as_built not in cache:
            source = replica.rnn if as_built else replica.rnn_batch_first
            rnn = type(source)(**_copy_options(source))
            rnn.load_state_dict(source.state_dict())
            fc = nn.Linear(replica.fc.in_features, replica.fc.out_features, bias=replica.fc.bias is not None)
            fc.load_state_dict(replica.fc.state_dict())
            out, _ = rnn(self.plan.cases[self.plan.main])
            logits = fc(out[:, -1, :]).reshape(-1)
            (logits * self.plan.grad_out[:logits.numel()]).sum().backward()
            found = {f"rnn.{k}": v.grad.detach().clone() for k, v in rnn.named_parameters()}
            found.update({f"fc.{k}": v.grad.detach().clone() for k, v in fc.named_parameters()})
            cache[as_built] = found
        return cache[as_built]

    # --- training functions ----------------------------------------------------------------------

    def criterion(self, scenario: str) -> nn.Module:
        """The criterion training_step is given in a scenario: the judge's own in "criterion"."""
        if scenario != "criterion":
            return nn.CrossEntropyLoss()
        spec = self.plan.step["criterion"]
        return nn.CrossEntropyLoss(weight=spec["weight"], label_smoothing=spec["label_smoothing"])

    @cache  # noqa: B019
    def step(self, scenario: str) -> tuple[float, dict]:
        """The reference training_step's loss and updated parameters for a scenario (a step that
        ignores the criterion of "criterion" computes the "plain" scenario's)."""
        spec = self.plan.step
        model = build(MeanPoolMLP, spec["weights"])
        if scenario == "stale":
            for name, p in model.named_parameters():
                p.grad = spec["stale"][name].clone()
        optimizer = torch.optim.SGD(model.parameters(), lr=spec["lr"])
        limit = spec["max_grad_norm"] if scenario == "clip" else None
        loss = self.ref.training_step(model, spec["inputs"], spec["targets"],
                                      self.criterion(scenario), optimizer, limit)
        return loss, _params(model)

    @cache  # noqa: B019
    def step_gradient(self) -> dict:
        """The true gradient of the step's loss at the initial weights."""
        spec = self.plan.step
        model = build(MeanPoolMLP, spec["weights"])
        nn.functional.cross_entropy(model(spec["inputs"]), spec["targets"]).backward()
        return {k: v.grad.detach().clone() for k, v in model.named_parameters()}

    @cache  # noqa: B019
    def predict_logits(self) -> dict[str, torch.Tensor]:
        """The predict model's logits in each (mode, gradient tracking) combination."""
        spec = self.plan.predict
        model = build(ModeRevealingMLP, spec["weights"])
        found = {}
        for mode in ("eval", "train"):
            model.train(mode == "train")
            for grad in (False, True):
                with torch.set_grad_enabled(grad):
                    found[f"{mode}, {'grad' if grad else 'no_grad'}"] = model(spec["inputs"]).detach()
        return found

    @cache  # noqa: B019
    def train(self, scenario: str) -> tuple[list[float], dict]:
        """The reference train, with the judge's stand-in step, from the plan's start."""
        spec = self.plan.train
        entry = next(s for s in spec["scenarios"] if s["name"] == scenario)
        namespace: dict = {"torch": torch, "nn": nn}
        exec(compile(spec["stand_in"], "<stand-in>", "exec"), namespace)  # noqa: S102
        model = build(MeanPoolMLP, spec["weights"])
        original = self.ref.training_step
        self.ref.training_step = namespace["training_step"]
        try:
            losses = self.ref.train(model, spec["inputs"], spec["targets"], epochs=entry["epochs"],
                                    lr=entry["lr"], max_grad_norm=entry["max_grad_norm"])
        finally:
            self.ref.training_step = original
        return losses, _params(model)

    def train_loss(self, weights: dict) -> float:
        """The judge's own measurement of a MeanPoolMLP's loss on the training data."""
        spec = self.plan.train
        model = build(MeanPoolMLP, weights)
        with torch.no_grad():
            return nn.functional.cross_entropy(model(spec["inputs"]), spec["targets"]).item()

    @cache  # noqa: B019
    def learning_bar(self) -> float:
        """A loss only learning reaches: below the start and below ln(classes), the loss of
        uninformative logits (shrinking the weights towards zero gets no lower than that)."""
        import math

        start = self.train_loss(self.plan.train["weights"])
        classes = self.plan.train["weights"]["out.weight"].shape[0]
        return min(start, math.log(classes)) - 0.01

    @cache  # noqa: B019
    def end_to_end(self) -> list[float]:
        spec = self.plan.end_to_end
        model = self.ref.SimpleRNN(*spec["sizes"])
        model.load_state_dict(spec["weights"])
        return self.ref.train(model, spec["inputs"], spec["targets"], epochs=spec["epochs"], lr=spec["lr"])

    # --- part 2 ------------------------------------------------------------------------------------

    @cache  # noqa: B019
    def manual(self, case: str) -> dict[str, torch.Tensor]:
        """nn.RNN's out and h_n for the manual-recurrence case."""
        spec = self.plan.manual
        hidden, inputs = spec["weight_ih"].shape
        rnn = nn.RNN(inputs, hidden, batch_first=True)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(rnn, f"{name}_l0").copy_(spec[name])
            out, h_n = rnn(spec["x"], spec["h0"]) if case == "with_h0" else rnn(spec["x"])
        return {"out": out, "h_n": h_n}

    def network(self, scenario: str, dtype=torch.float64) -> Layers:
        """The part 2 network of a scenario ("plain" or "amplified"), in ``dtype``."""
        spec = self.plan.bptt
        model = Layers(*spec["sizes"])
        model.load_state_dict(spec["scenarios"][scenario])
        return model.to(dtype)

    @cache  # noqa: B019
    def gradient_norms(self, scenario: str = "plain") -> torch.Tensor:
        """|dL/dh_t| for every t, from nn.RNN itself (the sequence split at t, h_t made a leaf), in
        float64: the truth a float32 computation is compared with, entry by entry."""
        spec = self.plan.bptt
        model = self.network(scenario)
        x, targets = spec["x"].double(), spec["targets"]
        norms = []
        for t in range(x.shape[1]):
            with torch.no_grad():
                _, h_t = model.rnn(x[:, :t + 1])
            leaf = h_t.clone().requires_grad_(True)
            h_last = model.rnn(x[:, t + 1:], leaf)[1] if t + 1 < x.shape[1] else leaf
            loss = nn.functional.cross_entropy(model.fc(h_last[0]), targets)
            (grad,) = torch.autograd.grad(loss, leaf)
            norms.append(grad.norm())
        return torch.stack(norms).detach()

    @cache  # noqa: B019
    def hidden_states(self, scenario: str = "plain") -> torch.Tensor:
        """h_t for every t, (batch, seq_len, hidden), in float64."""
        with torch.no_grad():
            out, _ = self.network(scenario).rnn(self.plan.bptt["x"].double())
        return out

    @cache  # noqa: B019
    def gradient_factors(self, scenario: str = "plain") -> tuple[torch.Tensor, torch.Tensor]:
        """(factors, bounds), each (seq_len - 1,), in float64: factors[t] = |dL/dh_t| / |dL/dh_(t+1)|,
        bounds[t] = the largest over the batch of the spectral norm of dh_(t+1)/dh_t =
        diag(1 - h_(t+1)^2) W_hh, which factors[t] never exceeds."""
        norms = self.gradient_norms(scenario)
        return norms[:-1] / norms[1:], step_bounds(self.hidden_states(scenario),
                                                   self.network(scenario).rnn.weight_hh_l0.detach())


def step_bounds(states: torch.Tensor, weight_hh: torch.Tensor) -> torch.Tensor:
    """max over the batch of ||diag(1 - h_(t+1)^2) W_hh||_2 for t = 0 .. seq_len - 2."""
    slopes = 1 - states[:, 1:] ** 2  # (batch, seq_len - 1, hidden)
    jacobians = slopes.unsqueeze(-1) * weight_hh  # (batch, seq_len - 1, hidden, hidden)
    return torch.linalg.matrix_norm(jacobians, ord=2).amax(dim=0)


def _copy_options(rnn: nn.RNNBase) -> dict:
    from .replica import _options

    return _options(rnn)


def close(got: dict, want: dict, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    """Every tensor of ``want`` is in ``got`` with the same shape and close values."""
    for key, value in want.items():
        other = got.get(key)
        if not isinstance(other, torch.Tensor) or other.shape != value.shape:
            return False
        if not torch.allclose(other.to(value.dtype), value, atol=atol, rtol=rtol):
            return False
    return True

