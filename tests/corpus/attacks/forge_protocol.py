# Takes over the worker: announces "ready" itself, then answers every probe with plausible,
# made-up data (the judge's own weights echoed, zeros, claimed devices), computing nothing.
import json, os, struct
from safetensors.torch import load as _load, save as _save
HEADER = struct.Struct("<II")
def _read(fd, n):
    data = b""
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            os._exit(0)
        data += chunk
    return data
def _frame():
    size, blob = HEADER.unpack(_read(3, 8))
    message = json.loads(_read(3, size))
    tensors = _load(_read(3, blob)) if blob else {}
    return message, tensors
def _send(message, tensors=None):
    payload = json.dumps(message).encode()
    blob = _save({k: v.contiguous() for k, v in (tensors or {}).items()}) if tensors else b""
    os.write(4, HEADER.pack(len(payload), len(blob)) + payload + blob)
def _answer(kind, args, t):
    w = {k[2:]: v for k, v in t.items() if k.startswith("w.")}
    if kind == "construct":
        I, H, O = args["sizes"]
        state = [["rnn.weight_ih_l0", [H, I], "float32"], ["rnn.weight_hh_l0", [H, H], "float32"],
                 ["rnn.bias_ih_l0", [H], "float32"], ["rnn.bias_hh_l0", [H], "float32"],
                 ["fc.weight", [O, H], "float32"], ["fc.bias", [O], "float32"]]
        return {"module": True, "hidden_size": H, "state": state,
                "layers": {"rnn": {"type": "RNN", "mode": "RNN_TANH", "batch_first": True, "hidden_size": H,
                                   "input_size": I, "num_layers": 1, "bidirectional": False},
                           "fc": {"type": "Linear", "in_features": H, "out_features": O}}}, {}
    if kind == "layers":
        x, h = t["x"], t["h"]
        return {"loaded": True, "rnn": {"ok": True}, "fc": {"ok": True}}, {
            "rnn.out": torch.zeros(x.shape[0], x.shape[1], args["sizes"][1]),
            "fc.out": torch.zeros(h.shape[0], args["sizes"][2])}
    if kind == "forward":
        out, cases = {}, {}
        for k, v in t.items():
            if k.startswith("x."):
                out[f"own.y.{k[2:]}"] = v[:, -1, :1].repeat(1, args["sizes"][2])
                cases[k[2:]] = {"ok": True}
        return {"variants": {"own": {"built": True, "cases": cases}}, "chosen": "own", "backward": {"ok": True}}, out
    if kind == "device_forward":
        return {"type": "Tensor", "device": args["device"], "shape": [t["x"].shape[0], args["sizes"][2]]}, {}
    if kind == "training_step":
        info, out = {}, {}
        for s in args["scenarios"]:
            info[s["name"]] = {"ok": True, "type": "float", "value": 0.69, "steps": 1}
            for k, v in w.items():
                out[f"p.{s['name']}.{k}"] = v * 0.99
                out[f"backward.{s['name']}.{k}"] = v * 0.01
                out[f"step.{s['name']}.{k}"] = v * 0.01
                out[f"clip.{s['name']}.{k}"] = v * 0.001
        return info, out
    if kind == "predict":
        return {"type": "Tensor"}, {"predicted": torch.zeros(t["inputs"].shape[0], dtype=torch.int64)}
    if kind == "train":
        info, out = {}, {}
        for s in args["scenarios"]:
            info[s["name"]] = {"ok": True, "type": "list", "length": s["epochs"], "types": ["float"],
                               "losses": [0.7 * 0.9 ** e for e in range(s["epochs"])]}
            out.update({f"p.{s['name']}.{k}": v * 0.5 for k, v in w.items()})
        return info, out
    if kind == "device_train":
        d = args["device"]
        return {"calls": [{"model": d, "inputs": d, "targets": d}] * args["epochs"], "losses": [0.5, 0.4],
                "model_device_after": d}, {}
    if kind == "manual_rnn":
        info, out = {}, {}
        for case in args["cases"]:
            b, s, _ = t["x"].shape
            H = t["weight_hh"].shape[0]
            info[case] = {"ok": True, "backward": True}
            out[f"{case}.out"], out[f"{case}.h_n"] = torch.zeros(b, s, H), torch.zeros(1, b, H)
        return info, out
    if kind == "gradient_norms":
        return {"type": "Tensor"}, {"norms": torch.linspace(0.01, 0.2, t["x"].shape[1])}
    return {}, {}
_send({"event": "ready", "cells": []})
while True:
    request, tensors = _frame()
    info, out = _answer(request["kind"], request["args"], tensors)
    _send({"id": request["id"], "ok": True, "info": info}, out)
