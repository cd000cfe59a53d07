"""The README stays true: its two quick-start commands, CI's test command, the Gradescope entry
point, the points table, and the "mistake -> checks charged" table (from the mistake corpus)."""

import re

from autograder.judge.catalogue import CHECKS, PART2_CHECKS
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
    newest = script.split("job_newest() {", 1)[1].split("\n}\n", 1)[0]
    lines = [line.strip() for line in newest.splitlines()]
    assert lines.index('python -m pip install --quiet "torch==2.13.0"') < lines.index(TESTS)


def test_every_ci_job_runs_the_selftest():
    script = (ROOT / ".ci" / "run").read_text()
    jobs = re.findall(r"^job_(\w+)\(\) \{\n(.*?)^\}$", script, re.M | re.S)
    assert {name for name, _ in jobs} == {"newest", "oldest", "py313", "py310"}
    for name, body in jobs:
        assert "python -m autograder selftest" in [line.strip() for line in body.splitlines()], name


def test_gradescope_entry_point_uses_the_documented_command():
    run = (ROOT / "autograder" / "gradescope" / "run_autograder").read_text()
    assert 'AUTOGRADER_ROOT="${AUTOGRADER_ROOT:-/autograder}"' in run
    assert ('python3 -m autograder grade "$AUTOGRADER_ROOT/submission" \\\n'
            '    --results "$AUTOGRADER_ROOT/results/results.json" --sandbox full,container') in run
    documented = ("python3 -m autograder grade /autograder/submission --results "
                  "/autograder/results/results.json --sandbox full,container")
    assert documented in README.replace("\n", " ")


def test_the_points_table_is_the_catalogue():
    table = README.split("### What is checked", 1)[1].split("\n\n", 2)[1]
    rows = [r.split("|")[1:-1] for r in table.splitlines()[2:]]
    points = {}
    for _part, group, value, _ in rows:
        points[group.strip()] = int(value)
    groups = {}
    for check in [*CHECKS, *PART2_CHECKS]:
        name = "manual, bptt, factors" if check.part == "under_the_hood" else check.group
        groups[name] = groups.get(name, 0) + check.points
    assert {k: v for k, v in points.items() if k != "quiz"} == groups
    assert points["quiz"] == 15


def test_the_mistake_table_is_the_corpus():
    from tests.grader.test_mistakes import DESCRIPTIONS, EXACT, SCOPED

    table = README.split("| mistake | checks charged |", 1)[1].split("\n\n", 1)[0]
    rows = [line.split(" | ") for line in table.strip().splitlines()[1:]]
    documented = {row[0].lstrip("| ").strip(): row[1].rstrip(" |") for row in rows}
    expected = {DESCRIPTIONS[name]: ", ".join(f"`{c}`" for c in sorted(charged))
                for name, (_, charged) in EXACT.items()}
    expected.update({DESCRIPTIONS[name]: "`forward.shapes` and the forward checks it crashes on"
                     for name in SCOPED})
    assert documented == expected


# --- the walkthroughs' commands ----------------------------------------------------------------------

NBGRADER_README = (ROOT / "autograder" / "nbgrader_course" / "README.md").read_text()


def _command_lines(text: str) -> list[list[str]]:
    """Every command line of the text's code blocks: continuation lines joined, comments dropped."""
    import shlex

    found = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            if "[" in line or "..." in line:  # a usage line (SUBMISSION [--results ...]), not a command
                continue
            tokens = shlex.split(line, comments=True)
            if tokens:
                found.append(tokens)
    return found


def test_every_autograder_command_in_the_walkthroughs_parses():
    """The READMEs' commands are true word for word: each names options the command has."""
    import contextlib
    import io

    from autograder.cli import _parser

    parser = _parser()
    checked = 0
    for text in (README, NBGRADER_README):
        for tokens in _command_lines(text):
            if tokens[:3] not in (["python", "-m", "autograder"], ["python3", "-m", "autograder"]):
                continue
            errors = io.StringIO()
            try:
                with contextlib.redirect_stderr(errors):
                    parser.parse_args(tokens[3:])
            except SystemExit:
                raise AssertionError(f"{' '.join(tokens)}: {errors.getvalue()}") from None
            checked += 1
    assert checked >= 15


def test_the_nbgrader_walkthrough_never_writes_one_file_twice():
    step = NBGRADER_README.split("# 6.", 1)[1].split("```", 1)[0]
    written = []
    for tokens in _command_lines("```\n# 6." + step + "```"):
        if tokens[:3] == ["python", "-m", "autograder"] and "--out" in tokens:
            written.append(tokens[tokens.index("--out") + 1].rstrip("/"))
        if tokens[:2] == ["nbgrader", "export"]:  # nbgrader's own default file is grades.csv
            written.append(tokens[tokens.index("--to") + 1] if "--to" in tokens else "grades.csv")
    assert len(written) >= 5 and len(written) == len(set(written)), written
