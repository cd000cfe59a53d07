"""Shared fixtures for the project's own tests."""

from __future__ import annotations

import _posixsubprocess
import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """Run a command from the project root and capture its text output."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **kwargs.pop("env", {})}
    return subprocess.run(
        args, cwd=kwargs.pop("cwd", ROOT), env=env, capture_output=True, text=True,
        timeout=timeout, **kwargs,
    )


def as_from_a_terminal() -> None:
    """``preexec_fn`` for a command the tests stop as a user would (Ctrl-C, a closed terminal):
    SIGINT and SIGHUP back to their defaults, whatever started the test run (a background job of a
    script ignores SIGINT, ``nohup`` SIGHUP, and a child inherits both)."""
    import signal

    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


@pytest.fixture(scope="session")
def python() -> str:
    return sys.executable


@pytest.fixture(scope="session", autouse=True)
def _results_key(tmp_path_factory):
    """The tests' own results key (autograder.seal), never the user's: grade-all run by a test
    (in this process or a child) seals with it, and the exports check it."""
    from autograder import seal

    folder = tmp_path_factory.mktemp("state") / "rnn-autograder"
    previous = os.environ.get(seal.STATE_ENV)
    os.environ[seal.STATE_ENV] = str(folder)
    yield seal.load_key(create=True)
    if previous is None:
        os.environ.pop(seal.STATE_ENV, None)
    else:
        os.environ[seal.STATE_ENV] = previous


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Tests, like the graders, compute with one thread (2 on a shared 2-core box can take 150x)."""
    import torch

    torch.set_num_threads(1)


# --- the suite's own rules, enforced: see CONTRIBUTING.md ("Tests") -------------------------------------
#
# 1. Anything that starts a process (a subprocess, a kernel, a browser, a fork) is marked
#    ``@pytest.mark.slow``, so that ``pytest -m "not slow"`` stays a fast loop. A test that is not
#    marked slow and starts one fails, naming what it started.
# 2. Under CI (``CI=true``) a skipped test fails the run, unless what it lacks is hardware that CI
#    machines do not have (a GPU): CI installs everything else the suite needs.

HARDWARE_SKIPS = ("needs a CUDA or MPS device",)  # the only reasons a test may skip in CI
# ctypes.util.find_library reads the linker's cache with `ldconfig -p`: milliseconds, in-process work
ALLOWED_PROGRAMS = {"ldconfig"}
_SPAWNERS = [(os, name) for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp", "system")
             if hasattr(os, name)] + [(_posixsubprocess, "fork_exec")] \
    + ([(subprocess, "_fork_exec")] if hasattr(subprocess, "_fork_exec") else [])  # 3.11+ keeps its own name
_SPAWNED = pytest.StashKey[list]()


class SpawnInAFastTest(RuntimeError):
    """A test not marked slow started a process."""


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@contextlib.contextmanager
def _no_spawning(item: pytest.Item):
    """While a fast test (and its fixtures) runs, starting a process is recorded and refused."""
    if item.get_closest_marker("slow") is not None:
        yield
        return
    spawned = item.stash.setdefault(_SPAWNED, [])
    saved = [(module, name, getattr(module, name)) for module, name in _SPAWNERS]

    def refuse(module, name, original):
        def refused(*args, **kwargs):
            what = f"{module.__name__}.{name}{_what(args)}"
            if what.split(": ", 1)[-1].split(" ", 1)[0].rsplit("/", 1)[-1] in ALLOWED_PROGRAMS:
                return original(*args, **kwargs)
            spawned.append(what)
            raise SpawnInAFastTest(f"{item.nodeid} started a process ({what}) but is not marked "
                                   "@pytest.mark.slow")
        return refused

    for module, name, original in saved:
        setattr(module, name, refuse(module, name, original))
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def _what(args: tuple) -> str:
    for arg in args[:2]:  # fork_exec's and posix_spawn's first arguments: the program and its argv
        if isinstance(arg, (list, tuple)) and arg:
            return ": " + " ".join(a.decode(errors="replace") if isinstance(a, bytes) else str(a)
                                   for a in arg)[:200]
        if isinstance(arg, (str, bytes)):
            return ": " + (arg.decode(errors="replace") if isinstance(arg, bytes) else arg)[:200]
    return ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    with _no_spawning(item):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    with _no_spawning(item):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    with _no_spawning(item):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    spawned = item.stash.get(_SPAWNED, [])
    if spawned and not report.failed:  # fails even where the code under test caught the refusal
        report.outcome = "failed"
        report.longrepr = (f"not marked @pytest.mark.slow, but started a process: {spawned[0]}"
                           + (f" (and {len(spawned) - 1} more)" if len(spawned) > 1 else ""))
        spawned.clear()
    if report.skipped and _in_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if not reason.startswith(HARDWARE_SKIPS):
            report.outcome = "failed"
            report.longrepr = (f"skipped under CI=true ({reason}): CI installs everything the suite needs, "
                               "so only missing hardware may skip (tests/conftest.py: HARDWARE_SKIPS)")
