"""Results the grader trusts are results it wrote: the seal (autograder/seal.py), its key kept
outside OUT, and what grades.csv, the report and the exports do with a file that fails it."""

from __future__ import annotations

import csv
import json
import os
import stat

import pytest

from autograder import cohort, seal
from autograder.cli import main
from tests.lms.cohort import results as results_json
from tests.lms.cohort import sealed, write_cohort


@pytest.fixture
def state(tmp_path, monkeypatch):
    """A state folder of this test's own (the session's key stays untouched)."""
    folder = tmp_path / "state"
    monkeypatch.setenv(seal.STATE_ENV, str(folder))
    return folder


def test_the_key_is_made_private_outside_out_and_kept(state):
    key = seal.load_key(create=True)
    assert len(key) == 32 and seal.load_key() == key
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(state / seal.KEY_FILE).st_mode) == 0o600
    assert os.stat(state / seal.KEY_FILE).st_uid == os.geteuid()


def test_no_key_means_none_until_grade_all_makes_one(state):
    assert seal.load_key() is None and not state.exists()
    assert not seal.check(sealed_with(b"k" * 32), None).ok


@pytest.mark.parametrize("what,mode", [("folder", 0o755), ("folder", 0o770), ("key", 0o644), ("key", 0o640)])
def test_a_key_others_could_read_or_replace_is_refused(state, what, mode):
    seal.load_key(create=True)
    os.chmod(state if what == "folder" else state / seal.KEY_FILE, mode)
    with pytest.raises(seal.SealKeyError, match="chmod"):
        seal.load_key()


def test_a_key_that_is_a_link_or_not_a_key_is_refused(state, tmp_path):
    state.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(os.urandom(32))
    os.chmod(elsewhere, 0o600)
    (state / seal.KEY_FILE).symlink_to(elsewhere)
    with pytest.raises(seal.SealKeyError):
        seal.load_key(create=True)
    (state / seal.KEY_FILE).unlink()
    (state / seal.KEY_FILE).write_bytes(b"short")
    os.chmod(state / seal.KEY_FILE, 0o600)
    with pytest.raises(seal.SealKeyError, match="not a results key"):
        seal.load_key()


def sealed_with(key: bytes, **changes) -> dict:
    data = results_json("ada", 100.0, 14.0)
    data["extra_data"].update(changes)
    return seal.seal(data, key)


def test_any_change_after_grading_breaks_the_seal():
    key = os.urandom(32)
    data = sealed_with(key, loss_curve={"student": [float("nan"), 1e308], "reference": [0.5]},
                       student="a\ud800\u202e")
    assert seal.check(json.loads(json.dumps(data, indent=2)), key).ok  # as written and read back
    for change in (lambda d: d.update(score=115.0), lambda d: d["tests"][0].update(score=1.0),
                   lambda d: d["extra_data"].update(student="mallory"), lambda d: d.pop("output"),
                   lambda d: d["extra_data"]["seal"].update(hmac="0" * 64)):
        forged = json.loads(json.dumps(data))
        change(forged)
        assert not seal.check(forged, key).ok
    assert "another results key" in seal.check(data, os.urandom(32)).why
    unsealed = json.loads(json.dumps(data))
    del unsealed["extra_data"]["seal"]
    assert "no seal" in seal.check(unsealed, key).why


def test_grades_csv_report_and_summary_flag_an_unsealed_file(tmp_path, capsys):
    key = seal.load_key()
    out = write_cohort(tmp_path / "out")
    forged = results_json("mallory", 100.0, 15.0)
    (out / "mallory.json").write_text(json.dumps(forged))
    cohort.rebuild_csv(out, out / "grades.csv", key)
    rows = {row[0]: row for row in csv.reader((out / "grades.csv").open())}
    assert rows["mallory"][1:4] == ["", "", cohort.UNAUTHENTICATED]
    assert rows["ada"][1:4] == ["114", "115", "graded"]
    from autograder.commands import grade_all

    grade_all._summary(out, [], [], key, [])
    said = capsys.readouterr().out
    assert "1 results file in" in said and "UNSEALED mallory.json: not sealed by this grader" in said
    assert "mallory" not in said.split("students: mean")[0]  # not among the scores
    grade_all._report(out, key)
    report = (out / "report.html").read_text()
    assert "mallory.json" in report and "not sealed" in report
    assert 'href="feedback/mallory.html"' not in report and 'href="feedback/ada.html"' in report


def _export(*args) -> tuple[int, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    return code


@pytest.mark.parametrize("forgery", ["unsealed", "edited", "another machine"])
def test_an_export_never_sends_a_forged_or_foreign_file(tmp_path, capsys, forgery):
    out = write_cohort(tmp_path / "out")
    if forgery == "unsealed":
        (out / "mallory.json").write_text(json.dumps(results_json("mallory", 100.0, 15.0)))
        name, why = "mallory.json", "not sealed by this grader's grade-all"
    elif forgery == "edited":
        data = json.loads((out / "ben.json").read_text())
        data["score"], data["tests"][-1]["score"] = 115.0, 15.0
        (out / "ben.json").write_text(json.dumps(data))
        name, why = "ben.json", "its seal does not match: the file was changed after grading"
    else:
        (out / "mallory.json").write_text(json.dumps(seal.seal(results_json("mallory", 100.0, 15.0),
                                                                os.urandom(32))))
        name, why = "mallory.json", "sealed with another results key"
    code = _export("export-grades", out, "--to", "csv", "--out", tmp_path / "g.csv")
    err = capsys.readouterr().err
    assert code == 1 and f"{name}: {why}" in err and "not trusted" in err
    exported = [row[0] for row in csv.reader((tmp_path / "g.csv").open())][1:]
    assert name.removesuffix(".json") not in exported and "ada" in exported


def test_an_export_elsewhere_without_the_key_refuses_and_says_how(tmp_path, capsys, monkeypatch):
    out = write_cohort(tmp_path / "out")
    monkeypatch.setenv(seal.STATE_ENV, str(tmp_path / "no-state-here"))
    code = _export("export-grades", out, "--to", "csv", "--out", tmp_path / "g.csv")
    err = capsys.readouterr().err
    assert code == 2 and "no results key on this machine" in err and "copy its key here" in err


def test_a_late_penalty_recorded_by_an_export_keeps_the_file_sealed(tmp_path, capsys):
    out = write_cohort(tmp_path / "out")
    _export("export-grades", out, "--to", "csv", "--out", tmp_path / "g.csv", "--due", "2026-12-01 09:00 UTC",
            "--late-penalty", "10%/day")
    data = json.loads((out / "ben.json").read_text())
    assert data["extra_data"]["late"]["penalty_percent"] == 20 and seal.check(data, seal.load_key()).ok
    assert sealed(results_json("x", 1.0, 1.0))["extra_data"]["seal"]["key"] == seal.key_id(seal.load_key())


def test_grade_all_will_not_run_with_a_key_others_could_read(state, tmp_path, capsys):
    seal.load_key(create=True)
    os.chmod(state, 0o755)
    (tmp_path / "cohort").mkdir()
    (tmp_path / "cohort" / "ann.py").write_text("x = 1\n")
    code = _export("grade-all", tmp_path / "cohort", "--out", tmp_path / "out")
    err = capsys.readouterr().err
    assert code == 2 and "results key:" in err and "chmod 700" in err
    assert not (tmp_path / "out").exists()
