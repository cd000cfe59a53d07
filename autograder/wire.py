"""The boundary between the judge and the sandboxed worker: every message kind, every key,
and the only codec that carries data across.

A frame is a header (two little-endian uint32 sizes), a JSON object and a
safetensors blob. Neither format can run code when loaded. Everything the
worker sends after it imported the submission is **attacker-written**: the
judge reads it only through :func:`read_frame` (sizes capped, a deadline,
JSON depth bounded) and the validators below (types, sizes, shapes and
dtypes checked against what the judge asked for), and scores only what it
recomputes itself.

Order of a worker's life, as frames on the response pipe::

    confined | refused        before the submission is read: trustworthy
    intake                    the submission parsed (quiz answers, cells): still trustworthy
    grader-fault              the grader's own code failed before student code ran: trustworthy
    ready | load-failed       student code has run from here on: attacker-written
    {id, ok, info, error | grader_fault} + tensors, one per probe request

``error`` is the student's code failing; ``grader_fault`` (stage, type, message,
where) is the worker's own code failing, which the judge records as a
``grader_error`` and never charges. After student code has run, a claimed
grader fault is attacker-written too: it can only get its sender flagged for a
regrade, never points.
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import time
from typing import Any, TypedDict

HEADER = struct.Struct("<II")
MAX_JSON = 1 << 20
MAX_BLOB = 64 << 20
# What the judge accepts in one probe's answer (honest answers hold a few KiB of tensors: the plan's
# inputs are small, and no output larger than this could be judged anyway).
PROBE_JSON = 256 << 10
PROBE_BLOB = 4 << 20
MAX_STRING = 2000  # longest string kept from a worker message
MAX_LIST = 512  # longest list kept from a worker message

# --- events (worker -> judge, before probes) ---------------------------------------------------
CONFINED, REFUSED, INTAKE, READY, LOAD_FAILED = "confined", "refused", "intake", "ready", "load-failed"
GRADER_FAULT = "grader-fault"

# --- probe kinds (judge -> worker requests) ------------------------------------------------------
CONSTRUCT = "construct"  # build SimpleRNN(I, H, O): report its layers and parameter shapes
LAYERS = "layers"  # judge weights loaded by name; run self.rnn and self.fc on judge inputs
FORWARD = "forward"  # run forward on the student's model (and fallbacks) on judge cases
DEVICE_FORWARD = "device_forward"  # forward with model and input on another device
TRAINING_STEP = "training_step"  # one step on a known model of another architecture
PREDICT = "predict"  # predict on a known model whose mode and grad state show in its output
MANUAL_RNN = "manual_rnn"  # part 2: rnn_forward_manual against nn.RNN's numbers
GRADIENT_NORMS = "gradient_norms"  # part 2: hidden_gradient_norms (BPTT)
GRADIENT_FACTORS = "gradient_factors"  # part 2: gradient_factors, the judge's norms standing in
END_TO_END = "end_to_end"  # the student's own train on their own model (feedback plot only)
TRAIN = "train"  # train with the judge's training step standing in
DEVICE_TRAIN = "device_train"  # train(device=...) with a recording step standing in
PROBE_KINDS = (CONSTRUCT, LAYERS, FORWARD, DEVICE_FORWARD, TRAINING_STEP, PREDICT, MANUAL_RNN,
               GRADIENT_NORMS, GRADIENT_FACTORS, END_TO_END, TRAIN, DEVICE_TRAIN)

# --- the submission, as the judge hands it to the worker -----------------------------------------
KIND_PY, KIND_NOTEBOOK = "py", "notebook"
STUDENT_FILE = "rnn.py"
QUIZ_FILE = "quiz_answers.toml"
QUIZ_TAG = "quiz-answers"


class ProtocolError(Exception):
    """The peer sent something that is not a well-formed frame."""


class Timeout(Exception):
    """No complete frame arrived before the deadline."""


class Closed(Exception):
    """The peer closed the channel (it exited or crashed)."""


class ErrorInfo(TypedDict):
    type: str
    message: str
    where: str | None


class Request(TypedDict):
    id: str
    kind: str
    args: dict


class Response(TypedDict, total=False):
    id: str
    ok: bool
    info: dict
    error: ErrorInfo


# --- tensors ---------------------------------------------------------------------------------


def encode_tensors(tensors: dict) -> bytes:
    if not tensors:
        return b""
    from safetensors.torch import save

    return save({k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()})


class EncodedRequests:
    """The judge's encoded request tensors, by identity: every student of a run gets the plan's
    same tensors, so each set is encoded once (safetensors costs about 60 us a tensor). A tensor
    changed in place since (its version counter moved) is encoded again. Thread-safe, bounded."""

    def __init__(self, size: int = 512):
        import threading

        self._lock, self._size, self._blobs = threading.Lock(), size, {}

    def __call__(self, tensors: dict) -> bytes:
        if not tensors:
            return b""
        key = tuple((name, id(value), value._version) for name, value in tensors.items())
        with self._lock:
            found = self._blobs.get(key)
        if found is not None:
            return found[1]
        blob = encode_tensors(tensors)
        with self._lock:
            if len(self._blobs) >= self._size:
                self._blobs.pop(next(iter(self._blobs)))
            self._blobs[key] = (list(tensors.values()), blob)  # kept alive: their ids stay theirs
        return blob


def decode_tensors(blob: bytes) -> dict:
    if not blob:
        return {}
    from safetensors.torch import load

    return load(blob)


# --- frames ----------------------------------------------------------------------------------------


def write_frame(fd: int, message: dict, tensors: dict | None = None, encode=encode_tensors,
                deadline: float | None = None) -> None:
    """Write one frame. With a ``deadline`` (the judge's side), ``fd`` must be non-blocking: a peer
    that stops reading, or shrinks its pipe, costs at most the time left (Timeout), never a hang."""
    payload = json.dumps(message, allow_nan=True).encode()
    blob = encode(tensors or {})
    data = HEADER.pack(len(payload), len(blob)) + payload + blob
    view = memoryview(data)
    while view:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout()
            _, ready, _ = select.select([], [fd], [], left)
            if not ready:
                raise Timeout()
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            continue
        view = view[written:]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, remaining = [], size
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout()
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise Timeout()
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise Closed()
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, deadline: float | None = None, max_blob: int = MAX_BLOB, max_json: int = MAX_JSON,
               budget: list[int] | None = None, answers: str | None = None) -> tuple[dict, dict]:
    """Read one frame: (message, tensors). Raises Timeout, Closed or ProtocolError.

    Sizes are checked from the header, before anything is read: at most ``max_json`` bytes of JSON,
    ``max_blob`` of tensors, and, with a ``budget`` ([bytes left] for the whole submission), never
    more than is left of it (the budget is charged as the frame is accepted). With ``answers``, a
    frame whose id is not that request's is refused before its tensors are read."""
    json_size, blob_size = HEADER.unpack(_read_exact(fd, HEADER.size, deadline))
    if json_size > max_json or blob_size > max_blob:
        raise ProtocolError(f"frame too large ({json_size} + {blob_size} bytes)")
    if budget is not None:
        if json_size + blob_size > budget[0]:
            raise ProtocolError("sent more data than a submission may send in all")
        budget[0] -= json_size + blob_size
    try:
        message = json.loads(_read_exact(fd, json_size, deadline))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"malformed JSON ({type(exc).__name__})") from None
    if not isinstance(message, dict):
        raise ProtocolError("a frame must hold a JSON object")
    if answers is not None and message.get("id") != answers:
        raise ProtocolError("a frame that answers no request in flight")
    blob = _read_exact(fd, blob_size, deadline)
    try:
        tensors = decode_tensors(blob)
    except Exception as exc:  # noqa: BLE001 - anything the decoder rejects is malformed
        raise ProtocolError(f"malformed tensors ({type(exc).__name__})") from None
    return message, tensors


# --- the submission payload ---------------------------------------------------------------------


def encode_submission(kind: str, files: dict[str, bytes]) -> bytes:
    """The submission as one frame: {"kind", "files": [[name, size], ...]} then the bytes."""
    header = json.dumps({"kind": kind, "files": [[name, len(data)] for name, data in files.items()]})
    body = b"".join(files.values())
    return HEADER.pack(len(header), len(body)) + header.encode() + body


def decode_submission(data: bytes) -> tuple[str, dict[str, bytes]]:
    json_size, body_size = HEADER.unpack(data[:HEADER.size])
    header = json.loads(data[HEADER.size:HEADER.size + json_size])
    body = data[HEADER.size + json_size:HEADER.size + json_size + body_size]
    files, offset = {}, 0
    for name, size in header["files"]:
        files[str(name)] = body[offset:offset + int(size)]
        offset += int(size)
    return str(header["kind"]), files


# --- reading what the worker said, defensively ----------------------------------------------------


def text(value: Any, limit: int = MAX_STRING) -> str:
    """A worker-sent value as a bounded plain string (never markup-safe: escape on output)."""
    if not isinstance(value, str):
        value = "" if value is None else str(value)[:limit]
    return value[:limit]


def number(value: Any) -> float | None:
    """A finite float, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def integer(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def sequence(value: Any, limit: int = MAX_LIST) -> list:
    return value[:limit] if isinstance(value, list) else []


def error(value: Any) -> ErrorInfo | None:
    """A worker-sent error description, bounded; None when absent or malformed."""
    if not isinstance(value, dict):
        return None
    where = value.get("where")
    return {"type": text(value.get("type"), 80) or "Error", "message": text(value.get("message"), 400),
            "where": text(where, 120) if where is not None else None}


def fault(value: Any) -> str | None:
    """A worker-reported fault of the grader's own code, as one bounded line; None when absent."""
    if not isinstance(value, dict):
        return None
    where = text(value.get("where"), 160)
    return (f"{text(value.get('stage'), 60) or 'worker'}: {text(value.get('type'), 80) or 'Error'}: "
            f"{text(value.get('message'), 300)}" + (f" [{where}]" if where else ""))


def tensor(tensors: dict, name: str, shape: tuple[int, ...] | None = None, dtype=None,
           max_elements: int = 1 << 20):
    """A returned tensor by name, or None when absent, too large, or not as expected."""
    value = tensors.get(name)
    if value is None or value.numel() > max_elements:
        return None
    if shape is not None and tuple(value.shape) != tuple(shape):
        return None
    if dtype is not None and value.dtype != dtype:
        return None
    return value


def grouped(tensors: dict, prefix: str) -> dict:
    """The tensors whose names start with ``prefix``, with the prefix removed."""
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
