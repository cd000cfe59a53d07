"""The worker's life: confine, verify, read the submission, run it, answer probes.

Called in the child the fork server just forked. Everything before
:func:`load.import_module` / :func:`load.run_notebook` is the grader's own
code running alone, so the ``confined``/``refused`` and ``intake`` frames are
trustworthy; everything after is not, and the judge treats it so.
"""

from __future__ import annotations

import os
import sys

from .. import wire
from ..sandbox.confine import REQUEST_FD, RESPONSE_FD, Refused, Spawn, confine
from . import load, probes
from .blame import StudentError, grader_fault


def _send(fd: int, message: dict, tensors: dict | None = None) -> None:
    wire.write_frame(fd, message, tensors)


def run_worker(spawn: Spawn, fds: dict) -> None:
    """Never returns normally: the caller ends the process with os._exit."""
    response_fd = fds[RESPONSE_FD]
    try:
        workdir = confine(spawn, dict(fds))
    except Refused as refused:
        _send(RESPONSE_FD if spawn.fds_placed else response_fd,
              {"event": wire.REFUSED, "missing": refused.missing, "detail": refused.detail,
               "measures": spawn.measures})
        return
    except Exception as exc:  # noqa: BLE001 - a step that failed outright is a refusal too
        _send(RESPONSE_FD if spawn.fds_placed else response_fd,
              {"event": wire.REFUSED, "missing": ["setup"],
               "detail": f"confinement failed: {type(exc).__name__}: {exc}", "measures": spawn.measures})
        return
    _send(RESPONSE_FD, {"event": wire.CONFINED, "mode": spawn.config.mode, "measures": spawn.measures})
    sys.path[:] = [p for p in sys.path if p and os.path.isdir(p)]
    # Until student code runs, every exception is the grader's own, and this process still says so
    # truthfully: a fault of ours is reported as one, never as the student's code failing to load.
    stage = "intake"
    try:
        kind, files = load.read_payload(load.SUBMISSION_FD, spawn.config.submission_bytes)
        intake = load.intake(kind, files)
        sheet = load.quiz_sheet(intake.quiz_text, intake.quiz_source)
        _send(RESPONSE_FD, intake.report(sheet))
        if intake.unreadable:
            return
        # From here on, student code runs: nothing this process says can be trusted.
        for name in [n for n in sys.modules if n == "autograder" or n.startswith("autograder.")]:
            del sys.modules[name]
        path = os.path.join(workdir, wire.STUDENT_FILE)
        stage = "loading the submission"
        if kind == wire.KIND_NOTEBOOK:
            namespace, cells = load.run_notebook(intake.cells)
            student = probes.Student(namespace, None)
        else:
            load.forget_shell()
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(intake.source)
            student = probes.Student(load.import_module(path), path)
            cells = []
    except StudentError as exc:
        _send(RESPONSE_FD, {"event": wire.LOAD_FAILED, "error": exc.info})
        return
    except BaseException as exc:  # noqa: BLE001 - the grader's own fault: said so, never charged
        _send(RESPONSE_FD, {"event": wire.GRADER_FAULT, "fault": grader_fault(exc, stage)})
        return
    _send(RESPONSE_FD, {"event": wire.READY, "cells": cells})
    serve(student)


def serve(student: probes.Student) -> None:
    while True:
        try:
            request, tensors = wire.read_frame(REQUEST_FD)
        except wire.Closed:
            return
        message, out = probes.run_probe(student, request["kind"], request["args"], tensors)
        message["id"] = request["id"]
        try:
            _send(RESPONSE_FD, message, out)
        except (TypeError, ValueError, RuntimeError) as exc:  # data that cannot be encoded
            _send(RESPONSE_FD, {"id": request["id"], "ok": False, "error": {
                "type": type(exc).__name__, "message": "returned data could not be sent back",
                "where": None}})
