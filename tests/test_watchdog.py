"""The fork server's watchdog ends a worker at its deadline, whatever the judge is doing.

Here the judge does nothing at all (as a judge stuck in its own work would): it starts a worker,
asks it nothing and waits. The worker, and the child it started, must be gone by the session's
deadline plus the watchdog's grace, and the judge's later kill still gets the report.
"""

from __future__ import annotations

import time

import pytest

from autograder import wire
from autograder.judge.grader import Grader, Options
from autograder.sandbox import linux
from autograder.sandbox.session import WATCHDOG_GRACE_S, Limits, Session
from tests.grader.common import SOLUTION

pytestmark = pytest.mark.slow

LINGERER = SOLUTION + """
import os as _os, time as _time
if _os.fork() == 0:
    _time.sleep(600)
    _os._exit(0)
"""


def test_a_worker_is_killed_at_its_deadline_though_the_judge_never_asks_it_anything():
    limits = Limits(total_timeout_s=3.0)
    grader = Grader(Options(quiz=False, part2=False, limits=limits))
    try:
        payload = wire.encode_submission(wire.KIND_PY, {wire.STUDENT_FILE: LINGERER.encode()})
        config = grader.config()
        session = Session(grader.zygote, config, payload, limits)
        opening = session.start()
        assert opening.ready, opening
        assert len(linux.processes_of(config.uid)) == 2  # the worker and the child it started
        time.sleep(limits.total_timeout_s + WATCHDOG_GRACE_S + 1.0)  # the judge is busy elsewhere
        assert linux.processes_of(config.uid) == [], "the watchdog did not end the worker"
        session.stop()
        assert session.limit == "time" and session.stopped_for() == "the grading time limit was reached"
    finally:
        grader.close()



@pytest.mark.parametrize("mode", ["unconfined", "full"])
def test_ending_one_slots_worker_leaves_the_other_slots_worker_running(mode):
    """Two slots share one fork server: the clean-up after one student's worker (its kill, its
    orphans, the collection of ended children) never touches the other student's worker, nor the
    guardian. (Unconfined mode's clean-up once killed every child of the fork server.)"""
    limits = Limits(total_timeout_s=60.0)
    grader = Grader(Options(quiz=False, part2=False, limits=limits, unconfined=mode == "unconfined"),
                    slots=2)
    try:
        payload = wire.encode_submission(wire.KIND_PY, {wire.STUDENT_FILE: LINGERER.encode()})
        first = Session(grader.zygote, grader.config(slot=0), payload, limits)
        second = Session(grader.zygote, grader.config(slot=1), payload, limits)
        assert first.start().ready and second.start().ready
        first.stop()
        time.sleep(0.2)
        answer = second.ask("construct", {"sizes": [3, 5, 2]}, {})
        assert answer.ok, answer
        assert second.worker is not None and second.killed == 0
        second.stop()
        assert second.killed == 1  # its own child, no more: and the first's was its own
        assert first.killed == 1
    finally:
        grader.close()
