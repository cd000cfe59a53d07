"""The sandbox modes, what each one guarantees, and the settings a worker is confined with.

A mode is a promise: student code runs only when every measure it lists holds,
verified by the worker itself after confining and before it reads a byte of
student code. If one cannot be applied, the submission is not run.

* ``full`` (Linux, as root): own PID, mount, network, IPC and UTS namespaces;
  a root filesystem of read-only system and Python folders only (the project,
  the cohort, the results and home folders do not exist in it); a size-capped
  tmpfs scratch; its own cgroup (memory and processes for all its processes
  together); an unprivileged user of its own; no capabilities;
  ``no_new_privs``; a seccomp filter; Landlock.
* ``container`` (as root without ``CAP_SYS_ADMIN``, e.g. Gradescope's Docker):
  an unprivileged user of its own (its processes are killed by uid, which
  cannot be outrun); no capabilities; ``no_new_privs``; the seccomp filter
  (no sockets at all, no namespaces); per-process rlimits (memory, processes
  of that user, file size, CPU); the grader's files unreadable to that user,
  checked by trying. Landlock is added where the kernel and the container
  allow it. Not available: a PID namespace, a cgroup, a size cap on the
  scratch folder (one file is capped by ``RLIMIT_FSIZE``).
* ``unconfined``: no confinement but rlimits and a session: only for code you
  trust, only with ``--unconfined``, and said loudly everywhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

FULL, CONTAINER, UNCONFINED = "full", "container", "unconfined"
MODES = (FULL, CONTAINER, UNCONFINED)

# The measures each mode requires; the worker verifies each before any student code runs.
REQUIRED: dict[str, tuple[str, ...]] = {
    FULL: ("unprivileged uid", "no capabilities", "no_new_privs", "seccomp filter", "pid namespace",
           "mount namespace", "network namespace", "cgroup", "scratch tmpfs", "landlock",
           "grader files hidden", "no inherited file descriptors", "minimal environment", "rlimits"),
    # (container: "grader files hidden" is tried by the judge as each sandbox user, so that no worker
    # is ever told where the grader's folders are: see hidden_check)
    CONTAINER: ("unprivileged uid", "no capabilities", "no_new_privs", "seccomp filter",
                "no inherited file descriptors", "minimal environment", "rlimits"),
    UNCONFINED: ("rlimits",),
}

# Remedies printed when a mode cannot be used (keyed by the measure that failed).
FIXES = {
    "root": "run the grader as root (sudo, or a container's root user)",
    "pid namespace": "run as root on a host that allows namespaces, or choose --sandbox container",
    "mount namespace": "run as root on a host that allows namespaces, or choose --sandbox container",
    "network namespace": "run as root on a host that allows namespaces, or choose --sandbox container",
    "cgroup": "give the grader a writable cgroup v1 memory+pids hierarchy or a delegated cgroup v2 "
              "subtree with memory and pids, or choose --sandbox container",
    "landlock": "use a kernel with Landlock enabled (Linux 5.13+, 'landlock' in the lsm= list), "
                "or choose --sandbox container",
    "seccomp filter": "install libseccomp (Debian/Ubuntu: apt-get install libseccomp2)",
    "grader files hidden": "make the grader's folders unreadable to other users "
                           "(e.g. chmod 700 /autograder/source), or use --sandbox full",
    "python readable": "install Python where other users can read it (e.g. /usr/local), or open its "
                       "folders to others (chmod o+rx), or use --sandbox full",
    "unprivileged uid": "run the grader as root so that it can switch to the sandbox user",
}

# The only environment student code sees.
ENVIRONMENT = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "Agg",
}
# Set per worker to its scratch folder.
SCRATCH_VARIABLES = ("HOME", "TMPDIR", "MPLCONFIGDIR", "IPYTHONDIR")


class SandboxUnavailable(RuntimeError):
    """No requested mode can be used here; ``str()`` says why and what to change."""


@dataclass
class WorkerConfig:
    """Everything the zygote and a worker need to confine it (JSON-serialisable)."""

    mode: str
    uid: int
    memory_bytes: int = 2 << 30
    cpu_seconds: int = 600
    file_size_bytes: int = 16 << 20
    max_open_files: int = 256
    max_processes: int = 64
    scratch_bytes: int = 64 << 20
    submission_bytes: int = 8 << 20  # the most a submission may hold
    hidden: list[str] = field(default_factory=list)  # must not exist or be readable in the worker
    devices: list[str] = field(default_factory=list)  # accelerator device nodes to keep
    # CUDA reserves tens of GB of address space at start-up: with a GPU in use the
    # address-space cap would stop it, so the memory cap is the cgroup's alone.
    cap_address_space: bool = True

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> WorkerConfig:
        return cls(**data)


def parse(text: str) -> list[str]:
    """``--sandbox full,container`` -> ['full', 'container'] (preference order)."""
    modes = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in modes if m not in (FULL, CONTAINER)]
    if not modes or unknown:
        raise ValueError(f"unknown sandbox mode {', '.join(unknown) or text!r}: choose full, container "
                         "or both in order of preference (full,container); --unconfined for no sandbox")
    return list(dict.fromkeys(modes))
