"""export-grades: what an instructor gets from a results folder, format by format."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

from .cohort import DUE, FORMULA, MAX, sealed, stem, write_cohort
from .cohort import results as results_json
from .conftest import rows_of

FORMULA_CELL = "'" + FORMULA


# --- Canvas --------------------------------------------------------------------------------


def test_canvas_with_roster_fills_ids_from_it_and_titles_the_column_for_the_assignment(
        cli, results, canvas_roster, id_map, tmp_path):
    out = tmp_path / "canvas.csv"
    ran = cli("export-grades", results, "--to", "canvas", "--out", out, "--roster", canvas_roster,
              "--id-map", id_map, "--assignment-id", "4321")
    rows = rows_of(out)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "Module 11: Recurrent Neural Networks (4321)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "115"]
    assert rows[2:] == [
        ["Lovelace, Ada", "101", "S-001", "ada.lovelace", "Section A", "114"],
        ["Babbage, Ben", "102", "S-002", "ben", "Section A", "84"],
        ["Devi, Dev", "104", "S-004", "dev", "Section B", "101"],
        ["Formula, Fay", "105", "S-005", "fay", "Section B", "57.5"],
    ]
    # carl (not_run) and Eve (no results) are flagged, not exported, and the run says so
    assert ran.code == 1
    assert "carl (carl.json): not_run: sandbox: the cgroup memory limit was refused" in ran.err
    assert "Absent, Eve (canvas_export.csv line 8" in ran.err
    assert "Canvas's test student" in ran.err
    notes = (tmp_path / "canvas.notes.txt").read_text()
    assert "carl" in notes and "Absent, Eve" in notes
    assert "wrote" in ran.out and "4 students" in ran.out


def test_canvas_warns_when_the_rosters_points_possible_differ_and_suggests_scale_to(
        cli, results, canvas_roster, id_map, tmp_path):
    canvas_roster.write_text(canvas_roster.read_text().replace(",,,,,115,100,", ",,,,,120,100,"))
    out = tmp_path / "canvas.csv"
    ran = cli("export-grades", results, "--to", "canvas", "--out", out, "--roster", canvas_roster,
              "--id-map", id_map, "--assignment-id", "4321")
    assert ran.code == 1
    warning = [line for line in ran.err.splitlines() if "Points Possible" in line and "120" in line]
    assert warning and "115" in warning[0] and "--scale-to 120" in warning[0], ran.err
    assert "--scale-to 120" in (tmp_path / "canvas.notes.txt").read_text()
    scaled = cli("export-grades", results, "--to", "canvas", "--out", out, "--roster", canvas_roster,
                 "--id-map", id_map, "--assignment-id", "4321", "--scale-to", "120")
    assert "--scale-to 120" not in scaled.err and rows_of(out)[1][5] == "120"
    same = cli("export-grades", results, "--to", "canvas", "--out", out, "--roster",
               canvas_roster, "--id-map", id_map,
               "--assignment-id", "4320", "--scale-to", "100")
    assert "Points Possible" not in same.err  # Module 10's column: 100 points, and so is the export


def test_canvas_column_title_is_name_and_id_exactly(cli, results, tmp_path):
    out = tmp_path / "c.csv"
    cli("export-grades", results, "--to", "canvas", "--out", out, "--assignment-id", "77",
        "--assignment-name", "Module 11")
    assert rows_of(out)[0][5] == "Module 11 (77)"


def test_canvas_takes_the_exact_title_from_the_roster_when_the_name_differs(
        cli, results, canvas_roster, id_map, tmp_path):
    out = tmp_path / "c.csv"
    ran = cli("export-grades", results, "--to", "canvas", "--out", out, "--roster", canvas_roster,
              "--id-map", id_map, "--assignment-id", "4321", "--assignment-name", "RNNs")
    assert rows_of(out)[0][5] == "Module 11: Recurrent Neural Networks (4321)"
    assert "using the roster's title" in ran.err


def test_canvas_without_assignment_id_warns_that_canvas_makes_a_new_assignment(cli, results, tmp_path):
    out = tmp_path / "c.csv"
    ran = cli("export-grades", results, "--to", "canvas", "--out", out)
    assert rows_of(out)[0][5] == "Module 11: Recurrent Neural Networks"
    assert "Canvas will create a NEW assignment" in ran.err


def test_canvas_without_roster_puts_the_login_in_sis_login_id(cli, results, id_map, tmp_path):
    out = tmp_path / "c.csv"
    ran = cli("export-grades", results, "--to", "canvas", "--out", out, "--id-map", id_map,
              "--assignment-id", "4321")
    assert "no --roster: LMS students without results cannot be listed" in ran.err
    by_login = {r[3]: r for r in rows_of(out)[2:]}
    assert by_login["ada.lovelace"] == ["ada", "", "", "ada.lovelace", "", "114"]
    assert by_login["fay"][0] == FORMULA_CELL  # the name is neutralised, the login is safe
    assert by_login["ben"][5] == "84"
    assert "carl" not in by_login


def test_scale_to_rescales_scores_and_points_possible(cli, results, tmp_path):
    out = tmp_path / "c.csv"
    cli("export-grades", results, "--to", "canvas", "--out", out, "--scale-to", "100",
        "--assignment-id", "1")
    rows = rows_of(out)
    assert rows[1][5] == "100"
    assert {r[0]: r[5] for r in rows[2:]}["ada"] == "99.13"  # 114 / 115 * 100


# --- Moodle --------------------------------------------------------------------------------


def test_moodle_by_username_with_roster(cli, results, moodle_roster, tmp_path):
    out = tmp_path / "m.csv"
    id_map = tmp_path / "ids.csv"
    id_map.write_text(f'student,username\n"{FORMULA.replace(chr(34), chr(34) * 2)}",fay\n')
    ran = cli("export-grades", results, "--to", "moodle", "--out", out, "--roster", moodle_roster,
              "--id-map", id_map, "--assignment-name", "Module 11")
    assert rows_of(out) == [["Username", "Student", "Module 11"],
                            ["ada", "Ada Lovelace", "114"], ["ben", "Ben Babbage", "84"],
                            ["dev", "Dev Devi", "101"], ["fay", "Fay Formula", "57.5"]]
    assert ran.code == 1  # carl needs a regrade, Eve has no results
    assert "Eve Absent" in ran.err and "carl" in ran.err
    assert "tina" not in ran.err.lower()  # the teacher is not a missing student
    assert "1 participant(s) whose Roles do not include Student" in ran.err


def test_moodle_email_field_writes_the_roster_email(cli, results, moodle_roster, tmp_path):
    out = tmp_path / "m.csv"
    cli("export-grades", results, "--to", "moodle", "--out", out, "--roster", moodle_roster,
        "--moodle-field", "email")
    rows = rows_of(out)
    assert rows[0][0] == "Email address"
    assert ["ada@uni.example", "Ada Lovelace", "114"] in rows


def test_moodle_empty_id_number_is_flagged_not_written_blank(cli, results, moodle_roster, tmp_path):
    out = tmp_path / "m.csv"
    ran = cli("export-grades", results, "--to", "moodle", "--out", out, "--roster", moodle_roster,
              "--moodle-field", "idnumber")
    rows = rows_of(out)
    assert rows[1:] == [["D-4", "Dev Devi", "101"]]  # the only student with an ID number
    assert "ID number is empty" in ran.err and ran.code == 1


def test_moodle_without_roster_uses_the_name_and_neutralises_it(cli, results, tmp_path):
    out = tmp_path / "m.csv"
    ran = cli("export-grades", results, "--to", "moodle", "--out", out)
    rows = rows_of(out)
    assert ["ada", "ada", "114"] in rows
    # the formula name cannot be a Moodle username: not written, and the instructor is told
    assert all(FORMULA not in cell for row in rows for cell in row)
    assert "starts with a character a spreadsheet runs as a formula" in ran.err


# --- plain CSV -----------------------------------------------------------------------------


def test_plain_csv_lists_everyone_with_status_and_missed_checks(cli, results, tmp_path):
    out = tmp_path / "grades.csv"
    ran = cli("export-grades", results, "--to", "csv", "--out", out)
    rows = rows_of(out)
    assert rows[0] == ["student", "score", "max_score", "percent", "late_penalty_percent",
                       "score_before_late", "status", "regrade_reason", "submitted_at",
                       "submitted_at_source", "submitted_at_weak", "missed", "parts", "results_file", "notes"]
    by_name = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert set(by_name) == {"ada", "ben", "carl", "dev", FORMULA_CELL}
    assert by_name["ben"]["score"] == "84" and by_name["ben"]["max_score"] == "115"
    assert by_name["ben"]["missed"].startswith("forward: same logits as the reference | forward:")
    assert by_name["ben"]["submitted_at_source"] == "file modification time"
    assert (by_name["ben"]["submitted_at_weak"], by_name["ada"]["submitted_at_weak"]) == ("yes", "no")
    assert by_name["ada"]["parts"] == "core 100/100 | quiz 14/15"
    carl = by_name["carl"]
    assert (carl["score"], carl["percent"], carl["status"]) == ("", "", "not_run")
    assert carl["regrade_reason"] == "sandbox: the cgroup memory limit was refused"
    assert by_name[FORMULA_CELL]["results_file"] == stem(FORMULA) + ".json"
    assert ran.code == 1


@pytest.mark.parametrize("target, bom", [("canvas", False), ("moodle", True), ("csv", True)])
def test_names_open_right_in_excel_where_the_lms_reads_a_byte_order_mark(cli, tmp_path, target, bom):
    """Excel reads a CSV without a byte-order mark as the machine's code page: 'Seán' shows as
    'SeÃ¡n'. Moodle's importer and spreadsheets take the mark: it is written by default there;
    --excel writes it anywhere, --no-excel nowhere."""
    folder = write_cohort(tmp_path / "r", {"Seán": dict(core=90.0, quiz=10.0, missed=("x",))})
    out = tmp_path / "x.csv"
    cli("export-grades", folder, "--to", target, "--out", out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf") is bom
    assert "Seán" in out.read_text(encoding="utf-8-sig")
    cli("export-grades", folder, "--to", target, "--out", out, "--excel")
    assert out.read_bytes().startswith(b"\xef\xbb\xbfStudent,ID" if target == "canvas" else b"\xef\xbb\xbf")
    cli("export-grades", folder, "--to", target, "--out", out, "--no-excel")
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("target", ["canvas", "moodle", "csv"])
def test_no_cell_in_any_export_starts_a_formula(cli, results, tmp_path, target):
    out = tmp_path / "x.csv"
    cli("export-grades", results, "--to", target, "--out", out)
    cells = [c for row in rows_of(out) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


# --- everyone accounted for ----------------------------------------------------------------


def test_clean_cohort_exits_0_with_nothing_flagged(cli, tmp_path):
    folder = write_cohort(tmp_path / "r", {"ben": dict(core=74.0, quiz=10.0, missed=("x",)),
                                           "dev": dict(core=86.0, quiz=15.0)})
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Module 11 (9)\n"
                      "    Points Possible,,,,,115\nBen,1,,ben,,\nDev,2,,dev,,\n")
    ran = cli("export-grades", folder, "--to", "canvas", "--out", tmp_path / "c.csv", "--roster", roster,
              "--assignment-id", "9")
    assert ran.code == 0, ran.err
    assert "WARNING" not in ran.err
    assert "Nothing to report" in (tmp_path / "c.notes.txt").read_text()


def test_student_missing_from_roster_is_reported_not_dropped_quietly(cli, results, canvas_roster,
                                                                      tmp_path):
    out = tmp_path / "c.csv"
    ran = cli("export-grades", results, "--to", "canvas", "--out", out, "--roster", canvas_roster)
    # without the id map, ada's hub name is not a Canvas login and the formula student matches nobody
    assert ran.code == 1
    assert "ada (ada.json): 'ada' (their name in the results) is not in canvas_export.csv" in ran.err
    assert "add the student to --id-map" in ran.err
    assert "Lovelace, Ada (canvas_export.csv line 3" in ran.err  # and her roster row has no results
    logins = [r[3] for r in rows_of(out)[2:]]
    assert "ada" not in logins and "ada.lovelace" not in logins


def test_results_that_disagree_on_max_score_are_refused(cli, results, tmp_path):
    other = results / "zed.json"
    data = json.loads((results / "ben.json").read_text())
    data["extra_data"]["student"], data["extra_data"]["max_score"] = "zed", 100.0
    other.write_text(json.dumps(sealed(data)))
    out = tmp_path / "c.csv"
    ran = cli("export-grades", results, "--to", "csv", "--out", out)
    assert ran.code == 2
    assert "disagree on max_score" in ran.err and "zed.json" in ran.err
    assert not out.exists()


def test_malformed_results_files_are_named_and_the_rest_exported(cli, results, tmp_path):
    (results / "broken.json").write_text("{not json")
    (results / "list.json").write_text("[1, 2]")
    nameless = json.loads((results / "ada.json").read_text())
    del nameless["extra_data"]["student"]
    (results / "nameless.json").write_text(json.dumps(nameless))
    text_score = results_json("tom", 50.0, 5.0)
    text_score["score"] = "55"
    (results / "tom.json").write_text(json.dumps(text_score))
    (results / "ada-again.json").write_text((results / "ada.json").read_text())
    (results / "latin1.json").write_bytes(b'{"name": "\xe9"}')
    out = tmp_path / "grades.csv"
    ran = cli("export-grades", results, "--to", "csv", "--out", out)
    assert ran.code == 1 and "Traceback" not in ran.err
    for expected in ["broken.json: not valid JSON (line 1", "list.json: not a results file",
                     "nameless.json: extra_data.student (the student's name) is missing",
                     "tom.json: score is '55', not a number",
                     "student 'ada' has 2 results files (ada-again.json, ada.json)",
                     "latin1.json: not UTF-8 text"]:
        assert expected in ran.err, expected
    names = [r[0] for r in rows_of(out)[1:]]
    assert "ben" in names and "ada" not in names and "tom" not in names


def test_folder_without_results_cannot_run(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    ran = cli("export-grades", tmp_path / "empty", "--to", "csv", "--out", tmp_path / "g.csv")
    assert ran.code == 2 and "no results files (*.json)" in ran.err and "grade-all" in ran.err
    ran = cli("export-grades", tmp_path / "nowhere", "--to", "csv", "--out", tmp_path / "g.csv")
    assert ran.code == 2 and "no such folder" in ran.err


def test_student_names_reach_the_terminal_escaped(cli, tmp_path):
    folder = write_cohort(tmp_path / "r", {"mallory\x1b[2J\nfake line": dict(core=1.0, quiz=0.0,
                                                                            status="grader_error")})
    ran = cli("export-grades", folder, "--to", "csv", "--out", tmp_path / "g.csv")
    assert "\x1b" not in ran.err and "mallory␛[2J␊fake line" in ran.err


# --- options ------------------------------------------------------------------------------


@pytest.mark.parametrize("extra, message", [
    (["--due", "2026-12-01 09:00"], "has no time zone"),
    (["--due", "next friday"], "expected a date and time with its time zone"),
    (["--due", DUE, "--late-penalty", "10 percent"], "expected PERCENT%/day or PERCENT%/hour"),
    (["--late-penalty", "10%/day"], "--late-penalty needs --due"),
    (["--due", DUE, "--grace", "a while"], "expected a duration such as 15m"),
    (["--due", DUE, "--late-cap", "150%"], "a percentage from 0 to 100"),
    (["--scale-to", "0"], "--scale-to 0: give the LMS column's maximum"),
    (["--assignment-id", "abc"], "Canvas assignment ids are numbers"),
    (["--moodle-field", "email"], "--moodle-field does not apply to --to canvas"),
])
def test_bad_options_are_one_line_with_exit_2(cli, results, tmp_path, extra, message):
    ran = cli("export-grades", results, "--to", "canvas", "--out", tmp_path / "c.csv", *extra)
    assert ran.code == 2
    assert ran.err.startswith("python -m autograder export-grades: ") and message in ran.err
    assert ran.err.count("\n") == 1
    assert not (tmp_path / "c.csv").exists()


def test_out_never_replaces_what_grade_all_wrote(cli, results):
    before = (results / "grades.csv").read_bytes()
    ran = cli("export-grades", results, "--to", "csv", "--out", results / "grades.csv")
    assert ran.code == 2 and "grade-all's own summary" in ran.err
    assert (results / "grades.csv").read_bytes() == before
    ran = cli("export-grades", results, "--to", "csv", "--out", results / "export.json")
    assert ran.code == 2 and "would be read as a student's results" in ran.err


def test_out_must_be_a_file_in_an_existing_folder(cli, results, tmp_path):
    ran = cli("export-grades", results, "--to", "csv", "--out", tmp_path)
    assert ran.code == 2 and "is a folder" in ran.err
    ran = cli("export-grades", results, "--to", "csv", "--out", tmp_path / "no" / "g.csv")
    assert ran.code == 2 and "does not exist" in ran.err


@pytest.mark.slow
def test_help_explains_and_the_export_never_imports_torch(results, tmp_path):
    code = (
        "import argparse, sys\n"
        "from autograder.commands import export_grades\n"
        "p = argparse.ArgumentParser(); export_grades.add_arguments(p)\n"
        f"rc = export_grades.run(p.parse_args([{str(results)!r}, '--to', 'canvas', '--out', "
        f"{str(tmp_path / 'c.csv')!r}, '--due', '{DUE}', '--late-penalty', '10%/day']))\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "print('rc', rc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert "rc 1" in proc.stdout, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "autograder", "export-grades", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for words in ["--to canvas", "Points Possible", "--roster", "--id-map", "--due", "--late-penalty",
                  "--late-cap", "--grace", "--scale-to", "Exit status"]:
        assert words in proc.stdout, words


def test_max_is_the_same_for_a_student_whose_notebook_could_not_be_read(cli, results, tmp_path):
    carl = json.loads((results / "carl.json").read_text())
    assert carl["extra_data"]["max_score"] == MAX  # the fixture follows the contract
    out = tmp_path / "g.csv"
    cli("export-grades", results, "--to", "csv", "--out", out)
    assert {r[2] for r in rows_of(out)[1:]} == {"115"}
