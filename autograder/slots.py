"""Grading slots: where a cohort's submissions are graded, all at once.

A slot is one :class:`~autograder.judge.grader.Grader` (a judge and its fork
server, with a sandbox user of its own). ``grade-all`` hands every slot the
same options and the same seed, so every student of a run is judged on the
same inputs, wherever they are graded:

* :class:`LocalSlots`: ``--jobs N`` processes on this machine (N = 1 grades in
  this process);
* :class:`DaskSlots`: the workers of an existing Dask distributed cluster
  (``--scheduler tcp://HOST:8786``), each hosting its own grader from its own
  installed copy of the project, checked when it joins (:mod:`.arrival`); a
  worker whose copy differs from this one is refused, loudly. A worker that
  dies mid-run loses no student (Dask grades its students again elsewhere), a
  worker restarted or added takes work once checked, and a run that makes no
  progress stops with a message.

Submissions travel as bytes (:class:`~autograder.intake.Submission`); results
come back as the results dict, which the caller writes as it arrives.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from . import stopping
from .fingerprint import fingerprint  # noqa: F401 - the grader's identity, part of the resume key
from .sandbox import linux


@dataclass
class Job:
    stem: str
    submission: object  # intake.Submission


# --- the grader of the process that hosts the slots --------------------------------------------------

_grader = None
_grader_key = None


def _process_grader(options, slots: int = 1):
    """This process's grader, made on first use (and closed at exit)."""
    global _grader, _grader_key
    if _grader is None or _grader_key != (options, slots):
        from .judge.grader import Grader

        if _grader is not None:
            _grader.close()
        _grader, _grader_key = Grader(options, slots=slots), (options, slots)
        atexit.register(_close_grader)
    return _grader


def _close_grader() -> None:
    global _grader
    if _grader is not None:
        _selftests.pop(id(_grader), None)
        _grader.close()
        _grader = None


def grade_job(job: Job, options, slots: int = 1) -> tuple[str, dict, dict]:
    """Grade one student on this process's grader: (stem, results, slot facts)."""
    from . import results

    grader = _process_grader(options, slots)
    data = results.build_for(grader, grader.grade(job.submission), job.submission, options)
    return job.stem, data, process_facts(grader)


def process_facts(grader) -> dict:
    """What the run reports about a grading process: its slots and its processes' peak memory."""
    zygote = grader.zygote.process.pid if grader.zygote is not None else None
    return {"pid": os.getpid(), "slots": len(grader.claims) or 1,
            "judge_peak": linux.peak_memory(os.getpid()),
            "fork_server_peak": linux.peak_memory(zygote) if zygote else None,
            "mode": grader.mode, "isolation": grader.isolation}


class SelftestFailed(RuntimeError):
    """The grader of this process scored its known submissions wrongly: it must not grade anyone."""


_selftests: dict[int, dict] = {}  # id(grader) -> its self-test's summary


def start_grader(options, slots: int = 1) -> dict:
    """Make this process's grader now (so that start-up happens at once) and, unless the run skips
    it, self-test it on its own fork server and plan; its facts. Raises SelftestFailed."""
    grader = _process_grader(options, slots)
    facts = process_facts(grader)
    if options.selftest != "skipped":
        summary = _selftests.get(id(grader))
        if summary is None:
            from .judge import selftest

            report = selftest.run(grader)
            summary = _selftests[id(grader)] = report.summary()
            summary["lines"] = report.lines()
        if summary["status"] != "passed":
            raise SelftestFailed("\n".join(summary["lines"]))
        facts["selftest"] = summary
    return facts


# --- this machine ------------------------------------------------------------------------------------


class LocalSlots:
    """``jobs`` grading slots on this machine: one judge and one fork server, a thread per slot.

    The judge's own work per student is small (comparisons); the student's code runs in the
    sandboxed workers, ``jobs`` at a time, each with its own sandbox user.
    """

    def __init__(self, options, jobs: int):
        self.options, self.jobs = options, max(1, jobs)
        facts = start_grader(options, self.jobs)
        self.facts: dict = {facts["pid"]: facts}

    @property
    def isolation(self) -> dict:
        return next(iter(self.facts.values()))["isolation"]

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[str, dict]]:
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        from .sandbox.session import signals_to_main_thread

        pool = ThreadPoolExecutor(self.jobs, thread_name_prefix="slot", initializer=signals_to_main_thread)
        futures = [pool.submit(grade_job, job, self.options, self.jobs) for job in jobs]
        pending, finished = set(futures), False
        try:
            while pending:
                stopping.check()  # a stop whose exception was lost in start-up (a library's bare except)
                # A bounded wait: this thread runs Python (and so any signal handler) at least twice
                # a second, whichever thread the kernel handed a SIGTERM to.
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    stem, data, facts = future.result()
                    self.facts[facts["pid"]] = facts
                    yield stem, data
            finished = True
        finally:
            for future in futures:
                future.cancel()
            if not finished:  # interrupted: the sandboxes go first, so the slots' threads return at once
                _close_grader()
            pool.shutdown(wait=True)

    def close(self) -> None:
        _close_grader()


# --- a Dask distributed cluster ---------------------------------------------------------------------


class WorkerRefused(RuntimeError):
    """No Dask worker runs this grader's version."""


class Stalled(RuntimeError):
    """No student was graded for --progress-timeout seconds (grade-all exits 3, keeping what it wrote)."""


def dask_grade_job(job: Job, options) -> tuple[str, dict, dict]:
    """grade_job on a Dask worker: the grader its arrival started (this worker's folders hidden too)."""
    from distributed import get_worker

    from .arrival import local_options

    return grade_job(job, local_options(options), int(get_worker().state.nthreads))


def dask_failed_job(job: Job, options, reason: str) -> tuple[str, dict, dict]:
    """The results of a student whose grading a worker could not finish (it died under them, again and
    again): flagged for a regrade, built by a worker's grader so that the maximum is everyone's."""
    from distributed import get_worker

    from . import results
    from .arrival import local_options
    from .results_schema import GRADER_ERROR

    grader = _process_grader(local_options(options), int(get_worker().state.nthreads))
    grade = grader.failed(RuntimeError(reason))
    grade.status, grade.reason = GRADER_ERROR, reason
    return job.stem, results.build(grade, job.submission, options, grader.plan.seed), process_facts(grader)


def _problem(report: object) -> str:
    if isinstance(report, dict):
        return "; ".join(report.get("problems") or []) or "accepted"
    if report is None:
        return "it has not run the arrival check (install the same copy of the project there)"
    return f"its arrival check could not run ({type(report).__name__}: {report})"


def _stale_plugins(dask_scheduler=None) -> list[str]:
    """Arrival plugins of earlier runs whose client is gone (killed before it could remove them)."""
    from .arrival import PLUGIN_PREFIX

    clients = set(dask_scheduler.clients)
    return [name for name in dask_scheduler.worker_plugins
            if name.startswith(PLUGIN_PREFIX) and name[len(PLUGIN_PREFIX):].split("~")[0] not in clients]


class DaskSlots:
    """The workers of an existing Dask cluster, each one a grading slot per thread.

    No task is pinned to a worker's address: every grading task needs the run's resource, which a
    worker advertises only once its arrival checks passed (:mod:`.arrival`), so a worker a nanny
    restarts, or one added during the run, takes work as soon as it is checked, and a refused one
    never does. A student's result is released the moment it is written: a worker dying later
    never makes Dask grade them again. No result for ``progress_timeout`` seconds stops the run
    (:class:`Stalled`), keeping what was written.
    """

    def __init__(self, options, scheduler: str, client=None, progress_timeout: float = 720.0):
        try:
            from distributed import Client
        except ImportError:
            raise WorkerRefused("--scheduler needs Dask: pip install 'dask[distributed]'") from None
        from .arrival import TOPIC, GraderArrival
        from .fingerprint import digest, inventory

        self.options, self.scheduler = options, scheduler
        self.progress_timeout = progress_timeout
        self.client = client or Client(scheduler, timeout="30s")
        self.run_id = f"{self.client.id}~{os.urandom(4).hex()}"
        self.expected = inventory()
        self.version = digest(self.expected)
        self.facts: dict[str, dict] = {}
        self.refused: dict[str, str] = {}
        self._events: list[dict] = []
        self._said: set[tuple[str, int]] = set()
        try:
            for name in self.client.run_on_scheduler(_stale_plugins):
                self.client.unregister_worker_plugin(name)
        except Exception:  # noqa: BLE001 - old plugins only cost their workers an idle grader
            pass
        self.client.subscribe_topic(TOPIC, self._on_event)
        self.plugin = GraderArrival(self.run_id, self.expected, options)
        try:
            self.client.register_plugin(self.plugin, name=self.plugin.name)
        except Exception as exc:  # noqa: BLE001 - a worker that cannot even load the check is refused
            print(f"REFUSED a Dask worker at {scheduler}: it could not run the arrival check "
                  f"({type(exc).__name__}: {exc}); install the same copy of the project there",
                  file=sys.stderr)
        reports = self._reports()
        accepted = [a for a, r in reports.items() if isinstance(r, dict) and r.get("accepted")]
        self._say(reports.values())
        for address, report in reports.items():
            if not isinstance(report, dict):  # it could not even load the check: another copy, surely
                self.refused[address] = _problem(report)
                print(f"REFUSED Dask worker {address}: {_problem(report)}; its students go to the others",
                      file=sys.stderr)
        if reports and not accepted:
            reasons = "; ".join(f"{a}: {_problem(r)}" for a, r in reports.items())
            self.close()
            raise WorkerRefused(f"no Dask worker at {scheduler} can grade this run (grader version "
                                f"{self.version}): {reasons}")
        if not reports:
            print(f"no Dask worker is connected to {scheduler} yet: students wait for one (at most "
                  f"{progress_timeout:g} s without progress, --progress-timeout)", file=sys.stderr)

    # -- what the workers say --------------------------------------------------------------------------

    def _on_event(self, event) -> None:
        _, report = event
        if isinstance(report, dict) and report.get("run") == self.run_id:
            self._events.append(report)  # list.append is atomic: the client's loop thread adds, we read

    def _reports(self) -> dict[str, object]:
        from .arrival import report_of

        try:
            return self.client.run(report_of, self.run_id, on_error="return")
        except Exception:  # noqa: BLE001 - no worker answering is the same as none connected
            return {}

    def _say(self, reports) -> None:
        """Print each arrival once: accepted ones as a line, refused ones loudly."""
        for report in reports:
            if not isinstance(report, dict):
                continue
            key = (str(report.get("address")), int(report.get("pid") or 0))
            if key in self._said:
                continue
            self._said.add(key)
            if report.get("accepted"):
                facts = report.get("facts") or {}
                if facts.get("pid") is not None:
                    self.facts[str(facts["pid"])] = facts
                print(f"Dask worker {key[0]} (pid {key[1]}) checked: it grades for this run", file=sys.stderr)
            else:
                problem = "; ".join(report.get("problems") or ["no reason given"])
                self.refused[key[0]] = problem
                print(f"REFUSED Dask worker {key[0]}: {problem}; its students go to the others",
                      file=sys.stderr)

    @property
    def isolation(self) -> dict:
        return next(iter(self.facts.values()))["isolation"] if self.facts else {}

    # -- the run -------------------------------------------------------------------------------------

    def _submit(self, function, *args, key: str):
        # No retries: grade_job records every failure of its own; a worker dying under a task is
        # Dask's allowed-failures (distributed.scheduler.allowed-failures, 3 by default), then KilledWorker.
        return self.client.submit(function, *args, resources={self.plugin.resource: 1}, pure=False, key=key)

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[str, dict]]:
        import time

        from distributed import wait

        pending = {self._submit(dask_grade_job, job, self.options, key=f"grade-{job.stem}-{self.run_id}"): job
                   for job in jobs}
        last = time.monotonic()
        try:
            while pending:
                stopping.check()
                waited = time.monotonic() - last
                if waited >= self.progress_timeout:
                    raise Stalled(self._stalled(waited, len(pending)))
                try:
                    done, _ = wait(list(pending), timeout=min(5.0, self.progress_timeout - waited),
                                   return_when="FIRST_COMPLETED")
                except (TimeoutError, asyncio.TimeoutError):  # two classes on Python 3.10, one from 3.11
                    done = set()
                except Exception as exc:  # noqa: BLE001 - e.g. the scheduler restarted and dropped the tasks
                    raise Stalled(f"the Dask scheduler {self.scheduler} lost this run's tasks "
                                  f"({type(exc).__name__}: {exc}); {len(pending)} students were not graded. "
                                  "The results already written are kept: run the same command again") from exc
                self._say(list(self._events))
                for future in done:
                    job = pending.pop(future)
                    try:
                        stem, data, facts = future.result()
                    except Exception as exc:  # noqa: BLE001 - one student's failure is that student's
                        self._failed(pending, job, future, exc)
                        continue
                    finally:
                        future.release()  # written below: never recomputed if its worker dies later
                    self.facts[str(facts["pid"])] = facts
                    last = time.monotonic()
                    yield stem, data
        finally:
            for future in pending:
                future.cancel()

    def _failed(self, pending: dict, job: Job, future, exc: Exception) -> None:
        """A task that ended without results: the student is recorded as a grader error (by another
        task, on a worker), or, when even that failed, left without results and named."""
        from distributed.scheduler import KilledWorker

        name = job.submission.name
        if str(future.key).startswith("failed-"):
            print(f"could not grade or record {name!r} ({type(exc).__name__}: {exc}): no results written; "
                  "the next run grades them", file=sys.stderr)
            return
        if isinstance(exc, KilledWorker):
            reason = ("every Dask worker that took this submission died while grading it (Dask stopped "
                      "retrying it: KilledWorker); regrade it with grade-all --only, on one machine if it "
                      "happens again")
        else:
            reason = f"grading it on a Dask worker failed: {type(exc).__name__}: {exc}"
        again = self._submit(dask_failed_job, job, self.options, reason,
                             key=f"failed-{job.stem}-{self.run_id}")
        pending[again] = job

    def _stalled(self, waited: float, left: int) -> str:
        try:
            workers = self.client.scheduler_info(n_workers=-1)["workers"]
        except Exception:  # noqa: BLE001 - the scheduler itself may be gone
            workers = {}
        grading = [a for a, w in workers.items() if (w.get("resources") or {}).get(self.plugin.resource)]
        return (f"no student graded in the last {waited:.0f} s "
                f"(--progress-timeout {self.progress_timeout:g}): {left} still waiting; "
                f"{len(workers)} Dask worker(s) connected to {self.scheduler}, "
                f"{len(grading)} of them checked for this run. Stopping; the results already written are "
                "kept. Start (or fix) workers, then run the same command again to grade the rest")

    def close(self) -> None:
        try:
            self.client.unregister_worker_plugin(self.plugin.name)  # its teardown closes each grader
        except Exception:  # noqa: BLE001 - a worker that is gone has nothing left to close
            pass
        try:
            self.client.run(_close_grader)
        except Exception:  # noqa: BLE001
            pass
        self.client.close()
