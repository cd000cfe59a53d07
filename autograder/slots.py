"""Grading slots: where a cohort's submissions are graded, all at once.

A slot is one :class:`~autograder.judge.grader.Grader` (a judge and its fork
server, with a sandbox user of its own). ``grade-all`` hands every slot the
same options and the same seed, so every student of a run is judged on the
same inputs, wherever they are graded:

* :class:`LocalSlots`: ``--jobs N`` processes on this machine (N = 1 grades in
  this process);
* :class:`DaskSlots`: the workers of an existing Dask distributed cluster
  (``--scheduler tcp://HOST:8786``), each hosting its own grader from its own
  installed copy of the project; a worker whose copy differs from this one is
  refused, loudly. A worker that dies mid-run loses no student: Dask grades its
  students again elsewhere.

Submissions travel as bytes (:class:`~autograder.intake.Submission`); results
come back as the results dict, which the caller writes as it arrives.
"""

from __future__ import annotations

import atexit
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from . import paths
from .sandbox import linux


@dataclass
class Job:
    stem: str
    submission: object  # intake.Submission


def fingerprint() -> str:
    """The grader's identity: its version and every source file that can change a score."""
    from .judge.grader import VERSION

    digest = hashlib.sha256(VERSION.encode())
    for folder in ("judge", "worker", "sandbox"):
        for path in sorted((paths.PACKAGE_DIR / folder).rglob("*.py")):
            digest.update(path.relative_to(paths.PACKAGE_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    bank = paths.PACKAGE_DIR.parent / "quizzes" / "bank.toml"
    for path in (paths.PACKAGE_DIR / "wire.py", paths.SOLUTION_FILE, bank):
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


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


class DaskSlots:
    """The workers of an existing Dask cluster, each one a grading slot."""

    def __init__(self, options, scheduler: str, client=None):
        try:
            from distributed import Client
        except ImportError:
            raise WorkerRefused("--scheduler needs Dask: pip install 'dask[distributed]'") from None
        self.options = options
        self.client = client or Client(scheduler, timeout="30s")
        self.refused: dict[str, str] = {}
        mine = fingerprint()
        theirs = self.client.run(fingerprint)
        self.workers = sorted(address for address, print_ in theirs.items() if print_ == mine)
        for address, print_ in theirs.items():
            if print_ != mine:
                self.refused[address] = print_
        if not self.workers:
            raise WorkerRefused(f"no Dask worker at {scheduler} runs this grader (version {mine}); "
                                + ", ".join(f"{a} has {p}" for a, p in self.refused.items()))
        import sys

        for address, print_ in self.refused.items():
            print(f"REFUSED Dask worker {address}: it runs grader version {print_}, this is {mine} "
                  "(install the same copy of the project there); its students go to the others",
                  file=sys.stderr)
        self.facts: dict[str, dict] = {}
        started = self.client.map(start_grader, [options] * len(self.workers), workers=self.workers,
                                  pure=False, key=[f"start-grader-{i}" for i in range(len(self.workers))])
        for facts in self.client.gather(started):
            self.facts[str(facts["pid"])] = facts

    @property
    def isolation(self) -> dict:
        return next(iter(self.facts.values()))["isolation"]

    def run(self, jobs: Iterable[Job]) -> Iterator[tuple[str, dict]]:
        from distributed import as_completed

        futures = [self.client.submit(grade_job, job, self.options, workers=self.workers,
                                      allow_other_workers=False, pure=False, retries=3,
                                      key=f"grade-{job.stem}-{os.urandom(4).hex()}")
                   for job in jobs]
        try:
            for future in as_completed(futures):
                stem, data, facts = future.result()
                self.facts[str(facts["pid"])] = facts
                yield stem, data
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        try:
            self.client.run(_close_grader)
        except Exception:  # noqa: BLE001 - a worker that is gone has nothing left to close
            pass
        self.client.close()

