# Answers the first probe with a structure whose weights would take 14 GB to build.
import json, os, struct
HEADER = struct.Struct("<II")
def _send(message):
    payload = json.dumps(message).encode()
    os.write(4, HEADER.pack(len(payload), 0) + payload)
def _read(n):
    data = b""
    while len(data) < n:
        chunk = os.read(3, n - len(data))
        if not chunk:
            os._exit(0)
        data += chunk
    return data
_send({"event": "ready", "cells": []})
while True:
    size, blob = HEADER.unpack(_read(8))
    request = json.loads(_read(size))
    _read(blob)
    state = [["rnn.weight_ih_l0", [60000, 60000], "float32"], ["fc.weight", [60000, 60000], "float32"]]
    _send({"id": request["id"], "ok": True, "info": {"module": True, "state": state,
                                                      "layers": {"rnn": {"type": "RNN"}}}})
