"""The judge's side of one submission's run: spawn, feed probes, time out, clean up.

A background thread talks to the worker, one probe at a time, each under its
own deadline; the judge's checks wait on the results they need. A probe that
hangs, crashes or floods gets the worker killed (with everything it started)
and a fresh worker takes the remaining probes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field

from . import isolation, protocol
from .zygote import Zygote


@dataclass(frozen=True)
class Limits:
    """Defaults suit a laptop-sized grading box; the CLI exposes each one."""

    check_timeout_s: float = 30.0
    import_timeout_s: float = 60.0
    total_timeout_s: float = 300.0
    memory_bytes: int = 2 << 30
    output_bytes: int = 64 << 10
    file_size_bytes: int = 16 << 20
    max_processes: int = 64


@dataclass
class ProbeRequest:
    id: str
    kind: str
    args: dict
    tensors: dict
    timeout_s: float | None = None


@dataclass
class ProbeResult:
    """What came back for one probe. ``problem`` is set when nothing usable did."""

    ok: bool
    info: dict = field(default_factory=dict)
    tensors: dict = field(default_factory=dict)
    error: dict | None = None
    problem: str | None = None


class _Output:
    """Drains the worker's stdout/stderr, keeping the first ``limit`` bytes."""

    def __init__(self, fd: int, limit: int):
        self.fd, self.limit = fd, limit
        self.kept = bytearray()
        self.dropped = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            room = self.limit - len(self.kept)
            self.kept += chunk[:max(room, 0)]
            self.dropped += max(len(chunk) - max(room, 0), 0)
        os.close(self.fd)

    def text(self) -> str:
        self.thread.join(timeout=2)
        return self.kept.decode("utf-8", errors="replace")


class Session:
    """Runs one submission's probes in confined workers forked from ``zygote``."""

    def __init__(self, zygote: Zygote, source: str, limits: Limits, protected: list[str],
                 accelerators: list[str] | None = None):
        self.zygote, self.source, self.limits = zygote, source, limits
        self.protected = [os.path.realpath(p) for p in protected]
        self.accelerators = accelerators or []
        self.results: dict[str, ProbeResult] = {}
        self.events: dict[str, threading.Event] = {}
        self.import_error: dict | None = None
        self.notes: list[str] = []
        self.outputs: list[_Output] = []
        self.workers_started = 0
        self.killed = 0
        self._thread: threading.Thread | None = None
        self._workdir = None

    # --- public ----------------------------------------------------------------

    def start(self, plan: list[ProbeRequest]) -> None:
        for request in plan:
            self.events[request.id] = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(plan,), daemon=True)
        self._thread.start()

    def result(self, probe_id: str) -> ProbeResult:
        self.events[probe_id].wait()
        return self.results[probe_id]

    def finish(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def output(self) -> str:
        return "".join(o.text() for o in self.outputs)

    def output_dropped(self) -> int:
        """Bytes of printed output beyond the kept limit."""
        return sum(o.dropped for o in self.outputs)

    # --- the conversation ----------------------------------------------------------

    def _publish(self, request: ProbeRequest, result: ProbeResult) -> None:
        self.results[request.id] = result
        self.events[request.id].set()

    def _run(self, plan: list[ProbeRequest]) -> None:
        deadline = time.monotonic() + self.limits.total_timeout_s
        pending = list(plan)
        try:
            while pending:
                worker = self._spawn(deadline)
                if worker is None:  # import failed or timed out: every remaining probe fails
                    while pending:
                        self._publish(pending.pop(0), ProbeResult(ok=False, problem="import"))
                    return
                request_w, response_r = worker
                try:
                    while pending:
                        request = pending[0]
                        result = self._ask(request_w, response_r, request, deadline)
                        pending.pop(0)
                        self._publish(request, result)
                        if result.problem is not None:
                            break  # the worker is dead or suspect: start afresh
                finally:
                    os.close(request_w)
                    os.close(response_r)
                    self.killed += self.zygote.kill_all()
        finally:
            for request in pending:  # only after an unexpected error in this thread
                self._publish(request, ProbeResult(ok=False, problem="internal", error={
                    "type": "GraderError", "message": "the grader could not run this check",
                    "where": None}))
            self._cleanup()

    def _spawn(self, deadline: float):
        if time.monotonic() >= deadline:
            self.import_error = {"type": "TimeLimit", "message": "the grading time limit was reached",
                                 "where": None}
            return None
        self._workdir = self._workdir or self._make_workdir()
        request_r, request_w = os.pipe()
        response_r, response_w = os.pipe()
        out_r, out_w = os.pipe()
        confinement = isolation.Confinement(
            workdir=self._workdir, protected=self.protected,
            memory_bytes=self.limits.memory_bytes,
            cpu_seconds=int(self.limits.total_timeout_s) + 5,
            file_size_bytes=self.limits.file_size_bytes,
            max_processes=self.limits.max_processes,
            cap_address_space=not self.accelerators,
        )
        self.zygote.spawn(confinement, request_r, response_w, out_w)
        self.workers_started += 1
        for fd in (request_r, response_w, out_w):
            os.close(fd)
        self.outputs.append(_Output(out_r, self.limits.output_bytes))
        wait_until = min(deadline, time.monotonic() + self.limits.import_timeout_s)
        try:
            message, _ = protocol.read_frame(response_r, wait_until)
        except protocol.Timeout:
            message = {"event": "import-failed", "error": {
                "type": "Timeout", "where": None,
                "message": f"importing the submission took longer than "
                           f"{self.limits.import_timeout_s:g} s (an endless loop at top level?)"}}
        except (protocol.Closed, protocol.ProtocolError):
            message = {"event": "import-failed", "error": {
                "type": "Exited", "where": None,
                "message": "the process ended while importing the submission "
                           "(os._exit, a crash, or the memory limit)"}}
        self.notes = [str(n) for n in message.get("notes", [])][:12] or self.notes
        if message.get("event") != "ready":
            error = message.get("error")
            self.import_error = error if isinstance(error, dict) else {
                "type": "Protocol", "message": "the worker sent an unexpected message", "where": None}
            os.close(request_w)
            os.close(response_r)
            self.killed += self.zygote.kill_all()
            return None
        return request_w, response_r

    def _ask(self, request_w: int, response_r: int, request: ProbeRequest, deadline: float):
        timeout = request.timeout_s or self.limits.check_timeout_s
        until = min(deadline, time.monotonic() + timeout)
        try:
            protocol.write_frame(request_w, {"id": request.id, "kind": request.kind,
                                             "args": request.args}, request.tensors)
            while True:
                message, tensors = protocol.read_frame(response_r, until)
                if message.get("id") == request.id:
                    break
        except protocol.Timeout:
            limit = "the grading time limit" if until == deadline else f"{timeout:g} s"
            return ProbeResult(ok=False, problem="timeout", error={
                "type": "Timeout", "where": None,
                "message": f"did not finish within {limit} (an endless loop, or far too slow?)"})
        except (protocol.Closed, BrokenPipeError):
            return ProbeResult(ok=False, problem="crash", error={
                "type": "Exited", "where": None,
                "message": "the process ended unexpectedly (os._exit, a crash, or the memory limit)"})
        except protocol.ProtocolError as exc:
            return ProbeResult(ok=False, problem="protocol", error={
                "type": "Protocol", "where": None, "message": f"sent malformed data back: {exc}"})
        info = message.get("info")
        error = message.get("error")
        return ProbeResult(
            ok=message.get("ok") is True,
            info=info if isinstance(info, dict) else {},
            tensors=tensors,
            error=error if isinstance(error, dict) else None,
        )

    def _make_workdir(self) -> str:
        workdir = tempfile.mkdtemp(prefix="rnn-grade-")
        with open(os.path.join(workdir, "rnn.py"), "w", encoding="utf-8") as handle:
            handle.write(self.source)
        return workdir

    def _cleanup(self) -> None:
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
