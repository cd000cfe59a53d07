"""`python -m autograder.nbgrader_course init`: the course-local exchange, as nbgrader reads it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.nbgrader_course import ASSIGNMENT
from autograder.nbgrader_course.scaffold import (
    EXCHANGE_DIR,
    EXCHANGE_MODE,
    ScaffoldError,
    init_course,
    make_exchange,
)
from tests.nbgrader.course import ROOT, nbgrader, nbgrader_env

# What nbgrader itself makes of the course's config, loaded the way its apps load it
# (nbgrader_config.py from the current directory, after the user's and system's).
NBGRADER_VIEW = """
import json
from nbgrader.apps.releaseassignmentapp import ReleaseAssignmentApp
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default import ExchangeReleaseAssignment

app = ReleaseAssignmentApp()
app.load_config_file()
coursedir = CourseDirectory(config=app.config)
exchange = ExchangeReleaseAssignment(coursedir=coursedir, authenticator=None, config=app.config)
print(json.dumps({"root": exchange.root, "course_id": coursedir.course_id}))
"""


def nbgrader_view(course: Path, env: dict | None = None) -> dict:
    import json

    proc = subprocess.run([sys.executable, "-c", NBGRADER_VIEW], cwd=course, capture_output=True,
                          text=True, timeout=120, env=env or nbgrader_env())
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_init_makes_a_course_local_exchange(tmp_path):
    course = tmp_path / "course"
    init_course(course, course_id="dl-2026")
    exchange = course / EXCHANGE_DIR
    assert exchange.is_dir()
    assert stat.S_IMODE(exchange.stat().st_mode) == EXCHANGE_MODE == 0o1777
    config = (course / "nbgrader_config.py").read_text()
    assert 'c.Exchange.root = os.path.join(_here, "exchange")' in config
    assert "/srv/nbgrader" not in config.split("c.Exchange.root")[1]


@pytest.mark.slow
def test_nbgrader_reads_the_exchange_root_from_the_course_folder(tmp_path):
    course = tmp_path / "course"
    init_course(course, course_id="dl-2026")
    view = nbgrader_view(course)
    assert view == {"root": str((course / EXCHANGE_DIR).resolve()), "course_id": "dl-2026"}


@pytest.mark.slow
def test_exchange_moves_with_the_course_folder(tmp_path):
    init_course(tmp_path / "first")
    (tmp_path / "first").rename(tmp_path / "moved")
    assert nbgrader_view(tmp_path / "moved")["root"] == str((tmp_path / "moved" / "exchange").resolve())


def test_force_keeps_the_exchange_and_what_it_holds(tmp_path):
    course = tmp_path / "course"
    init_course(course)
    kept = course / EXCHANGE_DIR / "module11-rnn" / "inbound" / "alice+module11+2026"
    kept.mkdir(parents=True)
    os.chmod(course / EXCHANGE_DIR, 0o755)  # e.g. changed by an administrator: left alone
    init_course(course, force=True)
    assert kept.is_dir()
    assert stat.S_IMODE((course / EXCHANGE_DIR).stat().st_mode) == 0o755


def test_exchange_that_is_a_file_is_refused(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / EXCHANGE_DIR).write_text("")
    with pytest.raises(ScaffoldError, match="not a folder"):
        make_exchange(course)


def test_umask_does_not_change_the_mode(tmp_path):
    old = os.umask(0o077)
    try:
        exchange = make_exchange(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(exchange.stat().st_mode) == EXCHANGE_MODE


@pytest.mark.slow
def test_cli_names_the_exchange(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "autograder.nbgrader_course", "init",
                           str(tmp_path / "c")], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"exchange    {tmp_path / 'c' / 'exchange'}  (Exchange.root)" in proc.stdout


def _nobody_can_run_python() -> bool:
    if os.geteuid() != 0:
        return False
    try:
        return subprocess.run([sys.executable, "-c", "import nbgrader"], user="nobody",
                              capture_output=True, timeout=60, cwd="/").returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.mark.slow
def test_release_assignment_goes_to_the_course_exchange(tmp_path):
    """The real command, as the current user: the release lands in course/exchange/.

    As root that proves less (root may write /srv); where Python is open to `nobody`,
    the course is also released by `nobody`, who can create nothing under /srv.
    """
    course = tmp_path / "course"
    init_course(course, course_id="dl-2026")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    proc = nbgrader(course, "release_assignment", ASSIGNMENT)
    released = course / EXCHANGE_DIR / "dl-2026" / "outbound" / ASSIGNMENT / "rnn.ipynb"
    assert released.is_file(), proc.stdout + proc.stderr
    assert "Creating exchange directory" not in proc.stderr
    assert "Permissions for exchange directory" not in proc.stderr  # our mode suits nbgrader
    if not _nobody_can_run_python():
        return
    other = tmp_path / "nobody"
    init_course(other, course_id="dl-2026")
    nbgrader(other, "generate_assignment", ASSIGNMENT, "--force")
    for path in [other, *other.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)
    os.chmod(tmp_path, 0o755)
    run = subprocess.run([sys.executable, "-m", "nbgrader", "release_assignment", ASSIGNMENT],
                         cwd=other, env={**nbgrader_env(), "HOME": str(other)}, user="nobody",
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert (other / EXCHANGE_DIR / "dl-2026" / "outbound" / ASSIGNMENT / "rnn.ipynb").is_file()
