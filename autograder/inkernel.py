"""Hidden checks run inside a notebook's kernel, for nbgrader's test cells.

nbgrader grades in the student's own kernel, so these checks are only as
trustworthy as that kernel (student code that ran before could have changed
anything in it). They exist so that nbgrader and ``python -m autograder grade``
award the same points for an honest notebook: the probes, the expectations
and the checks are the very same code. The tamper-proof path is the sandboxed
grader run over nbgrader's ``submitted/`` folder.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from . import checks, probes, suites
from . import plan as plan_module
from . import reference as reference_module
from .context import Context
from .sandbox import protocol
from .sandbox.session import ProbeResult


@cache
def check_functions() -> dict:
    """check id -> the hidden-suite test function implementing it."""
    found = {}
    for info in pkgutil.iter_modules(suites.__path__):
        module = importlib.import_module(f"{suites.__name__}.{info.name}")
        for value in vars(module).values():
            entry = getattr(value, "check", None)
            if isinstance(entry, checks.Check) and callable(value):
                found[entry.id] = value
    return found


class InProcessProbes:
    """Runs each probe on demand against a namespace, in this process."""

    def __init__(self, namespace: dict, requests):
        self.student = probes.Student(namespace)
        self.requests = {r.id: r for r in requests}
        self.cache: dict[str, ProbeResult] = {}

    def result(self, probe_id: str) -> ProbeResult:
        if probe_id not in self.cache:
            request = self.requests[probe_id]
            tensors = {k: v.clone() for k, v in request.tensors.items()}
            message, out = probes.run_probe(self.student, request.kind, request.args, tensors)
            # The same round trip as across the sandbox: plain tensors only.
            plain = protocol.decode_tensors(protocol.encode_tensors(out))
            self.cache[probe_id] = ProbeResult(ok=message["ok"], info=message.get("info", {}),
                                               tensors=plain, error=message.get("error"))
        return self.cache[probe_id]


def run_check(namespace: dict, check_id: str) -> None:
    """Run hidden check ``check_id`` against the functions in ``namespace``.

    Raises AssertionError (``checks.CheckFailure``) with the student's one-line
    message when the check fails; returns None when it passes.
    """
    if check_id not in checks.BY_ID:
        raise KeyError(f"unknown check {check_id!r}")
    reference = reference_module.load()
    requests = plan_module.build(reference.make_dataset, [])
    ctx = Context(InProcessProbes(namespace, requests), requests, reference)
    try:
        check_functions()[check_id](ctx)
    except checks.CheckFailure as exc:
        raise checks.CheckFailure(checks.with_hint(checks.BY_ID[check_id], str(exc))) from None
