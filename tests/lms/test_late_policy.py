"""The late policy: measured from the recorded submission time, recorded in the results files."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from autograder import seal
from autograder.lms import atomic
from autograder.lms.lateness import LatePolicy, parse_due, parse_duration, parse_penalty

from .cohort import DUE, FORMULA, sealed, stem
from .cohort import results as results_json
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
    assert "dev: submitted 10 min late, no penalty;" in rows["dev"]["notes"]


def test_notes_say_which_time_source_was_used_and_that_file_times_are_weaker(cli, results, tmp_path):
    ran, rows = _plain(cli, results, tmp_path, *POLICY)
    assert "from the file modification time: weaker evidence" in rows["ben"]["notes"]
    assert "(from nbgrader timestamp.txt)" in rows["dev"]["notes"]
    notes = (tmp_path / "grades.notes.txt").read_text()
    assert "ben: -20%, 84 -> 67.2" in notes and "weaker evidence" in notes
    assert "late policy for " in notes and "late-policy.toml" in notes
    assert "due 2026-12-01T09:00+00:00, 10% per started day, 15 min grace" in notes


@pytest.mark.parametrize("target", ["canvas", "moodle"])
def test_lms_exports_mark_file_times_as_weaker_evidence(cli, results, tmp_path, target):
    ran = cli("export-grades", results, "--to", target, "--out", tmp_path / "x.csv", *POLICY)
    notes = (tmp_path / "x.notes.txt").read_text()
    line = next(line for line in notes.splitlines() if "submission times are file modification times" in line)
    assert "1 of 3" in line and "weaker evidence" in line and line.endswith(": ben")
    assert "weaker evidence" in ran.err


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
    ran, rows = _plain(cli, results, tmp_path, "--due", DUE, "--late-penalty", "5%/day",
                       "--replace-late-policy")
    assert rows["ben"]["score"] == "75.6"  # 84 less 10%, not 67.2 less 10%
    data = json.loads((results / "ben.json").read_text())
    assert data["output"].count("Late penalty:") == 1 and "-10%" in data["output"]
    # without --due the folder's policy still applies, and the output says so
    ran, rows = _plain(cli, results, tmp_path)
    assert rows["ben"]["score"] == "75.6"
    assert "late policy kept with" in ran.out and "5% per started day" in ran.out


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


# --- the policy is kept with the results folder -------------------------------------------------


def _regrade(results, name, **spec):
    """What `grade-all --only NAME --force` leaves: a fresh results file, without any late record."""
    from .cohort import STUDENTS

    data = sealed(results_json(name, **{**STUDENTS[name], **spec}))  # sealed, as grade-all writes it
    (results / f"{stem(name)}.json").write_text(json.dumps(data, indent=2))
    return data


def test_a_regraded_student_keeps_the_folders_late_policy(cli, results, tmp_path):
    ran, rows = _plain(cli, results, tmp_path, *POLICY)
    assert rows["ben"]["score"] == "67.2"
    assert (results / "late-policy.toml").is_file()
    assert "kept in" in ran.out and "late-policy.toml" in ran.out
    _regrade(results, "ben")  # 84 again, no late record: grade-all knows nothing of lateness
    ran, rows = _plain(cli, results, tmp_path)  # no --due this time
    assert rows["ben"]["score"] == "67.2" and rows["ben"]["late_penalty_percent"] == "20"
    assert json.loads((results / "ben.json").read_text())["score"] == 67.2
    assert "late policy kept with" in ran.out and "10% per started day" in ran.out
    notes = (tmp_path / "grades.notes.txt").read_text()
    assert "late policy kept with" in notes and "15 min grace" in notes


def test_a_regraded_student_improving_keeps_the_penalty_on_the_new_score(cli, results, tmp_path):
    _plain(cli, results, tmp_path, *POLICY)
    _regrade(results, "ben", core=100.0, quiz=15.0, missed=())
    ran, rows = _plain(cli, results, tmp_path)
    assert (rows["ben"]["score_before_late"], rows["ben"]["score"]) == ("115", "92")


def test_changing_the_policy_takes_an_explicit_option_and_says_so(cli, results, tmp_path):
    _plain(cli, results, tmp_path, *POLICY)
    before = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    ran = cli("export-grades", results, "--to", "csv", "--out", tmp_path / "other.csv",
              "--due", DUE, "--late-penalty", "5%/day")
    assert ran.code == 2 and "--replace-late-policy" in ran.err and "10% per started day" in ran.err
    assert {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()} == before
    assert not (tmp_path / "other.csv").exists()
    ran, rows = _plain(cli, results, tmp_path, "--due", DUE, "--late-penalty", "5%/day",
                       "--replace-late-policy")
    assert ran.code == 1  # the formula student still has no submission time
    assert "late policy REPLACED" in ran.out and "was due" in ran.out and "5% per started day" in ran.out
    assert rows["ben"]["score"] == "75.6"  # 84 less 2 started days at 5%, no grace now


def test_dropping_the_policy_takes_an_explicit_option_and_removes_every_penalty(cli, results, tmp_path):
    original = json.loads((results / "ben.json").read_text())
    _plain(cli, results, tmp_path, *POLICY)
    ran, rows = _plain(cli, results, tmp_path, "--no-late-policy")
    assert "late policy DROPPED" in ran.out and "10% per started day" in ran.out
    assert rows["ben"]["score"] == "84" and rows["ben"]["late_penalty_percent"] == ""
    dropped = json.loads((results / "ben.json").read_text())
    assert seal.check(dropped, seal.load_key()).ok
    diff = {k: (original["extra_data"].get(k), v) for k, v in dropped["extra_data"].items()
            if original["extra_data"].get(k) != v}
    assert dropped == original, diff
    assert not (results / "late-policy.toml").exists()
    ran, rows = _plain(cli, results, tmp_path)
    assert rows["ben"]["score"] == "84" and "late policy" not in ran.out


def test_the_same_policy_given_again_is_no_change(cli, results, tmp_path):
    _plain(cli, results, tmp_path, *POLICY)
    kept = (results / "late-policy.toml").read_bytes()
    ran, rows = _plain(cli, results, tmp_path, *POLICY)
    assert ran.code == 1 and "REPLACED" not in ran.out and "late policy kept with" in ran.out
    assert (results / "late-policy.toml").read_bytes() == kept


@pytest.mark.parametrize("extra, message", [
    (["--no-late-policy", "--due", DUE], "--no-late-policy drops the kept policy: leave out --due"),
    (["--replace-late-policy"], "--replace-late-policy needs --due"),
])
def test_policy_option_mistakes_are_one_line(cli, results, tmp_path, extra, message):
    ran = cli("export-grades", results, "--to", "csv", "--out", tmp_path / "g.csv", *extra)
    assert ran.code == 2 and message in ran.err


def test_an_unreadable_kept_policy_stops_the_export(cli, results, tmp_path):
    (results / "late-policy.toml").write_text("due = 3\n")
    ran = cli("export-grades", results, "--to", "csv", "--out", tmp_path / "g.csv")
    assert ran.code == 2 and "late-policy.toml" in ran.err and not (tmp_path / "g.csv").exists()


def test_penalties_recorded_without_a_kept_policy_are_flagged(cli, results, tmp_path):
    """Results from before the policy was kept with the folder: their penalty stands, but a regraded
    student would lose it, so the export says so and asks for the policy again."""
    _plain(cli, results, tmp_path, *POLICY)
    (results / "late-policy.toml").unlink()
    ran, rows = _plain(cli, results, tmp_path)
    assert rows["ben"]["score"] == "67.2" and ran.code == 1
    assert "no late policy is kept with" in ran.err and "give it again with --due" in ran.err


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
