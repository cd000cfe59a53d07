"""Hidden checks run inside a notebook's kernel, for nbgrader's test cells.

nbgrader grades in the student's own kernel, so these checks are only as
trustworthy as that kernel (student code that ran before could have changed
anything in it). They exist so that nbgrader and ``python -m autograder grade``
award the same points for an honest notebook: the probes, the plan, the
expectations and the checks are the very same code. The tamper-proof path is
the sandboxed grader run over nbgrader's ``submitted/`` folder.
"""

from __future__ import annotations

from functools import cache

from . import wire
from .judge import catalogue
from .sandbox.session import ProbeResult, probe_result


class InProcessProbes:
    """Runs each probe on demand against a namespace, in this process, with the wire's round trip."""

    def __init__(self, namespace: dict):
        from .worker.probes import Student

        self.student = Student(namespace)

    def __call__(self, kind: str, args: dict, tensors: dict, probe_id: str) -> ProbeResult:
        from .worker.probes import run_probe

        message, out = run_probe(self.student, kind, args, {k: v.clone() for k, v in tensors.items()})
        plain = wire.decode_tensors(wire.encode_tensors(out))  # plain tensors only, as across the sandbox
        return probe_result(message, plain)


STUDENT_NAMES = ("SimpleRNN", "training_step", "train", "predict", "rnn_forward_manual",
                 "hidden_gradient_norms", "gradient_factors")
_observed: dict = {}


@cache
def _judge():
    from .judge import reference as reference_module
    from .judge.expect import Expectations
    from .judge.plan import build

    reference = reference_module.load()
    plan = build(reference.make_dataset)
    return plan, Expectations(plan, reference)


def run_check(namespace: dict, check_id: str) -> None:
    """Run hidden check ``check_id`` against the functions in ``namespace``.

    Raises AssertionError (``CheckFailure``) with the student's one-line message
    when the check fails; returns None when it passes.
    """
    if check_id not in catalogue.BY_ID:
        raise KeyError(f"unknown check {check_id!r}")
    from .judge import schedule
    from .judge.context import Context
    from .judge.runner import Runner

    plan, expected = _judge()
    # One run of the probes serves every check cell while the student's definitions stay the same.
    key = (id(namespace), *(id(namespace.get(name)) for name in STUDENT_NAMES))
    if _observed.get("key") != key:
        _observed.update(key=key, value=schedule.run(InProcessProbes(namespace), plan, expected, [], True))
    ctx = Context(_observed["value"], plan, expected)
    outcome = Runner(ctx, [catalogue.BY_ID[check_id]]).run()[0]
    if not outcome.passed:
        raise catalogue.CheckFailure(outcome.message)
