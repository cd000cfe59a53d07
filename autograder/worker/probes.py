"""Experiments on the student's functions, run beside student code.

Each probe takes the judge's arguments and tensors (sizes, weights, inputs
chosen fresh for this grading), calls the student's code and sends back what
came out. It decides nothing: the judge recomputes every expected number
itself and compares. A probe never trusts student objects either: it reads
only plain attributes and tensors from them, inside ``try``.

Every use of the student's code and of what it returned happens inside a
``student.code()`` region (:mod:`.blame`): what escapes one is the student's
failure, reported per case. Anything else that raises is the grader's own
fault, reported as such by :func:`run_probe` and never charged to the student.

The same probes run in a notebook's kernel for nbgrader's in-notebook checks
(:mod:`autograder.inkernel`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from .. import wire
from .blame import StudentError, grader_fault, student_code
from .models import Layers, MeanPoolMLP, ModeRevealingMLP, build

MAX_STATE_ENTRIES = 64
LAYER_FIELDS = ("mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "bidirectional",
                "proj_size", "nonlinearity", "in_features", "out_features")


class Student:
    """The student's definitions: a module, or a notebook's namespace."""

    def __init__(self, namespace, filename: str | None = None):
        self.ns = namespace if isinstance(namespace, dict) else vars(namespace)
        self.filename = filename

    def get(self, name: str):
        """A definition of the student's; one they did not make is their failure."""
        if name not in self.ns:
            raise StudentError({"type": "LookupError", "message": f"{name} is not defined", "where": None})
        return self.ns[name]

    def code(self):
        """A region that runs their code or touches what it returned (see :mod:`.blame`)."""
        return student_code(self.filename)


class VariantUnavailable(Exception):
    """A forward variant that does not apply to this submission (not a failure of anyone's)."""


def _number(value):
    """A JSON-safe number from a float/int/one-element tensor, else None."""
    try:
        if isinstance(value, torch.Tensor):
            if value.numel() != 1 or value.device.type == "meta":
                return None
            value = value.detach().to("cpu").item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        value = float(value)
        return value if math.isfinite(value) else None
    except Exception:  # noqa: BLE001 - an odd object is simply not a number
        return None


def _type_name(value) -> str:
    return type(value).__name__


def _plain(value):
    """Tensors from student code, detached, on the CPU, as plain torch.Tensor (no subclass)."""
    return value.detach().to("cpu").as_subclass(torch.Tensor).clone()


def _describe_layer(module) -> dict:
    found = {"type": _type_name(module)}
    for name in LAYER_FIELDS:
        value = getattr(module, name, None)
        if isinstance(value, (bool, int, str)) and not (isinstance(value, str) and len(value) > 40):
            found[name] = value
    return found


# --- construction --------------------------------------------------------------------------


def probe_construct(student: Student, args: dict, tensors: dict):
    cls, sizes = student.get("SimpleRNN"), args["sizes"]
    info = {"module": False, "layers": {}, "state": [], "hidden_size": None}
    with student.code():
        model = cls(*sizes)
        info["module"] = isinstance(model, nn.Module)
        hidden = getattr(model, "hidden_size", None)
        info["hidden_size"] = hidden if isinstance(hidden, int) and not isinstance(hidden, bool) else None
        if isinstance(model, nn.Module):
            for name, child in list(model.named_children())[:8]:
                info["layers"][str(name)[:80]] = _describe_layer(child)
            for name, value in list(model.state_dict().items())[:MAX_STATE_ENTRIES]:
                if isinstance(value, torch.Tensor):
                    info["state"].append([str(name)[:200], [int(n) for n in value.shape],
                                          str(value.dtype).replace("torch.", "")])
        for name in ("rnn", "fc"):
            if name not in info["layers"]:
                info["layers"][name] = {"type": _type_name(getattr(model, name, None))}
    return info, {}


def probe_layers(student: Student, args: dict, tensors: dict):
    """Load the judge's weights by name; run self.rnn and self.fc on the judge's inputs."""
    cls, weights, inputs = student.get("SimpleRNN"), wire.grouped(tensors, "w."), (tensors["x"], tensors["h"])
    info, out = {"loaded": False}, {}
    with student.code():
        model = cls(*args["sizes"])
    try:
        with student.code():
            model.load_state_dict(weights, strict=True)
        info["loaded"] = True
    except StudentError as exc:  # judged by the construction checks
        info["load_error"] = exc.info
    for name, x in zip(("rnn", "fc"), inputs, strict=True):
        try:
            with student.code():
                layer = getattr(model, name, None)
                with torch.no_grad():
                    result = layer(x)
                first = result[0] if isinstance(result, tuple) else result
                if isinstance(first, torch.Tensor):
                    out[f"{name}.out"] = _plain(first)
                info[name] = {"ok": True, "type": _type_name(result)}
        except StudentError as exc:  # judged by the construction checks
            info[name] = {"ok": False, "error": exc.info}
    return info, out


# --- forward ---------------------------------------------------------------------------------


def _own(student: Student, args: dict, tensors: dict):
    weights = wire.grouped(tensors, "w.")
    if not weights:
        raise VariantUnavailable("no weights for this structure")
    cls = student.get("SimpleRNN")
    with student.code():
        model = cls(*args["sizes"])
        model.load_state_dict(weights, strict=True)
    return model


def _own_hidden(student: Student, args: dict, tensors: dict):
    """The student's own layers, with self.hidden_size set to the RNN's hidden size."""
    model = _own(student, args, tensors)
    with student.code():
        rnn = getattr(model, "rnn", None)
        agrees = not isinstance(rnn, nn.RNNBase) or getattr(model, "hidden_size", None) == rnn.hidden_size
        if not agrees:
            model.hidden_size = rnn.hidden_size
    if agrees:
        raise VariantUnavailable("hidden_size already agrees with self.rnn")
    return model


def _grader_layers(student: Student, args: dict, tensors: dict):
    """The student's class with the exercise's layers built here (and its other attributes)."""
    cls, weights = student.get("SimpleRNN"), wire.grouped(tensors, "v.")
    I, H, O = args["sizes"]
    rnn, fc = nn.RNN(I, H, batch_first=True), nn.Linear(H, O)
    with student.code():
        model = cls.__new__(cls)
        nn.Module.__init__(model)
    try:
        with student.code():
            own = cls(I, H, O)
            for key, value in vars(own).items():
                if not key.startswith("_") and not isinstance(value, (nn.Module, torch.Tensor)):
                    setattr(model, key, value)
    except StudentError:  # __init__ is judged on its own
        pass
    with student.code():
        model.hidden_size = H
        model.rnn, model.fc = rnn, fc
        model.load_state_dict(weights)
    return model


FORWARD_VARIANTS: dict[str, Callable] = {"own": _own, "own_hidden": _own_hidden, "grader": _grader_layers}


def _run_cases(student, model, cases: dict, prefix: str, out: dict) -> dict:
    results = {}
    for case, x in cases.items():
        try:
            with student.code():
                with torch.no_grad():
                    y = model(x)
                if isinstance(y, torch.Tensor):
                    out[f"{prefix}.y.{case}"] = _plain(y).float()
                    results[case] = {"ok": True}
                else:
                    results[case] = {"ok": False, "type": _type_name(y)}
        except StudentError as exc:  # reported per case
            results[case] = {"ok": False, "error": exc.info}
    return results


def probe_forward(student: Student, args: dict, tensors: dict):
    """Run forward on every case: the student's model first, then fallbacks until one runs."""
    cases = wire.grouped(tensors, "x.")
    info, out = {"variants": {}, "chosen": None}, {}
    for name, make in FORWARD_VARIANTS.items():
        try:
            model = make(student, args, tensors)
            with student.code():
                model.train(False)
        except VariantUnavailable as exc:
            info["variants"][name] = {"built": False, "error": {"type": "LookupError", "message": str(exc),
                                                                "where": None}}
            continue
        except StudentError as exc:  # this variant cannot be built
            info["variants"][name] = {"built": False, "error": exc.info}
            continue
        results = _run_cases(student, model, cases, name, out)
        info["variants"][name] = {"built": True, "cases": results}
        if results.get(args["main"], {}).get("ok"):
            info["chosen"] = name
            info["backward"] = _backward(student, model, cases[args["main"]], tensors["grad_out"], name, out)
            break
    return info, out


def _backward(student, model, x, grad_out, prefix, out) -> dict:
    """Gradients of sum(logits * grad_out[:n]) for every parameter: nothing may be detached."""
    weights = grad_out.reshape(-1)
    try:
        with student.code():
            model.zero_grad(set_to_none=True)
            y = model(x)
            if y.numel() > weights.numel():
                return {"ok": False, "error": {"type": "Shape", "where": None,
                                               "message": f"logits of shape {tuple(y.shape)}"}}
            (y.reshape(-1) * weights[:y.numel()]).sum().backward()
            for name, p in model.named_parameters():
                if p.grad is not None:
                    out[f"{prefix}.g.{name}"] = _plain(p.grad).float()
        return {"ok": True}
    except StudentError as exc:  # judged by forward.matches_reference
        return {"ok": False, "error": exc.info}


def probe_device_forward(student: Student, args: dict, tensors: dict):
    """Forward with the model and the input on another device (meta, cuda, mps)."""
    device, make = torch.device(args["device"]), FORWARD_VARIANTS[args["variant"]]
    x = tensors["x"].to(device)
    try:
        model = make(student, args, tensors)
    except VariantUnavailable as exc:
        raise StudentError({"type": "LookupError", "message": str(exc), "where": None}) from None
    info, out = {}, {}
    with student.code():
        model = model.to(device)
        model.train(False)
        with torch.no_grad():
            y = model(x)
        info["type"] = _type_name(y)
        if isinstance(y, torch.Tensor):
            info.update(device=str(y.device.type)[:20], shape=[int(n) for n in y.shape])
            if device.type != "meta":
                out["y"] = _plain(y).float()
    return info, out


# --- training functions, on models of another architecture ---------------------------------------


class _RecordingSGD(torch.optim.SGD):
    """SGD that notes the gradients it steps with, and the gradients as they stood when, after a
    backward, they were first stepped with or cleared (what clipping must have acted on)."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.seen: list[dict] = []
        self.after_backward: dict | None = None
        self.backward_pending = False

    def _grads(self) -> dict:
        return {id(p): p.grad.detach().clone() if p.grad is not None else None
                for group in self.param_groups for p in group["params"]}

    def _note(self) -> None:
        if self.backward_pending and self.after_backward is None:
            self.after_backward = self._grads()
        self.backward_pending = False

    def step(self, closure=None):
        self._note()
        self.seen.append(self._grads())
        return super().step(closure)

    def zero_grad(self, set_to_none: bool = True):
        self._note()
        return super().zero_grad(set_to_none=set_to_none)


def probe_training_step(student: Student, args: dict, tensors: dict):
    """One call per scenario; sends back the parameters after it, the gradients right after
    backward accumulated them, and the gradients the optimizer stepped with (or, without a
    step, those left when the function returned)."""
    training_step = student.get("training_step")
    info, out = {}, {}
    for scenario in args["scenarios"]:
        name = scenario["name"]
        model = build(MeanPoolMLP, wire.grouped(tensors, "w."))
        named = dict(model.named_parameters())
        if scenario.get("stale"):
            stale = wire.grouped(tensors, "stale.")
            for pname, p in named.items():
                p.grad = stale[pname].clone()
        accumulated: dict = {}
        optimizer = _RecordingSGD(model.parameters(), lr=scenario["lr"])

        def after_backward(param, pname, accumulated=accumulated, optimizer=optimizer):
            accumulated[pname] = param.grad.detach().clone()
            optimizer.backward_pending = True

        for pname, p in named.items():
            p.register_post_accumulate_grad_hook(
                lambda param, pname=pname, hook=after_backward: hook(param, pname))
        inputs, targets, criterion = tensors["inputs"], tensors["targets"], nn.CrossEntropyLoss()
        try:
            with student.code():
                value = training_step(model, inputs, targets, criterion, optimizer,
                                      max_grad_norm=scenario["max_grad_norm"])
                info[name] = {"ok": True, "type": _type_name(value), "value": _number(value),
                              "steps": len(optimizer.seen)}
                stepped = optimizer.seen[0] if optimizer.seen else None
                clipped = optimizer.after_backward  # None: nothing stepped or cleared after backward
                for pname, p in named.items():
                    out[f"p.{name}.{pname}"] = _plain(p)
                    if pname in accumulated:
                        out[f"backward.{name}.{pname}"] = _plain(accumulated[pname])
                    if stepped is not None and stepped.get(id(p)) is not None:
                        out[f"step.{name}.{pname}"] = _plain(stepped[id(p)])
                    grad = clipped.get(id(p)) if clipped is not None else p.grad
                    if grad is not None:
                        out[f"clip.{name}.{pname}"] = _plain(grad)
        except StudentError as exc:  # reported per scenario
            info[name] = {"ok": False, "error": exc.info}
    return info, out


def probe_predict(student: Student, args: dict, tensors: dict):
    model = build(ModeRevealingMLP, wire.grouped(tensors, "w."))
    model.train(True)
    predict, inputs = student.get("predict"), tensors["inputs"]
    info, out = {}, {}
    with student.code():
        value = predict(model, inputs)
        info["type"] = _type_name(value)
        if isinstance(value, torch.Tensor):
            out["predicted"] = _plain(value)
    return info, out


def _stand_in(source: str) -> Callable:
    """The judge's training step, sent as source with the train probe (never kept in memory before)."""
    namespace = {"torch": torch, "nn": nn}
    exec(compile(source, "<judge's training step>", "exec"), namespace)  # noqa: S102 - the judge's code
    return namespace["training_step"]


def _with_training_step(student: Student, step: Callable, run: Callable):
    """Run ``run`` with the judge's step standing in for the student's ``training_step``."""
    with student.code():
        original = student.ns.get("training_step")
        student.ns["training_step"] = step
    try:
        return run()
    finally:
        with student.code():
            student.ns["training_step"] = original


def probe_train(student: Student, args: dict, tensors: dict):
    train = student.get("train")
    step = _stand_in(args["stand_in"])
    info, out = {}, {}

    def scenarios():
        for scenario in args["scenarios"]:
            name = scenario["name"]
            model = build(MeanPoolMLP, wire.grouped(tensors, "w."))
            inputs, targets = tensors["inputs"], tensors["targets"]
            epochs, lr, max_grad_norm = scenario["epochs"], scenario["lr"], scenario["max_grad_norm"]
            try:
                with student.code():
                    losses = train(model, inputs, targets, epochs=epochs, lr=lr, max_grad_norm=max_grad_norm)
                    entry = {"ok": True, "type": _type_name(losses)}
                    if isinstance(losses, (list, tuple)):
                        entry.update(length=len(losses), types=sorted({_type_name(v) for v in losses})[:5],
                                     losses=[_number(v) for v in losses[:1000]])
                    info[name] = entry
                    for pname, p in model.named_parameters():
                        out[f"p.{name}.{pname}"] = _plain(p)
            except StudentError as exc:  # reported per scenario
                info[name] = {"ok": False, "error": exc.info}

    _with_training_step(student, step, scenarios)
    return info, out


def probe_device_train(student: Student, args: dict, tensors: dict):
    """train(..., device=D) with a recording step standing in."""
    calls: list[dict] = []
    record = _stand_in(args["stand_in"])

    def step(*step_args, **kwargs):
        return record(calls, *step_args, **kwargs)

    model = build(MeanPoolMLP, wire.grouped(tensors, "w."))
    info = {"calls": calls}
    inputs, targets, epochs, lr, device = tensors["inputs"], tensors["targets"], args["epochs"], args["lr"], \
        args["device"]

    def run():
        train = student.get("train")
        with student.code():
            losses = train(model, inputs, targets, epochs=epochs, lr=lr, device=device)
            info["losses"] = [_number(v) for v in losses] if isinstance(losses, (list, tuple)) else None

    try:
        _with_training_step(student, step, run)
    except StudentError as exc:  # the judge reads what happened
        info["error"] = exc.info
    out = {}
    with student.code():  # the student's train had the model: its parameters are theirs to have changed
        first = next(iter(model.parameters()))
        info["model_device_after"] = str(first.device.type)[:20]
        if first.device.type != "meta":
            out = {f"p.{name}": _plain(p) for name, p in model.named_parameters()}
    return info, out


def probe_end_to_end(student: Student, args: dict, tensors: dict):
    """The student's own train, training_step and SimpleRNN together (the feedback's loss curve)."""
    cls, train, weights = student.get("SimpleRNN"), student.get("train"), wire.grouped(tensors, "w.")
    inputs, targets, epochs, lr = tensors["inputs"], tensors["targets"], args["epochs"], args["lr"]
    with student.code():
        model = cls(*args["sizes"])
        model.load_state_dict(weights, strict=True)
        losses = train(model, inputs, targets, epochs=epochs, lr=lr)
        values = [_number(v) for v in losses[:1000]] if isinstance(losses, (list, tuple)) else None
    return {"losses": values}, {}


# --- part 2: under the hood -----------------------------------------------------------------------


def probe_manual_rnn(student: Student, args: dict, tensors: dict):
    function = student.get("rnn_forward_manual")
    info, out = {}, {}
    grad_out, grad_h = tensors["grad_out"].reshape(-1), tensors["grad_h"].reshape(-1)
    for case in args["cases"]:
        leaves = {k: tensors[k].clone().requires_grad_(True)
                  for k in ("x", "weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        h0 = tensors["h0"].clone().requires_grad_(True) if case == "with_h0" else None
        try:
            with student.code():
                result = function(leaves["x"], leaves["weight_ih"], leaves["weight_hh"], leaves["bias_ih"],
                                  leaves["bias_hh"], h0=h0)
                if not (isinstance(result, tuple) and len(result) == 2
                        and all(isinstance(r, torch.Tensor) for r in result)):
                    info[case] = {"ok": False, "type": _type_name(result)}
                    continue
                output, h_n = result
                out[f"{case}.out"], out[f"{case}.h_n"] = _plain(output), _plain(h_n)
            info[case] = {"ok": True}
        except StudentError as exc:  # reported per case
            info[case] = {"ok": False, "error": exc.info}
            continue
        try:
            with student.code():
                loss = (output.reshape(-1) * grad_out).sum() + (h_n.reshape(-1) * grad_h).sum()
                loss.backward()
                for name, leaf in [*leaves.items(), *([("h0", h0)] if h0 is not None else [])]:
                    if leaf.grad is not None:
                        out[f"{case}.g.{name}"] = _plain(leaf.grad)
            info[case]["backward"] = True
        except StudentError as exc:  # judged by the gradient check
            info[case]["backward_error"] = exc.info
    return info, out


def probe_gradient_norms(student: Student, args: dict, tensors: dict):
    model = Layers(*args["sizes"])
    model.load_state_dict(wire.grouped(tensors, "w."))
    function, x, targets = student.get("hidden_gradient_norms"), tensors["x"], tensors["targets"]
    info, out = {}, {}
    with student.code():
        value = function(model, x, targets)
        info["type"] = _type_name(value)
        if isinstance(value, torch.Tensor):
            out["norms"] = _plain(value)
        elif isinstance(value, (list, tuple)):
            info["values"] = [_number(v) for v in value[:1000]]
    return info, out


PROBES: dict[str, Callable] = {
    wire.CONSTRUCT: probe_construct,
    wire.LAYERS: probe_layers,
    wire.FORWARD: probe_forward,
    wire.DEVICE_FORWARD: probe_device_forward,
    wire.TRAINING_STEP: probe_training_step,
    wire.PREDICT: probe_predict,
    wire.MANUAL_RNN: probe_manual_rnn,
    wire.GRADIENT_NORMS: probe_gradient_norms,
    wire.END_TO_END: probe_end_to_end,
    wire.TRAIN: probe_train,
    wire.DEVICE_TRAIN: probe_device_train,
}


def run_probe(student: Student, kind: str, args: dict, tensors: dict) -> tuple[dict, dict]:
    """Run one probe; return (message, tensors) ready for the wire.

    The student's failure is ``{"ok": False, "error"}``; a fault of the probe's own code is
    ``{"ok": False, "grader_fault"}``, which the judge never charges to the student."""
    try:
        info, out = PROBES[kind](student, args, tensors)
        return {"ok": True, "info": info}, out
    except StudentError as exc:  # the student's code failed: the whole probe reports it
        return {"ok": False, "error": exc.info}, {}
    except BaseException as exc:  # noqa: BLE001 - ours: said so, never charged
        return {"ok": False, "grader_fault": grader_fault(exc, f"probe {kind}")}, {}
