"""Smoke test of the speed benchmark: one quick run reports every section with real numbers.

No timing is asserted (these machines are shared and noisy); what is asserted is that each
section ran and measured something, and that every attack the benchmark tries is contained by
the fork server (and by bwrap, where bwrap can run).
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
    proc = run([sys.executable, "-m", "autograder.benchmark", "--quick", "--runs", "1", "--no-nbgrader",
                "--json", str(out)], timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8")), proc.stdout


def test_every_section_is_printed(report):
    _, printed = report
    for heading in ("1. floors and ratios", "2. grade-all", "3. peak memory", "4. the cohort",
                    "5. sandbox mechanisms"):
        assert heading in printed, printed


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


def test_nbgrader_section_says_it_was_left_out(report):
    data, _ = report
    assert data["nbgrader"] == {"skipped": "--no-nbgrader"}


def test_sandbox_comparison(report):
    data, _ = report
    boxes = data["sandboxes"]
    fork_server = boxes["fork_server"]
    assert positive(fork_server["per_student"]) and positive(fork_server["one_off_start"])
    assert fork_server["worker_start_s"] > 0 and fork_server["phases_median_s"]["probes"] > 0
    assert boxes["same_score"] is True
    mechanisms = ["fork_server"]
    if "skipped" in boxes["bwrap"]:
        assert boxes["bwrap"]["skipped"]  # a reason, in one line
    else:
        mechanisms.append("bwrap")
        assert positive(boxes["bwrap"]["per_student"]) and boxes["bwrap"]["worker_start_s"] > 0
        assert boxes["bwrap"]["escaped_processes"] == 0
    for name, outcome in boxes["attacks"].items():
        for mechanism in mechanisms:
            assert outcome[mechanism]["verdict"] == "contained", (name, mechanism, outcome[mechanism])
    for mechanism in mechanisms:
        assert boxes[mechanism]["attacks_contained"] == boxes[mechanism]["attacks_tried"] == 5
