# Floods the judge with unsolicited frames (ids no request carries, 4 MiB of junk each) whenever
# its forward runs, then answers normally: each one must end the worker, never fill the judge.
import json as _json, os as _os, struct as _struct

_honest_forward = SimpleRNN.forward


def _flooding_forward(self, x):
    blob = b"\x01" * (4 << 20)
    for number in range(64):
        payload = _json.dumps({"id": f"junk-{number}", "ok": True, "info": {}}).encode()
        try:
            _os.write(4, _struct.pack("<II", len(payload), len(blob)) + payload + blob)
        except OSError:
            break
    return _honest_forward(self, x)


SimpleRNN.forward = _flooding_forward
