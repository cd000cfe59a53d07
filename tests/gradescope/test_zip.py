"""gradescope-zip: the layout Gradescope needs, the same bytes every time, scripts that use one root."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.gradescope import bundle
from autograder.paths import PROJECT_ROOT

from .conftest import unpack_like_gradescope

CPU_INDEX = "--index-url https://download.pytorch.org/whl/cpu"


def test_project_and_scripts_sit_at_the_zip_root(built):
    names = zipfile.ZipFile(built).namelist()
    for needed in ["setup.sh", "run_autograder", "pyproject.toml", "README.md", "constraints.txt", "autograder/__main__.py",
                   "autograder/cli.py", "quizzes/bank.toml", "solutions/rnn.py"]:
        assert needed in names, needed
    assert not [n for n in names if n.startswith("source/")]
    assert not [n for n in names if re.search(r"(^|/)(__pycache__|tests|\.[^/]+)(/|$)|\.pyc$|egg-info", n)]


def test_entries_have_a_fixed_date_and_unix_modes(built):
    infos = zipfile.ZipFile(built).infolist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert modes["autograder/cli.py"] == 0o644
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)


def test_the_same_tree_gives_the_same_bytes(built, tmp_path):
    again = tmp_path / "again.zip"
    bundle.build(again)
    assert again.read_bytes() == built.read_bytes()


@pytest.mark.slow
def test_scripts_take_every_autograder_path_from_one_variable():
    for name in ("setup.sh", "run_autograder"):
        text = (PROJECT_ROOT / "autograder" / "gradescope" / name).read_text()
        code = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        uses = [line for line in code if "/autograder" in line]
        assert uses == ['AUTOGRADER_ROOT="${AUTOGRADER_ROOT:-/autograder}"'], (name, uses)
        assert subprocess.run(["bash", "-n", str(PROJECT_ROOT / "autograder" / "gradescope" / name)]).returncode == 0


def _stub_python(tmp_path: Path, writes_results: bool = False, fails_with: str | None = None
                 ) -> tuple[dict, Path]:
    """A python3 on PATH that records how it was called (cwd and arguments) and does nothing else. As
    `-m autograder grade` it writes a results file (``writes_results``) or prints ``fails_with`` and
    exits 2, like grade when it cannot run; only run_autograder's fallback goes to the real interpreter
    (never pip: nothing is installed)."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    script = ['#!/usr/bin/env bash',
              'if [ "$1 $2" = "-m autograder.gradescope.fallback" ]; then',
              f'  exec "{sys.executable}" "$@"', "fi",
              'echo "$PWD|$*" >> "$STUB_LOG"',
              'if [ "$1 $2 $3" = "-m autograder grade" ]; then', "  :"]
    if writes_results:
        script.append('  echo \'{"score": 1}\' > "$AUTOGRADER_ROOT/results/results.json"')
    if fails_with:
        script += [f"  echo '{fails_with}' >&2", "  exit 2"]
    script += ["fi", "exit 0"]
    (bin_dir / "python3").write_text("\n".join(script) + "\n")
    (bin_dir / "python3").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "STUB_LOG": str(log)}
    return env, log


def _calls(log: Path) -> list[tuple[str, str]]:
    return [tuple(line.split("|", 1)) for line in log.read_text().splitlines()]


@pytest.mark.slow
@pytest.mark.parametrize("torch_env, baked, expected", [
    (None, None, f"torch {CPU_INDEX}"),
    ("torch==2.13.0", None, "torch==2.13.0"),
    (None, "torch==2.5.1 --index-url https://example.org/simple", "torch==2.5.1 --index-url https://example.org/simple"),
])
def test_setup_installs_cpu_torch_by_default_and_honours_the_switch(tmp_path, torch_env, baked, expected):
    zip_path = tmp_path / "autograder.zip"
    bundle.build(zip_path, baked)
    root = unpack_like_gradescope(zip_path, tmp_path / "autograder")
    env, log = _stub_python(tmp_path)
    env["AUTOGRADER_ROOT"] = str(root)
    if torch_env:
        env["TORCH_PIP_ARGS"] = torch_env
    proc = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    calls = _calls(log)
    assert {cwd for cwd, _ in calls} == {str(root / "source")}
    args = [a for _, a in calls]
    # the versions CI tested (constraints.txt); torch's own dependencies come from PyPI with the project
    assert args.index(f"-m pip install -c constraints.txt --no-deps {expected}") \
        < args.index("-m pip install -c constraints.txt -e .")
    assert args[-1] == "-m autograder selftest"  # last: a broken image fails its build


@pytest.mark.slow
def test_run_autograder_grades_the_submission_into_results(tmp_path, built):
    root = unpack_like_gradescope(built, tmp_path / "autograder")
    env, log = _stub_python(tmp_path, writes_results=True)
    env["AUTOGRADER_ROOT"] = str(root)
    proc = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert _calls(log) == [(str(root / "source"),
                            f"-m autograder grade {root}/submission --results {root}/results/results.json "
                            "--sandbox full,container --quiz-visibility after_due_date")]


def _results_of(root: Path) -> dict:
    import json

    from autograder.results_schema import SCHEMA

    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and data["extra_data"]["status"] == "grader_error"
    assert data["extra_data"]["schema"] == SCHEMA  # the static fallback in run_autograder too
    assert "course staff" in data["output"] and "not a problem with your code" in data["output"]
    staff = [t for t in data["tests"] if t["visibility"] == "hidden"]
    assert len(staff) == 1 and data["tests"] == staff  # the reason is for the staff's eyes only
    return data


@pytest.mark.slow
def test_run_autograder_writes_results_when_no_sandbox_mode_can_run(tmp_path, built):
    """grade exits 2 without a results file (no usable sandbox mode): Gradescope must still get one."""
    root = unpack_like_gradescope(built, tmp_path / "autograder")
    reason = "python -m autograder grade: no usable sandbox mode: full: no CAP_SYS_ADMIN; container: ..."
    env, log = _stub_python(tmp_path, fails_with=reason)
    env["AUTOGRADER_ROOT"] = str(root)
    proc = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert reason in proc.stderr  # Gradescope's log shows grade's own message too
    data = _results_of(root)
    assert reason in data["tests"][0]["output"] and "exit status 2" in data["tests"][0]["output"]
    assert reason in data["extra_data"]["regrade_reason"]


@pytest.mark.slow
def test_run_autograder_writes_results_even_when_python_cannot_run(tmp_path, built):
    root = unpack_like_gradescope(built, tmp_path / "autograder")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text("#!/usr/bin/env bash\necho 'python3: broken' >&2\nexit 127\n")
    (bin_dir / "python3").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "AUTOGRADER_ROOT": str(root)}
    proc = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    _results_of(root)


@pytest.mark.slow
def test_run_autograder_writes_results_for_a_real_grade_that_cannot_start(tmp_path, built):
    """The real grader, not a stub: the submission folder is missing, so grade exits 2 at once."""
    root = unpack_like_gradescope(built, tmp_path / "autograder")
    (root / "submission").rmdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "AUTOGRADER_ROOT": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = _results_of(root)
    assert "no such file or folder" in data["tests"][0]["output"]


def test_unsafe_torch_args_are_refused(tmp_path, cli):
    ran = cli("gradescope-zip", "--out", tmp_path / "a.zip", "--torch-pip-args", 'torch" ; rm -rf / "')
    assert ran.code == 2 and "without quotes" in ran.err and not (tmp_path / "a.zip").exists()


def test_cli_writes_the_zip_and_says_how_to_upload_it(tmp_path, cli):
    ran = cli("gradescope-zip", "--out", tmp_path / "autograder.zip")
    assert ran.code == 0, ran.err
    assert "Zip file upload" in ran.out and "sha256" in ran.out
    assert zipfile.ZipFile(tmp_path / "autograder.zip").testzip() is None
    bad = cli("gradescope-zip", "--out", tmp_path / "autograder.tar")
    assert bad.code == 2 and "ending in .zip" in bad.err


def test_a_folder_that_is_not_the_project_is_refused(tmp_path):
    with pytest.raises(bundle.BundleError, match="not a checkout of the project"):
        bundle.build(tmp_path / "a.zip", root=tmp_path)
    assert not (tmp_path / "a.zip").exists()
    assert os.listdir(tmp_path) == []


# --- nothing but what grading needs; never a secret -------------------------------------------------

def _private_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A copy of the project, as an instructor's clone looks after following the README's LMS steps
    literally: platform.toml beside the example, the tool's key and the LTI roster beside it."""
    import shutil

    copy = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT, copy, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.egg-info",
                                                                      "tests", "out", "*.zip"))
    lms = copy / "autograder" / "lms"
    shutil.copy(lms / "platform.example.toml", lms / "platform.toml")
    (lms / "tool-private.pem").write_text(_private_pem())
    (lms / "lti_users.csv").write_text("student,lti_user_id\nada,8f2c-11\nben,8f2c-12\n")
    (copy / "exercises" / "canvas_gradebook_export.csv").write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section\n\"Lovelace, Ada\",101,S-001,ada,A\n")
    (copy / "quizzes" / "students.txt").write_text("First name,Last name,Username,Email address\n"
                                                   "Ada,Lovelace,ada,ada@uni.example\n")
    (copy / "autograder" / "deploy_key.py").write_text(f'KEY = """{_private_pem()}"""\n')  # allowed by name
    return copy


def test_the_readme_lti_setup_never_reaches_the_zip(project_copy, tmp_path, capsys):
    out = tmp_path / "autograder.zip"
    made = bundle.build(out, root=project_copy)
    names = zipfile.ZipFile(out).namelist()
    for secret in ["autograder/lms/platform.toml", "autograder/lms/tool-private.pem",
                   "autograder/lms/lti_users.csv", "exercises/canvas_gradebook_export.csv",
                   "quizzes/students.txt", "autograder/deploy_key.py"]:
        assert secret not in names, secret
        assert any(secret in warning for warning in made.refused), (secret, made.refused)
    assert not [n for n in names for data in [zipfile.ZipFile(out).read(n)] if b"PRIVATE KEY-----" in data]
    by_name = {w.split(":", 1)[0]: w for w in made.refused}
    assert "private key" in by_name["autograder/deploy_key.py"]  # found by its content
    assert "roster" in by_name["quizzes/students.txt"]


def test_the_cli_warns_about_every_file_it_refused(project_copy, tmp_path, cli, monkeypatch):
    monkeypatch.setattr(bundle, "PROJECT_ROOT", project_copy)
    ran = cli("gradescope-zip", "--out", tmp_path / "autograder.zip")
    assert ran.code == 0, ran.err
    warnings = [line for line in ran.err.splitlines() if line.startswith("gradescope-zip: WARNING")]
    assert len(warnings) == 6 and any("tool-private.pem" in w for w in warnings)
    assert ".gitignore" in ran.err


def test_the_zip_carries_only_what_grading_needs(built):
    names = zipfile.ZipFile(built).namelist()
    for name in names:
        assert (name in {"setup.sh", "run_autograder", "pyproject.toml", "README.md", "constraints.txt",
                         "quizzes/bank.toml", "autograder/nbgrader_course/course/source/module11/rnn.ipynb",
                         "solutions/rnn.py", "autograder/gradescope/setup.sh",
                         "autograder/gradescope/run_autograder"}
                or re.fullmatch(r"(autograder|quizzes)/[\w/]+\.py", name)), name
    assert not [n for n in names if n.startswith(("autograder/examples/", "quizzes/samples/", "exercises/"))]


def test_a_needed_file_that_holds_a_key_stops_the_build(project_copy, tmp_path):
    with open(project_copy / "autograder" / "cli.py", "a") as handle:
        handle.write(f'\n"""{_private_pem()}"""\n')
    with pytest.raises(bundle.BundleError, match="autograder/cli.py.*private key"):
        bundle.build(tmp_path / "a.zip", root=project_copy)
    assert not (tmp_path / "a.zip").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["platform.toml", "tool-private.pem", "lti_users.csv", "id_map.csv",
                                  "canvas_gradebook_export.csv", "moodle_participants.csv",
                                  "canvas_export.csv", "canvas.csv", "moodle.csv", "canvas.notes.txt",
                                  "autograder/lms/platform.toml", "autograder/lms/tool-private.pem",
                                  "autograder/lms/lti_users.csv", "results/ada.json", "autograder.zip"])
def test_gitignore_covers_the_files_the_readme_makes(name):
    proc = subprocess.run(["git", "-C", str(PROJECT_ROOT), "check-ignore", "--no-index", "-q", name])
    assert proc.returncode == 0, f"{name} is not ignored"


@pytest.mark.slow
def test_gitignore_ignores_no_file_of_the_project():
    proc = subprocess.run(["git", "-C", str(PROJECT_ROOT), "ls-files", "-ci", "--exclude-standard"],
                          capture_output=True, text=True)
    assert proc.stdout == ""


# --- the quiz key cannot be found by resubmitting ----------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("baked, expected", [(None, "after_due_date"), ("visible", "visible")])
def test_run_autograder_sets_the_quiz_visibility_and_the_zip_can_change_it(tmp_path, baked, expected):
    zip_path = tmp_path / "autograder.zip"
    bundle.build(zip_path, quiz_visibility=baked)
    root = unpack_like_gradescope(zip_path, tmp_path / "autograder")
    env, log = _stub_python(tmp_path, writes_results=True)
    env["AUTOGRADER_ROOT"] = str(root)
    subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True, check=True)
    assert _calls(log)[0][1].endswith(f"--quiz-visibility {expected}")


def test_quiz_results_are_shown_after_the_due_date_by_default():
    from types import SimpleNamespace

    from autograder import results
    from autograder.judge.grader import Options

    quiz = [{"name": "Quiz Q01: What does an RNN carry?", "score": 0.0, "max_score": 1.0, "status": "failed",
             "output": "0/1 points\nthe hidden state is carried", "extra_data": {"check": "q01"}}]
    grade = SimpleNamespace(outcomes=[], quiz_tests=quiz, isolation={"mode": "full"}, status="graded",
                            reason=None, notes=[], printed="", printed_dropped=0, seconds=1.0, loss_curve=None,
                            cells=[], processes_killed=0, peak_memory=None, grader_errors=[])
    submission = SimpleNamespace(name="ada", kind="py", sha256="0", files={}, notes=[], submitted_at=None)
    hidden = results.build(grade, submission, Options(), 1, "after_due_date")
    assert [t["visibility"] for t in hidden["tests"]] == ["after_due_date"]
    assert "hidden state" not in hidden["output"] and "Q01" not in hidden["output"]
    assert "shown after the due date" in hidden["output"]
    shown = results.build(grade, submission, Options(), 1, "visible")
    assert shown["tests"][0]["visibility"] == "visible" and "Q01" in shown["output"]


def test_grade_help_documents_the_quiz_visibility(cli):
    ran = cli("grade", "--help")
    assert "--quiz-visibility" in ran.out and "after_due_date" in ran.out
