"""A fault in the grader's own code is never the student's: it is ``grader_error``, never a score.

Each test breaks one stage of a *copy* of the project, as a bad install or an
incompatible library would (the loader, the notebook shell, a probe, a hidden
check, the results builder), grades honest submissions with that copy, and
checks that they come out ``grader_error``: flagged for regrade, no score, the
fault named for the instructor, a loud non-zero ``grade-all``. The copy runs in
processes of its own, so the sandboxed worker runs the broken code too.
Students whose own code raises are still charged as before.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from autograder import paths
from autograder.judge import selftest
from tests.conftest import ROOT, run

pytestmark = pytest.mark.slow

SOLUTION = paths.SOLUTION_FILE.read_text(encoding="utf-8")


def broken_copy(tmp_path: Path, path: str, old: str, new: str) -> Path:
    """The project's grading code copied to ``tmp_path``, with ``old`` replaced once in ``path``."""
    root = tmp_path / "project"
    for name in ("autograder", "quizzes", "solutions"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    target = root / path
    text = target.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"fault anchor not unique or missing in {path}: {old!r}"
    target.write_text(text.replace(old, new), encoding="utf-8")
    return root


def in_copy(root: Path, *args: str, timeout: float = 300):
    env = {"PYTHONPATH": str(root)}
    where = run([sys.executable, "-c", "import autograder; print(autograder.__file__)"], cwd=root, env=env)
    assert where.stdout.strip() == str(root / "autograder" / "__init__.py"), where.stdout + where.stderr
    return run([sys.executable, "-m", "autograder", *args], cwd=root, env=env, timeout=timeout)


def cohort(tmp_path: Path, notebook: bool = True) -> Path:
    folder = tmp_path / "cohort"
    folder.mkdir()
    (folder / "alice.py").write_text(SOLUTION, encoding="utf-8")
    if notebook:
        (folder / "nadia.ipynb").write_bytes(selftest.filled_notebook(""))
    return folder


def results_of(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("[!.]*.json")}


def assert_grader_error(data: dict, *named: str) -> None:
    extra = data["extra_data"]
    assert extra["status"] == "grader_error", (extra["status"], extra.get("regrade_reason"))
    assert data["score"] == 0
    assert extra["grader_errors"], "the fault must be recorded for the instructor"
    for word in named:
        assert word in extra["regrade_reason"], extra["regrade_reason"]
    code = [t for t in data["tests"] if t["tags"][1] != "quiz"]
    assert code and all("the grader itself failed" in t["output"] for t in code)
    assert not any("could not be loaded" in t["output"] for t in code), "a grader fault read as the student's"


FAULTS = {
    # stage: (file, anchor, the anchor with a fault in it, words the reason must name, students affected)
    "the notebook shell fails to start": (
        "autograder/worker/load.py", '    """The shell a notebook runs in: a new one, in this worker\'s home',
        "    raise AttributeError(\"module 'IPython.core.interactiveshell' has no attribute 'PickleShareDB'\")\n"
        '    """The shell a notebook runs in: a new one, in this worker\'s home',
        ("loading the submission", "PickleShareDB"), {"nadia"}),
    "the .py reader is broken": (
        "autograder/worker/load.py", "    \"\"\"Source text as Python would read it (PEP 263), with a note when "
        "it is not valid.\"\"\"\n", "    if data:\n        raise UnicodeError('simulated loader bug')\n",
        ("intake", "simulated loader bug"), {"alice"}),
    "a probe raises": (
        "autograder/worker/probes.py", "    model = build(ModeRevealingMLP, wire.grouped(tensors, \"w.\"))\n",
        "    raise KeyError('simulated probe bug')\n", ("probe predict", "simulated probe bug"),
        {"alice", "nadia"}),
}


@pytest.mark.parametrize("stage", list(FAULTS))
def test_a_fault_of_the_worker_code_is_a_grader_error_never_a_score(tmp_path, stage):
    path, old, new, named, affected = FAULTS[stage]
    root = broken_copy(tmp_path, path, old, new)
    out = tmp_path / "out"
    proc = in_copy(root, "grade-all", str(cohort(tmp_path)), "--out", str(out), "--skip-selftest",
                   "--no-feedback")
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "GRADER ERROR: the grader itself failed on" in " ".join(proc.stderr.split())
    found = results_of(out)
    for name in affected:
        assert_grader_error(found[name], *named)
    for name in {"alice", "nadia"} - affected:
        assert found[name]["extra_data"]["status"] == "graded" and found[name]["score"] == 120
    csv_text = (out / "grades.csv").read_text(encoding="utf-8")
    for name in affected:
        assert f"{name},0,135,grader_error" in csv_text


def test_a_loader_broken_for_every_submission_stops_the_grader_before_anyone_is_graded(tmp_path):
    root = broken_copy(tmp_path, "autograder/worker/load.py",
                       '    spec = importlib.util.spec_from_file_location("rnn", path)\n',
                       '    spec = importlib.util.spec_from_file_location("rnn", path)\n    spec = None\n')
    out = tmp_path / "out"
    proc = in_copy(root, "grade-all", str(cohort(tmp_path)), "--out", str(out), "--skip-selftest")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("python -m autograder grade-all: cannot grade: the grader's own code failed "
                                  "in its trial worker (loading the submission: AttributeError: "), proc.stderr
    assert "sandbox" not in proc.stderr.split("(", 1)[0]
    assert not list(out.glob("*.json"))


def test_a_hidden_check_that_raises_is_a_grader_error(tmp_path):
    root = broken_copy(tmp_path, "autograder/judge/suites/test_predict.py", "def test_eval_mode(ctx):\n",
                       "def test_eval_mode(ctx):\n    raise ValueError('simulated check bug')\n")
    results = tmp_path / "r.json"
    proc = in_copy(root, "grade", str(ROOT / "solutions" / "rnn.py"), "--results", str(results))
    assert proc.returncode == 0, proc.stderr
    assert_grader_error(json.loads(results.read_text()), "simulated check bug")
    assert "NOT GRADED" in proc.stdout


def test_a_results_builder_that_raises_still_writes_a_grader_error(tmp_path):
    root = broken_copy(tmp_path, "autograder/results.py", "    tests = []\n    for outcome in grade.outcomes:\n",
                       '    raise RuntimeError("simulated results bug")\n    for outcome in grade.outcomes:\n')
    results = tmp_path / "r.json"
    proc = in_copy(root, "grade", str(ROOT / "solutions" / "rnn.py"), "--results", str(results))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(results.read_text())
    assert data["extra_data"]["status"] == "grader_error" and data["score"] == 0
    assert "simulated results bug" in data["extra_data"]["regrade_reason"]
    assert data["extra_data"]["max_score"] == 135


def test_selftest_fails_on_a_grader_with_a_broken_loader_and_names_the_checks(tmp_path):
    path, old, new, *_ = FAULTS["the notebook shell fails to start"]
    proc = in_copy(broken_copy(tmp_path, path, old, new), "selftest")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("selftest FAILED")
    assert "  release notebook, filled in: status: expected 1, got 0 (grader_error: grader failure: loading " \
        "the submission: AttributeError: module 'IPython.core.interactiveshell' has no attribute " \
        "'PickleShareDB'" in "\n".join(lines)
    assert any(line.startswith("  release notebook, filled in: forward.shapes: expected ") and
               line.endswith(", got 0 (not graded yet: the grader itself failed on this submission; your "
                             "instructor has been told and will regrade it once it is fixed)") for line in lines)
    assert not any(line.startswith(("  reference.py:", "  mistake")) for line in lines), \
        "only the notebook path is broken"


def test_grade_all_refuses_to_grade_with_a_grader_that_fails_its_selftest(tmp_path):
    path, old, new, *_ = FAULTS["a probe raises"]
    root = broken_copy(tmp_path, path, old, new)
    out = tmp_path / "out"
    proc = in_copy(root, "grade-all", str(cohort(tmp_path, notebook=False)), "--out", str(out))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "refusing to grade: the grader failed its self-test" in proc.stderr
    assert "  reference.py: status: expected 1, got 0 (grader_error: grader failure: predict: probe " \
        "predict: KeyError: 'simulated probe bug'" in proc.stderr
    assert not (out / "alice.json").exists()


def test_students_whose_own_code_raises_are_still_charged(tmp_path):
    folder = tmp_path / "cohort"
    folder.mkdir()
    (folder / "raises_at_import.py").write_text(SOLUTION + "\nraise ValueError('my own bug')\n")
    (folder / "raises_in_predict.py").write_text(SOLUTION.replace(
        "    model.eval()\n", "    raise ValueError('my own bug')\n", 1))
    (folder / "missing_predict.py").write_text(SOLUTION.replace("def predict(", "def predict_(", 1))
    out = tmp_path / "out"
    proc = run([sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out), "--no-quiz",
                "--no-feedback", "--skip-selftest"])
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    found = results_of(out)
    for name, data in found.items():
        assert data["extra_data"]["status"] == "graded", name
        assert data["extra_data"]["grader_errors"] == [], name
    assert found["raises_at_import"]["score"] == 0
    assert "rnn.py could not be loaded: ValueError: my own bug" in found["raises_at_import"]["tests"][0]["output"]
    for name in ("raises_in_predict", "missing_predict"):
        predict = [t for t in found[name]["tests"] if t["extra_data"]["function"] == "predict"]
        assert predict and all(t["score"] == 0 for t in predict), name
        assert found[name]["score"] == 120 - sum(t["max_score"] for t in predict), name
