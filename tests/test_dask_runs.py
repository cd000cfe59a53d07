"""grade-all on a Dask cluster that changes under it: workers killed and restarted by their nannies,
workers gone for good, no worker at all. No run hangs: restarted workers are checked and take work,
a student already written is never graded again, and a run without progress stops with a message
(exit 3), keeping what it graded."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import paths
from tests.conftest import ROOT

SOLUTION = paths.SOLUTION_FILE.read_text()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                                    reason="the cluster extra is not installed: every test here runs Dask")]


def _cohort(tmp_path: Path, count: int) -> Path:
    folder = tmp_path / "cohort"
    folder.mkdir()
    for index in range(count):
        (folder / f"s{index:02d}.py").write_text(SOLUTION)
    return folder


def _start(folder: Path, out: Path, scheduler: str, *options: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out),
                             "--no-quiz", "--scheduler", scheduler, *options], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_results(out: Path, count: int, process: subprocess.Popen, limit: float = 300) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and len(list(out.glob("s*.json"))) < count:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)


def _written(out: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.glob("s*.json")}


def test_workers_restarted_by_their_nannies_take_work_and_nothing_written_is_graded_again(tmp_path):
    from distributed import Client, LocalCluster

    folder, out = _cohort(tmp_path, 14), tmp_path / "out"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster.scheduler_address) as client:
        process = _start(folder, out, cluster.scheduler_address)
        _wait_for_results(out, 3, process)
        before = _written(out)
        for pid in client.run(os.getpid).values():  # both at once: the cluster has no worker for a while
            os.kill(pid, signal.SIGKILL)
        _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]
    assert len(list(out.glob("s*.json"))) == 14
    after = _written(out)
    assert {name: after[name] for name in before} == before  # the students written were not graded again
    assert stderr.count("checked: it grades for this run") >= 4, stderr[-3000:]  # 2 at start, 2 restarted
    for path in out.glob("s*.json"):
        assert json.loads(path.read_text())["score"] == 120


def test_a_cluster_without_workers_stops_after_the_progress_timeout(tmp_path):
    from distributed import LocalCluster

    folder, out = _cohort(tmp_path, 2), tmp_path / "out"
    with LocalCluster(n_workers=0, processes=True, dashboard_address=None) as cluster:
        started = time.monotonic()
        process = _start(folder, out, cluster.scheduler_address, "--progress-timeout", "6")
        _, stderr = process.communicate(timeout=120)
    assert process.returncode == 3, stderr[-3000:]
    assert time.monotonic() - started < 90
    assert "no Dask worker is connected" in stderr
    assert "no student graded in the last 6 s" in stderr and "0 Dask worker(s) connected" in stderr
    assert "run the same command again" in stderr
    assert (out / "grades.csv").read_text().splitlines() == ["student,score,max_score,status,results"]


def test_workers_gone_for_good_stop_the_run_and_what_was_graded_is_kept(tmp_path):
    from distributed import LocalCluster

    folder, out = _cohort(tmp_path, 30), tmp_path / "out"
    with LocalCluster(n_workers=0, processes=True, dashboard_address=None) as cluster:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address,
                                   "--nthreads", "1", "--no-nanny", "--no-dashboard"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            process = _start(folder, out, cluster.scheduler_address, "--progress-timeout", "10")
            _wait_for_results(out, 2, process)
            worker.kill()  # no nanny: it does not come back
            _, stderr = process.communicate(timeout=300)
        finally:
            worker.kill()
            worker.wait(timeout=60)
    assert process.returncode == 3, stderr[-3000:]
    written = len(list(out.glob("s*.json")))
    assert 2 <= written < 30
    assert f"{written} of 30 graded in this run" in stderr, stderr[-2000:]
    assert len((out / "grades.csv").read_text().splitlines()) == written + 1
    assert json.loads((out / "run.manifest").read_text())["graded"] == written


def test_a_student_whose_workers_keep_dying_is_flagged_and_the_cohort_goes_on(tmp_path):
    """Dask gives up on a task whose workers died (KilledWorker; here after one death): that student
    gets results flagged for a regrade, never a silent zero, everyone else is graded, and the run
    ends with exit status 1 (a grader error is never a quiet success)."""
    import dask
    from distributed import Client, LocalCluster

    folder, out = _cohort(tmp_path, 4), tmp_path / "out"
    (folder / "slow.py").write_text(SOLUTION + "\nimport time\ntime.sleep(20)\n")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster.scheduler_address) as client:
        process = _start(folder, out, cluster.scheduler_address)
        deadline, victim = time.monotonic() + 300, None
        while victim is None and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            victim = next((w for w, keys in client.processing().items() if any("grade-slow-" in k for k in keys)),
                          None)
            time.sleep(0.05)
        time.sleep(2)  # inside the student's sleep
        os.kill(client.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)
        _, stderr = process.communicate(timeout=600)
    # every file written; the run says loudly that one student awaits a regrade, and exits 1
    assert process.returncode == 1, stderr[-3000:]
    assert "GRADER ERROR" in stderr and "1 student(s): slow." in stderr
    slow = json.loads((out / "slow.json").read_text())
    assert slow["extra_data"]["status"] == "grader_error" and slow["score"] == 0
    assert "died while grading it" in slow["extra_data"]["regrade_reason"]
    assert slow["extra_data"]["max_score"] == 120
    for index in range(4):
        assert json.loads((out / f"s{index:02d}.json").read_text())["score"] == 120
    assert "slow,0,120,grader_error" in (out / "grades.csv").read_text()
