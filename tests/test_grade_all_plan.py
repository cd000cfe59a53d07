"""grade-all's plan: which students a run grades, before any sandbox starts (fast: no grading)."""

from __future__ import annotations

import argparse
import json

from autograder import cohort, paths, seal
from autograder.commands import grade_all
from autograder.judge.grader import Options

SOLUTION = paths.SOLUTION_FILE.read_text()
KEY = b"k" * 32  # this machine's results key, as grade-all would load it


def _plan(students, out, options, args):
    """grade-all's plan over what ``out`` holds, read as grade-all reads it (sealed results only)."""
    held = cohort.read_results(out, KEY).sealed
    return grade_all._plan(students, out, options, args, held, KEY)


def _args(**given) -> argparse.Namespace:
    return argparse.Namespace(**{"force": False, "only": None, **given})


def _graded_cohort(tmp_path, count=4):
    """A cohort whose every student has results from the same grader and options (as a run leaves)."""
    folder, out = tmp_path / "cohort", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    for index in range(count):
        (folder / f"s{index}.py").write_text(SOLUTION)
    students = cohort.find_students(folder)
    options = Options(seed=3)
    jobs, _, key = _plan(students, out, options, _args())
    for job, student in zip(jobs, students, strict=True):
        data = {"extra_data": {"max_score": 135, "status": "graded", "submission": {"sha256": job.submission.sha256},
                               "resume_key": key, "student": student.name, "entry": student.entry,
                               "isolation": {"mode": options.accepted_modes()[0]}}}
        (out / f"{job.stem}.json").write_text(json.dumps(seal.seal(data, KEY)))
    return students, out, options


def test_an_unchanged_cohort_is_skipped(tmp_path):
    students, out, options = _graded_cohort(tmp_path)
    jobs, skipped, _ = _plan(students, out, options, _args())
    assert jobs == [] and len(skipped) == 4


def test_force_regrades_everyone(tmp_path):
    students, out, options = _graded_cohort(tmp_path)
    jobs, skipped, _ = _plan(students, out, options, _args(force=True))
    assert [j.stem for j in jobs] == ["s0", "s1", "s2", "s3"] and skipped == []


def test_only_with_force_regrades_only_those_named(tmp_path):
    students, out, options = _graded_cohort(tmp_path)
    jobs, skipped, _ = _plan(students, out, options, _args(force=True, only=["s2"]))
    assert [j.stem for j in jobs] == ["s2"] and sorted(skipped) == ["s0", "s1", "s3"]
    jobs, skipped, _ = _plan(students, out, options, _args(only=["s2", "s0"]))
    assert [j.stem for j in jobs] == ["s0", "s2"]


def test_results_not_sealed_by_this_machine_are_graded_again(tmp_path):
    students, out, options = _graded_cohort(tmp_path)
    jobs, skipped, _ = grade_all._plan(students, out, options, _args(),
                                       cohort.read_results(out, b"x" * 32).sealed, b"x" * 32)
    assert [j.stem for j in jobs] == ["s0", "s1", "s2", "s3"] and skipped == []
