"""The results a grading run writes: the contract between the judge and everything downstream.

``grade`` writes one file; ``grade-all`` writes one per student into its output
folder, plus ``grades.csv``. Each file is a Gradescope ``results.json``
(Gradescope reads the top-level keys it knows and ignores ``extra_data``); the
project's own keys live in ``extra_data`` and in each test's ``extra_data``.
Exports (gradebooks, LTI), feedback pages and the cohort report read these
files and nothing else: never the submissions, never nbgrader's database.

Every string that came from a student (their folder name, what their code
printed, error messages their code raised) is stored raw; whoever writes it to
a terminal, a CSV or HTML escapes it there.

Layout of a ``grade-all`` output folder::

    OUT/
      <file-stem>.json     one results file per student (stem: a safe form of the name)
      grades.csv           rebuilt from the *.json files at the end of every run
      feedback/<file-stem>.html, .md    (per-student pages)
      report.html          (the instructor's cohort report)

The student's name is ``extra_data.student``, not the file name: names that
are not safe as file names (``=HYPERLINK(...)``, ``../x``) get a safe stem.
"""

from __future__ import annotations

from typing import Literal, TypedDict

SCHEMA = "rnn-autograder/results/2"

# extra_data.status
GRADED = "graded"  # the submission ran in the sandbox and was judged
NOT_RUN = "not_run"  # refused before any student code ran (sandbox measure missing,
#                      unreadable submission); regrade once the cause is fixed
GRADER_ERROR = "grader_error"  # the grader itself failed on this submission; regrade

Status = Literal["graded", "not_run", "grader_error"]

# The parts of the grade (extra_data.parts keys, and the second tag of each test).
CORE = "core"  # the 100 points of the exercise
UNDER_THE_HOOD = "under_the_hood"  # part 2: the recurrence and BPTT by hand
QUIZ = "quiz"  # the module's quiz


class PartScore(TypedDict):
    score: float
    max_score: float


class LossCurve(TypedDict):
    """Training losses per epoch from the same start: the student's ``train`` with their
    own ``training_step`` on their own model, and the reference's. For the feedback plot
    only; no points depend on it. ``student`` is None when it could not be run."""

    student: list[float | None] | None
    reference: list[float]


class Isolation(TypedDict):
    mode: str  # "full", "container" or "unconfined"
    measures: list[str]  # what was in force, e.g. "pid namespace", "cgroup memory 2048 MiB"


class SubmittedAt(TypedDict):
    time: str  # ISO 8601 with a UTC offset
    source: str  # "nbgrader timestamp.txt" (grade-all --assignment only) or "file modification time"
    weak: bool  # True for a file time: weaker evidence (a copy, an unzip or the student can change it)


class TestExtra(TypedDict, total=False):
    check: str  # catalogue id, e.g. "forward.shapes", or the quiz question id, e.g. "q01"
    function: str  # the student function the check judges, e.g. "SimpleRNN.forward"
    hint: str  # the hint alone (also inside ``output``)
    cause: str  # a failed check only: the check whose failure this one follows from (its root cause)


class Test(TypedDict):
    name: str
    number: str
    score: float
    max_score: float
    status: Literal["passed", "failed"]
    output: str  # the student-facing message
    tags: list[str]  # [group, part]: e.g. ["forward", "core"], ["quiz", "quiz"]
    visibility: str
    extra_data: TestExtra


class ExtraData(TypedDict, total=False):
    schema: str  # SCHEMA
    student: str  # the student's name as found in the cohort (raw)
    status: Status
    regrade_reason: str | None  # set whenever status is not GRADED
    max_score: float  # the same for every student of a run
    parts: dict[str, PartScore]
    isolation: Isolation
    submission: dict  # {"kind": "py" | "notebook" | "folder", "sha256": str, "notes": [str]}
    submitted_at: SubmittedAt | None
    grader_version: str
    options: dict  # the options that change scores (parts, limits); part of the resume key
    seed: int  # the seed of this run's judge inputs
    loss_curve: LossCurve | None
    notebook_cells: list[dict]  # [{"cell": n, "status": "ok" | "error" | "skipped", "message": str}]
    processes_killed: int
    peak_memory_bytes: int | None
    grader_errors: list[str]  # for the instructor; never shown as a student message
    late: dict  # added by export-grades --due: {"days_late", "penalty_percent", "score_before"}


class Results(TypedDict):
    score: float
    execution_time: float
    output: str
    output_format: str
    visibility: str
    stdout_visibility: str
    extra_data: ExtraData
    tests: list[Test]
