"""Experiments run on a student's functions, on the student's side of the boundary.

Each probe takes JSON arguments and tensors chosen by the judge, calls the
student's code, and returns JSON and tensors. It decides nothing: the judge
recomputes the expected values itself and compares. Probes run in the
sandboxed worker for ``python -m autograder grade`` and in the student's own
kernel for nbgrader's in-notebook checks.
"""

from __future__ import annotations

import math
import os
import traceback
from collections.abc import Callable

import torch
from torch import nn

from .harness import grouped, known_good_step, parameters_of, readout_with, sizes_of

STUDENT_FILE = "rnn.py"
# Frames from these are never "the student's line" (used when the file is unknown).
_LIBRARY_PREFIXES = (os.path.dirname(os.__file__), os.path.dirname(os.path.dirname(__file__)))


class Student:
    """The student's definitions: a module, or a notebook's globals()."""

    def __init__(self, namespace, filename: str | None = None):
        self.ns = namespace if isinstance(namespace, dict) else vars(namespace)
        self.filename = filename

    def get(self, name: str):
        if name not in self.ns:
            raise LookupError(f"{name} is not defined")
        return self.ns[name]


def _is_student_frame(code_file: str, filename: str | None) -> bool:
    if filename is not None:
        return code_file == filename
    return "site-packages" not in code_file and not code_file.startswith(_LIBRARY_PREFIXES)


def describe_exception(exc: BaseException, filename: str | None) -> dict:
    """Type, first message line and the student's line where it was raised."""
    where = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if _is_student_frame(frame.f_code.co_filename, filename):
            name = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
            where = f"{name}, line {lineno}"
    lines = str(exc).strip().splitlines()
    return {"type": type(exc).__name__, "message": (lines[0] if lines else "")[:300], "where": where}


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


def _student_model(student: Student, weights: dict):
    """The student's SimpleRNN with the judge's weights; its own __init__ when that works.

    Falls back to layers built here (keeping any extra attributes the student's
    __init__ set) so that forward is judged even when __init__ is wrong.
    """
    cls = student.get("SimpleRNN")
    sizes = sizes_of(weights)
    own = None
    try:
        own = cls(*sizes)
        rnn = getattr(own, "rnn", None)
        if isinstance(rnn, nn.RNN) and rnn.batch_first:
            own.load_state_dict(weights)
            return own, True
    except Exception:  # noqa: BLE001 - judged by the construction checks
        pass
    model = cls.__new__(cls)
    nn.Module.__init__(model)
    if own is not None:
        for key, value in vars(own).items():
            if not key.startswith("_") and not isinstance(value, (nn.Module, torch.Tensor)):
                setattr(model, key, value)
    model.hidden_size = sizes[1]
    model.rnn = nn.RNN(sizes[0], sizes[1], batch_first=True)
    model.fc = nn.Linear(sizes[1], sizes[2])
    model.load_state_dict(weights)
    return model, False


# --- the probes ----------------------------------------------------------------------


def probe_construct(student: Student, args: dict, tensors: dict):
    cls = student.get("SimpleRNN")
    model = cls(args["input_size"], args["hidden_size"], args["output_size"])
    rnn, fc = getattr(model, "rnn", None), getattr(model, "fc", None)
    hidden = getattr(model, "hidden_size", None)
    info = {
        "is_module": isinstance(model, nn.Module),
        "hidden_size": hidden if isinstance(hidden, int) and not isinstance(hidden, bool) else None,
        "hidden_size_type": _type_name(hidden),
        "rnn_type": _type_name(rnn),
        "rnn_is_rnn": isinstance(rnn, nn.RNN),
        "fc_type": _type_name(fc),
        "fc_is_linear": isinstance(fc, nn.Linear),
        "borrowed": _borrowed(cls),
    }
    if isinstance(rnn, nn.RNNBase):
        info.update(rnn_input_size=rnn.input_size, rnn_hidden_size=rnn.hidden_size,
                    rnn_num_layers=rnn.num_layers, rnn_batch_first=bool(rnn.batch_first),
                    rnn_bidirectional=bool(rnn.bidirectional), rnn_mode=rnn.mode)
    if isinstance(fc, nn.Linear):
        info.update(fc_in=fc.in_features, fc_out=fc.out_features)
    out = {}
    if isinstance(model, nn.Module):
        state = model.state_dict()
        info["state"] = {k: list(v.shape) for k, v in state.items()}
        out = {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}
    return info, out


def _borrowed(cls) -> list[str]:
    """Classes in the student's SimpleRNN ancestry that come from the grader itself."""
    return [f"{c.__module__}.{c.__qualname__}" for c in getattr(cls, "__mro__", ())
            if str(getattr(c, "__module__", "")).split(".")[0] == "autograder"]


def probe_forward(student: Student, args: dict, tensors: dict):
    model, own_init = _student_model(student, grouped(tensors, "w."))
    model.train(False)
    info, out = {"own_init": own_init, "cases": {}, "borrowed": _borrowed(type(model))}, {}
    for case, x in grouped(tensors, "x.").items():
        try:
            with torch.no_grad():
                y = model(x)
            if isinstance(y, torch.Tensor):
                out[f"y.{case}"] = y.detach().to("cpu").float()
                info["cases"][case] = {"ok": True, "type": "Tensor"}
            else:
                info["cases"][case] = {"ok": False, "type": _type_name(y)}
        except Exception as exc:  # noqa: BLE001 - reported per case
            info["cases"][case] = {"ok": False, "error": describe_exception(exc, student.filename)}
    # Gradients must flow from the logits back into every layer (nothing detached).
    try:
        model.zero_grad(set_to_none=True)
        (model(tensors["x.main"]) * tensors["grad_out"]).sum().backward()
        for name, p in model.named_parameters():
            if p.grad is not None:
                out[f"g.{name}"] = p.grad.detach().to("cpu").float()
        info["backward"] = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - judged by forward.matches_reference
        info["backward"] = {"ok": False, "error": describe_exception(exc, student.filename)}
    return info, out


def probe_device_forward(student: Student, args: dict, tensors: dict):
    """Forward on another device (meta, cuda, mps): h0 and friends must follow x."""
    device = torch.device(args["device"])
    model, _ = _student_model(student, grouped(tensors, "w."))
    model = model.to(device)
    x = tensors["x"].to(device)
    with torch.no_grad():
        y = model(x)
    info = {"type": _type_name(y)}
    out = {}
    if isinstance(y, torch.Tensor):
        info.update(device=y.device.type, shape=list(y.shape))
        if device.type != "meta":
            out["y"] = y.detach().to("cpu").float()
    return info, out


def probe_device_train(student: Student, args: dict, tensors: dict):
    """train(..., device=D) with training_step replaced by a recorder of where things are."""
    calls = []

    def recording_step(model, inputs, targets, criterion, optimizer, max_grad_norm=None):
        first = next(iter(model.parameters()), None)
        calls.append({
            "model": first.device.type if first is not None else None,
            "inputs": getattr(getattr(inputs, "device", None), "type", None),
            "targets": getattr(getattr(targets, "device", None), "type", None),
        })
        if args["device"] == "meta":
            return 0.0
        return known_good_step(model, inputs, targets, criterion, optimizer, max_grad_norm)

    model = readout_with(grouped(tensors, "w."))
    original = student.ns.get("training_step")
    train = student.get("train")
    student.ns["training_step"] = recording_step
    info = {"calls": calls}
    try:
        losses = train(model, tensors["inputs"], tensors["targets"], epochs=args["epochs"],
                       lr=args["lr"], device=args["device"])
        info["losses"] = [_number(v) for v in losses] if isinstance(losses, (list, tuple)) else None
    except Exception as exc:  # noqa: BLE001 - the judge reads what happened
        info["error"] = describe_exception(exc, student.filename)
    finally:
        student.ns["training_step"] = original
    first = next(iter(model.parameters()))
    info["model_device_after"] = first.device.type
    out = {} if first.device.type == "meta" else parameters_of(model, "p.")
    return info, out


def probe_training_step(student: Student, args: dict, tensors: dict):
    training_step = student.get("training_step")
    info, out = {}, {}
    for scenario in args["scenarios"]:
        name = scenario["name"]
        model = readout_with(grouped(tensors, "w."))
        stale = grouped(tensors, f"stale.{name}.")
        for pname, p in model.named_parameters():
            if pname in stale:
                p.grad = stale[pname].clone()
        optimizer = torch.optim.SGD(model.parameters(), lr=scenario["lr"])
        try:
            value = training_step(model, tensors["inputs"], tensors["targets"],
                                  nn.CrossEntropyLoss(), optimizer,
                                  max_grad_norm=scenario["max_grad_norm"])
            info[name] = {"ok": True, "type": _type_name(value), "value": _number(value)}
            out.update(parameters_of(model, f"p.{name}."))
        except Exception as exc:  # noqa: BLE001 - reported per scenario
            info[name] = {"ok": False, "error": describe_exception(exc, student.filename)}
    return info, out


def probe_train(student: Student, args: dict, tensors: dict):
    train = student.get("train")
    info, out = {}, {}
    original = student.ns.get("training_step")
    student.ns["training_step"] = known_good_step
    try:
        _train_scenarios(student, train, args, tensors, info, out)
    finally:
        student.ns["training_step"] = original
    return info, out


def _train_scenarios(student, train, args, tensors, info, out) -> None:
    for scenario in args["scenarios"]:
        name = scenario["name"]
        model = readout_with(grouped(tensors, "w."))
        try:
            losses = train(model, tensors["inputs"], tensors["targets"],
                           epochs=scenario["epochs"], lr=scenario["lr"],
                           max_grad_norm=scenario["max_grad_norm"])
            entry = {"ok": True, "type": _type_name(losses)}
            if isinstance(losses, (list, tuple)):
                entry["length"] = len(losses)
                entry["types"] = sorted({_type_name(v) for v in losses})
                entry["losses"] = [_number(v) for v in losses]
            info[name] = entry
            out.update(parameters_of(model, f"p.{name}."))
        except Exception as exc:  # noqa: BLE001 - reported per scenario
            info[name] = {"ok": False, "error": describe_exception(exc, student.filename)}


def probe_predict(student: Student, args: dict, tensors: dict):
    model = readout_with(grouped(tensors, "w."))
    model.train(True)
    seen = []
    model.register_forward_pre_hook(
        lambda module, inputs: seen.append(
            {"training": module.training, "grad": torch.is_grad_enabled()}
        )
    )
    value = student.get("predict")(model, tensors["inputs"])
    info = {"type": _type_name(value), "calls": seen}
    out = {}
    if isinstance(value, torch.Tensor):
        info.update(requires_grad=bool(value.requires_grad))
        out["predicted"] = value.detach().to("cpu")
    return info, out


PROBES: dict[str, Callable] = {
    "construct": probe_construct,
    "forward": probe_forward,
    "device_forward": probe_device_forward,
    "device_train": probe_device_train,
    "training_step": probe_training_step,
    "train": probe_train,
    "predict": probe_predict,
}


def run_probe(student: Student, kind: str, args: dict, tensors: dict,
              table: dict | None = None) -> tuple[dict, dict]:
    """Run one probe; return (message, tensors) ready for the protocol."""
    try:
        info, out = (table or PROBES)[kind](student, args, tensors)
        return {"ok": True, "info": info}, out
    except Exception as exc:  # noqa: BLE001 - the whole probe failed; the judge reports it
        return {"ok": False, "error": describe_exception(exc, student.filename)}, {}
