"""The grade and grade-all commands as instructors and Gradescope use them: results, summary, errors."""

from __future__ import annotations

import csv
import json
import os
import sys

import nbformat
import pytest

from autograder import paths, wire
from autograder.judge import catalogue
from tests.conftest import ROOT, run
from tests.grader.common import notebook_of

SOLUTION = paths.SOLUTION_FILE.read_text()
GRADED = [*catalogue.CHECKS, *catalogue.PART2_CHECKS]
CODE_TOTAL = sum(c.points for c in GRADED)  # 120
QUIZ_TOTAL = 15
TEST_FIELDS = {"name", "number", "score", "max_score", "status", "output", "visibility", "tags", "extra_data"}


def grade(path, results, *extra):
    return run([sys.executable, "-m", "autograder", "grade", str(path), "--results", str(results), *extra])


def load(results):
    data = json.loads(results.read_text())
    assert {"score", "execution_time", "tests", "output", "extra_data"} <= set(data)
    for test in data["tests"]:
        assert TEST_FIELDS <= set(test), test
        assert test["status"] in ("passed", "failed")
        assert 0 <= test["score"] <= test["max_score"]
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    return data


SCRIPT_OUTSIDE_IPYTHON = """
import builtins as _builtins
import sys as _sys

from IPython import get_ipython as _get_ipython

if (hasattr(_builtins, "__IPYTHON__") or hasattr(_builtins, "display") or _get_ipython() is not None
        or type(_sys.modules["__main__"]).__name__ != "module"):
    raise RuntimeError("a script sees an IPython shell")
"""
NOTEBOOK_SHELL_HERE = """import os, sys
shell = get_ipython()
assert __IPYTHON__ and sys.modules["__main__"].__dict__ is shell.user_ns
assert shell.profile_dir.location.startswith(os.getcwd()) and os.path.isdir(shell.profile_dir.location)
assert [str(d) for d in _dh] == [os.getcwd()]  # str or Path, by IPython version
display("displayed")"""


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Several kinds of submission graded in one grade-all run (one fork server), the quiz included."""
    root = tmp_path_factory.mktemp("cohort")
    (root / "plain.py").write_text(SOLUTION)
    folder = root / "with_quiz"
    folder.mkdir()
    (folder / "rnn.py").write_text(SOLUTION)
    (folder / "quiz_answers.toml").write_text('q01 = "b"\nq02 = "a"\n')
    (root / "stubs.py").write_text(paths.EXERCISE_FILE.read_text())
    head, tail = SOLUTION.split("class SimpleRNN", 1)
    (root / "notebook.ipynb").write_text(notebook_of(
        ["%matplotlib inline\n!echo setup", head, "%%time\nprint('timing cell')", "class SimpleRNN" + tail],
        quiz='QUIZ_ANSWERS = """\nq01 = "b"\n"""'))
    (root / "broken.ipynb").write_text("{ not json")
    # The fork server makes the notebook shell once: a script must not see it, a notebook sees its own.
    (root / "script_outside_ipython.py").write_text(SOLUTION + SCRIPT_OUTSIDE_IPYTHON)
    (root / "notebook_shell_here.ipynb").write_text(notebook_of([head, NOTEBOOK_SHELL_HERE, "class SimpleRNN" + tail]))
    several = root / "several"
    (several / "a").mkdir(parents=True)
    (several / "b").mkdir()
    (several / "a" / "rnn.py").write_text(SOLUTION)
    (several / "b" / "rnn.py").write_text(SOLUTION)
    out = tmp_path_factory.mktemp("out")
    proc = run([sys.executable, "-m", "autograder", "grade-all", str(root), "--out", str(out)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc


@pytest.mark.slow
def test_reference_scores_full_marks_with_a_gradescope_file(tmp_path):
    results = tmp_path / "results.json"
    proc = grade(paths.SOLUTION_FILE, results, "--no-quiz")
    assert proc.returncode == 0, proc.stderr
    data = load(results)
    assert data["score"] == CODE_TOTAL == 120
    assert [t["name"] for t in data["tests"]] == [c.name for c in GRADED]
    assert [t["max_score"] for t in data["tests"]] == [c.points for c in GRADED]
    assert [t["number"] for t in data["tests"]] == [str(i) for i in range(1, len(GRADED) + 1)]
    assert all(t["status"] == "passed" for t in data["tests"])
    assert data["extra_data"]["parts"] == {"core": {"score": 100, "max_score": 100},
                                           "under_the_hood": {"score": 20, "max_score": 20}}
    assert "Score: 120 / 120" in proc.stdout and "Sandbox: full" in proc.stdout
    assert data["extra_data"]["isolation"]["mode"] == "full"


@pytest.mark.slow
def test_part_two_can_be_left_out(tmp_path):
    results = tmp_path / "results.json"
    proc = grade(paths.SOLUTION_FILE, results, "--no-quiz", "--no-part2")
    assert proc.returncode == 0, proc.stderr
    data = load(results)
    assert data["score"] == data["extra_data"]["max_score"] == 100
    assert [t["name"] for t in data["tests"]] == [c.name for c in catalogue.CHECKS]


@pytest.mark.slow
def test_grade_without_results_prints_the_table():
    proc = run([sys.executable, "-m", "autograder", "grade", "solutions/rnn.py", "--no-quiz"])
    assert proc.returncode == 0, proc.stderr
    assert "Score: 120 / 120" in proc.stdout


@pytest.mark.slow
def test_help_answers_without_importing_torch():
    code = ("import sys, contextlib, io\nfrom autograder.cli import main\n"
            "for argv in (['--help'], ['grade', '--help'], ['grade-all', '--help'], ['export-grades', '--help'],"
            " ['lti', '--help'], ['gradescope-zip', '--help'], ['build', '--help']):\n"
            "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            "        main(argv)\n"
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n")
    proc = run([sys.executable, "-c", code])
    assert proc.stdout.strip().endswith("NO-TORCH"), proc.stdout + proc.stderr
    help_text = run([sys.executable, "-m", "autograder", "grade", "--help"]).stdout
    for words in ("SUBMISSION", "--results", "--sandbox", "--unconfined", "--memory-mb", "--no-part2", "--seed"):
        assert words in help_text


@pytest.mark.slow
def test_stubs_score_zero_and_say_what_is_missing(cohort):
    out, _ = cohort
    data = load(out / "stubs.json")
    assert data["score"] == 0
    for test in data["tests"]:
        if test["tags"][1] != "quiz":
            assert "not implemented yet" in test["output"], test


@pytest.mark.slow
def test_the_quiz_counts_for_everyone_and_the_maximum_is_the_same(cohort):
    out, _ = cohort
    maxima = {load(p)["extra_data"]["max_score"] for p in out.glob("*.json")}
    assert maxima == {CODE_TOTAL + QUIZ_TOTAL}
    plain = load(out / "plain.json")
    assert plain["score"] == CODE_TOTAL
    assert plain["extra_data"]["parts"]["quiz"] == {"score": 0, "max_score": QUIZ_TOTAL}
    quiz = load(out / "with_quiz.json")
    quiz_tests = [t for t in quiz["tests"] if t["tags"] == ["quiz", "quiz"]]
    assert len(quiz_tests) == 12 and all(t["name"].startswith("Quiz") for t in quiz_tests)
    assert quiz["score"] > CODE_TOTAL, "q01 and q02 are keys: the quiz adds points"


@pytest.mark.slow
def test_a_notebook_is_run_cell_by_cell(cohort):
    out, _ = cohort
    data = load(out / "notebook.json")
    code = [t for t in data["tests"] if t["tags"][1] != "quiz"]
    assert sum(t["score"] for t in code) == CODE_TOTAL, [t for t in code if t["status"] != "passed"]
    first = next(t for t in data["tests"] if t["extra_data"].get("check") == "q01")
    assert first["score"] == first["max_score"]
    assert "timing cell" in data["output"] and "setup" in data["output"]


@pytest.mark.slow
def test_a_notebook_grades_the_same_on_a_fork_server_warmed_up_for_files_only(tmp_path):
    # `grade rnn.py` skips IPython and matplotlib in the fork server's warm-up (0.7 s); a
    # notebook reaching such a grader imports them inside its own sandbox and loses nothing.
    head, tail = SOLUTION.split("class SimpleRNN", 1)
    path = tmp_path / "rnn.ipynb"
    path.write_text(notebook_of(["%matplotlib inline\nimport matplotlib.pyplot as plt", head,
                                 "class SimpleRNN" + tail]))
    script = "\n".join([
        "from autograder import intake",
        "from autograder.judge.grader import Grader, Options",
        "grader = Grader(Options(notebooks=False, plots=False, quiz=False))",
        "try:",
        f"    grade = grader.grade(intake.load({str(path)!r}))",
        "finally:",
        "    grader.close()",
        "print(grade.status, sum(o.passed for o in grade.outcomes), len(grade.outcomes), grade.notes)",
    ])
    proc = run([sys.executable, "-c", script])
    assert proc.returncode == 0, proc.stderr
    status, passed, total, notes = proc.stdout.strip().split(" ", 3)
    assert status == "graded" and passed == total, proc.stdout


@pytest.mark.slow
def test_scripts_and_notebooks_each_see_what_python_and_jupyter_show_them(cohort):
    out, _ = cohort
    script = load(out / "script_outside_ipython.json")
    assert script["score"] == CODE_TOTAL, script["output"]
    notebook = load(out / "notebook_shell_here.json")
    assert [c["status"] for c in notebook["extra_data"]["notebook_cells"]] == ["ok"] * 3, notebook["extra_data"]
    assert "displayed" in notebook["output"]


def test_the_fork_server_imports_matplotlib_only_for_runs_whose_code_may_plot(tmp_path):
    from autograder import intake
    from autograder.nbgrader_course import PLOT_CELL_MATPLOTLIB
    from autograder.nbgrader_course.notebook import PLOT, SOURCE_NOTEBOOK

    assert PLOT.count("matplotlib") == PLOT_CELL_MATPLOTLIB
    course = nbformat.read(SOURCE_NOTEBOOK, as_version=4)
    plotting = nbformat.read(SOURCE_NOTEBOOK, as_version=4)
    plotting.cells.append(nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2])"))
    cases = {"course.ipynb": (nbformat.writes(course), False),  # its own plot cell is skipped
             "plotting.ipynb": (nbformat.writes(plotting), True),
             "magic.ipynb": (notebook_of(["%matplotlib inline", SOLUTION]), True),
             "plain.py": (SOLUTION, False),
             "plots.py": (SOLUTION + "\nimport matplotlib\n", True)}
    for name, (text, plots) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert intake.may_plot(intake.load(tmp_path / name)) is plots, name


@pytest.mark.slow
def test_unreadable_submissions_get_a_valid_zero_with_a_reason(cohort):
    out, _ = cohort
    broken = load(out / "broken.json")
    assert broken["score"] == 0 and broken["extra_data"]["max_score"] == CODE_TOTAL + QUIZ_TOTAL
    assert all("not a readable notebook" in t["output"] for t in broken["tests"] if t["tags"][1] != "quiz")
    several = load(out / "several.json")  # a/rnn.py and b/rnn.py: one is graded, and the student told which
    assert several["score"] == CODE_TOTAL
    assert "rnn.py of the 2 Python files and notebooks handed in" in several["output"]


@pytest.mark.slow
def test_a_submission_under_another_name_is_graded_and_says_so(tmp_path):
    """Gradescope hands in what the student uploaded: my_solution.py is their rnn.py."""
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "my_solution.py").write_text(SOLUTION)
    proc = run([sys.executable, "-m", "autograder", "grade", str(folder), "--results", str(tmp_path / "r.json"),
                "--no-quiz"])
    assert proc.returncode == 0, proc.stderr
    data = load(tmp_path / "r.json")
    assert data["score"] == CODE_TOTAL and data["extra_data"]["status"] == "graded"
    assert "graded my_solution.py: the only Python file or notebook handed in" in data["output"]


@pytest.mark.slow
def test_grade_all_writes_a_csv_and_a_summary(cohort):
    out, proc = cohort
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert {r["student"] for r in rows} == {"plain", "with_quiz", "stubs", "notebook", "broken", "several",
                                           "script_outside_ipython", "notebook_shell_here"}
    assert next(r for r in rows if r["student"] == "plain")["score"] == "120"
    assert {r["status"] for r in rows} == {"graded"}
    assert "8 graded, 0 skipped as unchanged" in proc.stderr
    assert "missed:" in proc.stdout


@pytest.mark.slow
def test_grade_all_reads_nbgrader_submitted_layout(tmp_path):
    for student in ("s1", "s2"):
        folder = tmp_path / "submitted" / student / "module11"
        folder.mkdir(parents=True)
        (folder / "rnn.py").write_text(SOLUTION)
        (folder / "timestamp.txt").write_text("2026-12-01 08:59:00.123456 UTC")
    (tmp_path / "submitted" / "s2" / "other").mkdir()
    proc = run([sys.executable, "-m", "autograder", "grade-all", str(tmp_path / "submitted"),
                "--assignment", "module11", "--out", str(tmp_path / "out"), "--no-quiz"])
    assert proc.returncode == 0, proc.stderr
    for student in ("s1", "s2"):
        data = load(tmp_path / "out" / f"{student}.json")
        assert data["score"] == CODE_TOTAL
        assert data["extra_data"]["submitted_at"] == {"time": "2026-12-01T08:59:00.123456+00:00",
                                                      "source": "nbgrader timestamp.txt", "weak": False}


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, reason",
    [
        (["grade", "no/such/rnn.py", "--results", "{tmp}/r.json"], "no such file or folder: no/such/rnn.py"),
        (["grade", "solutions/rnn.py", "--results", "{tmp}/missing/r.json"], "does not exist"),
        (["grade", "solutions/rnn.py", "--results", "{tmp}"], "is a folder"),
        (["grade", "solutions/rnn.py", "--results", "/proc/r.json"], "cannot write"),
        (["grade", "pyproject.toml", "--results", "{tmp}/r.json"], "expected rnn.py, a folder or a .ipynb"),
        (["grade", "solutions/rnn.py", "--results", "{tmp}/r.json", "--check-timeout", "0"], "must be positive"),
        (["grade", "solutions/rnn.py", "--results", "{tmp}/r.json", "--sandbox", "chroot"], "unknown sandbox mode"),
        (["grade-all", "{tmp}", "--out", "{tmp}/out"], "no submissions in"),
        (["grade-all", "{tmp}/nowhere", "--out", "{tmp}/out"], "no such folder"),
    ],
)
def test_grading_that_cannot_run_exits_non_zero_with_one_line(tmp_path, args, reason):
    proc = run([sys.executable, "-m", "autograder", *[a.format(tmp=tmp_path) for a in args]])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0], proc.stderr
    assert not (tmp_path / "r.json").exists()


@pytest.mark.slow
def test_a_grader_fault_still_leaves_a_valid_results_file(tmp_path):
    results = tmp_path / "results.json"
    script = "\n".join([
        "import sys",
        "from autograder import cli",
        "from autograder.judge import grader",
        "def broken(self, submission, started, slot=0): raise RuntimeError('simulated grader bug')",
        "grader.Grader._grade = broken",
        f"sys.exit(cli.main(['grade', 'solutions/rnn.py', '--results', {str(results)!r}]))",
    ])
    proc = run([sys.executable, "-c", script])
    assert proc.returncode == 0, proc.stderr
    data = load(results)
    assert data["score"] == 0 and data["extra_data"]["status"] == "grader_error"
    assert all("the grader itself failed" in t["output"] for t in data["tests"] if t["tags"][1] != "quiz")
    assert "simulated grader bug" in data["extra_data"]["regrade_reason"]
    assert "NOT GRADED" in proc.stdout


@pytest.mark.slow
@pytest.mark.skipif(not catalogue.available_accelerators(), reason="needs a CUDA or MPS device")
def test_reference_earns_the_accelerator_checks_on_a_real_device(tmp_path):
    results = tmp_path / "results.json"
    proc = grade(paths.SOLUTION_FILE, results, "--no-quiz")
    assert proc.returncode == 0, proc.stderr
    data = load(results)
    devices = catalogue.available_accelerators()
    assert data["score"] == data["extra_data"]["max_score"] == CODE_TOTAL + 6 * len(devices)


@pytest.mark.slow
def test_the_same_seed_gives_the_same_run(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for path in (first, second):
        assert grade(paths.SOLUTION_FILE, path, "--no-quiz", "--seed", "1234").returncode == 0
    a, b = load(first), load(second)
    assert a["extra_data"]["seed"] == b["extra_data"]["seed"] == 1234
    assert a["extra_data"]["loss_curve"] == b["extra_data"]["loss_curve"]


# --- in-kernel checks (nbgrader) agree with the sandbox -------------------------------


@pytest.mark.slow
def test_in_kernel_checks_award_what_the_sandbox_awards(tmp_path):
    from autograder.inkernel import run_check

    variants = {"reference": SOLUTION,
                "no_zero_grad": SOLUTION.replace("    optimizer.zero_grad()\n", "", 1),
                "first_step": SOLUTION.replace("return self.fc(out[:, -1, :])", "return self.fc(out[:, 0, :])")}
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in variants.items():
        (folder / f"{name}.py").write_text(text)
    out = tmp_path / "out"
    proc = run([sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out), "--no-quiz"])
    assert proc.returncode == 0, proc.stderr
    for name, text in variants.items():
        namespace: dict = {}
        exec(compile(text, f"{name}.py", "exec"), namespace)  # the project's own variants
        in_kernel = []
        for entry in GRADED:
            try:
                run_check(namespace, entry.id)
                in_kernel.append(entry.points)
            except AssertionError:
                in_kernel.append(0)
        sandboxed = [t["score"] for t in load(out / f"{name}.json")["tests"]]
        assert in_kernel == sandboxed, name


# --- the wire ---------------------------------------------------------------------------


def test_the_wire_rejects_oversized_deep_and_malformed_frames():
    r, w = os.pipe()
    os.write(w, wire.HEADER.pack(wire.MAX_JSON + 1, 0))
    with pytest.raises(wire.ProtocolError):
        wire.read_frame(r, deadline=None)
    os.write(w, wire.HEADER.pack(3, 0) + b"[1]")
    with pytest.raises(wire.ProtocolError):
        wire.read_frame(r, deadline=None)
    deep = b"[" * 100000 + b"]" * 100000
    os.write(w, wire.HEADER.pack(len(deep), 0))
    os.close(w)
    # the rest arrives through a second pipe: the frame would not fit in a pipe's buffer
    os.close(r)
    r, w = os.pipe()
    import threading

    threading.Thread(target=lambda: (os.write(w, wire.HEADER.pack(len(deep), 0) + deep), os.close(w))).start()
    with pytest.raises(wire.ProtocolError):
        wire.read_frame(r, deadline=None)
    os.close(r)
    r, w = os.pipe()
    os.write(w, wire.HEADER.pack(2, 4) + b"{}" + b"\x80\x04N.")  # a pickle is not safetensors
    with pytest.raises(wire.ProtocolError):
        wire.read_frame(r, deadline=None)
    os.close(w)
    with pytest.raises(wire.Closed):
        wire.read_frame(r, deadline=None)
    os.close(r)


def test_request_tensors_are_encoded_once_and_again_when_changed():
    import torch

    encode = wire.EncodedRequests(size=2)
    x, w = torch.randn(3, 4), torch.randn(2)
    first = encode({"x": x, "w": w})
    assert wire.decode_tensors(first)["x"].equal(x)
    assert encode({"x": x, "w": w}) is first  # the plan's tensors: encoded once for every student
    x.add_(1)  # changed in place: encoded again, never the stale bytes
    assert wire.decode_tensors(encode({"x": x, "w": w}))["x"].equal(x)
    assert wire.decode_tensors(encode({"x": x.clone()}))["x"].equal(x)  # another tensor, same values
    encode({"y": torch.zeros(1)})
    assert len(encode._blobs) == 2 and encode({}) == b""


def test_the_wire_gives_up_at_its_deadline():
    import time

    r, w = os.pipe()
    os.write(w, wire.HEADER.pack(10, 0) + b"{")
    started = time.monotonic()
    with pytest.raises(wire.Timeout):
        wire.read_frame(r, deadline=time.monotonic() + 0.3)
    assert time.monotonic() - started < 2
    os.close(r)
    os.close(w)


def test_the_student_release_holds_no_hidden_check():
    """Check names and hints are for students; the checks' code and the reference are not."""
    suites = ROOT / "autograder" / "judge" / "suites"
    code = [line.strip() for path in suites.glob("test_*.py") for line in path.read_text().splitlines()
            if line.strip().startswith(("expect(", "want = ctx.expected"))]
    hints = ["autograder.judge", "BEGIN HIDDEN", "rnn_reference", "ctx.expected", *code]
    for path in (ROOT / "exercises").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".md"):
            text = path.read_text()
            assert not [h for h in hints if h in text], path


@pytest.mark.slow
def test_a_grader_fault_on_one_student_of_a_cohort_is_that_students_alone(tmp_path):
    # A fault after grading (here: writing the results of one student) costs that student a
    # grader_error results file flagged for regrade; the others are graded and grades.csv written.
    cohort, out = tmp_path / "cohort", tmp_path / "out"
    cohort.mkdir()
    for name in ("alice", "bob"):
        (cohort / f"{name}.py").write_text(SOLUTION)
    script = "\n".join([
        "import sys",
        "from autograder import cli, results",
        "real = results.build",
        "def build(grade, submission, *args):",
        "    if submission.name == 'bob' and grade.status != 'grader_error':",
        "        raise RuntimeError('simulated fault writing results')",
        "    return real(grade, submission, *args)",
        "results.build = build",
        f"sys.exit(cli.main(['grade-all', {str(cohort)!r}, '--out', {str(out)!r}, '--no-feedback']))",
    ])
    proc = run([sys.executable, "-c", script])
    assert proc.returncode == 1, proc.stdout + proc.stderr  # graded, loudly: the grader failed someone
    assert "GRADER ERROR: the grader itself failed on 1 student(s): bob" in " ".join(proc.stderr.split())
    alice, bob = load(out / "alice.json"), load(out / "bob.json")
    assert alice["extra_data"]["status"] == "graded" and alice["score"] == CODE_TOTAL
    assert bob["extra_data"]["status"] == "grader_error" and bob["score"] == 0
    assert "simulated fault writing results" in bob["extra_data"]["regrade_reason"]
    rows = {row["student"]: row for row in csv.DictReader((out / "grades.csv").open())}
    assert set(rows) == {"alice", "bob"}


@pytest.mark.slow
def test_a_results_file_that_cannot_be_written_is_that_students_alone(tmp_path):
    # A full disk when one student's results are written: the others are graded and written, the run
    # ends loudly (exit 1) naming the student, who is graded again by the same command later.
    cohort, out = tmp_path / "cohort", tmp_path / "out"
    cohort.mkdir()
    for name in ("alice", "bob", "carol"):
        (cohort / f"{name}.py").write_text(SOLUTION)
    script = "\n".join([
        "import errno, sys",
        "from autograder import cli, results",
        "real = results.write",
        "def write(path, data):",
        "    if path.name == 'bob.json':",
        "        raise OSError(errno.ENOSPC, 'No space left on device')",
        "    return real(path, data)",
        "results.write = write",
        f"sys.exit(cli.main(['grade-all', {str(cohort)!r}, '--out', {str(out)!r}, '--no-feedback', '--no-quiz']))",
    ])
    proc = run([sys.executable, "-c", script])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = " ".join(proc.stderr.split())
    assert "results for bob not written: No space left on device" in said
    assert "RESULTS NOT WRITTEN for 1 student(s) bob" in said
    assert sorted(p.name for p in out.glob("*.json")) == ["alice.json", "carol.json"]
    assert load(out / "carol.json")["score"] == CODE_TOTAL
    again = run([sys.executable, "-m", "autograder", "grade-all", str(cohort), "--out", str(out), "--no-feedback",
                 "--no-quiz"])
    assert again.returncode == 0 and "1 graded, 2 skipped" in again.stderr, again.stderr


@pytest.mark.slow
def test_the_fork_server_starts_before_the_judge_imports_torch():
    # Both processes pay about a second for torch's import: side by side, not one after the other.
    script = "\n".join([
        "import sys",
        "import autograder.sandbox.zygote as zygote",
        "seen = []",
        "start = zygote.Zygote.__init__",
        "def recording(self, *args, **kwargs):",
        "    seen.append('torch' in sys.modules)",
        "    start(self, *args, **kwargs)",
        "zygote.Zygote.__init__ = recording",
        "from autograder.judge.grader import Grader, Options",
        "Grader(Options(quiz=False)).close()",
        "print(seen)",
    ])
    proc = run([sys.executable, "-c", script])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[False]", proc.stdout
