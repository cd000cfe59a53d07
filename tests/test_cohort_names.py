"""Names that collide by case or Unicode form: found at discovery, both entries flagged, nobody's
results file renamed or taken by another entry, and no roster row claimed by the wrong one."""

from __future__ import annotations

import itertools
import unicodedata
from pathlib import Path

import pytest

from autograder import cohort, seal
from autograder.lms import matching, roster
from tests.lms.cohort import results as results_json

NAMES = ["alice", "ALICE", "Alice", "bob", "José", unicodedata.normalize("NFD", "José"), "ａｌｉｃｅ",
         "al\u200bice", '=HYPERLINK("x")', "reference", "grades", "s0", "x--0123456789abcdef", "a.b-c_d",
         "-dash", "trailing."]


def _cohort(root: Path, names, kind: str = "dir") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        if kind == "dir" or name.endswith("/"):
            (root / name.rstrip("/")).mkdir()
        else:
            (root / name).write_text("x = 1\n")
    return root


def _stems(root: Path, held=None) -> dict[str, str]:
    return {s.entry: s.stem for s in cohort.find_students(root, held=held)}


def test_a_stem_depends_on_the_name_alone(tmp_path):
    together = _stems(_cohort(tmp_path / "all", NAMES))
    for name in NAMES:
        assert _stems(_cohort(tmp_path / f"alone-{NAMES.index(name)}", [name])) == {name: together[name]}
    stems = list(together.values())
    assert len({s.casefold() for s in stems}) == len(stems)  # never two that differ only by case
    assert together["alice"] == "alice" and together["s0"] == "s0" and together["a.b-c_d"] == "a.b-c_d"
    assert together["ALICE"].startswith("ALICE--") and together["grades"].startswith("grades--")
    for stem in stems:
        assert stem.isascii() and not stem.startswith(("-", ".")) and "/" not in stem


def test_a_hashed_stem_cannot_be_claimed_by_a_name_that_looks_like_it(tmp_path):
    root = _cohort(tmp_path / "c", ["ALICE"])
    victim = _stems(root)["ALICE"]
    (root / victim.lower()).mkdir()
    (root / victim).mkdir()
    stems = _stems(root)
    assert stems["ALICE"] == victim and len({s.casefold() for s in stems.values()}) == 3


@pytest.mark.parametrize("pair", [("alice", "ALICE"), ("alice", "Alice"), ("alice", "ａｌｉｃｅ"),
                                  ("alice", "al\u200bice"), ("José", unicodedata.normalize("NFD", "José")),
                                  ("straße", "STRASSE")])
def test_names_equal_under_case_and_unicode_forms_are_both_flagged(tmp_path, pair):
    students = cohort.find_students(_cohort(tmp_path / "c", [*pair, "bob"]))
    flagged = {s.entry: s.name_collision for s in students}
    assert flagged["bob"] is None
    for name in pair:
        other = next(n for n in pair if n != name)
        assert flagged[name] == {"entries": sorted(pair), "others": [other]}


def test_same_name_as_a_folder_and_a_file_both_graded_and_flagged(tmp_path):
    root = _cohort(tmp_path / "c", ["alice/", "alice.py", "alice.ipynb"], kind="file")
    students = {s.entry: s for s in cohort.find_students(root)}
    assert {s.name for s in students.values()} == {"alice"}
    assert students["alice"].stem == "alice"  # the first entry takes the name's stem
    assert len({s.stem for s in students.values()}) == 3
    assert students["alice.py"].collides_with == ("alice", "alice.ipynb")


def _held(stem: str, entry: str, name: str = "alice") -> dict:
    data = results_json(name, 100.0, 15.0)
    data["extra_data"]["entry"] = entry
    return {f"{stem}.json": seal.seal(data, seal.load_key())}


def test_whoever_holds_a_stem_keeps_it_when_another_entry_arrives(tmp_path):
    root = _cohort(tmp_path / "c", ["alice.py"], kind="file")
    first = _stems(root)
    assert first == {"alice.py": "alice"}
    (root / "alice").mkdir()  # sorts first, and would take "alice" on a first run
    assert _stems(_cohort(tmp_path / "fresh", ["alice/", "alice.py"], kind="file"))["alice"] == "alice"
    later = _stems(root, held=_held("alice", "alice.py"))
    assert later["alice.py"] == "alice" and later["alice"] != "alice"
    again = _stems(root, held={**_held("alice", "alice.py"), **_held(later["alice"], "alice")})
    assert again == later  # and so on, run after run


def test_another_entrys_results_are_never_taken_over(tmp_path):
    root = _cohort(tmp_path / "c", ["alice.py"], kind="file")
    stems = _stems(root, held=_held("alice", "alice"))  # alice/ was graded there, then removed
    assert stems["alice.py"] != "alice"


def test_stems_are_stable_whatever_other_entries_come_and_go(tmp_path):
    names = ["alice", "ALICE", "Alice", "bob", "ａｌｉｃｅ"]
    seen: dict[str, set[str]] = {}
    for size in range(1, len(names) + 1):
        for subset in itertools.combinations(names, size):
            root = _cohort(tmp_path / f"c{len(seen)}-{size}-{'_'.join(map(str, map(names.index, subset)))}",
                           subset)
            for entry, stem in _stems(root).items():
                seen.setdefault(entry, set()).add(stem)
    assert all(len(stems) == 1 for stems in seen.values()), seen


def _roster(tmp_path: Path, *logins: str) -> roster.Roster:
    path = tmp_path / "moodle.csv"
    path.write_text("First name,Last name,Username,Email address\n"
                    + "".join(f"A,B,{login},{login}@x.example\n" for login in logins))
    return roster.read_moodle(path, "username")


class _Result:
    def __init__(self, name: str):
        self.name, self.path = name, Path(f"{name}.json")


@pytest.mark.parametrize("order", [("ALICE", "alice"), ("alice", "ALICE")])
def test_a_roster_row_goes_to_the_exact_name_whatever_the_order(tmp_path, order):
    rows = _roster(tmp_path, "alice", "bob")
    result = matching.match([_Result(n) for n in (*order, "bob")], rows, None)
    assert sorted((m.student.name, m.entry.get("username")) for m in result.matched) == \
        [("alice", "alice"), ("bob", "bob")]
    (loser, why), = result.not_in_roster
    assert loser.name == "ALICE" and "is matched by 'alice', whose identifier is written exactly" in why
    assert result.without_results == []


def test_a_roster_row_found_only_by_case_by_two_goes_to_nobody(tmp_path):
    rows = _roster(tmp_path, "alice")
    result = matching.match([_Result("ALICE"), _Result("Alice")], rows, None)
    assert result.matched == [] and len(result.not_in_roster) == 2
    assert all("none is written exactly as in the roster, so none is matched" in why
               for _, why in result.not_in_roster)
