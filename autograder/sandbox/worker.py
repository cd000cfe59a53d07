"""The worker: the only process that runs student code.

Forked from the zygote, it confines itself (see ``isolation``), points its
stdout/stderr at a capped pipe, imports the submission as module ``rnn`` and
answers probe requests until its input closes. It never sees the reference,
the hidden checks or the results: the process it was forked from never loaded
them.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from .. import harness, probes
from . import isolation, protocol


def _redirect_output(out_fd: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)


def _guard():
    """Snapshot the probes, and a way to tell later whether student code changed them.

    The probe table is copied and the grader's modules leave ``sys.modules``, so
    student code can neither import the harness nor swap a probe by name. What
    it could still reach by digging (gc, frames) is caught by comparing the
    probes' code and module globals before every probe.
    """
    table = dict(probes.PROBES)
    watched = [vars(probes), vars(harness), vars(protocol)]
    snapshot = [dict(d) for d in watched]
    codes = {name: fn.__code__ for name, fn in table.items()}

    def tampered() -> bool:
        if any(fn.__code__ is not codes[name] for name, fn in table.items()):
            return True
        return any(len(d) != len(s) or any(d.get(k) is not v for k, v in s.items())
                   for d, s in zip(watched, snapshot, strict=True))

    for name in [n for n in sys.modules if n == "autograder" or n.startswith("autograder.")]:
        del sys.modules[name]
    return table, tampered


TAMPERED = {"type": "Tampering", "where": None,
            "message": "the submission changed the grader's own code in its process"}


def _import_submission(path: str):
    spec = importlib.util.spec_from_file_location("rnn", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["rnn"] = module
    spec.loader.exec_module(module)
    return module


def main(request_fd: int, response_fd: int, out_fd: int, confinement: isolation.Confinement) -> None:
    """Never returns: the worker ends with os._exit."""
    status = 0
    try:
        notes = isolation.confine(confinement, os.path.join(confinement.workdir, ".stage"))
        _redirect_output(out_fd)
        os.chdir(confinement.workdir)
        os.environ.update(HOME=confinement.workdir, TMPDIR=confinement.workdir)
        path = os.path.join(confinement.workdir, probes.STUDENT_FILE)
        table, tampered = _guard()
        try:
            module = _import_submission(path)
        except SystemExit as exc:
            protocol.write_frame(response_fd, {"event": "import-failed", "notes": notes, "error": {
                "type": "SystemExit", "message": f"the code called exit({exc.code!r}) while importing",
                "where": None}})
            os._exit(0)
        except BaseException as exc:  # noqa: BLE001 - any import failure is reported
            protocol.write_frame(response_fd, {"event": "import-failed", "notes": notes,
                                               "error": probes.describe_exception(exc, path)})
            os._exit(0)
        protocol.write_frame(response_fd, {"event": "ready", "notes": notes})
        student = probes.Student(module, path)
        while True:
            try:
                request, tensors = protocol.read_frame(request_fd)
            except protocol.Closed:
                break
            try:
                if tampered():
                    message, out = {"ok": False, "error": TAMPERED}, {}
                else:
                    message, out = probes.run_probe(student, request["kind"], request["args"],
                                                    tensors, table)
            except SystemExit as exc:
                message, out = {"ok": False, "error": {
                    "type": "SystemExit", "message": f"the code called exit({exc.code!r})",
                    "where": None}}, {}
            message["id"] = request["id"]
            try:
                protocol.write_frame(response_fd, message, out)
            except (TypeError, ValueError, RuntimeError) as exc:  # tensors that cannot be saved
                protocol.write_frame(response_fd, {"id": request["id"], "ok": False, "error": {
                    "type": type(exc).__name__, "message": "returned data could not be sent back",
                    "where": None}})
    except BaseException:  # noqa: BLE001 - the worker must end with _exit, never unwind into the zygote
        status = 70
    finally:
        os._exit(status)
