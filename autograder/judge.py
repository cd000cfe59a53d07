"""The trusted judgement: run the hidden pytest suites over one submission's probe results.

Only this process loads the reference solution and the hidden checks, and it
never runs student code: the probes run in a confined worker (``sandbox``),
and their results come back as JSON and safetensors.
"""

from __future__ import annotations

import io
import os
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field

import pytest

from . import checks, paths
from . import plan as plan_module
from . import reference as reference_module
from .context import Context
from .sandbox.session import Limits, Session
from .sandbox.zygote import Zygote


@dataclass
class CheckOutcome:
    check: checks.Check
    passed: bool
    message: str

    @property
    def score(self) -> float:
        return self.check.points if self.passed else 0.0


@dataclass
class Grade:
    outcomes: list[CheckOutcome]
    seconds: float
    output: str = ""
    output_dropped: int = 0
    notes: list[str] = field(default_factory=list)
    import_error: dict | None = None
    processes_killed: int = 0
    internal_errors: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(o.score for o in self.outcomes)

    @property
    def max_score(self) -> float:
        return sum(o.check.points for o in self.outcomes)


class _SuitePlugin:
    """Feeds the ``ctx`` fixture to the hidden suites and records each check's outcome."""

    def __init__(self, ctx: Context, catalogue: list[checks.Check]):
        self._ctx = ctx
        self.wanted = [c.id for c in catalogue]
        self.outcomes: dict[str, CheckOutcome] = {}
        self.internal: list[str] = []

    @pytest.fixture
    def ctx(self):
        return self._ctx

    def pytest_collection_modifyitems(self, session, config, items):
        by_id = {getattr(getattr(i, "function", None), "check", None): i for i in items}
        by_id = {c.id: i for c, i in by_id.items() if c is not None}
        keep = [by_id[i] for i in self.wanted if i in by_id]
        dropped = [i for i in items if i not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        entry = item.function.check
        if report.when == "call" or (report.failed and entry.id not in self.outcomes):
            if report.passed:
                self.outcomes[entry.id] = CheckOutcome(entry, True, "passed")
            else:
                error = call.excinfo.value if call.excinfo else None
                if isinstance(error, checks.CheckFailure):
                    message = checks.with_hint(entry, str(error))
                else:
                    message = "could not be checked: the submission returned data of an unexpected form"
                    self.internal.append(f"{entry.id}: {type(error).__name__}: {error}")
                self.outcomes[entry.id] = CheckOutcome(entry, False, message)


def run_suites(ctx: Context, catalogue: list[checks.Check]) -> tuple[list[CheckOutcome], list[str]]:
    """Run the hidden suites against ``ctx``; every catalogue entry gets an outcome."""
    os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    plugin = _SuitePlugin(ctx, catalogue)
    sink = io.StringIO()
    with redirect_stdout(sink), redirect_stderr(sink):
        pytest.main(
            [str(paths.SUITES_DIR), "-q", "-p", "no:cacheprovider", "-p", "no:unraisableexception",
             "-p", "no:threadexception", "-p", "no:faulthandler", "-o", "addopts=",
             "--rootdir", str(paths.PROJECT_ROOT), "--no-header", "-W", "ignore"],
            plugins=[plugin],
        )
    outcomes = []
    for entry in catalogue:
        outcome = plugin.outcomes.get(entry.id)
        if outcome is None:
            plugin.internal.append(f"{entry.id}: no test ran for this check")
            outcome = CheckOutcome(entry, False, "could not be checked (grader error)")
        outcomes.append(outcome)
    return outcomes, plugin.internal


class Grader:
    """Grades submissions one after another with one fork server.

    Create it before anything imports the reference or the hidden suites: it
    forks the zygote first.
    """

    def __init__(self, limits: Limits | None = None, accelerators: list[str] | None = None):
        reference_module.ensure_present()  # checks the file only; nothing is loaded yet
        self.zygote = Zygote()
        self.limits = limits or Limits()
        self.accelerators = checks.available_accelerators() if accelerators is None else accelerators
        self.reference = reference_module.load()
        self.catalogue = checks.catalogue(self.accelerators)

    def grade(self, source: str, protected: list[str]) -> Grade:
        started = time.monotonic()
        requests = plan_module.build(self.reference.make_dataset, self.accelerators)
        protected = [str(paths.PROJECT_ROOT), str(paths.PACKAGE_DIR), *protected]
        session = Session(self.zygote, source, self.limits, protected, self.accelerators)
        session.start(requests)
        session.result(requests[0].id)  # the first answer settles whether the import failed
        ctx = Context(session, requests, self.reference, session.import_error)
        outcomes, internal = run_suites(ctx, self.catalogue)
        session.finish()
        return Grade(
            outcomes=outcomes,
            seconds=time.monotonic() - started,
            output=session.output(),
            output_dropped=session.output_dropped(),
            notes=session.notes,
            import_error=session.import_error,
            processes_killed=session.killed,
            internal_errors=internal,
        )

    def close(self) -> None:
        self.zygote.close()
