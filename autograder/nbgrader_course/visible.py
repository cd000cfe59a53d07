"""Derive the notebook's visible checks from ``exercises/test_rnn.py``.

The notebook cannot import the exercise's pytest files (a student's Colab has
none of them), so the checks travel inside the notebook: one read-only cell
holds the source of :data:`HELPERS` and ``exercises/test_rnn.py`` (imports
and pytest decorators dropped), and one small cell after each answer runs that
answer's tests. The test file stays the one place the checks are written; the
drift test notices when it changes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import SKIPPED_WHILE_NBGRADER_RUNS

SECTION = re.compile(r"^# -+ (?P<function>[\w.]+) -+\s*$")
# The helper modules the tests import, in the order the notebook defines them.
HELPERS = ("_feedback.py", "_hints.py", "_expected.py")
TESTS = "test_rnn.py"
DROPPED_IMPORTS = {"__future__", "pytest", "torch", *(name[:-3] for name in HELPERS)}


@dataclass(frozen=True)
class VisibleTest:
    name: str
    function: str  # the student function it checks, e.g. "SimpleRNN.forward"
    cases: tuple[dict, ...] = field(default=({},))  # keyword arguments, one dict per case


class VisibleTestError(ValueError):
    """The test file does not have the shape the notebook builder relies on."""


def _parametrize(decorator: ast.expr, filename: str) -> tuple[dict, ...]:
    call = decorator
    ok = (
        isinstance(call, ast.Call)
        and ast.unparse(call.func) == "pytest.mark.parametrize"
        and len(call.args) == 2
    )
    if not ok:
        raise VisibleTestError(
            f"{filename}:{decorator.lineno}: only @pytest.mark.parametrize(names, values) "
            "can be carried into the notebook"
        )
    names = [n.strip() for n in ast.literal_eval(call.args[0]).split(",")]
    values = ast.literal_eval(call.args[1])
    cases = []
    for value in values:
        value = value if len(names) > 1 else (value,)
        cases.append(dict(zip(names, value, strict=True)))
    return tuple(cases)


def _sections(text: str) -> list[tuple[int, str]]:
    return [
        (number, match["function"])
        for number, line in enumerate(text.splitlines(), start=1)
        if (match := SECTION.match(line))
    ]


def parse_tests(text: str, filename: str = "exercises/test_rnn.py") -> list[VisibleTest]:
    """The test functions of ``text``, in file order, with their section and cases."""
    tree = ast.parse(text, filename=filename)
    sections = _sections(text)
    tests = []
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
            continue
        above = [function for line, function in sections if line < node.lineno]
        if not above:
            raise VisibleTestError(
                f"{filename}:{node.lineno}: {node.name} is not under a '# --- function ---' header"
            )
        cases: tuple[dict, ...] = ({},)
        for decorator in node.decorator_list:
            cases = _parametrize(decorator, filename)
        tests.append(VisibleTest(node.name, above[-1], cases))
    if not tests:
        raise VisibleTestError(f"{filename}: no test functions")
    return tests


def _without_imports_and_decorators(text: str, filename: str) -> str:
    """The module body of ``text``: no docstring, no imports named above, no decorators."""
    tree = ast.parse(text, filename=filename)
    lines = text.splitlines()
    drop: set[int] = set()
    for index, node in enumerate(tree.body):
        is_docstring = (
            index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        )
        dropped_import = isinstance(node, (ast.Import, ast.ImportFrom)) and any(
            (getattr(node, "module", None) or alias.name).split(".")[0] in DROPPED_IMPORTS
            for alias in node.names
        )
        if is_docstring or dropped_import:
            drop.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            raise VisibleTestError(
                f"{filename}:{node.lineno}: import not available in the notebook: "
                f"{ast.unparse(node)}"
            )
        for decorator in getattr(node, "decorator_list", []):
            drop.update(range(decorator.lineno, (decorator.end_lineno or decorator.lineno) + 1))
    kept = [line for number, line in enumerate(lines, start=1) if number not in drop]
    return re.sub(r"\n{3,}", "\n\n\n", "\n".join(kept).strip("\n")) + "\n"


RUNNER = '''

class _ThisNotebook:
    """What the checks call ``rnn``: this notebook's own definitions."""

    def __getattr__(self, name):
        try:
            return globals()[name]
        except KeyError:
            raise NotImplementedError(f"{NOT_IMPLEMENTED_PREFIX}{name}") from None

    def __setattr__(self, name, value):  # a check swapping in a stand-in for one of your functions
        globals()[name] = value


def run_visible_checks(sections):
    """Run the visible checks, printing PASS or one FAIL line (what, expected, got) each."""
    failed = total = 0
    for function, checks in sections.items():
        for check, case in checks:
            total += 1
            label = check.__name__ + (f"{list(case.values())}" if case else "")
            try:
                check(_ThisNotebook(), **case)
            except CheckFailed as exc:
                line = str(exc)
            except NotImplementedError as exc:
                message = str(exc)
                line = message if message.startswith(NOT_IMPLEMENTED_PREFIX) else (
                    f"{NOT_IMPLEMENTED_PREFIX}{function}" if message in ("", "None") else
                    f"{function} raised NotImplementedError: {message.splitlines()[0][:240]}"
                )
            except Exception as exc:  # noqa: BLE001 - any error is feedback for the student
                first = (str(exc).strip().splitlines() or [""])[0][:240]
                line = f"{function} raised {type(exc).__name__}: {first}"
            else:
                print(f"PASS {label}")
                continue
            failed += 1
            print(f"FAIL {label}: {line}")
    if failed:
        raise AssertionError(f"{failed} of {total} visible checks failed: see the FAIL lines")
    print(f"All {total} visible checks pass.")
'''


def helper_cell(sources: dict[str, str]) -> str:
    """Source of the read-only cell that defines every visible check (``sources``: see read_sources)."""
    header = (
        f"# The visible checks, generated from {', '.join((*HELPERS, TESTS))} in exercises/.\n"
        "# Run this cell; do not edit it (graders restore it). Nothing to fill in here.\n"
        "# It uses torch and nn, imported above.\n\n"
    )
    parts = [_without_imports_and_decorators(sources[name], f"exercises/{name}")
             for name in (*HELPERS, TESTS)]
    return (header + "\n\n".join(parts) + RUNNER).rstrip("\n")


def run_cell(tests: list[VisibleTest], functions: list[str]) -> str:
    """Source of the cell that runs the visible checks of ``functions``."""
    lines = [
        f"# Visible checks for {', '.join(functions)}: run this cell after your answer.",
        "# Read-only; nothing is graded here.",
        *SKIPPED_WHILE_NBGRADER_RUNS.splitlines(),
        "    run_visible_checks({",
    ]
    for function in functions:
        mine = [t for t in tests if t.function == function]
        if not mine:
            raise VisibleTestError(f"no visible test checks {function}")
        lines.append(f"        {function!r}: [")
        for test in mine:
            for case in test.cases:
                lines.append(f"            ({test.name}, {case!r}),")
        lines.append("        ],")
    lines.append("    })")
    return "\n".join(lines)


def read_sources(exercises_dir: Path) -> dict[str, str]:
    """file name -> text, for the test file and its helper modules in the exercises folder."""
    return {name: (exercises_dir / name).read_text(encoding="utf-8") for name in (*HELPERS, TESTS)}
