"""What every Dask worker does when it joins a run, before it may take a student.

``grade-all --scheduler`` registers :class:`GraderArrival` with the cluster.
Dask runs its ``setup`` on every worker connected now **and on every worker
that connects later** (one a nanny restarted after a crash, under a new address,
or one added during the run). The worker runs :data:`ARRIVAL_CHECKS` in order;
only when every check passes does it advertise the run's resource
(``rnn-grader-<run>``), and every grading task needs that resource, so a worker
that failed a check, or has not finished them, never gets a student. Each
arrival is reported to the client (a Dask event) and printed there.

A check is a function ``check(arrival) -> str | None``: None when it passes,
else the problem, one line for the instructor. To add one (a self-test, say),
append it to :data:`ARRIVAL_CHECKS`; checks after a failing one do not run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field

TOPIC = "rnn-grader-arrival"
PLUGIN_PREFIX = "rnn-grader-arrival-"


@dataclass
class Arrival:
    """One worker joining one run: what the checks read, and what they leave for the report."""

    expected: dict[str, str]  # the client's fingerprint inventory (autograder.fingerprint)
    options: object  # the run's judge Options, with this worker's own paths hidden too
    slots: int  # the worker's threads: one sandbox slot each
    facts: dict = field(default_factory=dict)  # what a check found (the grader's pid, memory, mode)


def same_grader(arrival: Arrival) -> str | None:
    """The worker's installed grader is the client's: the same files, torch and Python."""
    from .fingerprint import differences, digest, inventory

    mine = inventory()
    if digest(mine) == digest(arrival.expected):
        return None
    return (f"it runs grader version {digest(mine)}, the client {digest(arrival.expected)} "
            f"({differences(arrival.expected, mine)}); install the same copy of the project there")


def grader_starts(arrival: Arrival) -> str | None:
    """The worker's grader starts (its sandbox mode verified in a trial worker) with the run's options."""
    from .slots import start_grader

    try:
        arrival.facts.update(start_grader(arrival.options, arrival.slots))
    except Exception as exc:  # noqa: BLE001 - any failure is this worker's, reported, never a student's
        return f"its grader cannot start: {type(exc).__name__}: {exc}"
    return None


ArrivalCheck = Callable[[Arrival], "str | None"]
ARRIVAL_CHECKS: list[ArrivalCheck] = [same_grader, grader_starts]

_worker_hidden: list[str] = []  # this worker's own folders that student code must not see


def local_options(options):
    """The run's options on this worker: its Dask folder hidden from student code too."""
    if not _worker_hidden:
        return options
    return dataclasses.replace(options, hidden=list(dict.fromkeys([*options.hidden, *_worker_hidden])))


def close_to_others(worker) -> list[str]:
    """The worker's own folder (spilled data, locks) closed to every other user; returns it."""
    folder = str(getattr(worker, "local_directory", "") or "")
    if not folder:
        return []
    for path in (folder, os.path.dirname(folder)):
        try:
            if os.stat(path).st_uid == os.geteuid():
                os.chmod(path, 0o700)
        except OSError:
            pass
    return [folder]


def run_checks(arrival: Arrival, checks: list[ArrivalCheck] | None = None) -> list[str]:
    """The problems found (empty: accepted). Stops at the first failing check."""
    for check in checks if checks is not None else ARRIVAL_CHECKS:
        try:
            problem = check(arrival)
        except Exception as exc:  # noqa: BLE001 - a check that breaks fails, loudly
            problem = f"{getattr(check, '__name__', 'a check')} failed: {type(exc).__name__}: {exc}"
        if problem:
            return [problem]
    return []


try:
    from distributed import WorkerPlugin
except ImportError:  # pragma: no cover - without Dask there is no cluster to join
    WorkerPlugin = object


class GraderArrival(WorkerPlugin):
    """Registered once per run; Dask runs :meth:`setup` on every worker that is or becomes part of it."""

    def __init__(self, run: str, expected: dict[str, str], options):
        self.run, self.expected, self.options = run, expected, options
        self.name = PLUGIN_PREFIX + run

    @property
    def resource(self) -> str:
        return resource_name(self.run)

    async def setup(self, worker) -> None:
        report = {"run": self.run, "address": str(worker.address), "pid": os.getpid(), "accepted": False,
                  "problems": [], "facts": {}}
        try:
            hidden = close_to_others(worker)
            _worker_hidden[:] = hidden
            arrival = Arrival(self.expected, local_options(self.options), int(worker.state.nthreads))
            loop = asyncio.get_running_loop()
            report["problems"] = await loop.run_in_executor(None, run_checks, arrival)
            report["facts"] = _plain(arrival.facts)
            if not report["problems"]:
                await worker.set_resources(**{self.resource: float(worker.state.nthreads)})
                _offer_waiting_tasks(worker)
                report["accepted"] = True
        except Exception as exc:  # noqa: BLE001 - never let a worker take work after a failed arrival
            report["problems"] = [f"its arrival failed: {type(exc).__name__}: {exc}"]
        reports = getattr(worker, "_rnn_grader_arrivals", {})
        reports[self.run] = report
        worker._rnn_grader_arrivals = reports
        worker.log_event(TOPIC, report)

    async def teardown(self, worker) -> None:
        try:
            if self.resource in worker.state.total_resources:
                await worker.set_resources(**{self.resource: 0.0})
        except Exception:  # noqa: BLE001 - a worker on its way out has nothing left to give back
            pass
        from .slots import _close_grader

        _close_grader()


def _offer_waiting_tasks(worker) -> None:
    """Make the scheduler look again at tasks no worker could take. It does so when a worker starts
    running, not when a running worker gains a resource: a worker that joined (or came back) while
    every task was waiting would otherwise never get one. Pausing and resuming the worker is the
    public way to say "running" again."""
    from distributed.core import Status

    if worker.status == Status.running:
        worker.status = Status.paused
        worker.status = Status.running


def resource_name(run: str) -> str:
    return f"rnn-grader-{run}"


def _plain(facts: dict) -> dict:
    """Facts as plain data (an event travels as msgpack)."""
    out = {}
    for key, value in facts.items():
        out[key] = value if isinstance(value, (str, int, float, bool, type(None), list, dict)) else str(value)
    return out


def report_of(run: str, dask_worker=None) -> dict | None:
    """This worker's arrival report for ``run`` (called through ``client.run``); None before it is done."""
    return getattr(dask_worker, "_rnn_grader_arrivals", {}).get(run)
