"""Section 4: the course's release notebook graded by ``nbgrader autograde`` and by ``grade-all``.

Like for like: the same ``submitted/`` folder of honest notebooks (some with one wrong answer, some
with quiz answers), both tools run the same number of times, interleaved, on this machine with their
defaults (nbgrader one kernel after another, OMP_NUM_THREADS=1 as the README says; grade-all every
core). Reported: the cohort ratio, each tool's cost per notebook, grade-all's marginal cost per
student at the cohort's size and at ten times it (grade-all alone: nbgrader would take an hour), the
judge's peak memory against the number of students, and the fidelity check (each notebook's
fraction of the points, both ways).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

from .commands import grade_all_argv, manifest_memory
from .timing import median, mib, progress, summary, time_once

NBGRADER_TARGET = 30.0  # nbgrader's time over grade-all's, at NBGRADER_STUDENTS notebooks
MARGINAL_SHARE_TARGET = 50.0  # nbgrader's cost per notebook over grade-all's marginal cost per student
NBGRADER_STUDENTS = 24
LARGE_FACTOR = 10  # the large cohort: ten copies of each notebook (240 students)

# Wrong answers some students hand in: (old, new) in the solution cells, one per notebook.
VARIANTS: list[tuple[tuple[str, str], ...]] = [
    (),
    (("        return self.fc(out[:, -1, :])", "        return self.fc(out[:, 0, :])"),),
    (("    h = x.new_zeros(batch, weight_hh.shape[0]) if h0 is None else h0[0]",
      "    h = x.new_zeros(batch, weight_hh.shape[0])"),),
    (("model(inputs).argmax(dim=1)", "model(inputs).argmin(dim=1)"),),
    (),
    (),
]
QUIZZES = [None, {"q01": "b", "q02": "a", "q03": "d", "q05": ["a"]}, {"q01": "a", "q04": "c"}]


def nbgrader_missing() -> str | None:
    """Why this section cannot run here, or None."""
    if importlib.util.find_spec("nbgrader") is None:
        return "nbgrader is not installed (pip install -e '.[nbgrader]')"
    bindir = str(Path(sys.executable).parent)
    if shutil.which("alembic", path=bindir + os.pathsep + os.environ.get("PATH", "")) is None:
        return "nbgrader's alembic is not on PATH (activate the virtual environment nbgrader is in)"
    return None


def build_course(course: Path, students: int) -> dict[str, str]:
    """An nbgrader course with ``students`` honest notebooks in submitted/; student -> what they got wrong."""
    from ..nbgrader_course import ASSIGNMENT, NOTEBOOK_NAME
    from ..nbgrader_course.scaffold import init_course
    from ..nbgrader_course.submissions import nbgrader, read, submission, submit

    init_course(course)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release = read(course / "release" / ASSIGNMENT / NOTEBOOK_NAME)
    source = read(course / "source" / ASSIGNMENT / NOTEBOOK_NAME)
    made = {}
    for number in range(students):
        edits = VARIANTS[number % len(VARIANTS)]
        quiz = QUIZZES[number % len(QUIZZES)]
        name = f"student{number + 1:02d}"
        submit(course, name, submission(release, source, edits=edits, quiz=quiz))
        made[name] = "; ".join(new.strip() for _, new in edits) or "all right"
    return made


def copied_cohort(submitted: Path, target: Path, factor: int) -> Path:
    """``factor`` copies of every student of an nbgrader ``submitted/`` folder, each its own student."""
    for student in sorted(submitted.iterdir()):
        for copy in range(factor):
            shutil.copytree(student, target / f"{student.name}-{copy:02d}")
    return target


def gradebook_fractions(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    from ..nbgrader_course import ASSIGNMENT

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        maximum = gradebook.find_assignment(ASSIGNMENT).max_score
        for submitted in gradebook.assignment_submissions(ASSIGNMENT):
            found[submitted.student.id] = submitted.score / maximum
    return found


def results_fractions(out: Path) -> dict[str, float]:
    found = {}
    for path in out.glob("[!.]*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["extra_data"]["student"]] = data["score"] / data["extra_data"]["max_score"]
    return found


def run_cohort(args, scratch: Path) -> dict:
    """Section 4; ``{"skipped": why}`` where it cannot run."""
    if args.no_nbgrader:
        return {"skipped": "--no-nbgrader"}
    reason = nbgrader_missing()
    if reason:
        return {"skipped": reason}
    from ..nbgrader_course import ASSIGNMENT
    from ..nbgrader_course.submissions import nbgrader_env

    students, runs = args.nbgrader_students, args.nbgrader_runs
    large_count = students * LARGE_FACTOR
    course = scratch / "course"
    progress(f"section 4: an nbgrader course of {students} notebooks, and {large_count} for grade-all alone")
    made = build_course(course, students)
    submitted = course / "submitted"
    one = scratch / "one-notebook"  # grade-all's start-up: the cohort's first notebook alone
    first = sorted(submitted.iterdir())[0]
    shutil.copytree(first, one / first.name)
    large = copied_cohort(submitted, scratch / "large", LARGE_FACTOR)
    env = nbgrader_env()
    autograde = [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"]
    outs = iter(range(10_000))
    jobs = os.cpu_count() or 1

    def grade_all(folder: Path, *extra: str) -> tuple[float, Path]:
        out = scratch / f"nb-out-{next(outs)}"
        return time_once(grade_all_argv(folder, out, jobs, "--assignment", ASSIGNMENT, *extra)), out

    # grade_all and friends: grade-all as a user runs it (it self-tests before grading); the same
    # cohort with --skip-selftest shows what the self-test costs
    times: dict[str, list[float]] = {"nbgrader": [], "grade_all": [], "one": [], "large": [],
                                     "no_selftest": []}
    memory: dict[str, list[dict]] = {"one": [], "grade_all": [], "large": []}
    grade_all(one)  # warm the disk cache once, for both tools
    last = None
    for number in range(runs):
        progress(f"  run {number + 1}/{runs}: nbgrader autograde ({students} notebooks, a kernel each), "
                 f"then grade-all over 1, {students} and {large_count}, and {students} with --skip-selftest")
        times["nbgrader"].append(time_once(autograde, cwd=course, env=env))
        for key, folder in (("one", one), ("grade_all", submitted), ("large", large)):
            elapsed, out = grade_all(folder)
            times[key].append(elapsed)
            memory[key].append(manifest_memory(out))
            if key == "grade_all":
                last = out
        times["no_selftest"].append(grade_all(submitted, "--skip-selftest")[0])
    nb, ag = gradebook_fractions(course), results_fractions(last)
    differ = {name: {"nbgrader": round(nb.get(name, float("nan")), 4),
                     "grade_all": round(ag.get(name, float("nan")), 4),
                     "difference": round(abs(nb.get(name, 0.0) - ag.get(name, 0.0)), 4)}
              for name in sorted(set(nb) | set(ag))
              if name not in nb or name not in ag or abs(nb[name] - ag[name]) > 1e-3}

    def marginal(key: str, count: int) -> float:
        """The median over runs of (T(count) - T(1)) / (count - 1), both times from the same run."""
        return round(median([(many - alone) / (count - 1)
                             for many, alone in zip(times[key], times["one"], strict=True)]), 4)

    nbgrader_each = median(times["nbgrader"]) / students
    at_cohort = marginal("grade_all", students) if students > 1 else float("nan")
    at_large = marginal("large", large_count)
    judge = {key: median([m["judge_peak"] for m in memory[key]]) for key in memory}
    per_student_kib = (judge["large"] - judge["one"]) / (large_count - 1) / 1024
    return {
        "students": students, "runs": runs, "jobs": jobs,
        "nbgrader_autograde": summary(times["nbgrader"]), "grade_all": summary(times["grade_all"]),
        "grade_all_one": summary(times["one"]), "grade_all_large": summary(times["large"]),
        "grade_all_skip_selftest": summary(times["no_selftest"]),
        "ratio_skip_selftest": round(median(times["nbgrader"]) / median(times["no_selftest"]), 2),
        "large_students": large_count,
        "ratio": round(median(times["nbgrader"]) / median(times["grade_all"]), 2), "target": NBGRADER_TARGET,
        "per_notebook": {"nbgrader_s": round(nbgrader_each, 3),
                         "grade_all_s": round(median(times["grade_all"]) / students, 3),
                         "grade_all_start_s": round(median(times["one"]), 3)},
        "marginal": {"at_cohort_s": at_cohort, "at_large_s": at_large,
                     "target_s": round(nbgrader_each / MARGINAL_SHARE_TARGET, 4),
                     "share_target": MARGINAL_SHARE_TARGET},
        "judge_memory": {"one_mib": mib(judge["one"]), "cohort_mib": mib(judge["grade_all"]),
                         "large_mib": mib(judge["large"]), "per_student_kib": round(per_student_kib, 1)},
        "fidelity": {"compared": len(set(nb) & set(ag)),
                     "same_fraction": len(set(nb) & set(ag)) - len([n for n in differ
                                                                   if n in nb and n in ag]),
                     "differ": differ, "fractions": {name: round(ag[name], 4) for name in sorted(ag)}},
        "variants": made,
    }
