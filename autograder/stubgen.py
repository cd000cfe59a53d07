"""Derive the student's stub file from the reference solution.

The reference ``solutions/rnn.py`` marks each answer the way nbgrader does::

        # Hint: one line telling the student where to start.
        ### BEGIN SOLUTION
        ...the answer...
        ### END SOLUTION

Each marked region becomes ``# YOUR CODE HERE`` and a ``raise
NotImplementedError`` that names the enclosing function and repeats the hint.
Everything outside the regions is copied unchanged, so the solution stays the
one source of the exercise text.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HINT_PREFIX = "# Hint:"
NOT_IMPLEMENTED_PREFIX = "not implemented yet: "


class SourceError(ValueError):
    """The solution file's markers are malformed; the message names file and line."""


@dataclass(frozen=True)
class Region:
    begin: int  # 1-based line of the BEGIN marker
    end: int  # 1-based line of the END marker
    indent: str
    function: str  # qualified name, e.g. "SimpleRNN.forward"
    hint: str


def _function_spans(tree: ast.AST) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                spans.append((child.lineno, child.end_lineno or child.lineno, prefix + child.name))
                visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return spans


def find_regions(text: str, filename: str = "solutions/rnn.py") -> list[Region]:
    """Return the solution regions of ``text``, validating the markers."""
    lines = text.splitlines()
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError as exc:
        raise SourceError(f"{filename}:{exc.lineno}: not valid Python: {exc.msg}") from None
    spans = _function_spans(tree)
    regions: list[Region] = []
    begin_at: int | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if begin_at is not None:
                raise SourceError(
                    f"{filename}:{number}: {BEGIN} inside the region opened at line {begin_at}"
                )
            begin_at = number
        elif stripped == END:
            if begin_at is None:
                raise SourceError(f"{filename}:{number}: {END} without a {BEGIN} before it")
            regions.append(_region(lines, spans, begin_at, number, filename))
            begin_at = None
        elif BEGIN.split()[-1] in stripped and stripped.startswith("###"):
            raise SourceError(f"{filename}:{number}: malformed marker {stripped!r}")
    if begin_at is not None:
        raise SourceError(f"{filename}:{begin_at}: {BEGIN} is never closed by {END}")
    if not regions:
        raise SourceError(f"{filename}: no {BEGIN} regions: nothing for students to write")
    return regions


def _region(lines: list[str], spans, begin: int, end: int, filename: str) -> Region:
    indent = re.match(r"\s*", lines[begin - 1]).group(0)
    hint_line = lines[begin - 2].strip() if begin >= 2 else ""
    if not hint_line.startswith(HINT_PREFIX):
        raise SourceError(
            f"{filename}:{begin}: the line above {BEGIN} must be a '{HINT_PREFIX} ...' comment"
        )
    hint = hint_line[len(HINT_PREFIX):].strip().rstrip(".")
    enclosing = [s for s in spans if s[0] < begin < s[1]]
    if not enclosing:
        raise SourceError(f"{filename}:{begin}: solution region is not inside a function")
    function = max(enclosing, key=lambda s: s[0])[2]
    return Region(begin=begin, end=end, indent=indent, function=function, hint=hint)


def stub_message(function: str, hint: str) -> str:
    """The message a stub raises; the visible tests print it as the student's feedback."""
    return f"{NOT_IMPLEMENTED_PREFIX}{function} (hint: {hint})"


def make_stubs(text: str, filename: str = "solutions/rnn.py") -> str:
    """Return the student version of the solution ``text``."""
    regions = find_regions(text, filename)
    lines = text.splitlines()
    out: list[str] = []
    previous_end = 0
    for region in regions:
        out.extend(lines[previous_end:region.begin - 1])
        out.append(f"{region.indent}# YOUR CODE HERE")
        out.append(f"{region.indent}raise NotImplementedError(")
        out.append(f"{region.indent}    {json.dumps(NOT_IMPLEMENTED_PREFIX + region.function)}")
        out.append(f"{region.indent}    {json.dumps(' (hint: ' + region.hint + ')')}")
        out.append(f"{region.indent})")
        previous_end = region.end
    out.extend(lines[previous_end:])
    return "\n".join(out) + "\n"
