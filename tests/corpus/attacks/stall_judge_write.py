# Answers the forward probe with a forged frame, shrinks its request pipe to one page and never
# reads again: a judge that writes without a deadline would block in write() for ever.
import fcntl as _fcntl, json as _json, os as _os, struct as _struct, time as _time


def _stalled_forward(self, x):
    try:
        _fcntl.fcntl(3, 1031, 4096)  # F_SETPIPE_SZ on the request pipe
    except OSError:
        pass
    payload = _json.dumps({"id": "forward", "ok": True, "info": {"variants": {}, "chosen": None}}).encode()
    _os.write(4, _struct.pack("<II", len(payload), 0) + payload)
    while True:
        _time.sleep(1)


SimpleRNN.forward = _stalled_forward
