"""The order in which the judge asks its probes, and the requests built from earlier answers.

The order is part of the defence: a probe that puts answer-like code in the
worker's memory comes after every check it could answer. The judge's own
training step, which ``train`` is judged with, travels only with the ``train``
probe, after ``training_step`` has been judged; its ``rnn_forward_manual`` and
``hidden_gradient_norms``, which ``gradient_factors`` is judged with, only with
that probe, after both have been judged; part 2's container of the
exercise's layers comes after forward and construction.

Later requests depend on earlier answers: the structure the student's
``__init__`` reports decides which fresh weights the judge sends to load into
it. The report is only a claim; the numbers the layers then produce settle it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import wire
from ..sandbox.session import ProbeResult
from .expect import Expectations
from .plan import PART2_STAND_IN_SOURCE, PART2_STAND_INS, RECORDING_SOURCE, Plan
from .replica import Structure, StructureError


@dataclass
class Observed:
    """Everything the probes returned for one submission, by probe id."""

    results: dict[str, ProbeResult] = field(default_factory=dict)
    structure: Structure | None = None
    structure_problem: str = ""
    replicable: bool = False
    variant: str | None = None  # the forward variant the worker ran (validated against the known names)


def _prefixed(prefix: str, tensors: dict) -> dict:
    return {f"{prefix}{k}": v for k, v in tensors.items()}


FORWARD_VARIANTS = ("own", "own_hidden", "grader")


def run(ask, plan: Plan, expectations: Expectations, accelerators: list[str], part2: bool) -> Observed:
    """Ask every probe in order with ``ask(kind, args, tensors, probe_id)``; return what came back."""
    seen = Observed()
    sizes = list(plan.sizes)

    construct = seen.results[wire.CONSTRUCT] = ask(wire.CONSTRUCT, {"sizes": sizes}, {}, wire.CONSTRUCT)
    if construct.ok:
        try:
            seen.structure = Structure.from_info(construct.info)
            expectations.replica(seen.structure)
            seen.replicable = True
        except StructureError as exc:
            seen.structure_problem = str(exc)
    own = _prefixed("w.", plan.weights_for(seen.structure)) if seen.replicable else {}
    exercise = _prefixed("v.", plan.weights_for(plan.exercise))

    if seen.structure is not None:
        weights = _prefixed("w.", plan.weights_for(seen.structure))
        seen.results[wire.LAYERS] = ask(wire.LAYERS, {"sizes": sizes},
                                        {**weights, "x": plan.layer_x, "h": plan.layer_h}, wire.LAYERS)

    forward = seen.results[wire.FORWARD] = ask(
        wire.FORWARD, {"sizes": sizes, "main": plan.main},
        {**own, **exercise, **_prefixed("x.", plan.cases), "grad_out": plan.grad_out}, wire.FORWARD)
    chosen = forward.info.get("chosen") if forward.ok else None
    seen.variant = chosen if chosen in FORWARD_VARIANTS else None

    variant = seen.variant or "grader"
    for device in ["meta", *accelerators]:
        seen.results[f"{wire.DEVICE_FORWARD}@{device}"] = ask(
            wire.DEVICE_FORWARD, {"sizes": sizes, "device": device, "variant": variant},
            {**own, **exercise, "x": plan.device_x}, f"{wire.DEVICE_FORWARD}@{device}")

    step = plan.step
    criterion = step["criterion"]
    seen.results[wire.TRAINING_STEP] = ask(
        wire.TRAINING_STEP,
        {"scenarios": [{"name": "plain", "lr": step["lr"], "max_grad_norm": None},
                       {"name": "stale", "lr": step["lr"], "max_grad_norm": None, "stale": True},
                       {"name": "clip", "lr": step["lr"], "max_grad_norm": step["max_grad_norm"]},
                       {"name": "criterion", "lr": step["lr"], "max_grad_norm": None,
                        "criterion": {"label_smoothing": criterion["label_smoothing"]}}]},
        {**_prefixed("w.", step["weights"]), **_prefixed("stale.", step["stale"]),
         "inputs": step["inputs"], "targets": step["targets"], "criterion.weight": criterion["weight"]},
        wire.TRAINING_STEP)

    seen.results[wire.PREDICT] = ask(wire.PREDICT, {}, {**_prefixed("w.", plan.predict["weights"]),
                                                        "inputs": plan.predict["inputs"]}, wire.PREDICT)

    if part2:
        seen.results[wire.MANUAL_RNN] = ask(wire.MANUAL_RNN, {"cases": ["with_h0", "no_h0"]},
                                            dict(plan.manual), wire.MANUAL_RNN)
        bptt = plan.bptt
        networks = {"sizes": list(bptt["sizes"]), "scenarios": list(bptt["scenarios"])}
        weights = {f"w.{scenario}.{k}": v for scenario, state in bptt["scenarios"].items()
                   for k, v in state.items()}
        data = {**weights, "x": bptt["x"], "targets": bptt["targets"]}
        seen.results[wire.GRADIENT_NORMS] = ask(wire.GRADIENT_NORMS, networks, data, wire.GRADIENT_NORMS)
        # The judge's rnn_forward_manual and hidden_gradient_norms stand in for the student's while
        # gradient_factors is judged (a mistake there is charged once, on their checks); they travel
        # only now.
        seen.results[wire.GRADIENT_FACTORS] = ask(
            wire.GRADIENT_FACTORS,
            {**networks, "stand_in": PART2_STAND_IN_SOURCE, "replaces": list(PART2_STAND_INS)},
            data, wire.GRADIENT_FACTORS)

    e2e = plan.end_to_end
    seen.results[wire.END_TO_END] = ask(
        wire.END_TO_END, {"sizes": list(e2e["sizes"]), "epochs": e2e["epochs"], "lr": e2e["lr"]},
        {**_prefixed("w.", e2e["weights"]), "inputs": e2e["inputs"], "targets": e2e["targets"]},
        wire.END_TO_END)

    train = plan.train
    seen.results[wire.TRAIN] = ask(
        wire.TRAIN, {"scenarios": train["scenarios"], "stand_in": train["stand_in"]},
        {**_prefixed("w.", train["weights"]), "inputs": train["inputs"], "targets": train["targets"]},
        wire.TRAIN)

    spec = plan.device_train
    for device in ["meta", *accelerators]:
        seen.results[f"{wire.DEVICE_TRAIN}@{device}"] = ask(
            wire.DEVICE_TRAIN, {"device": device, "epochs": spec["epochs"], "lr": spec["lr"],
                                "stand_in": RECORDING_SOURCE},
            {**_prefixed("w.", spec["weights"]), "inputs": spec["inputs"], "targets": spec["targets"]},
            f"{wire.DEVICE_TRAIN}@{device}")
    return seen
