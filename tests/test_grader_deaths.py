"""However the grader dies, nothing it started outlives it, and what it wrote stays valid.

``grade-all`` is killed with SIGTERM, SIGINT, SIGHUP and SIGKILL at each stage of a run: while it
starts (the fork server importing torch), while a probe runs student code (which has started a
child of its own), between two students, and while a crashed worker is being started again. After
each: no process the submissions started is alive, the fork server and its guardian are gone, no
cgroup of theirs is left, and every results file already written is whole. Container mode, where
no PID namespace or cgroup can do it, is killed in a probe with each signal too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT, as_from_a_terminal
from tests.grader.common import SOLUTION
from tests.sandbox_env import in_container

pytestmark = pytest.mark.slow

SIGNALS = {"SIGTERM": signal.SIGTERM, "SIGINT": signal.SIGINT, "SIGHUP": signal.SIGHUP, "SIGKILL": signal.SIGKILL}
EXIT_STATUS = {signal.SIGTERM: 143, signal.SIGINT: 130, signal.SIGHUP: 129, signal.SIGKILL: -9}


def _named(marker: str, body: str) -> str:
    """Student code that names its process (comm) with ``marker`` at import, then ``body``."""
    return SOLUTION + f"""

import ctypes as _ctypes, os as _os, time as _time
_ctypes.CDLL(None).prctl(15, b"{marker}", 0, 0, 0)
{body}
"""


def _slow_probe(marker: str) -> str:
    return _named(marker, f"""
def _slow_forward(self, x):
    if _os.fork() == 0:  # a child of its own, that would outlive the worker
        _ctypes.CDLL(None).prctl(15, b"{marker}c", 0, 0, 0)
        _time.sleep(300)
        _os._exit(0)
    _ctypes.CDLL(None).prctl(15, b"{marker}p", 0, 0, 0)
    _time.sleep(300)


SimpleRNN.forward = _slow_forward
""")


def _crashing_probe(marker: str) -> str:
    return _named(marker, """
_time.sleep(2)  # every worker, the first and each one started again after a crash, loads slowly


def _crashing_forward(self, x):
    _os._exit(3)


SimpleRNN.forward = _crashing_forward
""")


def _processes() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, comm, command line) of every live process."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
            comm = stat[stat.index(b"(") + 1:stat.rindex(b")")].decode(errors="replace")
            fields = stat[stat.rindex(b")") + 2:].split()
            if fields[0] == b"Z":
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        found[int(entry)] = (int(fields[1]), comm, cmdline)
    return found


def _descendants(root: int) -> set[int]:
    table, found, frontier = _processes(), set(), {root}
    while frontier:
        frontier = {pid for pid, (ppid, _, _) in table.items() if ppid in frontier} - found
        found |= frontier
    return found


def _marked(marker: str) -> list[str]:
    return [f"{pid} {comm}" for pid, (_, comm, _) in _processes().items() if comm.startswith(marker)]


def _wait_for(condition, timeout: float = 90.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return None


def _our_cgroups(pids: set[int]) -> list[str]:
    found = []
    for root, folders, _ in os.walk("/sys/fs/cgroup"):
        found += [os.path.join(root, f) for f in folders
                  if f.startswith("rnn-grader-") and f[len("rnn-grader-"):].split("-")[0] in {str(p) for p in pids}]
        if root.count("/") > 6:
            folders[:] = []
    return found


class Run:
    """One grade-all run over a small cohort, to be killed at a stage."""

    def __init__(self, base: Path, marker: str, students: dict[str, str], container: bool = False):
        self.base, self.marker, self.container = base, marker, container
        self.cohort, self.out = base / "cohort", base / "out"
        self.cohort.mkdir()
        for name, text in students.items():
            (self.cohort / f"{name}.py").write_text(text, encoding="utf-8")
        args = [sys.executable, "-m", "autograder", "grade-all", str(self.cohort), "--out", str(self.out),
                "--jobs", "1", "--no-quiz", "--no-feedback", "--skip-selftest", "--total-timeout", "200",
                "--check-timeout", "100", "--sandbox", "container" if container else "full"]
        argv = in_container(args, base) if container else args
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1"}
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True, preexec_fn=as_from_a_terminal)

    @property
    def grader(self) -> int | None:
        """The grade-all process itself (inside the container's wrappers, when there is one)."""
        if not self.container:
            return self.proc.pid
        for pid in [self.proc.pid, *sorted(_descendants(self.proc.pid))]:
            info = _processes().get(pid)
            if info and "autograder grade-all" in info[2] and "--skip-selftest" in info[2]:
                return pid
        return None

    def helpers(self) -> set[int]:
        """The fork server and its guardian (processes running the grader's zygote code)."""
        grader = self.grader
        table = _processes()
        return {pid for pid in _descendants(grader) if "autograder.sandbox.zygote" in table.get(pid, (0, "", ""))[2]} \
            if grader else set()

    def kill(self, signum: int) -> tuple[int, str]:
        grader = self.grader
        assert grader is not None
        os.kill(grader, signum)
        try:
            _, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.kill(grader, signal.SIGABRT)  # the faulthandler prints every thread's stack
            _, err = self.proc.communicate()
            raise AssertionError(f"the grader did not end within 60 s of {signum}: {err[-6000:]}") from None
        return self.proc.returncode, err


STAGES = ("start-up", "a probe", "between students", "a respawn")


@pytest.fixture
def base():
    folder = Path(tempfile.mkdtemp(prefix="rnn-deaths-", dir="/var/tmp"))
    os.chmod(folder, 0o700)
    yield folder
    subprocess.run(["rm", "-rf", str(folder)], check=False)


def _run_to(stage: str, base: Path, marker: str, container: bool = False) -> Run:
    if stage == "start-up":
        run = Run(base, marker, {"only": _slow_probe(marker)}, container)
        # the fork server has just been started: it (and the judge) are importing torch
        assert _wait_for(run.helpers, step=0.01), run.proc.stderr
    elif stage == "a probe":
        run = Run(base, marker, {"only": _slow_probe(marker)}, container)
        assert _wait_for(lambda: _marked(marker + "c") and _marked(marker + "p")), run.proc.stderr
    elif stage == "between students":
        run = Run(base, marker, {"a_first": SOLUTION, "b_second": _slow_probe(marker)}, container)
        assert _wait_for(lambda: (run.out / "a_first.json").exists(), step=0.01)
    else:
        run = Run(base, marker, {"only": _crashing_probe(marker)}, container)
        seen: set[int] = set()

        def second_worker():
            seen.update(int(p.split()[0]) for p in _marked(marker))
            return len(seen) >= 2

        assert _wait_for(second_worker, step=0.02), "no worker was started again after the crash"
    return run


def _assert_nothing_left(run: Run, helpers: set[int], marker: str) -> None:
    assert _wait_for(lambda: not _marked(marker), timeout=10), _marked(marker)
    assert _wait_for(lambda: not (helpers & set(_processes())), timeout=10), "fork server or guardian alive"
    assert _wait_for(lambda: not _our_cgroups(helpers), timeout=10), _our_cgroups(helpers)
    for path in run.out.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))  # whole: written atomically
        assert data["extra_data"]["status"] == "graded", path
    assert not list(run.out.glob(".results-*")), "a half-written results file was left"


@pytest.mark.parametrize("name", list(SIGNALS))
@pytest.mark.parametrize("stage", STAGES)
def test_a_killed_grader_leaves_nothing_running(base, stage, name):
    marker = "dth" + uuid.uuid4().hex[:6]
    run = _run_to(stage, base, marker)
    helpers = run.helpers()
    assert helpers, "no fork server found"
    status, err = run.kill(SIGNALS[name])
    assert status == EXIT_STATUS[SIGNALS[name]], (status, err[-2000:])
    _assert_nothing_left(run, helpers, marker)
    if stage == "between students":
        assert json.loads((run.out / "a_first.json").read_text())["score"] == 120
    if SIGNALS[name] != signal.SIGKILL and stage != "start-up":
        assert (run.out / "grades.csv").exists(), "grades.csv is written on the way out"


@pytest.mark.parametrize("name", list(SIGNALS))
def test_a_killed_grader_leaves_nothing_running_in_container_mode(base, name):
    marker = "dtc" + uuid.uuid4().hex[:6]
    run = _run_to("a probe", base, marker, container=True)
    helpers = run.helpers()
    assert helpers, "no fork server found"
    status, err = run.kill(SIGNALS[name])
    grader_status = EXIT_STATUS[SIGNALS[name]]
    assert status in (grader_status, 128 + SIGNALS[name]), (status, err[-2000:])  # through capsh's shell
    _assert_nothing_left(run, helpers, marker)
    assert not list(Path("/tmp").glob("rnn-grader-*")), "a scratch folder outlived the run"


def test_a_new_start_removes_the_cgroups_dead_fork_servers_left(tmp_path):
    from autograder.sandbox.cgroups import own_cgroups

    dead = 4_000_000 + os.getpid() % 1000  # above pid_max: never a live process
    made = []
    for controller in ("memory", "pids"):
        parent = Path("/sys/fs/cgroup") / controller / own_cgroups().get(controller, "/").lstrip("/")
        stale = parent / f"rnn-grader-{dead}"
        (stale / "w1").mkdir(parents=True)
        made.append(stale)
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(ROOT / "solutions" / "rnn.py"),
                           "--quiet", "--no-quiz"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert not [p for p in made if p.exists()], made


def test_the_kernel_clears_pdeathsig_on_a_uid_change_so_workers_set_it_after():
    """Proves the cause the review suspected: PR_SET_PDEATHSIG set before setresuid is gone after
    it (the worker outlives its parent); set again after the change, it holds. Workers set it
    after their last credential change (sandbox.confine)."""
    import ctypes
    import inspect

    from autograder.sandbox import confine

    libc = ctypes.CDLL(None)

    def outlives_parent(set_after_uid_change: bool) -> bool:
        read, write = os.pipe()
        middle = os.fork()
        if middle == 0:
            if os.fork() == 0:
                libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
                os.setresgid(2_000_000_999, 2_000_000_999, 2_000_000_999)
                os.setresuid(2_000_000_999, 2_000_000_999, 2_000_000_999)
                if set_after_uid_change:
                    libc.prctl(1, signal.SIGKILL)
                os.write(write, b"%d\n" % os.getpid())
                time.sleep(10)
                os._exit(0)
            time.sleep(0.3)
            os._exit(0)  # the parent dies
        child = int(os.read(read, 64))
        os.waitpid(middle, 0)
        time.sleep(0.5)
        try:
            with open(f"/proc/{child}/stat") as handle:
                alive = handle.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            alive = False
        if alive:
            os.kill(child, signal.SIGKILL)
        return alive

    assert outlives_parent(set_after_uid_change=False)
    assert not outlives_parent(set_after_uid_change=True)
    source = inspect.getsource(confine.confine)
    assert source.index("_drop_privileges(config.uid)") < source.rindex("_die_with_parent()")


def test_a_grader_started_under_nohup_keeps_grading_through_a_hangup(base):
    """`nohup python -m autograder grade-all ... &` and a closed terminal: the run goes on (the
    ignored SIGHUP it was started with stays ignored), and grades everyone."""
    cohort, out = base / "cohort", base / "out"
    cohort.mkdir()
    for name in ("a", "b"):
        (cohort / f"{name}.py").write_text(SOLUTION, encoding="utf-8")

    def like_nohup():
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade-all", str(cohort), "--out", str(out),
                             "--jobs", "1", "--no-quiz", "--no-feedback", "--skip-selftest"],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=like_nohup)
    helpers = _wait_for(lambda: {pid for pid in _descendants(proc.pid)
                                 if "autograder.sandbox.zygote" in _processes().get(pid, (0, "", ""))[2]},
                        step=0.01)
    assert helpers, proc.stderr
    os.killpg(proc.pid, signal.SIGHUP)  # the terminal closes: the whole session gets it
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    assert "2 graded" in err
    assert {json.loads(p.read_text())["score"] for p in out.glob("[ab].json")} == {120}
