"""Run the hidden checks over one submission's observations: one outcome per catalogue entry.

The same runner serves the sandboxed grader and nbgrader's in-kernel checks.
Checks run in catalogue order; a check may ask whether an earlier one passed
(``ctx.passed``), which runs it first if needed. A check that fails by
raising anything but CheckFailure is a grader fault: the student is told
plainly, the instructor gets the traceback's last line.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache

from . import suites
from .catalogue import Check, CheckFailure


@dataclass
class Outcome:
    check: Check
    passed: bool
    message: str
    cause: str | None = None  # a failed check's root cause: another check this failure follows from

    @property
    def score(self) -> float:
        return self.check.points if self.passed else 0.0


@cache
def check_functions() -> dict:
    """check id -> the hidden-suite function implementing it."""
    found = {}
    for info in pkgutil.iter_modules(suites.__path__):
        module = importlib.import_module(f"{suites.__name__}.{info.name}")
        for value in vars(module).values():
            entry = getattr(value, "check", None)
            if isinstance(entry, Check) and callable(value):
                found[entry.id] = value
    return found


def with_hint(check: Check, message: str) -> str:
    message = message.rstrip(". ")
    return f"{message}. Hint: {check.hint}"


class Runner:
    def __init__(self, ctx, catalogue: list[Check]):
        self.ctx, self.catalogue = ctx, catalogue
        self.outcomes: dict[str, Outcome] = {}
        self.faults: list[str] = []
        ctx.passed = self.passed

    def passed(self, check_id: str) -> bool:
        from .catalogue import BY_ID

        if check_id not in self.outcomes:
            self.outcomes[check_id] = self._run(BY_ID[check_id])
        return self.outcomes[check_id].passed

    def _run(self, check: Check) -> Outcome:
        function = check_functions().get(check.id)
        if function is None:
            self.faults.append(f"{check.id}: no hidden check implements it")
            return Outcome(check, False, "not judged (grader error; your instructor has been told)")
        try:
            function(self.ctx)
        except CheckFailure as exc:
            return Outcome(check, False, with_hint(check, str(exc)), getattr(exc, "cause", None))
        except Exception as exc:  # noqa: BLE001 - a grader fault must not cost the cohort
            self.faults.append(f"{check.id}: {type(exc).__name__}: {exc}")
            return Outcome(check, False, "not judged: the grader failed on this check; your instructor has "
                                         "been told (regrade once it is fixed)")
        return Outcome(check, True, "passed")

    def run(self) -> list[Outcome]:
        for check in self.catalogue:
            self.passed(check.id)
        outcomes = [self.outcomes[c.id] for c in self.catalogue]
        return root_causes(outcomes)


def root_causes(outcomes: list[Outcome]) -> list[Outcome]:
    """Mark each failure's root cause. A check names its own (``CheckFailure.cause``); besides, when
    several checks of one function fail with the very same message (the function raised, say), the
    first of them in grading order is the root cause of the others. A cause that did not fail, or
    that has a cause itself, is followed to a failed root."""
    failed = {o.check.id: o for o in outcomes if not o.passed}
    first: dict[tuple[str, str], str] = {}
    for outcome in outcomes:
        if outcome.passed:
            continue
        message = outcome.message.rsplit(". Hint: ", 1)[0]
        key = (outcome.check.function, message)
        if outcome.cause is None and key in first:
            outcome.cause = first[key]
        first.setdefault(key, outcome.check.id)
    for outcome in failed.values():
        seen = {outcome.check.id}
        cause = outcome.cause
        while cause in failed and failed[cause].cause is not None and failed[cause].cause not in seen:
            seen.add(cause)
            cause = failed[cause].cause
        outcome.cause = cause if cause in failed and cause != outcome.check.id else None
    return outcomes
