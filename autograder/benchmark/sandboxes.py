"""Section 5: the fork server against bubblewrap, per student, at start-up and against attacks."""

from __future__ import annotations

import copy
import dataclasses
import os
import shutil
import signal
import socket
import tempfile
import time
import uuid
from pathlib import Path

from .. import paths
from .bwrap import BwrapServer, _proc_table, bwrap_binary, bwrap_problem
from .timing import median, progress, summary

# The attack snippets are the test suite's own corpus: data read from a clone, never imported.
ATTACK_DIR = paths.PROJECT_ROOT / "tests" / "corpus" / "attacks"
ATTACKS = {  # attack -> the base it is appended to (as tests/grader/test_attacks.py does)
    "read_reference": "stubs",
    "network": "solution",
    "fork_chain": "solution",
    "memory_scan": "solution",
    "privileged_actions": "solution",
}
PHASES = ("to spawned", "to confined", "to intake", "to ready", "start (all)", "probes", "stop",
          "judge and the rest")


class Arena:
    """What the attacks aim at: a cohort with a classmate, a root-only file, a listening port."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="rnn-bench-attacks-", dir="/var/tmp"))
        os.chmod(self.base, 0o755)
        self.marker = "bk" + uuid.uuid4().hex[:8]
        self.cohort = self.base / f"cohort-{self.marker}"
        self.cohort.mkdir()
        self.out = self.base / "out"
        self.out.mkdir()
        self.canaries = self.base / "canaries"
        self.canaries.mkdir()
        os.chmod(self.canaries, 0o777)
        self.classmate = f"classmate-{self.marker}"
        (self.cohort / self.classmate).mkdir()
        (self.cohort / self.classmate / "rnn.py").write_bytes(paths.SOLUTION_FILE.read_bytes())
        self.root_canary = self.base / "root-canary"
        self.root_canary.write_text("root only")
        os.chmod(self.root_canary, 0o600)
        self.canary_state = self._canary()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]

    def _canary(self) -> tuple:
        info = os.lstat(self.root_canary)
        return info.st_uid, info.st_mode, self.root_canary.read_text()

    def submission(self, name: str, mechanism: str) -> Path:
        base = (paths.EXERCISE_FILE if ATTACKS[name] == "stubs" else paths.SOLUTION_FILE).read_text()
        snippet = (ATTACK_DIR / f"{name}.py").read_text()
        values = {"@@CANARY@@": str(self.canaries / name), "@@MARKER@@": self.process_name(name),
                  "@@PORT@@": str(self.port), "@@ROOT@@": str(paths.PROJECT_ROOT),
                  "@@ROOT_CANARY@@": str(self.root_canary), "@@CWD@@": str(self.base),
                  "@@OUT@@": str(self.out), "@@RESULTS@@": str(self.out / "unused.json"),
                  "@@SOCKET@@": str(self.base / "no.sock"), "@@SECRET@@": "not-a-secret",
                  "@@CLASSMATE_A@@": self.classmate[:10], "@@CLASSMATE_B@@": self.classmate[10:],
                  "@@COHORT_A@@": self.cohort.name[:8], "@@COHORT_B@@": self.cohort.name[8:]}
        for key, value in values.items():
            snippet = snippet.replace(key, value)
        path = self.cohort / f"{name}-{mechanism}.py"
        path.write_text(base.rstrip() + "\n\n\n# --- attack ---\n" + snippet + "\n", encoding="utf-8")
        return path

    def process_name(self, name: str) -> str:
        return f"{self.marker}{name[:4]}"

    def accepted(self) -> int:
        count = 0
        while True:
            try:
                conn, _ = self.listener.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def survivors(self, name: str) -> list[int]:
        wanted = self.process_name(name)[:15]
        return [pid for pid, (_, _, state, comm) in _proc_table().items() if comm == wanted and state != "Z"]

    def verdict(self, name: str, grade, stub_score: float) -> tuple[str, str]:
        """("contained" | "NOT CONTAINED" | "did not run", what was seen) for one attack's run.

        An attack counts only when it ran: its own lines are in what the worker printed."""
        printed = grade.printed
        lines = printed.splitlines()
        score = sum(o.check.points for o in grade.outcomes if o.passed)
        if name == "read_reference":
            ran = any(x.startswith(("no ", "READ-REFERENCE")) for x in lines)
            read = "READ-REFERENCE" in printed
            held = not read and score <= stub_score
            seen = "read the reference" if read else f"nothing read; score {score:g} (stubs {stub_score:g})"
        elif name == "network":
            ran = any(x.startswith(("no network", "CONNECTED")) for x in lines)
            accepted = self.accepted()
            held = not accepted and "CONNECTED" not in printed
            seen = f"{accepted} connection(s) reached the host's port"
        elif name == "fork_chain":
            ran = grade.processes_killed > 0
            time.sleep(0.5)
            left = self.survivors(name)
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            held = not left
            seen = f"{grade.processes_killed} killed with the worker, {len(left)} outlived it"
        elif name == "memory_scan":
            line = next((x for x in lines if x.startswith("MEMORY-SCAN")), "")
            ran, held, seen = bool(line), line == "MEMORY-SCAN clean", line or "no MEMORY-SCAN line"
        elif name == "privileged_actions":
            ran = any(x.startswith(("refused ", "PRIVILEGED ")) for x in lines)
            worked = [x.split()[1] for x in lines if x.startswith("PRIVILEGED ")]
            intact = self._canary() == self.canary_state and not Path("/etc/rnn-owned").exists()
            held = not worked and intact
            seen = ("worked: " + ", ".join(worked) if worked else "every attempt refused") \
                + ("" if intact else "; host files changed")
            status = next((x for x in lines if x.startswith("['Uid")), "")
            seen += f" {status}" if status else ""
        else:
            raise KeyError(name)
        if grade.status != "graded" or not ran:
            return "did not run", f"{grade.status}: {grade.reason or 'no sign of the attack in its output'}"
        return ("contained" if held else "NOT CONTAINED"), seen

    def close(self) -> None:
        self.listener.close()
        shutil.rmtree(self.base, ignore_errors=True)


def timed_session_class():
    """A Session that records the phases of each student: spawn, confined, intake, ready, probes, stop."""
    from ..sandbox.session import Session

    class TimedSession(Session):
        phases: dict[str, float] = {}

        def _add(self, key: str, value: float) -> None:
            TimedSession.phases[key] = TimedSession.phases.get(key, 0.0) + value

        def start(self):
            started = time.perf_counter()
            self._events = [("start", started)]
            spawn = self.zygote.spawn

            def timed_spawn(*args, **kwargs):
                try:
                    return spawn(*args, **kwargs)
                finally:
                    self._events.append(("spawned", time.perf_counter()))

            self.zygote.spawn = timed_spawn
            try:
                opening = super().start()
            finally:
                del self.zygote.spawn
            previous = started
            for event, moment in self._events[1:]:
                self._add(f"to {event}", moment - previous)
                previous = moment
            self._add("start (all)", time.perf_counter() - started)
            return opening

        def _event(self, deadline):
            message = super()._event(deadline)
            self._events.append((str(message.get("event")), time.perf_counter()))
            return message

        def ask(self, *args, **kwargs):
            started = time.perf_counter()
            before = TimedSession.phases.get("start (all)", 0.0) + TimedSession.phases.get("stop", 0.0)
            result = super().ask(*args, **kwargs)
            after = TimedSession.phases.get("start (all)", 0.0) + TimedSession.phases.get("stop", 0.0)
            self._add("probes", time.perf_counter() - started - (after - before))
            return result

        def stop(self):
            started = time.perf_counter()
            super().stop()
            self._add("stop", time.perf_counter() - started)

    return TimedSession


def run_sandboxes(args, runs: int) -> dict:
    """Section 5: the fork server against bwrap, per student, at start-up and against attacks."""
    from .. import feedback, intake, results
    from ..judge import grader as grader_module
    from ..sandbox import modes
    from ..sandbox.modes import SandboxUnavailable
    from ..sandbox.zygote import Zygote

    progress("section 5: sandbox mechanisms (fork server against bwrap)")
    bwrap = bwrap_binary()
    skip_bwrap = bwrap_problem(bwrap)
    arena = Arena()
    options = grader_module.Options(hidden=[str(arena.cohort), str(arena.out)])
    grader = None
    bwrap_server = None
    TimedSession = timed_session_class()
    original = grader_module.Session
    grader_module.Session = TimedSession
    try:
        started = time.perf_counter()
        try:
            grader = grader_module.Grader(options)
        except SandboxUnavailable:
            options.sandbox = [modes.FULL, modes.CONTAINER]
            options.unconfined = True
            grader = grader_module.Grader(options)
        grader_start = time.perf_counter() - started
        mechanisms = {"fork_server": grader}
        if skip_bwrap is None:
            bwrap_server = BwrapServer(bwrap, options.limits.scratch_bytes, options.limits.max_processes)
            boxed = copy.copy(grader)
            boxed.zygote, boxed.mode = bwrap_server, modes.UNCONFINED
            boxed.measures = list(bwrap_server.handshake.measures)
            boxed.options = dataclasses.replace(options, limits=dataclasses.replace(
                options.limits, confine_timeout_s=180.0, import_timeout_s=180.0))
            mechanisms["bwrap"] = boxed
        solution = intake.load(paths.SOLUTION_FILE, name="solution")
        stubs = intake.load(paths.EXERCISE_FILE, name="stubs")
        per_student: dict[str, list[float]] = {m: [] for m in mechanisms}
        phases: dict[str, list[dict]] = {m: [] for m in mechanisms}
        scores: dict[str, set] = {m: set() for m in mechanisms}
        server_start: list[float] = []
        server_close: list[float] = []
        judge_side: list[float] = []
        feedback_dir = Path(arena.out, "feedback")
        feedback_dir.mkdir()

        def grade(mechanism: str, submission):
            TimedSession.phases = {}
            grade = mechanisms[mechanism].grade(submission)
            return grade, dict(TimedSession.phases)

        for mechanism in mechanisms:  # warm both once
            grade(mechanism, solution)
        for run in range(runs):
            started = time.perf_counter()
            zygote = Zygote(grader.mode)
            zygote.handshake  # noqa: B018 - waits for the fork server's start-up (torch's import)
            server_start.append(time.perf_counter() - started)
            started = time.perf_counter()
            zygote.close()
            server_close.append(time.perf_counter() - started)
            for mechanism in mechanisms:
                started = time.perf_counter()
                result, spent = grade(mechanism, solution)
                per_student[mechanism].append(time.perf_counter() - started)
                spent["judge and the rest"] = per_student[mechanism][-1] - sum(
                    spent.get(k, 0.0) for k in ("start (all)", "probes", "stop"))
                phases[mechanism].append(spent)
                scores[mechanism].add(sum(o.check.points for o in result.outcomes if o.passed))
                if mechanism == "fork_server":  # what grade-all adds per student in the judge
                    started = time.perf_counter()
                    data = results.build(result, solution, options, grader.plan.seed)
                    feedback.write_student(data, feedback_dir, f"s{run}")
                    judge_side.append(time.perf_counter() - started)
            progress(f"  run {run + 1}/{runs}: "
                     + ", ".join(f"{m} {per_student[m][-1]:.2f} s" for m in mechanisms))
        stub_score = sum(o.check.points for o in grade("fork_server", stubs)[0].outcomes if o.passed)
        attacks: dict[str, dict] = {}
        tried = ATTACKS if all((ATTACK_DIR / f"{name}.py").is_file() for name in ATTACKS) else {}
        for name in tried:
            attacks[name] = {}
            for mechanism in mechanisms:
                submission = intake.load(arena.submission(name, mechanism), name=name)
                result, _ = grade(mechanism, submission)
                verdict, seen = arena.verdict(name, result, stub_score)
                attacks[name][mechanism] = {"verdict": verdict, "seen": seen,
                                            "printed": result.printed[-1500:]}
            progress(f"  attack {name}: "
                     + ", ".join(f"{m} {a['verdict']}" for m, a in attacks[name].items()))
        section: dict = {}
        for mechanism in mechanisms:
            keys = [k for k in PHASES if any(k in p for p in phases[mechanism])]
            entry = {
                "per_student": summary(per_student[mechanism]),
                "phases_median_s": {k: round(median([p.get(k, 0.0) for p in phases[mechanism]]), 4)
                                    for k in keys},
                "attacks_contained": sum(a[mechanism]["verdict"] == "contained" for a in attacks.values()),
                "attacks_tried": len(attacks), "score": sorted(scores[mechanism]),
                "measures": list(mechanisms[mechanism].measures),
            }
            if mechanism == "fork_server":
                entry.update(mode=grader.mode, grader_start_s=round(grader_start, 3),
                             one_off_start=summary(server_start), one_off_close=summary(server_close),
                             judge_side_per_student=summary(judge_side))
                entry["worker_start_s"] = entry["phases_median_s"].get("start (all)")
            else:
                entry.update(mode="bwrap (fresh interpreter per worker)", bwrap=bwrap,
                             one_off_start={"median_s": 0.0, "runs_s": []},
                             escaped_processes=bwrap_server.escaped,
                             uid=bwrap_server.uid, argv=bwrap_server.argv[:bwrap_server.argv.index("--")])
                entry["worker_start_s"] = entry["phases_median_s"].get("start (all)")
            section[mechanism] = entry
        if skip_bwrap is not None:
            section["bwrap"] = {"skipped": skip_bwrap}
        section["attacks"] = attacks
        if not tried:
            section["attacks_skipped"] = f"no attack corpus at {ATTACK_DIR} (run the benchmark from a clone)"
        section["same_score"] = len(set().union(*scores.values())) == 1
        return section
    finally:
        grader_module.Session = original
        if bwrap_server is not None:
            bwrap_server.close()
        if grader is not None:
            grader.close()
        arena.close()

