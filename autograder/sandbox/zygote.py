"""The fork server: a fresh interpreter that has paid for ``import torch`` and knows nothing else.

The judge starts it with ``exec`` (not ``fork``), with an empty argument list,
the fixed environment of :data:`modes.ENVIRONMENT` and no inherited file
descriptor but its control socket, so its memory holds no grader state, no
roster, no path of the cohort, no secret from the grader's environment. It
imports torch and the worker's own code (never the judge, the reference, the
hidden checks or the quiz key), then forks one worker per request.

Workers are forked with everything prepared beforehand by this process, as
root, on things no student has touched: in ``full`` mode a new PID namespace
(the child is its PID 1, so its death takes every process in it) and a new
cgroup; in ``container`` mode a fresh scratch folder. A worker is killed
through its PID namespace and cgroup (``full``) or by its own uid, with a
``kill(-1)`` issued as that uid (``container``), neither of which a process
can outrun by forking. The server is a child subreaper, so orphans come back
to it and are reaped.

Protocol on the control socket: one JSON object per message, file descriptors
alongside with SCM_RIGHTS. Requests: ``spawn`` (config, fds: request,
response, output, submission), ``kill`` (worker), ``exit``.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from . import cleanup, linux
from .guardian import Guardian
from .modes import CONTAINER, ENVIRONMENT, FULL, UNCONFINED, SandboxUnavailable, WorkerConfig

MAX_MESSAGE = 1 << 20
ANSWER_TIMEOUT_S = 300.0  # start-up (torch's import on a loaded machine) or one request, at the most
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from autograder.sandbox.zygote import serve; serve()")
# Modules that must never be in a worker's memory (they hold answers or the key).
FORBIDDEN_MODULES = ("autograder.judge", "autograder.reference", "quizzes.bank", "quizzes.scoring",
                     "rnn_reference")


# --- the judge's side --------------------------------------------------------------------


@dataclass
class Handshake:
    mode: str
    python_roots: list[str]
    measures: list[str]
    problems: list[str]


class ZygoteDied(RuntimeError):
    """The fork server stopped answering."""


class ZygoteRefused(RuntimeError):
    """The fork server could not prepare a worker's confinement (``missing`` names the measures)."""

    def __init__(self, message: str, missing: list[str]):
        super().__init__(message)
        self.missing = missing


class Zygote:
    """The judge's handle on its fork server. Thread-safe."""

    def __init__(self, mode: str, scratch_parent: str | None = None, notebooks: bool = True,
                 plots: bool = True):
        """``notebooks``: warm up IPython and the notebook shell too (about 0.3 s), for runs that
        grade notebooks; ``plots``: matplotlib (about 0.4 s), for runs whose code may plot.
        Without them a submission still runs, its worker importing what it uses itself."""
        from .. import paths

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # The settings travel over the socket, not on the command line (which /proc shows).
        settings = {"mode": mode, "scratch_parent": scratch_parent or tempfile.gettempdir(),
                    "notebooks": bool(notebooks), "plots": bool(plots)}
        self.process = subprocess.Popen(
            [sys.executable, "-s", "-c", _BOOT, str(paths.PACKAGE_DIR.parent)],
            env=dict(ENVIRONMENT), cwd="/", stdin=theirs.fileno(), close_fds=True)
        theirs.close()
        ours.settimeout(ANSWER_TIMEOUT_S)  # the judge never waits on its fork server without end either
        self.sock = ours
        ours.sendall(json.dumps(settings).encode())
        self._lock = threading.Lock()
        self._mode = mode
        self._handshake: Handshake | None = None

    @property
    def handshake(self) -> Handshake:
        """The server's first message: waits for its start-up (torch's import) the first time."""
        if self._handshake is None:
            reply, _ = self._receive()
            self._handshake = Handshake(reply.get("mode", self._mode), reply.get("python_roots", []),
                                        reply.get("measures", []), reply.get("problems", []))
        return self._handshake

    def _receive(self) -> tuple[dict, list[int]]:
        try:
            data, fds, _, _ = socket.recv_fds(self.sock, MAX_MESSAGE, 8)
        except TimeoutError:
            raise ZygoteDied(f"the sandbox's fork server did not answer within {ANSWER_TIMEOUT_S:g} s") \
                from None
        if not data:
            raise ZygoteDied("the sandbox's fork server stopped (see the messages above)")
        return json.loads(data), fds

    def _call(self, message: dict, fds: list[int] | None = None) -> dict:
        self.handshake  # noqa: B018 - the start-up message comes first
        with self._lock:
            data = json.dumps(message).encode()
            try:
                if fds:
                    socket.send_fds(self.sock, [data], fds)
                else:
                    self.sock.sendall(data)
                reply, _ = self._receive()
            except OSError as exc:
                raise ZygoteDied(f"the sandbox's fork server stopped ({exc})") from None
        if "refused" in reply:
            raise ZygoteRefused(str(reply["refused"]), [str(m) for m in reply.get("missing", [])])
        if "error" in reply:
            raise ZygoteDied(f"the sandbox's fork server failed: {reply['error']}")
        return reply

    def spawn(self, config: WorkerConfig, request_fd: int, response_fd: int, out_fd: int,
              submission_fd: int, timeout_s: float | None = None) -> int:
        """Start a confined worker; returns its id (for ``kill``). After ``timeout_s`` the fork server
        kills it with everything it started, whatever this process is doing (its watchdog)."""
        return self._call({"cmd": "spawn", "config": config.to_json(), "timeout_s": timeout_s},
                          [request_fd, response_fd, out_fd, submission_fd])["worker"]

    def kill(self, worker: int) -> dict:
        """Kill a worker and everything it started; {"killed", "peak_memory", "oom", "limit"}
        ("limit": why the watchdog had already killed it, if it had: "time", "memory", "disk")."""
        return self._call({"cmd": "kill", "worker": worker})

    def close(self) -> None:
        try:
            self._call({"cmd": "exit"})
        except (ZygoteDied, ValueError):
            pass
        self.sock.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- the server ------------------------------------------------------------------------------


def warm_up(notebooks: bool = True, plots: bool = True) -> None:
    """Import what student code and the worker use, once, before any fork."""
    if plots:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401 - the run's code may plot
    if notebooks:
        from ..worker.load import prepare_shell

        prepare_shell()  # notebooks run in an IPython shell
    import numpy  # noqa: F401
    import torch

    import quizzes.answers  # noqa: F401 - the answer-file parser (never the bank)

    from .. import wire
    from ..worker import main as worker_main  # noqa: F401 - the worker's own code

    torch.set_num_threads(1)
    _first_calls(torch)
    wire.decode_tensors(wire.encode_tensors({"x": torch.zeros(1)}))
    try:
        import pyseccomp  # noqa: F401 - loaded before any filter needs it
    except (ImportError, OSError):
        pass
    leaked = [m for m in sys.modules if m.startswith(FORBIDDEN_MODULES)]
    if leaked:
        raise RuntimeError(f"the fork server imported grader-only modules: {leaked}")
    # Every object alive now (torch's ~350k) is shared with every worker: keep the collector off
    # them, so that a worker's collections neither walk them (a full one takes 0.17 s) nor copy
    # their pages (copy-on-write). No collection first: it would cost the start-up as much.
    gc.freeze()


def _first_calls(torch) -> None:
    """Once, what every worker does first: the first optimizer imports torch._dynamo (about a
    second), and torch sets up much lazily on a first call (dispatch, meta kernels; an LSTM's
    first step takes 50 ms). Paid here, it is shared by every fork. The random state is left as it was."""
    from torch import nn

    with torch.random.fork_rng(devices=[]):
        for layer in (nn.RNN(3, 4, batch_first=True), nn.LSTM(3, 4, batch_first=True)):
            fc = nn.Linear(4, 2)
            params = [*layer.parameters(), *fc.parameters()]
            for optimizer in (torch.optim.Adam(params, lr=0.01), torch.optim.SGD(params, lr=0.01)):
                optimizer.zero_grad()
                out, _ = layer(torch.randn(2, 3, 3))
                nn.functional.cross_entropy(fc(out[:, -1, :]), torch.tensor([0, 1])).backward()
                nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
            layer.to("meta"), fc.to("meta")
            with torch.no_grad():
                out, _ = layer(torch.zeros(2, 3, 3, device="meta"))
                fc(out[:, -1, :]).argmax(dim=1)


class _Refusal(Exception):
    def __init__(self, message: str, missing: list[str]):
        super().__init__(message)
        self.missing = missing


WATCH_TICK_S = 0.1  # how often the watchdog measures container-mode workers (memory, disk)
MAX_SCRATCH_ENTRIES = 4096  # files and folders a container-mode worker may make in all


class _Server:
    def __init__(self, settings: dict, guardian: Guardian):
        self.mode = settings["mode"]
        self.sock = socket.socket(fileno=settings["fd"])
        self.guardian = guardian
        self.workers: dict[int, dict] = {}
        self.next_id = 0
        self.cgroups = None
        self.scratch_base = None
        self.pid_ns_fd = None
        self.writable: list[str] = []  # container mode: where a worker may write besides its scratch
        self.inherited = 0  # anonymous memory every worker shares with this process (set once warm)
        self.problems: list[str] = []
        self.measures: list[str] = []
        from .confine import python_roots

        self.python_roots = python_roots()

    # -- set-up ---------------------------------------------------------------------------

    def prepare(self, scratch_parent: str) -> None:
        if self.mode == FULL:
            if not linux.available():
                self.problems.append("full mode needs Linux")
                return
            if os.geteuid() != 0:
                self.problems.append("full mode needs root")
                return
            from .cgroups import CgroupTree, CgroupUnavailable

            try:
                self.cgroups = CgroupTree.create()
                self.measures.append(self.cgroups.describe())
                self.guardian.tell(cgroups=self.cgroups.paths())
            except CgroupUnavailable as exc:
                self.problems.append(f"cgroup: {exc.strerror}")
            try:
                self.pid_ns_fd = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
            except OSError as exc:
                self.problems.append(f"pid namespace: {exc.strerror}")
        else:
            # container and unconfined: fresh scratch folders beneath a root-owned base
            self.inherited = cleanup.anonymous_memory()
            self.scratch_base = tempfile.mkdtemp(prefix="rnn-grader-", dir=scratch_parent)
            os.chmod(self.scratch_base, 0o711)
            if self.mode == CONTAINER:
                from . import landlock

                # With Landlock a worker writes only in its scratch folder; without it, anywhere
                # world-writable, so each of those is swept for what its user left.
                self.writable = [] if landlock.abi() >= 1 else cleanup.world_writable_dirs()
                self.guardian.tell(writable=self.writable)
            self.guardian.tell(base=self.scratch_base)

    # -- requests ---------------------------------------------------------------------------

    def spawn(self, config: WorkerConfig, fds: list[int], timeout_s: float | None = None) -> int:
        from .confine import Spawn

        if self.problems:
            raise SandboxUnavailable("; ".join(self.problems))
        spawn = Spawn(config=config, python_roots=self.python_roots)
        self.guardian.tell(uid=config.uid)
        scratch = None
        if config.mode == FULL:
            try:
                spawn.cgroup = self.cgroups.child(config.memory_bytes, config.max_processes)
            except OSError as exc:
                raise _Refusal(f"cgroup: {exc.strerror or exc}", ["cgroup"]) from None
            try:
                linux.unshare(linux.CLONE_NEWPID)
            except OSError as exc:
                spawn.cgroup.remove()
                raise _Refusal(f"a new PID namespace was refused ({exc.strerror or exc})",
                               ["pid namespace"]) from None
        else:
            scratch = tempfile.mkdtemp(prefix="s", dir=self.scratch_base)
            os.chmod(scratch, 0o711)  # its name is the worker's alone: nobody lists the way in
            spawn.workdir = os.path.join(scratch, "work")
            os.mkdir(spawn.workdir, 0o700)
            if config.mode == CONTAINER:
                os.chown(spawn.workdir, config.uid, config.uid)
            self.guardian.tell(uid=config.uid, scratch=scratch)
        try:
            pid = os.fork()
        except OSError:
            pid = -1
            raise
        finally:
            if pid != 0 and config.mode == FULL:  # the parent goes back to its own PID namespace
                linux.setns(self.pid_ns_fd, linux.CLONE_NEWPID)
        if pid == 0:
            self._become_worker(spawn, fds)  # never returns
        for fd in fds:
            os.close(fd)
        self.next_id += 1
        self.workers[self.next_id] = {"pid": pid, "config": config, "cgroup": spawn.cgroup,
                                      "scratch": scratch, "report": None,
                                      "deadline": None if timeout_s is None else time.monotonic() + timeout_s}
        return self.next_id

    def _become_worker(self, spawn, fds: list[int]) -> None:
        status = 0
        try:
            self.sock.close()
            if self.pid_ns_fd is not None:
                os.close(self.pid_ns_fd)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            from ..worker.main import run_worker
            from .confine import REQUEST_FD, RESPONSE_FD, SUBMISSION_FD

            run_worker(spawn, {REQUEST_FD: fds[0], RESPONSE_FD: fds[1], "out": fds[2],
                               SUBMISSION_FD: fds[3]})
        except BaseException:  # noqa: BLE001 - a worker must end with _exit, never unwind into the server
            status = 70
        finally:
            os._exit(status)

    def kill(self, worker_id: int) -> dict:
        worker = self.workers.pop(worker_id, None)
        if worker is None:
            return {"killed": 0, "peak_memory": None, "oom": False, "limit": None}
        return worker["report"] or self._terminate(worker)

    def _terminate(self, worker: dict, limit: str | None = None) -> dict:
        """Kill a worker with everything it started and remove what it left; its report."""
        pid, config, group = worker["pid"], worker["config"], worker["cgroup"]
        killed = len(group.procs()) if group is not None else 0  # everything in its PID namespace
        try:
            os.kill(pid, signal.SIGKILL)
            killed = max(killed, 1)
        except ProcessLookupError:
            pass
        peak = None
        try:
            _, _, usage = os.wait4(pid, 0)
            peak = usage.ru_maxrss * 1024
        except ChildProcessError:
            pass
        oom = limit == "memory"
        # Other slots' workers (and the guardian) are never killed or reaped by this one's clean-up.
        spare = {other["pid"] for other in self.workers.values()
                 if other["pid"] != pid and other["report"] is None}
        spare.add(self.guardian.pid)
        if group is not None:
            group.kill()  # belt and braces: the PID namespace died with the worker
            peak = group.peak_memory() or peak
            oom = oom or group.oom_killed()
            group.remove()
        elif config.mode == CONTAINER:
            killed += cleanup.kill_uid(config.uid, keep=spare)
            # Whatever its user left where others can write (no Landlock here): gone before the next.
            cleanup.remove_as(config.uid, cleanup.owned_entries(self.writable, config.uid))
        else:
            killed += _kill_children(spare)
        cleanup.reap(spare)
        if worker["scratch"]:
            self._remove_scratch(worker["scratch"], config)
        return {"killed": killed, "peak_memory": peak, "oom": oom, "limit": limit}

    def _remove_scratch(self, scratch: str, config: WorkerConfig) -> None:
        """Delete a worker's folder as the worker's own user: nothing privileged walks it, and any
        depth is removed (iteratively)."""
        work = os.path.join(scratch, "work")
        cleanup.remove_as(config.uid if config.mode == CONTAINER else os.geteuid(), [work])
        for path in (work, scratch):  # now empty; rmdir never follows a link
            try:
                os.rmdir(path)
            except OSError:
                pass
        self.guardian.tell(done=[scratch])

    def _watch(self) -> float | None:
        """The watchdog, between requests: kill each worker past its deadline (whatever the judge is
        doing) and, in container mode, each whose processes together hold more memory, or whose
        files more space or entries, than its limits. Returns the seconds until it must look again."""
        now, wake = time.monotonic(), None
        for worker in self.workers.values():
            if worker["report"] is not None:
                continue
            config, deadline = worker["config"], worker["deadline"]
            limit = None
            if deadline is not None and now >= deadline:
                limit = "time"
            elif config.mode == CONTAINER:
                limit = self._over_limits(worker)
            if limit is not None:
                worker["report"] = self._terminate(worker, limit)
                continue
            if deadline is not None:
                wake = deadline - now if wake is None else min(wake, deadline - now)
            if config.mode == CONTAINER:
                wake = WATCH_TICK_S if wake is None else min(wake, WATCH_TICK_S)
        return None if wake is None else max(wake, 0.0)

    def _over_limits(self, worker: dict) -> str | None:
        config = worker["config"]
        if cleanup.memory_of(config.uid, self.inherited) > config.memory_bytes:
            return "memory"
        places = [os.path.join(worker["scratch"], "work"), *cleanup.owned_entries(self.writable, config.uid)]
        size, entries = cleanup.usage(places, config.scratch_bytes, MAX_SCRATCH_ENTRIES)
        if size > config.scratch_bytes or entries > MAX_SCRATCH_ENTRIES:
            return "disk"
        return None

    def close(self) -> None:
        for worker_id in list(self.workers):
            try:
                self.kill(worker_id)
            except OSError:
                pass
        if self.cgroups is not None:
            self.cgroups.remove()
        if self.scratch_base:
            try:
                os.rmdir(self.scratch_base)
            except OSError:
                pass

    def serve(self) -> None:
        while True:
            wake = self._watch()
            ready, _, _ = select.select([self.sock], [], [], wake)
            if not ready:
                continue
            try:
                data, fds, _, _ = socket.recv_fds(self.sock, MAX_MESSAGE, 8)
            except OSError:
                data, fds = b"", []
            if not data:
                return
            message = json.loads(data)
            try:
                if message["cmd"] == "spawn":
                    reply = {"worker": self.spawn(WorkerConfig.from_json(message["config"]), fds,
                                                  message.get("timeout_s"))}
                elif message["cmd"] == "kill":
                    reply = self.kill(message["worker"])
                elif message["cmd"] == "exit":
                    self.sock.sendall(b'{"bye": true}')
                    return
                else:
                    reply = {"error": f"unknown command {message['cmd']!r}"}
            except (OSError, SandboxUnavailable, _Refusal) as exc:
                for fd in fds:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
                if isinstance(exc, _Refusal):
                    reply = {"refused": str(exc), "missing": exc.missing}
                elif isinstance(exc, SandboxUnavailable):
                    reply = {"refused": str(exc), "missing": ["setup"]}
                else:
                    reply = {"error": f"{type(exc).__name__}: {exc}"}
            self.sock.sendall(json.dumps(reply).encode())


def _kill_children(spare: set[int]) -> int:
    """Unconfined mode only: SIGKILL our children but ``spare`` (the other slots' workers, the
    guardian). The worker is dead already; what it started comes back to us as subreaper, its
    children first, then theirs. (Without a uid or cgroup of its own, an orphan cannot be told
    apart from another worker's: unconfined mode promises rlimits alone.)"""
    killed = 0
    for _ in range(100):
        children = [pid for pid in linux.children_of(os.getpid()) if pid not in spare]
        if not children:
            break
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    return killed


def serve() -> None:
    """The fork server's main (run by the judge through ``python -c``; the socket is stdin)."""
    sock = socket.socket(fileno=os.dup(0))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    settings = json.loads(sock.recv(MAX_MESSAGE))
    settings["fd"] = sock.detach()
    if linux.LINUX:
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)  # the judge gone (any signal): so are we
        linux.prctl(linux.PR_SET_CHILD_SUBREAPER, 1)
        protect_from_oom()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the judge's to handle
    # SIGTERM or SIGHUP alone (not the judge's): close down as on "exit", workers first.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) != signal.SIG_IGN:  # ignored as the judge's is (nohup): stays so
            signal.signal(signum, _leave)
    server = _Server(settings, Guardian())  # the guardian first: before any worker can exist
    try:
        warm_up(settings.get("notebooks", True), settings.get("plots", True))
        server.prepare(settings["scratch_parent"])
        server.sock.sendall(json.dumps({"mode": server.mode, "python_roots": server.python_roots,
                                        "measures": server.measures,
                                        "problems": server.problems}).encode())
        server.serve()
    finally:
        server.close()
    # Every worker is gone and every scratch folder removed: leave without the interpreter's
    # teardown, which with torch loaded spends about a second in garbage collection, and which
    # the judge waits for.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _leave(signum, frame) -> None:
    raise SystemExit(128 + signum)


def protect_from_oom(score: int = -500) -> None:
    """Make the grader's own processes the kernel's last choice when memory runs out (the workers
    make themselves its first: see confine). Lowering needs CAP_SYS_RESOURCE: best effort."""
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write(str(score))
    except OSError:
        pass


__all__ = ["Zygote", "ZygoteDied", "serve", "UNCONFINED", "CONTAINER", "FULL"]
