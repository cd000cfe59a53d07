"""The late policy: measured from the recorded submission time, recorded in the results files."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from autograder import seal
from autograder.lms import atomic
from autograder.lms.lateness import LatePolicy, parse_due, parse_duration, parse_penalty

from .cohort import DUE, FORMULA, stem
from .conftest import rows_of

UTC = timezone.utc
POLICY = ["--due", DUE, "--late-penalty", "10%/day", "--grace", "15m"]


def _plain(cli, results, tmp_path, *extra):
    out = tmp_path / "grades.csv"
    ran = cli("export-grades", results, "--to", "csv", "--out", out, *extra)
    rows = rows_of(out)
    return ran, {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}


def test_penalty_per_started_day_from_the_recorded_time(cli, results, tmp_path):
    ran, rows = _plain(cli, results, tmp_path, *POLICY)
    ben = rows["ben"]  # 1 day 1 h 30 min late: 2 started days
    assert (ben["score"], ben["score_before_late"], ben["late_penalty_percent"]) == ("67.2", "84", "20")
    assert rows["ada"]["late_penalty_percent"] == "" and rows["ada"]["score"] == "114"
    assert rows["dev"]["score"] == "101"  # 10 minutes late, within the 15 minutes of grace
    assert "within" not in rows["dev"]["notes"] or "no penalty" in rows["dev"]["notes"]


def test_notes_say_which_time_source_was_used_and_that_file_times_are_weaker(cli, results, tmp_path):
    ran, rows = _plain(cli, results, tmp_path, *POLICY)
    assert "from the file modification time: weaker evidence" in rows["ben"]["notes"]
    assert "(from nbgrader timestamp.txt)" in rows["dev"]["notes"]
    notes = (tmp_path / "grades.notes.txt").read_text()
    assert "ben: -20%, 84 -> 67.2" in notes and "weaker evidence" in notes
    assert "late policy: due 2026-12-01T09:00+00:00, 10% per started day, 15 min grace" in notes


def test_student_without_a_submission_time_is_flagged_and_not_penalised(cli, results, tmp_path):
    before = (results / f"{stem(FORMULA)}.json").read_bytes()
    ran, rows = _plain(cli, results, tmp_path, *POLICY)
    assert ran.code == 1
    assert "submission time unknown" in ran.err and "the late policy was NOT applied" in ran.err
    assert rows["'" + FORMULA]["score"] == "57.5"
    assert (results / f"{stem(FORMULA)}.json").read_bytes() == before


def test_penalty_is_recorded_in_the_results_file_without_losing_anything(cli, results, tmp_path):
    original = json.loads((results / "ben.json").read_text())
    _plain(cli, results, tmp_path, *POLICY)
    data = json.loads((results / "ben.json").read_text())
    assert seal.check(data, seal.load_key()).ok  # sealed again: the next export and resume trust it
    late = data["extra_data"].pop("late")
    assert late["penalty_percent"] == 20 and late["score_before"] == 84 and late["score_after"] == 67.2
    assert late["days_late"] == pytest.approx(1.0625) and late["source"] == "file modification time"
    assert late["weak_evidence"] is True
    assert data["score"] == 67.2
    first, rest = data["output"].split("\n", 1)
    assert first.startswith("Late penalty: submitted 1 day 1 h 30 min after the due time")
    assert "-20%" in first and "84 -> 67.2" in first
    assert rest == original["output"]
    for key in ("score", "output"):
        data.pop(key), original.pop(key)
    data["extra_data"].pop("seal"), original["extra_data"].pop("seal")
    assert data == original  # every other key as it was


def test_rerun_never_stacks_penalties_and_a_new_policy_recomputes(cli, results, tmp_path):
    _plain(cli, results, tmp_path, *POLICY)
    first = (results / "ben.json").read_bytes()
    _plain(cli, results, tmp_path, *POLICY)
    assert (results / "ben.json").read_bytes() == first
    ran, rows = _plain(cli, results, tmp_path, "--due", DUE, "--late-penalty", "5%/day")
    assert rows["ben"]["score"] == "75.6"  # 84 less 10%, not 67.2 less 10%
    data = json.loads((results / "ben.json").read_text())
    assert data["output"].count("Late penalty:") == 1 and "-10%" in data["output"]
    # without --due the penalty recorded earlier still stands, and the notes say so
    ran, rows = _plain(cli, results, tmp_path)
    assert rows["ben"]["score"] == "75.6"
    assert "late penalty recorded by an earlier export: -10%" in ran.err


def test_cap_and_per_hour_rates(cli, results, tmp_path):
    ran, rows = _plain(cli, results, tmp_path, "--due", DUE, "--late-penalty", "2%/hour",
                       "--late-cap", "40%")
    assert rows["ben"]["late_penalty_percent"] == "40"  # 26 started hours = 52%, capped at 40
    assert rows["dev"]["late_penalty_percent"] == "2"  # 10 minutes, no grace this time
    assert rows["dev"]["score"] == "98.98"


def test_a_failed_rewrite_loses_nothing(cli, results, tmp_path, monkeypatch):
    before = (results / "ben.json").read_bytes()

    real_replace = atomic.os.replace

    def refuse(src, dst):  # the results folder's disk is full; the export's folder is not
        if str(dst).endswith(".json"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", refuse)
    ran, rows = _plain(cli, results, tmp_path, *POLICY)
    assert "could not record the late penalty in ben.json (No space left on device)" in ran.err
    assert (results / "ben.json").read_bytes() == before
    assert [p.name for p in results.iterdir() if p.name.endswith(".tmp")] == []


def test_regrade_students_are_not_given_a_penalty(cli, results, tmp_path):
    before = (results / "carl.json").read_bytes()
    _plain(cli, results, tmp_path, *POLICY)
    assert (results / "carl.json").read_bytes() == before


# --- the policy itself ---------------------------------------------------------------------


def _at(minutes_late: float) -> datetime:
    return datetime(2026, 12, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes_late)


@pytest.mark.parametrize("minutes, percent", [
    (-5, 0), (0, 0), (10, 0), (15, 0), (16, 10), (24 * 60, 10), (24 * 60 + 1, 20), (10 * 24 * 60, 50),
])
def test_started_days_after_grace_and_cap(minutes, percent):
    policy = LatePolicy(parse_due(DUE), 10, "day", cap=50, grace=timedelta(minutes=15))
    assert policy.assess(_at(minutes)).penalty_percent == percent


def test_due_times_in_zones_and_offsets():
    assert parse_due("2026-12-01 09:00 UTC") == _at(0)
    assert parse_due("2026-12-01T10:00+01:00") == _at(0)
    assert parse_due("2026-12-01T09:00Z") == _at(0)
    assert parse_due("2026-12-01 10:00 Europe/Berlin") == _at(0)


def test_rates_and_durations():
    assert parse_penalty("10%/day") == (10, "day")
    assert parse_penalty("2.5 % per hour") == (2.5, "hour")
    assert parse_duration("1h30m", "--grace") == timedelta(minutes=90)
    assert parse_duration("0", "--grace") == timedelta(0)
