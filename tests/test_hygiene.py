"""The suite's own rules, read off the source (CONTRIBUTING.md, "Tests"): each class of slip fails here.

The rules that need a running test (a fast test that starts a process; a skip under CI) are enforced
by the hooks in tests/conftest.py; these are the ones the source shows.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

SOURCES = sorted(p for folder in ("tests", "autograder", "quizzes", "exercises", "solutions", ".ci")
                 for p in (ROOT / folder).rglob("*.py")
                 if "corpus" not in p.relative_to(ROOT).parts) + [ROOT / ".ci" / "lock"]
TESTS = [p for p in SOURCES if p.relative_to(ROOT).parts[0] == "tests"]
BARE_PROGRAMS = {"python", "python3", "pip", "pip3", "pytest"}


def _nodes(path: Path):
    return ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))


def _where(path: Path, node: ast.AST) -> str:
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    return f"{name}:{node.lineno}: {ast.unparse(node)[:100]}"


def bare_programs(path: Path) -> list[str]:
    """`run(["python", ...])` runs whatever `python` comes first on PATH, not this environment's
    interpreter: outside an activated environment, another Python or none."""
    return [_where(path, node) for node in _nodes(path)
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], (ast.List, ast.Tuple))
            and node.args[0].elts and isinstance(node.args[0].elts[0], ast.Constant)
            and node.args[0].elts[0].value in BARE_PROGRAMS]


def module_level_importorskip(path: Path) -> list[str]:
    """A module-level importorskip skips every test of the file, whether it needs the import or not."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return [_where(path, node) for statement in body for node in ast.walk(statement)
            if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "importorskip"]


def _containment(node: ast.AST) -> bool:
    return isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn))


def either_spelling(path: Path) -> list[str]:
    """`assert "x" in text or "y" in text` passes whichever the code says: assert what it must say."""
    return [_where(path, node) for node in _nodes(path)
            if isinstance(node, ast.Assert) and isinstance(node.test, ast.BoolOp)
            and isinstance(node.test.op, ast.Or) and sum(map(_containment, node.test.values)) >= 2]


def compared_with_itself(path: Path) -> list[str]:
    """`f(x) == f(x)` in one process cannot fail."""
    found = []
    for node in _nodes(path):
        if isinstance(node, ast.Compare):
            dumps = [ast.dump(side) for side in (node.left, *node.comparators)]
            if len(set(dumps)) < len(dumps):
                found.append(_where(path, node))
    return found


def imports_tests(path: Path) -> list[str]:
    """The package runs without its tests folder: it never imports from it."""
    found = []
    for node in _nodes(path):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
            [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if any(name == "tests" or name.startswith("tests.") for name in names):
            found.append(_where(path, node))
    return found


PACKAGE = [p for p in SOURCES if p.relative_to(ROOT).parts[0] in ("autograder", "quizzes")]
RULES = {
    "use sys.executable (and -m pip, -m pytest)": (bare_programs, SOURCES),
    "import it where it is needed (a fixture or the test)": (module_level_importorskip, TESTS),
    "assert the one spelling the code must produce": (either_spelling, TESTS),
    "compare with an independent expectation": (compared_with_itself, TESTS),
    "move what the package needs into the package": (imports_tests, PACKAGE),
}


def test_the_rules_see_the_files_they_guard():
    assert ROOT / "tests" / "conftest.py" in TESTS and ROOT / "autograder" / "benchmark" / "bwrap.py" in PACKAGE


@pytest.mark.parametrize("advice", list(RULES))
def test_the_suite_keeps_the_rule(advice):
    rule, paths = RULES[advice]
    found = [line for path in paths for line in rule(path)]
    assert not found, f"{advice}:\n" + "\n".join(found)


@pytest.mark.parametrize("rule, slip", [
    (bare_programs, 'subprocess.run(["python", "-m", "autograder"])'),
    (bare_programs, 'proc = run(["pytest", "exercises"], timeout=60)'),
    (module_level_importorskip, 'import pytest\ndistributed = pytest.importorskip("distributed")'),
    (either_spelling, 'assert "Score" in html or "score" in html'),
    (compared_with_itself, "assert export(fmt, bank) == export(fmt, bank)"),
    (imports_tests, "def build():\n    from tests.nbgrader.course import submission"),
])
def test_each_rule_catches_the_slip_it_names(tmp_path, rule, slip):
    path = tmp_path / "test_slip.py"
    path.write_text(slip, encoding="utf-8")
    assert rule(path) != []
    path.write_text("import sys\n\n\ndef test_fine():\n    assert sys.executable\n", encoding="utf-8")
    assert rule(path) == []


def test_a_fast_test_that_starts_a_process_is_refused_and_named():
    """tests/conftest.py's guard, on a stand-in for a test that is not marked slow."""
    import _posixsubprocess
    import subprocess

    from tests import conftest

    class FastItem:
        nodeid = "tests/test_x.py::test_fast"
        stash = pytest.Stash()

        def get_closest_marker(self, name):
            return None

    item, before = FastItem(), _posixsubprocess.fork_exec
    with conftest._no_spawning(item):
        with pytest.raises(conftest.SpawnInAFastTest, match="test_fast started a process .*true.* not marked"):
            subprocess.run(["true"])
    assert [what.rsplit(": ", 1)[-1] for what in item.stash[conftest._SPAWNED]] == ["true"]
    assert _posixsubprocess.fork_exec is before  # put back as it was
