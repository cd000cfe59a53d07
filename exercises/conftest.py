"""Friendly feedback for ``pytest exercises``.

This file is part of the exercise's machinery: you do not need to read or
change it. It

* loads the implementation under test: ``exercises/rnn.py`` by default, any
  other file with ``pytest exercises --impl path/to/rnn.py``;
* turns every failure into one line that names the function, what was
  expected and what was got, instead of a traceback; a file that cannot be
  imported (a syntax error, say) is reported once, not once per check;
* stops a test that runs for more than a minute (an endless loop?).
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import traceback
from pathlib import Path

import pytest
from _feedback import NOT_IMPLEMENTED_PREFIX, CheckFailed, ImplImportError

HERE = Path(__file__).resolve().parent
DEFAULT_IMPL = HERE / "rnn.py"
TEST_TIMEOUT_S = 60


def pytest_addoption(parser):
    parser.addoption(
        "--impl",
        default=str(DEFAULT_IMPL),
        metavar="PATH",
        help="implementation file to test (default: exercises/rnn.py)",
    )


def pytest_configure(config):
    # One line per failing check (printed below) replaces pytest's tracebacks
    # and its truncated short summary.
    config.option.tbstyle = "no"
    chars = getattr(config.option, "reportchars", "") or ""
    config.option.reportchars = "".join(c for c in chars if c not in "fEaA") or "s"
    config._rnn_feedback = []
    config._rnn_import_error = {}  # the one line, and how many checks it stopped


def _impl_path(config) -> Path:
    return Path(config.getoption("--impl")).expanduser().resolve()


@pytest.fixture(scope="session")
def rnn(request):
    """The implementation under test, imported once as module ``rnn``."""
    import torch

    torch.set_num_threads(1)
    path = _impl_path(request.config)
    if not path.is_file():
        raise ImplImportError(f"no implementation file at {path}")
    spec = importlib.util.spec_from_file_location("rnn", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise ImplImportError(
            f"could not import {path.name}: SyntaxError on line {exc.lineno}: {exc.msg}"
        ) from None
    except BaseException as exc:  # noqa: BLE001 - any failure at import is the student's to fix
        where = _impl_line(exc, path)
        raise ImplImportError(
            f"could not import {path.name}: {type(exc).__name__}: {_first_line(exc)}{where}"
        ) from None
    return module


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else ""
    return line if len(line) <= 240 else line[:237] + "..."


def _qualname(frame) -> str:
    """``SimpleRNN.forward`` rather than ``forward``, on every Python version."""
    code = frame.f_code
    name = getattr(code, "co_qualname", None)
    if name:
        # a comprehension or lambda inside a function is reported as that function
        return re.sub(r"(\.<locals>\.<\w+>)+$", "", name)
    if code.co_name.startswith("<") and code.co_name != "<module>" and frame.f_back is not None:
        return _qualname(frame.f_back)  # Python 3.10: a comprehension or lambda, as the function it runs in
    owner = frame.f_locals.get("self")
    return f"{type(owner).__name__}.{code.co_name}" if owner is not None else code.co_name


def _impl_frames(exc: BaseException, path: Path) -> list[tuple[str, int]]:
    """(function, line) of each traceback entry inside the implementation file."""
    return [
        (_qualname(frame), lineno)
        for frame, lineno in traceback.walk_tb(exc.__traceback__)
        if Path(frame.f_code.co_filename).resolve() == path
    ]


def _impl_line(exc: BaseException, path: Path) -> str:
    frames = _impl_frames(exc, path)
    return f" ({path.name} line {frames[-1][1]}, in {frames[-1][0]})" if frames else ""


def _raised_by_student(exc: BaseException, path: Path) -> bool:
    """Whether ``exc`` was raised in the implementation file itself (a stub), not inside torch."""
    if str(exc).startswith(NOT_IMPLEMENTED_PREFIX):
        return True
    frames = list(traceback.walk_tb(exc.__traceback__))
    return bool(frames) and Path(frames[-1][0].f_code.co_filename).resolve() == path


def friendly(exc: BaseException, path: Path) -> str:
    """One line of feedback for an exception raised by a visible test."""
    if isinstance(exc, (CheckFailed, ImplImportError)):
        return str(exc)
    if isinstance(exc, NotImplementedError) and _raised_by_student(exc, path):
        message = str(exc)
        if message.startswith(NOT_IMPLEMENTED_PREFIX):
            return message
        frames = _impl_frames(exc, path)
        where = frames[-1][0] if frames else "a function in rnn.py"
        return f"{NOT_IMPLEMENTED_PREFIX}{where}"
    if isinstance(exc, TimeoutError) and str(exc).startswith("timed out"):
        return str(exc)
    frames = _impl_frames(exc, path)
    if frames:
        return (
            f"{frames[-1][0]} raised {type(exc).__name__}: {_first_line(exc)}"
            f" ({path.name} line {frames[-1][1]})"
        )
    return f"{type(exc).__name__}: {_first_line(exc)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Stop a test after TEST_TIMEOUT_S seconds where the OS allows it."""
    if not hasattr(signal, "SIGALRM") or os.name == "nt":
        yield
        return

    def on_alarm(signum, frame):
        raise TimeoutError(
            f"timed out after {TEST_TIMEOUT_S} s: {item.name}"
            " (an endless loop, or far too many epochs?)"
        )

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_TIMEOUT_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None:
        line = friendly(call.excinfo.value, _impl_path(item.config))
        report.longrepr = line
        if isinstance(call.excinfo.value, ImplImportError):
            # The session fixture raises the same error for every check: say it once.
            seen = item.config._rnn_import_error
            seen["line"], seen["count"] = line, seen.get("count", 0) + 1
        else:
            item.config._rnn_feedback.append((item.name, line))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    feedback = getattr(config, "_rnn_feedback", [])
    import_error = getattr(config, "_rnn_import_error", {})
    impl = _impl_path(config)
    if not feedback and not import_error:
        if exitstatus == 0 and terminalreporter.stats.get("passed"):
            terminalreporter.write_line(f"All visible checks pass for {impl}.", green=True)
        return
    terminalreporter.section(f"what to fix in {impl.name}", sep="-", bold=True)
    if import_error:
        count = import_error["count"]
        terminalreporter.write_line(
            f"FAIL {import_error['line']} (no check could run: {count} check{'s' * (count != 1)} "
            "need the file; fix this first)"
        )
    # A function not written yet fails all its checks with the same line: print it once.
    same: dict[str, list[str]] = {}
    for name, line in feedback:
        same.setdefault(line, []).append(name)
    for line, names in same.items():
        grouped = line.startswith(NOT_IMPLEMENTED_PREFIX) and len(names) > 1
        more = f" and {len(names) - 1} more" if grouped else ""
        for name in names[:1] if more else names:
            terminalreporter.write_line(f"FAIL {name}{more}: {line}")
