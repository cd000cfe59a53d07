"""The grading core: a submission in, a judged grade out (no files written here).

:class:`Grader` owns one fork server (started before the reference is loaded,
from a fresh interpreter), this run's plan and the judge's expectations. For
each submission it starts a sandboxed worker, asks the probes
(:mod:`.schedule`), runs the hidden checks (:mod:`.runner`) and scores the
quiz answers the worker parsed before any student code ran.

Fail closed: the sandbox mode is settled once at start (the first of the
requested modes whose every measure verifies in a trial worker); a worker that
later cannot verify a measure is refused, and its submission is reported
``not_run`` with the reason and flagged for regrade, never run weaker.
"""

from __future__ import annotations

import os
import queue
import time
import traceback
from dataclasses import dataclass, field

from .. import paths, results_schema, wire
from ..intake import Submission
from ..sandbox import modes
from ..sandbox.modes import SandboxUnavailable, WorkerConfig
from ..sandbox.session import Limits, Session
from . import catalogue as catalogue_module
from .runner import Outcome, Runner

VERSION = "2.0"


class GraderBroken(SandboxUnavailable):
    """The grader's own code fails before any student is graded (a broken install): nothing runs.
    A kind of SandboxUnavailable so that every command refuses it the same way (exit status 2)."""


@dataclass
class Options:
    """What changes how a submission is graded (and so is part of the resume key)."""

    sandbox: list[str] = field(default_factory=lambda: [modes.FULL])  # preference order
    unconfined: bool = False
    limits: Limits = field(default_factory=Limits)
    part2: bool = True
    quiz: bool = True
    seed: int | None = None
    uid_base: int | None = None
    hidden: list[str] = field(default_factory=list)  # paths student code must not see (cohort, results)
    selftest: str = "not run"  # "passed" when grade-all's self-test ran first, "skipped" with --skip-selftest
    notebooks: bool = True  # the run may hold notebooks: the fork server warms up IPython (speed only)
    plots: bool = True  # the run's code may import matplotlib: the fork server does first (speed only)

    def key(self) -> dict:
        """Every option that changes what a result means (grade-all's resume key): the parts, the
        quiz scheme, the grader, every limit, the seed and the sandbox modes accepted. The mode a
        result was graded in must also be one of :meth:`accepted_modes` to be reused."""
        from dataclasses import asdict

        from quizzes.scoring import DEFAULT_SCHEME

        return {"part2": self.part2, "quiz": self.quiz, "quiz_scheme": DEFAULT_SCHEME,
                "grader_version": VERSION, "limits": asdict(self.limits), "seed": self.seed,
                "sandbox": self.accepted_modes(), "selftest": self.selftest != "skipped"}

    def accepted_modes(self) -> list[str]:
        """The sandbox modes a result may have been graded in: --unconfined accepts only itself."""
        return [modes.UNCONFINED] if self.unconfined else list(self.sandbox)


@dataclass
class Grade:
    status: str
    outcomes: list[Outcome]
    quiz_tests: list[dict]
    seconds: float
    isolation: dict
    reason: str | None = None  # why it was not graded (status not "graded")
    notes: list[str] = field(default_factory=list)
    cells: list[dict] = field(default_factory=list)
    printed: str = ""
    printed_dropped: int = 0
    processes_killed: int = 0
    peak_memory: int | None = None
    loss_curve: dict | None = None
    grader_errors: list[str] = field(default_factory=list)


def hidden_paths(extra: list[str]) -> list[str]:
    """What student code must never see: the project, its packages, and the run's own paths."""
    import quizzes

    found = [paths.PROJECT_ROOT, paths.PACKAGE_DIR, os.path.dirname(quizzes.__file__),
             paths.SOLUTION_FILE.parent, *extra]
    return list(dict.fromkeys(os.path.realpath(str(p)) for p in found if p))


class Grader:
    """Grades submissions with one fork server, ``slots`` at a time (thread-safe).

    Each slot has a sandbox user of its own (so one student's processes can neither
    signal nor exhaust another's), and every worker its own PID namespace and cgroup.
    """

    def __init__(self, options: Options | None = None, accelerators: list[str] | None = None, slots: int = 1):
        from ..sandbox.uids import UidClaim
        from ..sandbox.zygote import Zygote
        from . import reference as reference_module

        self.options = options or Options()
        reference_module.ensure_present()  # checks the file only; nothing is loaded yet
        self.hidden = hidden_paths(self.options.hidden)
        self.claims = [UidClaim(self.options.uid_base or 2_000_000_000) for _ in range(max(1, slots))] \
            if os.geteuid() == 0 else []
        self._free = queue.SimpleQueue()
        for slot in range(max(1, slots)):
            self._free.put(slot)
        requested = [modes.UNCONFINED] if self.options.unconfined else self.options.sandbox
        self.zygote, self.mode, problems = None, None, []
        self.measures: list[str] = []
        # The fork server pays for torch's import in its own process; meanwhile this one loads the
        # reference, draws the run's inputs and computes its expectations (two cores, both busy).
        first = Zygote(requested[0], notebooks=self.options.notebooks, plots=self.options.plots)
        import torch  # only now: the fork server is already importing its own

        from .expect import Expectations
        from .plan import build as build_plan

        torch.set_num_threads(1)  # one slot, one core: two threads on a shared core crawl
        try:
            self.accelerators = (catalogue_module.available_accelerators() if accelerators is None
                                 else accelerators)
            self.reference = reference_module.load()
            self.plan = build_plan(self.reference.make_dataset, self.options.seed)
            self.expected = Expectations(self.plan, self.reference)
            self.expected.warm_up(self.options.part2)
            self.catalogue = catalogue_module.catalogue(self.accelerators, self.options.part2)
            for mode in requested:
                zygote = first if mode == requested[0] else Zygote(mode, notebooks=self.options.notebooks,
                                                                     plots=self.options.plots)
                problem = "; ".join(zygote.handshake.problems) or self._trial(zygote, mode)
                if not problem:
                    self.zygote, self.mode = zygote, mode
                    break
                zygote.close()
                problems.append(f"{mode}: {problem}")
            if self.zygote is None:
                raise SandboxUnavailable(_unavailable(problems))
            self.passed_over = problems  # modes preferred to the one in force, and why they were not used
        except BaseException:
            first.close()
            self.close()
            raise

    # --- start-up ---------------------------------------------------------------------------------

    def config(self, mode: str | None = None, zygote=None, slot: int = 0) -> WorkerConfig:
        limits = self.options.limits
        mode = mode or self.mode
        hidden = self.hidden
        if mode == modes.FULL:
            # The new root holds only Python and system folders, and the worker checks that nothing
            # else exists there: it is told only of our paths that lie inside those folders (a
            # non-editable install), so the cohort's and the grader's paths never enter its memory.
            roots = (zygote or self.zygote).handshake.python_roots
            hidden = [p for p in hidden if any(p == r or p.startswith(r.rstrip("/") + "/") for r in roots)]
        elif mode == modes.CONTAINER:
            hidden = []  # checked by the judge as each sandbox user (_hidden_from_students): never told
        return WorkerConfig(
            mode=mode, uid=self.claims[slot].uid if self.claims else os.getuid(),
            memory_bytes=limits.memory_bytes, cpu_seconds=int(limits.total_timeout_s) + 5,
            file_size_bytes=limits.file_size_bytes, max_processes=limits.max_processes,
            scratch_bytes=limits.scratch_bytes, hidden=hidden,
            devices=_accelerator_devices(self.accelerators), cap_address_space=not self.accelerators)

    def _trial(self, zygote, mode: str) -> str:
        """Start one worker on an empty submission: '' when every measure of the mode verified."""
        empty = wire.encode_submission(wire.KIND_PY, {wire.STUDENT_FILE: b""})
        session = Session(zygote, self.config(mode, zygote), empty, self.options.limits)
        try:
            opening = session.start()
        finally:
            session.close()
        if opening.ready:
            problem = self._hidden_from_students(zygote) if mode == modes.CONTAINER else ""
            if problem:
                return (f"{problem} (missing: grader files hidden); "
                        f"to fix: {modes.FIXES['grader files hidden']}")
            self.measures = [*opening.measures, *(["grader files hidden (tried as each sandbox user)"]
                                                  if mode == modes.CONTAINER else [])]
            return ""
        if opening.refused:
            fixes = [modes.FIXES[m].replace(f", or use --sandbox {mode}", "")
                     .replace(f", or choose --sandbox {mode}", "")
                     for m in opening.refused if m in modes.FIXES]
            return f"{opening.refusal} (missing: {', '.join(opening.refused)})" + (
                f"; to fix: {'; '.join(dict.fromkeys(fixes))}" if fixes else "")
        if opening.grader_fault:  # not the sandbox: our own code, and it would fail every student
            raise GraderBroken(f"cannot grade: the grader's own code failed in its trial worker "
                               f"({opening.grader_fault}). Nothing was run. Check this installation with "
                               "`python -m autograder selftest`.")
        return f"the trial worker failed: {opening.load_error}"

    def _hidden_from_students(self, zygote) -> str:
        """Container mode: '' when no sandbox user of this run can read the grader's folders (the
        project, the cohort, the results), tried as each of them; else what they can read."""
        from ..sandbox.confine import SYS_KEEP, SYSTEM_ROOTS
        from ..sandbox.hidden_check import exposed_to

        roots = zygote.handshake.python_roots
        read_only = [*roots, *SYSTEM_ROOTS, "/proc", *SYS_KEEP]
        for uid in [c.uid for c in self.claims] or [os.getuid()]:
            try:
                exposed, _ = exposed_to(uid, self.hidden, read_only, roots)
            except OSError as exc:
                return f"the grader's folders could not be checked ({exc.strerror or exc})"
            if exposed:
                return f"readable by student code: {', '.join(exposed[:4])}"
        return ""

    @property
    def isolation(self) -> dict:
        found = {"mode": self.mode, "measures": list(self.measures)}
        if getattr(self, "passed_over", None):
            found["passed_over"] = list(self.passed_over)
        return found

    # --- grading ---------------------------------------------------------------------------------

    def grade(self, submission: Submission) -> Grade:
        """Grade one submission in the first free slot (waits for one)."""
        slot = self._free.get()
        try:
            return self._graded(submission, slot)
        finally:
            self._free.put(slot)

    def _graded(self, submission: Submission, slot: int) -> Grade:
        started = time.monotonic()
        try:
            grade = self._grade(submission, started, slot)
        except Exception as exc:  # noqa: BLE001 - a grader fault is this submission's, and is reported
            grade = self.failed(exc, started)
        grade.seconds = time.monotonic() - started
        return grade

    def failed(self, exc: BaseException, started: float | None = None) -> Grade:
        """The grade of a submission the grader itself failed on (in this process): flagged for a regrade."""
        where = traceback.extract_tb(exc.__traceback__)
        return self.faulted([f"judge: {type(exc).__name__}: {exc} [{where[-1].name if where else '?'}]"],
                            time.monotonic() if started is None else started)

    def faulted(self, faults: list[str], started: float) -> Grade:
        """The grade of a submission the grader's own code failed on, anywhere (judge, probes,
        loader, shell): ``grader_error``, flagged for a regrade, never a score."""
        grade = self._nothing(results_schema.GRADER_ERROR, started,
                              "not graded yet: the grader itself failed on this submission; your "
                              "instructor has been told and will regrade it once it is fixed")
        grade.grader_errors = list(faults)
        grade.reason = f"grader failure: {faults[0]}" + (f" (and {len(faults) - 1} more)" if len(faults) > 1
                                                         else "")
        return grade

    def _nothing(self, status: str, started: float, message: str, quiz_sheet: dict | None = None) -> Grade:
        outcomes = [Outcome(c, False, message) for c in self.catalogue]
        return Grade(status=status, outcomes=outcomes, quiz_tests=self._quiz(quiz_sheet),
                     seconds=time.monotonic() - started, isolation=self.isolation, reason=None)

    def _grade(self, submission: Submission, started: float, slot: int = 0) -> Grade:
        if submission.problem:
            grade = self._nothing(results_schema.GRADED, started, submission.problem)
            grade.notes = list(submission.notes)
            return grade
        session = Session(self.zygote, self.config(slot=slot), submission.payload(), self.options.limits)
        try:
            opening = session.start()
            if not opening.confined:  # no student code ran; what the worker printed says why
                grade = self._nothing(results_schema.NOT_RUN, started,
                                      "not graded yet: the sandbox could not be set up for this submission; "
                                      "your instructor has been told and will regrade it")
                grade.reason = f"sandbox refused: {opening.refusal} (missing: {', '.join(opening.refused)})"
            else:
                grade = self._judge_opened(session, submission, opening)
                faults = [*session.grader_faults, *grade.grader_errors]
                if faults:  # ours, wherever it arose: never a score
                    notes, cells = grade.notes, grade.cells
                    grade = self.faulted(list(dict.fromkeys(faults)), started)
                    grade.notes, grade.cells = notes, cells
        finally:
            session.close()
        grade.printed, grade.printed_dropped = session.printed()
        grade.processes_killed, grade.peak_memory = session.killed, session.peak_memory
        if session.limit == "disk":
            grade.notes.append(f"the submission was stopped: {session.stopped_for()} (--scratch-mb)")
        elif session.oom or session.limit == "memory":
            grade.notes.append("the submission ran out of memory "
                               f"(limit {self.options.limits.memory_bytes >> 20} MiB for all its processes)")
        return grade

    def _judge_opened(self, session: Session, submission: Submission, opening) -> Grade:
        """Judge a submission whose worker started confined."""
        intake = wire.mapping(opening.intake)
        notes = [*submission.notes, *[wire.text(n, 400) for n in wire.sequence(intake.get("notes"), 20)]]
        sheet = intake.get("quiz") if isinstance(intake.get("quiz"), dict) else None
        cells = [_cell(c) for c in opening.cells]
        cell_errors = [c["message"] for c in cells if c["status"] == "error"]
        load_problem = None
        if intake.get("unreadable"):
            load_problem = wire.text(intake.get("unreadable"), 400)
        elif not opening.ready:
            where = "the notebook" if submission.kind == wire.KIND_NOTEBOOK else wire.STUDENT_FILE
            from .context import describe_error

            load_problem = f"{where} could not be loaded: {describe_error(opening.load_error)}"
        grade = self._judge(session, load_problem, cell_errors)
        grade.quiz_tests = self._quiz(sheet)
        grade.notes = notes + [c["message"] for c in cells if c["status"] == "error"][:12]
        grade.cells = cells
        return grade

    def _judge(self, session: Session, load_problem: str | None, cell_errors: list[str]) -> Grade:
        from . import schedule
        from .context import Context

        if load_problem is None:
            observed = schedule.run(session.ask, self.plan, self.expected, self.accelerators,
                                    self.options.part2)
        else:
            observed = schedule.Observed()
        ctx = Context(observed, self.plan, self.expected, load_problem, cell_errors)
        runner = Runner(ctx, self.catalogue)
        outcomes = runner.run()
        grade = Grade(status=results_schema.GRADED, outcomes=outcomes, quiz_tests=[], seconds=0.0,
                      isolation=self.isolation, grader_errors=list(runner.faults))
        grade.loss_curve = self._loss_curve(observed)
        return grade

    def _loss_curve(self, observed) -> dict | None:
        result = observed.results.get(wire.END_TO_END)
        try:
            reference = [float(v) for v in self.expected.end_to_end()]
        except Exception:  # noqa: BLE001 - the plot is a courtesy; never let it cost a grade
            return None
        student = None
        if result is not None and result.ok:
            values = wire.sequence(result.info.get("losses"), 1000)
            student = [wire.number(v) for v in values] if values else None
        return {"student": student, "reference": reference}

    def _quiz(self, sheet: dict | None) -> list[dict]:
        if not self.options.quiz:
            return []
        from ..quiz_link import quiz_tests

        return quiz_tests(sheet)

    def close(self) -> None:
        if getattr(self, "zygote", None) is not None:
            self.zygote.close()
            self.zygote = None
        for claim in getattr(self, "claims", []):
            claim.close()
        self.claims = []


def _cell(value) -> dict:
    entry = wire.mapping(value)
    number = wire.integer(entry.get("cell"))
    status = entry.get("status") if entry.get("status") in ("ok", "error") else "error"
    return {"cell": number, "status": status, "message": wire.text(entry.get("message"), 400)}


def _accelerator_devices(accelerators: list[str]) -> list[str]:
    import glob

    if "cuda" not in accelerators:
        return []
    return sorted(glob.glob("/dev/nvidia*")) + (["/dev/dri"] if os.path.exists("/dev/dri") else [])


def _unavailable(problems: list[str]) -> str:
    return ("cannot grade: no sandbox mode can be used here.\n  " + "\n  ".join(problems)
            + "\nNothing was run. To grade code you trust without a sandbox, pass --unconfined.")
