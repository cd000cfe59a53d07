"""Students that target the Dask worker hosting their sandbox (grade-all --scheduler): they signal
every process they can name, read the worker through /proc, connect to its listening ports and read
or plant files in its local directory. The worker survives unchanged (same process, no restart),
nothing of it is read, no file is planted, and every other student is graded as on one machine."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT
from tests.grader.common import SOLUTION

pytestmark = [pytest.mark.slow, pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                                    reason="the cluster extra is not installed: every test here runs Dask")]

ATTACKS = ROOT / "tests" / "corpus" / "dask"
CANARY = "dask-env-canary-5e1b"
FILE_CANARY = "dask-file-canary-7c2d"
NAMES = ("signal_host", "proc_host", "port_host", "files_host")


def _port(address: str) -> int:
    return urlsplit(address).port


def write_cohort(folder: Path, ports: list[int], dirs: list[str]) -> None:
    folder.mkdir()
    for index in range(2):
        (folder / f"honest{index}.py").write_text(SOLUTION)
    for name in NAMES:
        attack = (ATTACKS / f"{name}.py").read_text().replace("@@CANARY@@", CANARY) \
            .replace("@@FILE_CANARY@@", FILE_CANARY).replace("@@PORTS@@", repr(ports)) \
            .replace("@@DIRS@@", repr(dirs))
        (folder / f"{name}.py").write_text(SOLUTION + "\n\n" + attack)
    os.chmod(folder, 0o755)


def plant_canaries(folders: list[str]) -> None:
    """What a worker's folder holds (spilled data, written with the default umask): readable by others."""
    for folder in folders:
        path = Path(folder) / "canary-spilled.bin"
        path.write_text(FILE_CANARY)
        path.chmod(0o644)
        Path(folder).chmod(0o755)
        Path(folder).parent.chmod(0o755)


def drive(base: str, project: str, *options: str) -> None:
    """Start a two-worker cluster, plant canaries, grade the cohort on it; write what happened to
    BASE/driven.json. Runs here (full mode) or inside a Gradescope-like container (container mode)."""
    from distributed import Client, LocalCluster

    base_path = Path(base)
    space = Path(tempfile.mkdtemp(prefix="rnn-dask-space-", dir="/var/tmp"))  # any user may pass through
    space.chmod(0o755)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      local_directory=str(space), env={"RNN_DASK_CANARY": CANARY}) as cluster, \
            Client(cluster.scheduler_address) as client:
        before = client.run(os.getpid)
        folders = list(client.run(lambda dask_worker: dask_worker.local_directory).values())
        plant_canaries(folders)
        info = client.scheduler_info()
        ports = [_port(cluster.scheduler_address), *[_port(a) for a in before],
                 *[_port(w["nanny"]) for w in info["workers"].values() if w.get("nanny")]]
        write_cohort(base_path / "cohort", ports, [str(space), *folders])
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(base_path / "cohort"),
                               "--out", str(base_path / "out"), "--no-quiz", "--scheduler",
                               cluster.scheduler_address, "--total-timeout", "120", *options],
                              cwd=project, env=env, capture_output=True, text=True, timeout=900)
        after = client.run(os.getpid)
    planted = [str(p) for p in space.rglob("planted.pkl")]
    shutil.rmtree(space, ignore_errors=True)
    (base_path / "driven.json").write_text(json.dumps({"returncode": proc.returncode, "stderr": proc.stderr,
                                                       "before": before, "after": after, "planted": planted}))


def _collect(base: Path):
    driven = json.loads((base / "driven.json").read_text())
    proc = subprocess.CompletedProcess([], driven["returncode"], "", driven["stderr"])
    results = {p.stem: json.loads(p.read_text()) for p in (base / "out").glob("*.json")}
    return proc, results, driven["before"], driven["after"], driven["planted"]


@pytest.fixture(scope="module", params=["full", "container", "container-without-landlock"])
def attacked(request, tmp_path_factory):
    base = tmp_path_factory.mktemp(f"dask-attacks-{request.param}")
    base.chmod(0o755)
    if request.param == "full":
        drive(str(base), str(ROOT))
        return _collect(base)
    from tests.sandbox_env import in_container, python

    # The cluster, its workers and grade-all all run without CAP_SYS_ADMIN, the project closed to others;
    # without Landlock (a Docker host whose kernel or profile refuses it), only file modes protect.
    command = [*python(base, landlock=request.param != "container-without-landlock"), "-c",
               "from tests.grader.test_dask_attacks import drive; "
               f"drive({str(base)!r}, '.', '--sandbox', 'container')"]
    proc = subprocess.run(in_container(command, base), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    collected = _collect(base)
    modes = {r["extra_data"]["isolation"]["mode"] for r in collected[1].values()}
    assert modes == {"container"}, (modes, collected[0].stderr[-2000:])
    landlock = [m for r in collected[1].values() for m in r["extra_data"]["isolation"]["measures"]
                if m.startswith("landlock")]
    assert bool(landlock) is (request.param == "container"), landlock
    return collected


def test_the_cohort_is_graded_and_the_hosting_workers_survive_unchanged(attacked):
    proc, results, before, after, _ = attacked
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert after == before  # the same worker processes: none killed, none restarted
    assert set(results) == {"honest0", "honest1", *NAMES}
    assert results["honest0"]["score"] == results["honest1"]["score"] == 120
    for name in NAMES:
        assert results[name]["extra_data"]["status"] == "graded", results[name]["output"][-1500:]


def test_signals_reach_no_process_outside_the_sandbox(attacked):
    _, results, *_ = attacked
    assert "SIGNALLED" in results["signal_host"]["output"]  # the attack ran, and graded nonetheless
    assert results["signal_host"]["score"] == 120


def test_the_hosting_worker_is_not_read_through_proc(attacked):
    _, results, *_ = attacked
    output = results["proc_host"]["output"]
    assert "PROC readable" in output and "ENVIRON-LEAK" not in output
    assert not [name for name, data in results.items() if CANARY in json.dumps(data)]


def test_the_workers_ports_cannot_be_reached(attacked):
    _, results, *_ = attacked
    output = results["port_host"]["output"]
    assert "no connection" in output and "CONNECTED" not in output


def test_the_workers_files_are_neither_read_nor_written(attacked):
    _, results, _, _, planted = attacked
    output = results["files_host"]["output"]
    assert "FILES" in output and "FILE-LEAK" not in output and "PLANTED" not in output
    assert planted == [] and not Path("/tmp/pwned").exists()
    assert not [name for name, data in results.items() if FILE_CANARY in json.dumps(data)]
