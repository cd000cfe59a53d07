"""A stop asked for by a signal is acted on even when the exception its handler raised was lost."""

from __future__ import annotations

import os
import signal

import pytest

from autograder import stopping


@pytest.fixture
def handlers():
    saved = {signum: signal.getsignal(signum) for signum in stopping.SIGNALS}
    for signum in stopping.SIGNALS:  # as from a terminal, whatever started the test run (nohup)
        signal.signal(signum, signal.SIG_DFL)
    stopping.received.clear()
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)
    stopping.received.clear()


@pytest.mark.parametrize("signum, raised", [(signal.SIGTERM, stopping.Terminated),
                                            (signal.SIGHUP, stopping.Terminated),
                                            (signal.SIGINT, KeyboardInterrupt)])
def test_a_stop_swallowed_where_it_landed_is_raised_again_by_check(handlers, signum, raised):
    stopping.install()
    stopping.check()  # nothing asked yet
    try:  # a library being imported, with a bare except, at the moment the signal lands
        os.kill(os.getpid(), signum)
    except BaseException:  # noqa: BLE001 - the swallowing library
        pass
    assert stopping.received == [signum]
    with pytest.raises(raised) as info:
        stopping.check()
    assert type(info.value) is raised
    os.kill(os.getpid(), signal.SIGTERM)  # a second signal only waits its turn: clean-up goes on
    assert stopping.received == [signum, signal.SIGTERM]
    with pytest.raises(raised):
        stopping.check()


def test_a_signal_started_ignored_stays_ignored(handlers):
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup starts a process
    stopping.install()
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN
    os.kill(os.getpid(), signal.SIGHUP)
    stopping.check()  # nothing to stop for
    assert stopping.received == []


def test_the_slots_loop_stops_for_a_signal_whose_exception_was_lost(handlers, monkeypatch):
    """grade-all's waiting loop acts on a remembered stop: the students not yet graded are left, the
    grader is closed first, and the stop goes up to the command (exit 128 + signal)."""
    import threading

    from autograder import slots

    release, closed = threading.Event(), []
    monkeypatch.setattr(slots, "grade_job", lambda job, options, jobs: release.wait(30) and (job, {}, {"pid": 1}))
    monkeypatch.setattr(slots, "_close_grader", lambda: (closed.append(True), release.set()))
    local = object.__new__(slots.LocalSlots)
    local.options, local.jobs, local.facts = None, 1, {}
    stopping.received.append(signal.SIGTERM)  # its exception was lost where it landed
    with pytest.raises(stopping.Terminated):
        list(local.run(["a", "b"]))
    assert closed == [True]
