"""The judge's side of one submission's run: start a worker, ask probes, time out, clean up.

Every worker of a session is forked fresh by the fork server, with a fresh
scratch folder and, in ``full`` mode, a fresh PID namespace and cgroup. When a
probe hangs, crashes, floods or answers malformed data, the worker is killed
with everything it started, and the next probe starts a new one (which loads
the submission again).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field

from .. import wire
from .modes import WorkerConfig
from .zygote import Zygote, ZygoteRefused

_REQUESTS = wire.EncodedRequests()  # the plan's tensors, encoded once for every student of the run
WATCHDOG_GRACE_S = 2.0  # the fork server kills a worker this long after its session's deadline
LIMIT_WORDS = ("memory", "disk", "time")


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
    scratch_bytes: int = 64 << 20
    confine_timeout_s: float = 20.0
    wire_bytes: int = 64 << 20  # all a submission's workers may send the judge, frames of every kind


@dataclass
class ProbeResult:
    """What came back for one probe. ``problem`` is set when nothing usable did."""

    ok: bool
    info: dict = field(default_factory=dict)
    tensors: dict = field(default_factory=dict)
    error: wire.ErrorInfo | None = None
    problem: str | None = None  # "timeout", "crash", "protocol", "load", "refused", "grader"


@dataclass
class Opening:
    """How a worker started: confinement, the intake report, and loading the student's code."""

    confined: bool = False
    measures: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    refusal: str = ""
    intake: dict | None = None
    ready: bool = False
    cells: list = field(default_factory=list)
    load_error: wire.ErrorInfo | None = None
    grader_fault: str | None = None  # the worker's own code failed (never the student's)


def _grader_fault_result(fault: str) -> ProbeResult:
    return ProbeResult(False, problem="grader",
                       error={"type": "GraderFault", "message": fault, "where": None})


def probe_result(message: dict, tensors: dict) -> ProbeResult:
    """A probe's answer as the judge reads it: the student's result, or a fault of the grader's."""
    fault = wire.fault(message.get("grader_fault"))
    if fault is not None:
        return _grader_fault_result(fault)
    return ProbeResult(ok=message.get("ok") is True, info=wire.mapping(message.get("info")),
                       tensors=tensors, error=wire.error(message.get("error")))


def signals_to_main_thread() -> None:
    """Block, in the calling (helper) thread, the signals that stop a run, so that the kernel hands
    them to the main thread, whose handlers then run at once instead of when it next wakes."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


class _Output:
    """Drains a worker's stdout/stderr into a shared, capped buffer."""

    def __init__(self, fd: int, sink: bytearray, limit: int, counter: list[int]):
        self.fd, self.sink, self.limit, self.counter = fd, sink, limit, counter
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        signals_to_main_thread()
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            room = max(self.limit - len(self.sink), 0)
            self.sink += chunk[:room]
            self.counter[0] += max(len(chunk) - room, 0)
        os.close(self.fd)


class Session:
    """One submission's workers, one at a time, all forked by ``zygote``."""

    def __init__(self, zygote: Zygote, config: WorkerConfig, payload: bytes, limits: Limits):
        self.zygote, self.config, self.payload, self.limits = zygote, config, payload, limits
        self.deadline = time.monotonic() + limits.total_timeout_s
        self.worker: int | None = None
        self.pipes: tuple[int, int] | None = None
        self.opening: Opening | None = None  # the first worker's
        self.output = bytearray()
        self._dropped = [0]
        self._drains: list[_Output] = []
        self.workers_started = 0
        self.killed = 0
        self.peak_memory: int | None = None
        self.oom = False
        self.limit: str | None = None  # "memory", "disk", "time": why the watchdog ended a worker
        self.dead: Opening | None = None  # a restarted worker that could not load: no more tries
        self.grader_faults: list[str] = []  # faults of the grader's own code, in any worker of this session
        self._budget = [limits.wire_bytes]  # bytes the submission may still send over the wire

    # --- workers ------------------------------------------------------------------------------

    def _submission_fd(self) -> int:
        if hasattr(os, "memfd_create"):
            fd = os.memfd_create("submission", os.MFD_CLOEXEC)
        else:  # pragma: no cover - non-Linux, unconfined only
            import tempfile

            handle = tempfile.TemporaryFile()
            fd = os.dup(handle.fileno())
            handle.close()
        os.write(fd, self.payload)
        os.lseek(fd, 0, os.SEEK_SET)
        return fd

    def start(self) -> Opening:
        """Start a worker and read its opening frames; ``ready`` tells whether probes may follow."""
        opening = Opening()
        if self.opening is None:
            self.opening = opening
        request_r, request_w = os.pipe()
        response_r, response_w = os.pipe()
        out_r, out_w = os.pipe()
        submission = self._submission_fd()
        os.set_blocking(request_w, False)  # every write to the worker is bound by a deadline
        try:
            # The fork server's watchdog kills the worker at the session's deadline, whatever this
            # process is doing (a little later than our own timeouts, which normally come first).
            self.worker = self.zygote.spawn(self.config, request_r, response_w, out_w, submission,
                                            timeout_s=max(self.deadline - time.monotonic(), 0.0)
                                            + WATCHDOG_GRACE_S)
        except ZygoteRefused as exc:  # a measure the fork server could not prepare (a namespace, a cgroup)
            for fd in (request_w, response_r, out_r):
                os.close(fd)
            opening.refused, opening.refusal = exc.missing, str(exc)
            return opening
        finally:
            for fd in (request_r, response_w, out_w, submission):
                os.close(fd)
        self.workers_started += 1
        self._drains.append(_Output(out_r, self.output, self.limits.output_bytes, self._dropped))
        self.pipes = (request_w, response_r)
        try:
            message = self._event(min(self.deadline, time.monotonic() + self.limits.confine_timeout_s))
        except (wire.Timeout, wire.Closed, wire.ProtocolError) as exc:
            message = {"missing": ["setup"], "detail": "the sandbox did not start "
                       + ("in time" if isinstance(exc, wire.Timeout) else "(the worker ended)")}
        if message.get("event") != wire.CONFINED:
            missing = [wire.text(m, 80) for m in wire.sequence(message.get("missing"), 20)]
            opening.refused = missing or ["setup"]
            opening.refusal = wire.text(message.get("detail"), 600) or "the sandbox did not start"
            opening.measures = [wire.text(m, 120) for m in wire.sequence(message.get("measures"), 40)]
            self.stop()
            return opening
        opening.confined = True
        opening.measures = [wire.text(m, 120) for m in wire.sequence(message.get("measures"), 40)]
        try:
            opening.intake = self._event(min(self.deadline, time.monotonic() + self.limits.import_timeout_s))
            if opening.intake.get("event") == wire.GRADER_FAULT:
                self._fault(opening, opening.intake)
                opening.intake = None
                return opening
            if opening.intake.get("event") != wire.INTAKE or opening.intake.get("unreadable"):
                self.stop()
                return opening
            message = self._event(min(self.deadline, time.monotonic() + self.limits.import_timeout_s))
        except wire.Timeout:
            message = {"event": wire.LOAD_FAILED, "error": {
                "type": "Timeout", "where": None,
                "message": f"loading the submission took longer than {self.limits.import_timeout_s:g} s "
                           "(an endless loop at top level?)"}}
        except (wire.Closed, wire.ProtocolError):
            self.stop()
            why = self.stopped_for() or "os._exit, a crash, or the memory limit"
            message = {"event": wire.LOAD_FAILED, "error": {
                "type": "Exited", "where": None,
                "message": f"the process ended while loading the submission ({why})"}}
        if message.get("event") == wire.READY:
            opening.ready = True
            opening.cells = wire.sequence(message.get("cells"), 2000)
        elif message.get("event") == wire.GRADER_FAULT:
            self._fault(opening, message)
        else:
            opening.load_error = wire.error(message.get("error")) or {
                "type": "Protocol", "message": "the worker sent an unexpected message", "where": None}
            self.stop()
        return opening

    def _fault(self, opening: Opening, message: dict) -> None:
        opening.grader_fault = wire.fault(message.get("fault")) or "worker: an unnamed fault"
        self.grader_faults.append(opening.grader_fault)
        self.stop()

    def _event(self, deadline: float) -> dict:
        message, _ = wire.read_frame(self.pipes[1], deadline, max_blob=0, budget=self._budget)
        return message

    def stop(self) -> None:
        """Kill the current worker and everything it started."""
        if self.worker is None:
            return
        # Killed before its pipes close: on EOF a worker exits by itself, its PID namespace goes with
        # it, and what it left running would no longer be there to count.
        report = self.zygote.kill(self.worker)
        self.worker = None
        for fd in self.pipes or ():
            try:
                os.close(fd)
            except OSError:
                pass
        self.pipes = None
        self.killed += max(int(report.get("killed") or 0) - 1, 0)  # the worker itself is not an orphan
        peak = report.get("peak_memory")
        if isinstance(peak, int):
            self.peak_memory = max(self.peak_memory or 0, peak)
        self.oom = self.oom or bool(report.get("oom"))
        if report.get("limit") in LIMIT_WORDS:
            self.limit = self.limit or report["limit"]

    def stopped_for(self) -> str:
        """Why the last worker ended, when a limit ended it (for the student): '' otherwise."""
        if self.limit == "disk":
            return (f"its files took more than the {self.config.scratch_bytes >> 20} MiB allowed, "
                    "so it was stopped")
        if self.limit == "memory" or self.oom:
            return f"it ran out of memory (limit {self.config.memory_bytes >> 20} MiB for all its processes)"
        if self.limit == "time":
            return "the grading time limit was reached"
        return ""

    # --- probes ----------------------------------------------------------------------------------

    def ask(self, kind: str, args: dict, tensors: dict, probe_id: str | None = None,
            timeout_s: float | None = None) -> ProbeResult:
        probe_id = probe_id or kind
        if self.worker is None:
            if self.dead is not None:
                if self.dead.grader_fault:
                    return _grader_fault_result(self.dead.grader_fault)
                return ProbeResult(False, problem="load", error=self.dead.load_error)
            if time.monotonic() >= self.deadline:
                return ProbeResult(False, problem="timeout", error={
                    "type": "Timeout", "where": None, "message": "the grading time limit was reached"})
            opening = self.start()
            if not opening.ready:
                self.dead = opening
                if opening.grader_fault:
                    return _grader_fault_result(opening.grader_fault)
                return ProbeResult(False, problem="load", error=opening.load_error or {
                    "type": "Refused", "where": None, "message": opening.refusal or "could not restart"})
        timeout = timeout_s or self.limits.check_timeout_s
        until = min(self.deadline, time.monotonic() + timeout)
        request_w, response_r = self.pipes
        try:
            wire.write_frame(request_w, {"id": probe_id, "kind": kind, "args": args}, tensors, _REQUESTS,
                             deadline=until)
            # Only the answer to this request, within what an answer can hold: anything else ends the worker.
            message, returned = wire.read_frame(response_r, until, max_blob=wire.PROBE_BLOB,
                                                max_json=wire.PROBE_JSON, budget=self._budget,
                                                answers=probe_id)
        except wire.Timeout:
            self.stop()
            limit = "the grading time limit" if until == self.deadline else f"{timeout:g} s"
            return ProbeResult(False, problem="timeout", error={
                "type": "Timeout", "where": None,
                "message": f"did not finish within {limit} (an endless loop, or far too slow?)"})
        except (wire.Closed, BrokenPipeError):
            self.stop()
            if self.limit in ("disk", "memory"):
                return ProbeResult(False, problem="crash", error={
                    "type": "Exited", "where": None, "message": f"the process ended: {self.stopped_for()}"})
            if time.monotonic() >= self.deadline or self.limit == "time":  # the fork server's watchdog
                return ProbeResult(False, problem="timeout", error={
                    "type": "Timeout", "where": None,
                    "message": "did not finish within the grading time limit "
                               "(an endless loop, or far too slow?)"})
            return ProbeResult(False, problem="crash", error={
                "type": "Exited", "where": None,
                "message": "the process ended unexpectedly (os._exit, a crash, or the memory limit"
                           + (": it ran out of memory" if self.oom else "") + ")"})
        except wire.ProtocolError as exc:
            self.stop()
            return ProbeResult(False, problem="protocol", error={
                "type": "Protocol", "where": None, "message": f"sent malformed data back: {exc}"})
        result = probe_result(message, returned)
        if result.problem == "grader":
            self.grader_faults.append(f"{probe_id}: {result.error['message']}")
        return result

    def close(self) -> None:
        self.stop()
        for drain in self._drains:
            drain.thread.join(timeout=2)

    def printed(self) -> tuple[str, int]:
        """What the code printed (kept part, as text) and how many bytes were dropped."""
        return self.output.decode("utf-8", errors="replace"), self._dropped[0]
