"""grade-all at cohort scale: every slot at once, resumable, safe to interrupt, feedback pages, and
the same grading on a Dask cluster (a killed worker loses no student; a worker running another
copy of the grader is refused)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import paths, seal
from tests.conftest import ROOT, as_from_a_terminal, run

pytestmark = pytest.mark.slow  # every test here grades in subprocesses

SOLUTION = paths.SOLUTION_FILE.read_text()
NO_ZERO_GRAD = SOLUTION.replace("    optimizer.zero_grad()\n", "", 1)


def grade_all(cohort: Path, out: Path, *options: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "autograder", "grade-all", str(cohort), "--out", str(out), "--no-quiz",
                *options], timeout=timeout)


def scores(out: Path) -> dict[str, float]:
    found = {}
    for path in out.glob("[!.]*.json"):
        data = json.loads(path.read_text())
        found[data["extra_data"]["student"]] = data["score"]
    return found


@pytest.fixture
def cohort(tmp_path) -> Path:
    folder = tmp_path / "cohort"
    folder.mkdir()
    for index in range(6):
        (folder / f"s{index}.py").write_text(SOLUTION if index % 2 == 0 else NO_ZERO_GRAD)
    return folder


def test_a_second_run_skips_what_is_unchanged(cohort, tmp_path):
    out = tmp_path / "out"
    first = grade_all(cohort, out, "--jobs", "2", "--seed", "7")
    assert first.returncode == 0, first.stderr
    assert "6 graded, 0 skipped" in first.stderr
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("s*.json")}
    second = grade_all(cohort, out)
    assert second.returncode == 0, second.stderr
    assert "0 graded, 6 skipped" in second.stderr and "6 skipped: unchanged" in second.stdout
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("s*.json")} == before
    (cohort / "s1.py").write_text(SOLUTION)  # s1 fixes its mistake
    third = grade_all(cohort, out)
    assert "1 graded, 5 skipped" in third.stderr, third.stderr
    assert scores(out)["s1"] == 120
    fourth = grade_all(cohort, out, "--only", "s3")
    assert "1 graded, 5 skipped" in fourth.stderr, fourth.stderr
    forced = grade_all(cohort, out, "--force")
    assert "6 graded, 0 skipped" in forced.stderr
    assert len((out / "grades.csv").read_text().splitlines()) == 7


def test_other_options_regrade(cohort, tmp_path):
    out = tmp_path / "out"
    assert grade_all(cohort, out).returncode == 0
    again = grade_all(cohort, out, "--no-part2")
    assert "6 graded, 0 skipped" in again.stderr, again.stderr
    assert set(scores(out).values()) <= {100, 95}


def test_only_names_known_students(cohort, tmp_path):
    proc = grade_all(cohort, tmp_path / "out", "--only", "nobody")
    assert proc.returncode == 2 and "--only names no student" in proc.stderr


def test_an_interrupted_run_keeps_what_it_graded_and_goes_on(cohort, tmp_path):
    for index in range(6, 14):
        (cohort / f"s{index}.py").write_text(SOLUTION)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade-all", str(cohort), "--out", str(out),
                                "--no-quiz", "--jobs", "1"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=as_from_a_terminal)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(out.glob("s*.json"))) < 3:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    done = len(list(out.glob("s*.json")))
    assert 3 <= done < 14, stderr
    assert f"interrupted: {done} of 14 graded" in stderr and "Run the same command again" in stderr
    assert json.loads((out / "run.manifest").read_text())["graded"] == done
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == done + 1
    for path in out.glob("s*.json"):
        json.loads(path.read_text())  # every results file is whole
    again = grade_all(cohort, out)
    assert again.returncode == 0, again.stderr
    assert f"{14 - done} graded, {done} skipped" in again.stderr, again.stderr
    assert len(scores(out)) == 14


@pytest.mark.slow
def test_a_regrade_keeps_the_late_policy_the_folder_was_exported_with(tmp_path):
    """Export with a late policy, regrade a late student with --only --force, export again without
    --due: the penalty stands (the folder keeps the policy, and grade-all applies it as it writes)."""
    from datetime import datetime, timedelta, timezone

    folder, out = tmp_path / "cohort", tmp_path / "out"
    folder.mkdir()
    now = time.time()
    for name, days_ago in (("early", 30), ("late", 0)):
        (folder / f"{name}.py").write_text(SOLUTION)
        os.utime(folder / f"{name}.py", (now - days_ago * 86400, now - days_ago * 86400))
    due = (datetime.now(timezone.utc) - timedelta(days=19)).strftime("%Y-%m-%d %H:%M UTC")
    assert grade_all(folder, out, "--jobs", "1").returncode == 0

    def export(*policy):
        proc = run([sys.executable, "-m", "autograder", "export-grades", str(out), "--to", "csv",
                    "--out", str(tmp_path / "g.csv"), *policy])
        assert proc.returncode == 0, proc.stderr
        rows = (tmp_path / "g.csv").read_text(encoding="utf-8-sig").splitlines()
        return {r.split(",")[0]: r.split(",")[1] for r in rows[1:]}, proc.stdout

    scores_now, _ = export("--due", due, "--late-penalty", "10%/day", "--late-cap", "50%")
    assert scores_now == {"early": "120", "late": "60"}
    again = grade_all(folder, out, "--only", "late", "--force")
    assert again.returncode == 0 and "1 graded, 1 skipped" in again.stderr, again.stderr
    assert "late policy kept with" in again.stderr
    assert json.loads((out / "late.json").read_text())["score"] == 60
    assert "late,60," in (out / "grades.csv").read_text()
    scores_now, said = export()
    assert scores_now == {"early": "120", "late": "60"} and "late policy kept with" in said


def test_feedback_pages_and_the_report_are_written(cohort, tmp_path):
    out = tmp_path / "out"
    assert grade_all(cohort, out).returncode == 0
    for index in range(6):
        page = out / "feedback" / f"s{index}.html"
        assert page.is_file() and (out / "feedback" / f"s{index}.md").is_file()
    assert (out / "report.html").is_file()
    page = (out / "feedback" / "s1.html").read_text()
    assert "gradients add up across backward calls" in page  # the hint of training_step.zero_grad
    manifest = json.loads((out / "run.manifest").read_text())
    assert manifest["graded"] == 6 and manifest["slots"][0]["judge_peak"] > 0


# --- what resume trusts, and names that collide ---------------------------------------------------------

def _small(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "small"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def _csv(out: Path) -> dict[str, list[str]]:
    import csv

    return {row[4]: row for row in csv.reader((out / "grades.csv").open(encoding="utf-8"))}


def test_resume_trusts_only_results_sealed_here_and_exports_no_forgery(tmp_path):
    folder = _small(tmp_path, {"ann.py": SOLUTION, "bea.py": NO_ZERO_GRAD, "cal.py": SOLUTION})
    out = tmp_path / "out"
    assert grade_all(folder, out, "--jobs", "2").returncode == 0
    honest = scores(out)
    assert honest["bea"] < 120
    bea = json.loads((out / "bea.json").read_text())
    for test in bea["tests"]:  # bea gives herself full marks, keeping the seal she had
        test["score"], test["status"] = test["max_score"], "passed"
    bea["score"] = 120
    (out / "bea.json").write_text(json.dumps(bea))
    mallory = json.loads((out / "ann.json").read_text())
    mallory["extra_data"]["student"] = "mallory"  # a results file for someone who handed nothing in
    (out / "mallory.json").write_text(json.dumps(mallory))
    cal = json.loads((out / "cal.json").read_text())  # graded on another machine, with its own key
    (out / "cal.json").write_text(json.dumps(seal.seal(cal, os.urandom(32))))
    again = grade_all(folder, out)
    assert again.returncode == 0 and "2 graded, 1 skipped" in again.stderr, again.stderr
    assert scores(out)["bea"] == honest["bea"] and scores(out)["cal"] == honest["cal"]
    rows = _csv(out)
    assert rows["mallory.json"][1:4] == ["", "", "unauthenticated"] and rows["bea.json"][1] == f"{honest['bea']:g}"
    assert "UNSEALED mallory.json: its seal does not match" in again.stdout
    exported = run([sys.executable, "-m", "autograder", "export-grades", str(out), "--to", "csv",
                    "--out", str(tmp_path / "lms.csv")])
    assert exported.returncode == 1 and "mallory.json: its seal does not match" in exported.stderr
    assert "mallory" not in (tmp_path / "lms.csv").read_text()


def test_a_result_means_what_its_options_say(tmp_path):
    folder = _small(tmp_path, {"ann.py": SOLUTION, "bea.py": NO_ZERO_GRAD})
    out = tmp_path / "out"
    first = grade_all(folder, out, "--unconfined", "--jobs", "2")
    assert first.returncode == 0, first.stderr
    modes = lambda: {json.loads(p.read_text())["extra_data"]["isolation"]["mode"] for p in out.glob("*.json")}  # noqa: E731
    assert modes() == {"unconfined"}
    sandboxed = grade_all(folder, out, "--jobs", "2")
    assert "2 graded, 0 skipped" in sandboxed.stderr, sandboxed.stderr  # never reused as sandboxed
    assert modes() == {"full"}
    for options in (["--seed", "5"], ["--seed", "5", "--scratch-mb", "32"], ["--seed", "5", "--output-kb", "16"]):
        changed = grade_all(folder, out, *options)
        assert "2 graded, 0 skipped" in changed.stderr, (options, changed.stderr)
    seeds = {json.loads(p.read_text())["extra_data"]["seed"] for p in out.glob("*.json")}
    resumed = grade_all(folder, out, "--output-kb", "16")  # no --seed: goes on with the cohort's
    assert "0 graded, 2 skipped" in resumed.stderr and seeds == {5}, resumed.stderr


def test_names_that_collide_are_flagged_and_nobodys_results_move(tmp_path):
    folder = _small(tmp_path, {"alice.py": SOLUTION, "bob.py": SOLUTION})
    out = tmp_path / "out"
    assert grade_all(folder, out, "--jobs", "2").returncode == 0
    before = json.loads((out / "alice.json").read_text())
    (folder / "ALICE.py").write_text(NO_ZERO_GRAD)
    (folder / "alice").mkdir()
    (folder / "alice" / "rnn.py").write_text(NO_ZERO_GRAD)
    second = grade_all(folder, out, "--jobs", "2")
    assert "2 graded, 2 skipped" in second.stderr, second.stderr
    alice = json.loads((out / "alice.json").read_text())
    assert alice["extra_data"]["entry"] == "alice.py" and alice["score"] == before["score"] == 120
    assert alice["tests"] == before["tests"] and seal.check(alice, seal.load_key()).ok
    assert alice["extra_data"]["name_collision"]["entries"] == ["ALICE.py", "alice", "alice.py"]
    rows = _csv(out)
    assert len(rows) == 5 and {r[0] for r in rows.values()} == {"student", "alice", "ALICE", "bob"}
    flagged = {json.loads(p.read_text())["extra_data"]["entry"] for p in out.glob("*.json")
               if json.loads(p.read_text())["extra_data"]["name_collision"]}
    assert flagged == {"ALICE.py", "alice", "alice.py"}
    assert "SAME NAME ALICE.py, alice, alice.py" in second.stdout
    assert len({json.loads(p.read_text())["extra_data"]["seed"] for p in out.glob("*.json")}) == 1
    (folder / "ALICE.py").unlink()
    shutil.rmtree(folder / "alice")
    third = grade_all(folder, out)
    assert "0 graded, 2 skipped" in third.stderr and "SAME NAME" not in third.stdout
    assert json.loads((out / "alice.json").read_text())["extra_data"]["name_collision"] is None


# --- Dask -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("distributed")  # the cluster extra; only the Dask tests need it
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster


def _big_cohort(tmp_path: Path, count: int = 10) -> Path:
    folder = tmp_path / "cohort"
    folder.mkdir()
    for index in range(count):
        (folder / f"s{index:02d}.py").write_text(SOLUTION if index % 3 else NO_ZERO_GRAD)
    return folder


def test_a_dask_cluster_grades_as_this_machine_does(cluster, tmp_path):
    folder = _big_cohort(tmp_path)
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert grade_all(folder, local, "--seed", "11").returncode == 0
    proc = grade_all(folder, remote, "--seed", "11", "--scheduler", cluster.scheduler_address)
    assert proc.returncode == 0, proc.stderr
    assert scores(remote) == scores(local)
    for path in local.glob("s*.json"):
        mine, theirs = json.loads(path.read_text()), json.loads((remote / path.name).read_text())
        assert [t["status"] for t in mine["tests"]] == [t["status"] for t in theirs["tests"]]
        assert mine["extra_data"]["loss_curve"] == theirs["extra_data"]["loss_curve"]
    again = grade_all(folder, remote, "--scheduler", cluster.scheduler_address)
    assert "0 graded, 10 skipped" in again.stderr, again.stderr  # resume works the same


def test_a_worker_killed_mid_run_loses_no_student(cluster, tmp_path):
    from distributed import Client

    folder = _big_cohort(tmp_path, 12)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out),
                                "--no-quiz", "--scheduler", cluster.scheduler_address], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(out.glob("s*.json"))) < 2:
        time.sleep(0.1)
    with Client(cluster.scheduler_address) as client:
        busy: dict = {}
        while time.monotonic() < deadline and not busy:  # a worker in the middle of grading a student
            busy = {a: n for a, n in client.run(lambda dask_worker: len(dask_worker.state.executing)).items() if n}
        assert busy, "no worker was grading a student when the test came to kill one"
        pids = client.run(os.getpid)
        victim = sorted(busy)[0]
        os.kill(pids[victim], signal.SIGKILL)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]
    assert len(scores(out)) == 12, stderr[-3000:]
    cluster.scale(2)  # put the cluster back for whoever comes next


def test_a_worker_running_another_grader_is_refused(cluster, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", "tests"))
    results_py = copy / "autograder" / "results.py"  # a copy that adds 7 points to every score
    results_py.write_text(results_py.read_text().replace('"score": round(sum(t["score"] for t in tests), 4)',
                                                         '"score": round(sum(t["score"] for t in tests), 4) + 7'))
    assert "+ 7" in results_py.read_text()
    env = {**os.environ, "PYTHONPATH": str(copy)}
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address,
                               "--nthreads", "1", "--no-dashboard"], cwd=copy, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from distributed import Client

        with Client(cluster.scheduler_address) as client:
            client.wait_for_workers(3, timeout=60)
        folder = _big_cohort(tmp_path, 3)
        proc = grade_all(folder, tmp_path / "out", "--scheduler", cluster.scheduler_address)
        assert proc.returncode == 0, proc.stderr
        assert "REFUSED Dask worker" in proc.stderr and "install the same copy" in proc.stderr
        assert "differs: autograder/results.py" in proc.stderr
        assert scores(tmp_path / "out") == {"s00": 115, "s01": 120, "s02": 120}  # no +7 anywhere
    finally:
        worker.terminate()
        worker.wait(timeout=60)
