"""The README's two quick-start commands stay true, and CI runs the test one."""

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
MAIN = "pip install -e . && python -m autograder grade-all autograder/examples --out out/examples"
TESTS = 'pip install -e ".[test]" && python -m pytest'


def test_quick_start_has_exactly_the_two_commands():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line for line in re.findall(r"```\n(.*?)```", quick, re.S) if line.startswith("pip ")]
    assert [c.strip() for c in commands] == [MAIN, TESTS]


def test_ci_runs_the_readme_test_command_after_pinning_torch():
    script = (ROOT / ".ci" / "run").read_text()
    assert 'pip install --quiet "torch==2.13.0"' in script
    assert script.index("torch==2.13.0") < script.index(TESTS)
    assert TESTS in script.splitlines()


def test_gradescope_entry_point_uses_the_documented_command():
    run = (ROOT / "autograder" / "gradescope" / "run_autograder").read_text()
    assert "python3 -m autograder grade /autograder/submission --results /autograder/results/results.json" in run
