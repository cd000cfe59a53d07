"""Rosters and id maps: the LMS's own exports read as exported, and errors that say what to fix."""

from __future__ import annotations

import pytest

from autograder.lms import id_map, roster


def _write(tmp_path, name, text, bom=False):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_canvas_export_with_bom_points_possible_and_test_student(tmp_path, canvas_roster):
    path = _write(tmp_path, "bom.csv", canvas_roster.read_text(), bom=True)
    found = roster.read_canvas(path)
    assert [e.display for e in found.entries] == ["Lovelace, Ada", "Babbage, Ben", "Carlsen, Carl",
                                                  "Devi, Dev", "Formula, Fay", "Absent, Eve"]
    assert found.find("ADA.LOVELACE")[0].get("id") == "101"  # case does not matter
    assert found.find("104")[0].display == "Devi, Dev"  # Canvas ID works too
    assert "skipped Canvas's test student on line 9" in found.notes


def test_not_a_canvas_export_says_where_to_get_one(tmp_path, moodle_roster):
    with pytest.raises(roster.RosterError, match="not a Canvas gradebook export.*Export Entire Gradebook"):
        roster.read_canvas(moodle_roster)


def test_moodle_roster_needs_the_chosen_field(tmp_path):
    path = _write(tmp_path, "grades.csv", "First name,Last name,ID number,Email address\nA,B,,a@x\n")
    with pytest.raises(roster.RosterError, match="has no Username column.*it has Email address, ID number"):
        roster.read_moodle(path, "username")
    assert roster.read_moodle(path, "email").find("a@x")[0].display == "A B"


def test_moodle_bulk_download_headings_and_a_canvas_file_given_for_moodle(tmp_path, canvas_roster):
    path = _write(tmp_path, "users.csv", "id,username,email,firstname,lastname,idnumber\n7,ada,a@x,Ada,L,\n")
    assert roster.read_moodle(path, "username").find("ada")[0].display == "Ada L"
    with pytest.raises(roster.RosterError, match="looks like a Canvas gradebook export"):
        roster.read_moodle(canvas_roster, "username")


def test_ambiguous_roster_rows_are_reported(tmp_path):
    path = _write(tmp_path, "r.csv", "Student,ID,SIS Login ID\nA,1,ada\nB,2,ada\n")
    entry, problem = roster.read_canvas(path).find("ada")
    assert entry is None and "several lines of r.csv (2, 3)" in problem


def test_unreadable_roster(tmp_path):
    with pytest.raises(roster.RosterError, match="no such file"):
        roster.read_canvas(tmp_path / "missing.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"Student,ID\n\xe9,1\n")
    with pytest.raises(roster.RosterError, match="cannot be read as UTF-8 CSV"):
        roster.read_canvas(path)


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("ada,ada.lovelace\n", "line 1: expected a header row 'student,<identifier column>'"),
    ("student,lms_id\nada,\n", "line 2: needs a student and an identifier"),
    ("student,lms_id\nada,x\nada,y\n", "line 3: student 'ada' is already mapped on line 2"),
    ("student,lms_id\nada,x\nben,X\n", "line 3: 'X' is already the identifier of 'ada'"),
])
def test_id_map_errors_name_the_line(tmp_path, text, message):
    path = _write(tmp_path, "ids.csv", text)
    with pytest.raises(id_map.IdMapError, match="ids.csv"):
        id_map.read(path)
    try:
        id_map.read(path)
    except id_map.IdMapError as exc:
        assert message in str(exc)


def test_id_map_maps_names(tmp_path, id_map):
    from autograder.lms.id_map import read

    found = read(id_map)
    assert found.get("ada") == "ada.lovelace" and found.get("ben") is None
    assert found.where("ada") == "id_map.csv line 2"


def test_bad_id_map_stops_the_export_with_exit_2(cli, results, tmp_path):
    path = _write(tmp_path, "ids.csv", "ada,x\n")
    ran = cli("export-grades", results, "--to", "canvas", "--out", tmp_path / "c.csv", "--id-map", path)
    assert ran.code == 2 and "expected a header row" in ran.err


def test_nbgrader_plugins_write_through_the_safe_csv_writer(tmp_path):
    from autograder.nbgrader_course.exports import CanvasExportPlugin, MoodleExportPlugin, number

    for plugin in (CanvasExportPlugin, MoodleExportPlugin):
        out = tmp_path / f"{plugin.__name__}.csv"
        plugin(to=str(out)).write(["Student", "x"], [["=HYPERLINK(\"http://x\",\"y\")", number(12.5)]])
        assert out.read_text().splitlines()[1] == '"\'=HYPERLINK(""http://x"",""y"")",12.5'
