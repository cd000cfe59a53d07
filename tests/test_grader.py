"""The grade command as instructors and Gradescope use it: results, summary, errors, inputs."""

from __future__ import annotations

import csv
import json
import sys

import nbformat
import pytest

from autograder import checks, paths, submission
from autograder.sandbox import isolation, protocol
from tests.conftest import ROOT, run

SOLUTION = paths.SOLUTION_FILE.read_text()
TOTAL = sum(c.points for c in checks.CHECKS)
TEST_FIELDS = {"name", "number", "score", "max_score", "status", "output", "visibility"}


def grade(path, results, *extra):
    return run([sys.executable, "-m", "autograder", "grade", str(path), "--results", str(results), *extra])


def load(results):
    data = json.loads(results.read_text())
    assert {"score", "execution_time", "tests"} <= set(data)
    for test in data["tests"]:
        assert TEST_FIELDS <= set(test), test
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
        assert 0 <= test["score"] <= test["max_score"]
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    return data


def notebook_of(code_cells: list[str], quiz: str | None = None) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# Module 11"))
    nb.cells.extend(nbformat.v4.new_code_cell(c) for c in code_cells)
    if quiz is not None:
        nb.cells.append(nbformat.v4.new_code_cell(quiz, metadata={"tags": ["quiz-answers"]}))
    return nbformat.writes(nb)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Several kinds of submission graded in one grade-all run (one fork server)."""
    root = tmp_path_factory.mktemp("cohort")
    (root / "plain.py").write_text(SOLUTION)
    folder = root / "with_quiz"
    folder.mkdir()
    (folder / "rnn.py").write_text(SOLUTION)
    (folder / "quiz_answers.toml").write_text('q01 = "b"\nq02 = "a"\n')
    (root / "stubs.py").write_text(paths.EXERCISE_FILE.read_text())
    head, tail = SOLUTION.split("class SimpleRNN", 1)
    (root / "notebook.ipynb").write_text(notebook_of(
        ["%matplotlib inline\n!pip install torch\n" + head,
         "%%time\nprint('timing cell, skipped')",
         "class SimpleRNN" + tail],
        quiz='QUIZ_ANSWERS = """\nq01 = "b"\n"""'))
    (root / "broken.ipynb").write_text("{ not json")
    several = root / "several"
    (several / "a").mkdir(parents=True)
    (several / "b").mkdir()
    (several / "a" / "rnn.py").write_text(SOLUTION)
    (several / "b" / "rnn.py").write_text(SOLUTION)
    out = tmp_path_factory.mktemp("out")
    proc = run([sys.executable, "-m", "autograder", "grade-all", str(root), "--out", str(out)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc


def test_reference_scores_full_marks_with_a_gradescope_file(tmp_path):
    results = tmp_path / "results.json"
    proc = grade(paths.SOLUTION_FILE, results)
    assert proc.returncode == 0, proc.stderr
    data = load(results)
    assert data["score"] == TOTAL == 100
    assert [t["name"] for t in data["tests"]] == [c.name for c in checks.CHECKS]
    assert [t["max_score"] for t in data["tests"]] == [c.points for c in checks.CHECKS]
    assert [t["number"] for t in data["tests"]] == [str(i) for i in range(1, len(checks.CHECKS) + 1)]
    assert all(t["status"] == "passed" for t in data["tests"])
    assert "Score: 100 / 100" in proc.stdout and "Isolation:" in proc.stdout
    assert proc.stdout.count("/") >= len(checks.CHECKS), "one points cell per check"
    assert data["extra_data"]["isolation"], "the summary must say what confinement was in force"


def test_stubs_score_zero_and_say_what_is_missing(cohort):
    out, proc = cohort
    data = load(out / "stubs.json")
    assert data["score"] == 0
    functions = {"construction": "SimpleRNN.__init__", "forward": "SimpleRNN.forward",
                 "training_step": "training_step", "train": "train", "predict": "predict"}
    for test, entry in zip(data["tests"], checks.CHECKS, strict=True):
        group = entry.id.split(".")[0]
        if group == "device":
            assert "not implemented yet" in test["output"], test
        else:
            assert f"not implemented yet: {functions[group]}" in test["output"], test


def test_quiz_answers_become_separate_tests_only_when_present(cohort):
    out, _ = cohort
    plain = load(out / "plain.json")
    assert len(plain["tests"]) == len(checks.CHECKS) and plain["score"] == TOTAL
    quiz = load(out / "with_quiz.json")
    quiz_tests = quiz["tests"][len(checks.CHECKS):]
    assert quiz_tests and all(t["tags"] == ["quiz"] for t in quiz_tests)
    assert all(t["name"].startswith("Quiz") for t in quiz_tests)
    assert quiz["score"] > TOTAL, "q01 and q02 are the keys: the quiz adds points"
    numbers = [int(t["number"]) for t in quiz["tests"]]
    assert numbers == list(range(1, len(numbers) + 1))


def test_a_notebook_is_graded_from_its_code_cells(cohort):
    out, _ = cohort
    data = load(out / "notebook.json")
    code = data["tests"][: len(checks.CHECKS)]
    assert sum(t["score"] for t in code) == TOTAL, [t for t in code if t["status"] != "passed"]
    quiz = data["tests"][len(checks.CHECKS):]
    assert quiz, "the quiz cell's answers are graded"
    first = next(t for t in quiz if "Q01" in t["name"] or "q01" in t["name"].lower())
    assert first["score"] == first["max_score"]


def test_unreadable_submissions_get_a_valid_zero_with_a_reason(cohort):
    out, _ = cohort
    broken = load(out / "broken.json")
    assert broken["score"] == 0
    assert all("not a readable notebook" in t["output"] for t in broken["tests"])
    several = load(out / "several.json")
    assert several["score"] == 0 and "several rnn.py files" in several["tests"][0]["output"]


def test_grade_all_writes_a_csv_and_a_line_per_student(cohort):
    out, proc = cohort
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert {r["student"] for r in rows} == {"plain", "with_quiz", "stubs", "notebook", "broken", "several"}
    assert next(r for r in rows if r["student"] == "plain")["score"] == "100"
    assert "6 submissions graded" in proc.stderr
    assert "missed: forward: same logits as the reference" in proc.stdout  # the stubs


def test_grade_all_reads_nbgrader_submitted_layout(tmp_path):
    for student in ("s1", "s2"):
        folder = tmp_path / "submitted" / student / "module11"
        folder.mkdir(parents=True)
        (folder / "rnn.py").write_text(SOLUTION)
    (tmp_path / "submitted" / "s2" / "other").mkdir()
    proc = run([sys.executable, "-m", "autograder", "grade-all", str(tmp_path / "submitted"),
                "--assignment", "module11", "--out", str(tmp_path / "out")])
    assert proc.returncode == 0, proc.stderr
    assert load(tmp_path / "out" / "s1.json")["score"] == 100
    assert load(tmp_path / "out" / "s2.json")["score"] == 100


@pytest.mark.parametrize(
    "args, reason",
    [
        (["grade", "no/such/rnn.py", "--results", "{tmp}/r.json"], "no such file or folder: no/such/rnn.py"),
        (["grade", "solutions/rnn.py", "--results", "{tmp}/missing/r.json"], "does not exist"),
        (["grade", "solutions/rnn.py", "--results", "{tmp}"], "is a folder"),
        (["grade", "solutions/rnn.py", "--results", "/proc/r.json"], "cannot write"),
        (["grade", "pyproject.toml", "--results", "{tmp}/r.json"], "expected rnn.py, a folder or a .ipynb"),
        (["grade", "solutions/rnn.py", "--results", "{tmp}/r.json", "--check-timeout", "0"], "must be positive"),
        (["grade-all", "{tmp}", "--out", "{tmp}/out"], "no submissions in"),
    ],
)
def test_grading_that_cannot_run_exits_non_zero_with_one_line(tmp_path, args, reason):
    proc = run([sys.executable, "-m", "autograder", *[a.format(tmp=tmp_path) for a in args]])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0], proc.stderr
    assert not (tmp_path / "r.json").exists()


def test_help_explains_the_commands():
    proc = run([sys.executable, "-m", "autograder", "grade", "--help"])
    assert proc.returncode == 0
    for words in ("SUBMISSION", "--results", "--memory-mb", "--check-timeout", "results.json"):
        assert words in proc.stdout
    top = run([sys.executable, "-m", "autograder", "--help"]).stdout
    assert "grade-all" in top and "build" in top


def test_bundled_examples_grade_as_documented(tmp_path):
    proc = run([sys.executable, "-m", "autograder", "grade-all", str(paths.EXAMPLES_DIR), "--out", str(tmp_path)])
    assert proc.returncode == 0, proc.stderr
    scores = {r["student"]: (float(r["score"]), float(r["max_score"])) for r in csv.DictReader((tmp_path / "grades.csv").open())}
    assert scores["reference"] == (100, 100)
    assert scores["ada"][0] == scores["ada"][1] - 1  # full code marks, one quiz answer wrong
    assert scores["ben"][0] < 80 and scores["dev"][0] < 100
    # ben's training_step never clears gradients; train is judged with a known-good
    # step standing in, so that mistake costs nothing on the train checks.
    ben = load(tmp_path / "ben.json")
    assert all(t["status"] == "passed" for t in ben["tests"] if t["tags"] == ["train"])
    assert any(t["status"] == "failed" for t in ben["tests"] if t["tags"] == ["training_step"])
    readme = (ROOT / "README.md").read_text()
    for student, (score, max_score) in scores.items():
        assert f"{score:g} / {max_score:g}" in readme, f"README's example output is stale for {student}"


@pytest.mark.skipif(not checks.available_accelerators(), reason="needs a CUDA or MPS device")
def test_reference_earns_the_accelerator_checks_on_a_real_device(tmp_path):
    results = tmp_path / "results.json"
    proc = grade(paths.SOLUTION_FILE, results)
    assert proc.returncode == 0, proc.stderr
    data = load(results)
    devices = checks.available_accelerators()
    names = [c.name for d in devices for c in checks.ACCELERATOR_CHECKS[d]]
    assert [t["name"] for t in data["tests"]][len(checks.CHECKS):] == names
    assert data["score"] == data["extra_data"]["max_score"] == TOTAL + 6 * len(devices)


def test_a_container_that_refuses_namespaces_and_landlock_still_grades():
    # Docker's default profile, for one: no CAP_SYS_ADMIN, maybe no Landlock syscalls.
    script = "\n".join([
        "import errno",
        "import autograder.sandbox.isolation as iso",
        "def refuse(*args): raise OSError(errno.EPERM, 'Operation not permitted')",
        "iso.private_namespaces = refuse",
        "iso.apply_landlock = refuse",
        "from autograder.judge import Grader",
        "g = Grader()",
        "ok = g.grade(open('solutions/rnn.py').read(), [])",
        "print('SCORE', ok.score, 'NOTES', ok.notes)",
        "g.close()",
    ])
    proc = run([sys.executable, "-c", script])
    assert proc.returncode == 0, proc.stderr
    assert "SCORE 100" in proc.stdout, proc.stdout
    assert "no namespaces (Operation not permitted)" in proc.stdout
    assert "landlock refused (Operation not permitted)" in proc.stdout


def test_a_grader_fault_still_leaves_a_valid_results_file(tmp_path):
    results = tmp_path / "results.json"
    script = "\n".join([
        "import sys",
        "from autograder import cli, judge",
        "def broken(self, source, protected): raise RuntimeError('simulated grader bug')",
        "judge.Grader.grade = broken",
        f"sys.exit(cli.main(['grade', 'solutions/rnn.py', '--results', {str(results)!r}]))",
    ])
    proc = run([sys.executable, "-c", script])
    assert proc.returncode == 0, proc.stderr
    data = load(results)
    assert data["score"] == 0 and all("the grader itself failed" in t["output"] for t in data["tests"])
    assert data["extra_data"]["grader_errors"] == ["grader failure: RuntimeError: simulated grader bug"]
    assert "simulated grader bug" in proc.stdout


@pytest.mark.skipif(isolation.landlock_abi() == 0, reason="this kernel has no Landlock")
def test_without_root_landlock_alone_still_hides_the_reference():
    # Instructors on a laptop grade without root: no namespaces, no change of user.
    spy = f"print(open({str(paths.SOLUTION_FILE)!r}).read()[:40])"
    script = "\n".join([
        "import autograder.sandbox.isolation as iso",
        "iso.is_root = lambda: False",
        "from autograder.judge import Grader",
        "g = Grader()",
        "ok = g.grade(open('solutions/rnn.py').read(), [])",
        f"spy = g.grade({spy!r}, [])",
        "print('SCORE', ok.score, 'NOTES', ok.notes)",
        "print('SPY', spy.import_error)",
        "g.close()",
    ])
    proc = run([sys.executable, "-c", script])
    assert proc.returncode == 0, proc.stderr
    assert "SCORE 100" in proc.stdout and "landlock" in proc.stdout, proc.stdout
    assert "user nobody" not in proc.stdout
    assert "SPY {'type': 'PermissionError'" in proc.stdout, proc.stdout


# --- in-kernel checks (nbgrader) agree with the sandbox -------------------------------


def test_in_kernel_checks_award_what_the_sandbox_awards(tmp_path):
    from autograder.inkernel import run_check

    out = tmp_path / "out"
    proc = run([sys.executable, "-m", "autograder", "grade-all", str(paths.EXAMPLES_DIR), "--out", str(out)])
    assert proc.returncode == 0, proc.stderr
    for student in ("reference", "ada", "ben", "dev"):
        namespace: dict = {}
        source = (paths.EXAMPLES_DIR / student / "rnn.py").read_text()
        exec(compile(source, f"{student}.py", "exec"), namespace)  # the project's own example files
        in_kernel = []
        for entry in checks.CHECKS:
            try:
                run_check(namespace, entry.id)
                in_kernel.append(entry.points)
            except AssertionError:
                in_kernel.append(0)
        sandboxed = [t["score"] for t in load(out / f"{student}.json")["tests"][: len(checks.CHECKS)]]
        assert in_kernel == sandboxed, student


# --- units --------------------------------------------------------------------------


def test_notebook_cells_compile_one_by_one_as_in_a_kernel(tmp_path):
    path = tmp_path / "n.ipynb"
    path.write_text(notebook_of(["x = 1", "from __future__ import annotations\ny = 2", "def broken(:\n    pass", "z = 3"]))
    sub = submission.load(path)
    compile(sub.source, "n.py", "exec")
    assert sub.source.startswith("from __future__ import annotations")
    assert "z = 3" in sub.source and "broken" not in sub.source
    assert sub.notes == ["cell 4 has a syntax error (line 1: invalid syntax); it was skipped, as a notebook would"]


def test_notebook_magics_and_shell_lines_are_skipped(tmp_path):
    path = tmp_path / "n.ipynb"
    path.write_text(notebook_of(["%load_ext autoreload\nx = 1\n!ls\nif x:\n    %time y = 2\n", "%%bash\necho hi"]))
    sub = submission.load(path)
    compile(sub.source, "n.py", "exec")
    assert "echo hi" not in sub.source and "x = 1" in sub.source and "!ls" not in sub.source.replace("skipped: !ls", "")


def test_protocol_rejects_oversized_and_malformed_frames():
    import os

    r, w = os.pipe()
    os.write(w, protocol.HEADER.pack(protocol.MAX_JSON + 1, 0))
    with pytest.raises(protocol.ProtocolError):
        protocol.read_frame(r, deadline=None)
    os.write(w, protocol.HEADER.pack(3, 0) + b"[1]")
    with pytest.raises(protocol.ProtocolError):
        protocol.read_frame(r, deadline=None)
    os.write(w, protocol.HEADER.pack(2, 4) + b"{}" + b"\x80\x04N.")  # a pickle is not safetensors
    with pytest.raises(protocol.ProtocolError):
        protocol.read_frame(r, deadline=None)
    os.close(w)
    with pytest.raises(protocol.Closed):
        protocol.read_frame(r, deadline=None)
    os.close(r)


def test_protocol_gives_up_at_its_deadline():
    import os
    import time

    r, w = os.pipe()
    os.write(w, protocol.HEADER.pack(10, 0) + b"{")
    started = time.monotonic()
    with pytest.raises(protocol.Timeout):
        protocol.read_frame(r, deadline=time.monotonic() + 0.3)
    assert time.monotonic() - started < 2
    os.close(r)
    os.close(w)


def test_the_student_release_holds_no_hidden_check():
    hints = [c.id for c in checks.CHECKS] + ["autograder.suites", "BEGIN HIDDEN", "rnn_reference"]
    for path in (ROOT / "exercises").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".md"):
            text = path.read_text()
            assert not [h for h in hints if h in text], path
