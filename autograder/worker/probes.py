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
from torch.overrides import TorchFunctionMode

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
            info["zero_entries"] = []  # the model's own state (outside its layers) made as zeros
            for name, value in list(model.state_dict().items())[:MAX_STATE_ENTRIES]:
                if isinstance(value, torch.Tensor):
                    info["state"].append([str(name)[:200], [int(n) for n in value.shape],
                                          str(value.dtype).replace("torch.", "")])
                    if "." not in name and value.device.type != "meta" and not bool(value.detach().any()):
                        info["zero_entries"].append(str(name)[:200])
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


MAX_H0_ELEMENTS = 1 << 16


class _InitialState:
    """Notes the initial hidden state forward hands to ``self.rnn`` (its first call per case), so
    that the judge can tell a forward that starts from another state than zeros: data, no verdict."""

    def __init__(self, model):
        self.seen: torch.Tensor | None = None
        layer = getattr(model, "rnn", None)
        self.handle = layer.register_forward_pre_hook(self._note, with_kwargs=True) \
            if isinstance(layer, nn.Module) else None

    def _note(self, module, args, kwargs):
        if self.seen is None:
            hx = args[1] if len(args) > 1 else kwargs.get("hx")
            if isinstance(hx, torch.Tensor) and hx.numel() <= MAX_H0_ELEMENTS:
                self.seen = hx.detach()

    def close(self):
        if self.handle is not None:
            self.handle.remove()


def _run_cases(student, model, cases: dict, prefix: str, out: dict) -> dict:
    results = {}
    with student.code():  # a hook on the student's own layer: theirs to have shaped
        initial = _InitialState(model)
    try:
        for case, x in cases.items():
            initial.seen = None
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
            if initial.seen is not None:
                with student.code():
                    if initial.seen.device.type != "meta":
                        out[f"{prefix}.h0.{case}"] = _plain(initial.seen).float()
    finally:
        with student.code():
            initial.close()
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


def _criterion(scenario: dict, tensors: dict) -> nn.Module:
    """The criterion the judge hands training_step: plain cross-entropy, or its own (class weights,
    label smoothing), which a step that ignores its criterion argument does not use."""
    spec = scenario.get("criterion")
    if spec is None:
        return nn.CrossEntropyLoss()
    return nn.CrossEntropyLoss(weight=tensors["criterion.weight"], label_smoothing=spec["label_smoothing"])


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
        inputs, targets, criterion = tensors["inputs"], tensors["targets"], _criterion(scenario, tensors)
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


def _with_function(student: Student, name: str, stand_in: Callable, run: Callable):
    """``run()`` with the judge's ``stand_in`` in place of the student's function ``name``."""
    with student.code():  # their namespace: a notebook's may be any mapping they made it
        had, original = name in student.ns, student.ns.get(name)
        student.ns[name] = stand_in
    try:
        return run()
    finally:
        with student.code():
            if had:
                student.ns[name] = original
            else:
                student.ns.pop(name, None)


def _with_functions(student: Student, stand_ins: dict[str, Callable], run: Callable):
    """``run()`` with each of the judge's ``stand_ins`` in place of the student's function of that name."""
    if not stand_ins:
        return run()
    (name, stand_in), *rest = stand_ins.items()
    return _with_function(student, name, stand_in, lambda: _with_functions(student, dict(rest), run))


def _with_training_step(student: Student, step: Callable, run: Callable):
    return _with_function(student, "training_step", step, run)


def probe_train(student: Student, args: dict, tensors: dict):
    train = student.get("train")
    stand_in = _stand_in(args["stand_in"])
    info, out = {}, {}
    batches: list[int] = []  # how many sequences each training_step call was given

    def step(model, inputs, *rest, **kwargs):
        if len(batches) < 10_000:
            batches.append(int(inputs.shape[0]) if isinstance(inputs, torch.Tensor) and inputs.dim() else -1)
        return stand_in(model, inputs, *rest, **kwargs)

    def scenarios():
        for scenario in args["scenarios"]:
            name = scenario["name"]
            model = build(MeanPoolMLP, wire.grouped(tensors, "w."))
            inputs, targets = tensors["inputs"], tensors["targets"]
            epochs, lr, max_grad_norm = scenario["epochs"], scenario["lr"], scenario["max_grad_norm"]
            batches.clear()
            try:
                with student.code():
                    losses = train(model, inputs, targets, epochs=epochs, lr=lr, max_grad_norm=max_grad_norm)
                    entry = {"ok": True, "type": _type_name(losses), "calls": len(batches),
                             "batch_sizes": sorted(set(batches))[:20]}
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

MANUAL_INPUTS = ("x", "weight_ih", "weight_hh", "bias_ih", "bias_hh")
MANUAL_SEED = 20240611  # the RNG is seeded alike before every call, so that a random draw inside
#                         the student's function does not make its finite differences noise
FINITE_STEP = {torch.float64: 1e-6, torch.float32: 1e-3}
MAX_OP_NAMES = 256


class _OpNames(TorchFunctionMode):
    """The names of the torch functions called while it is active: data for the judge (which
    operations the student's code used), never a decision."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if len(self.names) < MAX_OP_NAMES:
            self.names.add(str(getattr(func, "__name__", None) or type(func).__name__)[:60])
        return func(*args, **(kwargs or {}))


class _NotAPair(Exception):
    """rnn_forward_manual returned something else than a tuple (out, h_n) of two tensors."""


def _call_manual(student: Student, function, values: dict, names: list[str]):
    """rnn_forward_manual on ``values``, the RNG seeded alike every time: (out, h_n), or _NotAPair
    (a StudentError when it raised)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(MANUAL_SEED)
        with student.code():
            result = function(*(values[k] for k in MANUAL_INPUTS),
                              h0=values.get("h0") if "h0" in names else None)
            pair = isinstance(result, tuple) and len(result) == 2 and all(isinstance(r, torch.Tensor)
                                                                          for r in result)
            kind = None if pair else _type_name(result)
    if not pair:
        raise _NotAPair(kind)
    return result


def _manual_loss(output, h_n, tensors, dtype):
    """<u_out, out> + <u_h, h_n>, whatever the layout: the judge computes the same from the outputs."""
    u_out, u_h = tensors["u_out"].to(dtype), tensors["u_h"].to(dtype)
    if output.numel() > u_out.numel() or h_n.numel() > u_h.numel():
        raise ValueError(f"out has {output.numel()} and h_n {h_n.numel()} values: too many to compare")
    return (output.reshape(-1) * u_out[:output.numel()]).sum() + (h_n.reshape(-1) * u_h[:h_n.numel()]).sum()


def _finite_differences(student, function, tensors, names, case, out) -> dict:
    """The student's function differentiated two ways, for the judge to compare: the gradients
    autograd gives of <u_out, out> + <u_h, h_n>, and the outputs at the inputs moved by +-step
    along one direction per input. In float64; in float32 when the function cannot run in float64."""
    problems = {}
    for dtype, label in ((torch.float64, "float64"), (torch.float32, "float32")):
        base = {k: tensors[k].to(dtype) for k in names}
        leaves = {k: v.clone().requires_grad_(True) for k, v in base.items()}
        try:
            output, h_n = _call_manual(student, function, leaves, names)
            with student.code():
                loss = _manual_loss(output.to(dtype), h_n.to(dtype), tensors, dtype)
        except StudentError as exc:  # perhaps float64 only; the judge reads why
            problems[label] = exc.info
            continue
        except _NotAPair as exc:
            problems[label] = {"type": "Type", "message": f"returned a {exc}", "where": None}
            continue
        entry = {"ok": True, "dtype": label, "step": FINITE_STEP[dtype]}
        prefix = f"{case}.fd."
        with student.code():
            out[f"{prefix}out"], out[f"{prefix}h_n"] = _plain(output), _plain(h_n)
        try:
            with student.code():
                if not loss.requires_grad:
                    raise RuntimeError("out and h_n do not require grad: nothing flows back to the inputs")
                grads = torch.autograd.grad(loss, [leaves[k] for k in names], allow_unused=True)
                for name, grad in zip(names, grads, strict=True):
                    if grad is not None:
                        out[f"{prefix}g.{name}"] = _plain(grad)
            entry["backward"] = True
        except StudentError as exc:  # judged by the gradient check
            entry["backward_error"] = exc.info
        try:
            for name in names:
                for sign, tag in ((1.0, "plus"), (-1.0, "minus")):
                    moved = dict(base)
                    moved[name] = base[name] + sign * FINITE_STEP[dtype] * tensors[f"dir.{name}"].to(dtype)
                    moved_out, moved_h_n = _call_manual(student, function, moved, names)
                    with student.code():
                        out[f"{prefix}{tag}.{name}.out"] = _plain(moved_out)
                        out[f"{prefix}{tag}.{name}.h_n"] = _plain(moved_h_n)
        except StudentError as exc:  # judged by the gradient check
            entry["moved_error"] = exc.info
        except _NotAPair as exc:
            entry["moved_error"] = {"type": "Type", "message": f"returned a {exc}", "where": None}
        if problems:
            entry["float64_error"] = problems.get("float64")
        return entry
    return {"ok": False, "errors": problems}


def probe_manual_rnn(student: Student, args: dict, tensors: dict):
    """Per case: out and h_n (float32, with the torch operations the function called), and the
    function's gradients next to its finite differences (see _finite_differences)."""
    function = student.get("rnn_forward_manual")
    info, out = {}, {}
    for case in args["cases"]:
        names = [*MANUAL_INPUTS, *(["h0"] if case == "with_h0" else [])]
        leaves = {k: tensors[k].clone().requires_grad_(True) for k in names}
        try:
            with _OpNames() as ops:
                output, h_n = _call_manual(student, function, leaves, names)
            with student.code():
                out[f"{case}.out"], out[f"{case}.h_n"] = _plain(output), _plain(h_n)
            info[case] = {"ok": True, "ops": sorted(ops.names)}
        except _NotAPair as exc:
            info[case] = {"ok": False, "type": str(exc)}
            continue
        except StudentError as exc:  # reported per case
            info[case] = {"ok": False, "error": exc.info}
            continue
        info[case]["gradients"] = _finite_differences(student, function, tensors, names, case, out)
    return info, out


def _networks(args: dict, tensors: dict):
    """(scenario, the exercise's layers holding its weights), for each scenario of the request."""
    for scenario in args["scenarios"]:
        model = Layers(*args["sizes"])
        model.load_state_dict(wire.grouped(tensors, f"w.{scenario}."))
        yield scenario, model


def _returned(student: Student, value, name: str, info: dict, out: dict) -> None:
    """A returned tensor (or list of numbers) as data for the judge."""
    with student.code():
        info["type"] = _type_name(value)
        if isinstance(value, torch.Tensor):
            out[name] = _plain(value)
        elif isinstance(value, (list, tuple)):
            info["values"] = [_number(v) for v in value[:1000]]


def probe_gradient_norms(student: Student, args: dict, tensors: dict):
    function = student.get("hidden_gradient_norms")
    x, targets = tensors["x"], tensors["targets"]
    info, out = {}, {}
    for scenario, model in _networks(args, tensors):
        entry = info[scenario] = {"ok": False}
        try:
            with student.code():
                value = function(model, x, targets)
            _returned(student, value, f"{scenario}.norms", entry, out)
        except StudentError as exc:  # reported per scenario
            entry["error"] = exc.info
            continue
        entry["ok"] = True
    return info, out


def probe_gradient_factors(student: Student, args: dict, tensors: dict):
    """gradient_factors, with the judge's part 2 functions standing in for the student's."""
    function = student.get("gradient_factors")
    namespace = {"torch": torch, "nn": nn}
    exec(compile(args["stand_in"], "<judge's part 2 functions>", "exec"), namespace)  # noqa: S102
    x, targets = tensors["x"], tensors["targets"]
    info, out = {}, {}

    def scenarios():
        for scenario, model in _networks(args, tensors):
            entry = info[scenario] = {"ok": False}
            try:
                with student.code():
                    value = function(model, x, targets)
                    entry["type"] = _type_name(value)
                    parts = tuple(value) if isinstance(value, tuple) and len(value) == 2 else ()
                for name, part in zip(("factors", "bounds"), parts):  # noqa: B905 - none, or both
                    part_info: dict = {}
                    _returned(student, part, f"{scenario}.{name}", part_info, out)
                    entry[name] = part_info
            except StudentError as exc:  # reported per scenario
                entry["error"] = exc.info
                continue
            entry["ok"] = True

    _with_functions(student, {name: namespace[name] for name in args["replaces"]}, scenarios)
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
    wire.GRADIENT_FACTORS: probe_gradient_factors,
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
