"""Derive the student's stub file from the reference solution.

The reference ``solutions/rnn.py`` marks each answer the way nbgrader does::

        # Hint: the concept, the shapes and what to look up,
        #   continued on further comment lines when it is long.
        ### BEGIN SOLUTION
        ...the answer...
        ### END SOLUTION

Each marked region becomes ``# YOUR CODE HERE`` and a ``raise
NotImplementedError`` that names the enclosing function and repeats the hint.
Everything outside the regions is copied unchanged, so the solution stays the
one source of the exercise text.

:func:`answer_fragments` and :func:`find_answers` guard the other direction:
what students receive (the stubs, the visible tests, the README, the release
notebook) must not contain any statement or significant expression of an
answer.
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
    hint: str  # the hint comment's lines joined into one line
    hint_lines: tuple[str, ...] = ()  # the hint comment as written, stripped


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


def _hint_block(lines: list[str], begin: int) -> list[str] | None:
    """The comment lines from the nearest ``# Hint:`` line down to the BEGIN marker, or None."""
    index = begin - 2
    block: list[str] = []
    while index >= 0 and lines[index].strip().startswith("#"):
        block.insert(0, lines[index].strip())
        if lines[index].strip().startswith(HINT_PREFIX):
            return block
        index -= 1
    return None


def _region(lines: list[str], spans, begin: int, end: int, filename: str) -> Region:
    indent = re.match(r"\s*", lines[begin - 1]).group(0)
    block = _hint_block(lines, begin)
    if block is None:
        raise SourceError(
            f"{filename}:{begin}: the line above {BEGIN} must be a '{HINT_PREFIX} ...' comment "
            "(continued, if long, on comment lines down to the marker)"
        )
    words = [block[0][len(HINT_PREFIX):].strip(), *(line.lstrip("#").strip() for line in block[1:])]
    hint = " ".join(w for w in words if w).rstrip(".")
    enclosing = [s for s in spans if s[0] < begin < s[1]]
    if not enclosing:
        raise SourceError(f"{filename}:{begin}: solution region is not inside a function")
    function = max(enclosing, key=lambda s: s[0])[2]
    return Region(begin=begin, end=end, indent=indent, function=function, hint=hint,
                  hint_lines=tuple(block))


def stub_message(function: str, hint: str) -> str:
    """The message a stub raises; the visible tests print it as the student's feedback."""
    return f"{NOT_IMPLEMENTED_PREFIX}{function} (hint: {hint})"


STUB_LINE_WIDTH = 96  # the stub's string pieces stay within the project's line length


def _pieces(text: str, width: int) -> list[str]:
    """``text`` cut before spaces into pieces of at most about ``width`` characters; they join back to it."""
    pieces = [""]
    for token in re.findall(r"\s*\S+|\s+$", text):
        if pieces[-1] and len(pieces[-1]) + len(token) > width:
            pieces.append("")
        pieces[-1] += token
    return pieces


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
        for piece in _pieces(" (hint: " + region.hint + ")", STUB_LINE_WIDTH - len(region.indent)):
            out.append(f"{region.indent}    {json.dumps(piece)}")
        out.append(f"{region.indent})")
        previous_end = region.end
    out.extend(lines[previous_end:])
    return "\n".join(out) + "\n"


# --- what students receive must not contain an answer ------------------------------------------

# Expressions smaller than this (in expression nodes) are API names, not answers:
# ``model(inputs)``, ``x.size(0)``, ``loss.item()``, ``model.parameters()``.
MIN_FRAGMENT_NODES = 5
# Compound statements' headers are not answers on their own; their bodies are checked line by line.
_COMPOUND = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try,
             ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Fragments a harness or a hint may use although an answer contains them, each with the reason.
# Empty: the visible tests judge without answer code, and hints name functions, not lines.
ALLOWED_FRAGMENTS: dict[str, str] = {}
# The code lines of the module's own sample, as the module prints them (students have read
# them there). The quiz quotes some of them word for word (where clip_grad_norm_ belongs
# among zero_grad, backward and step; which slice of out is the last step): in quiz text,
# and only there, a fragment that is also in the sample is not an answer given away.
MODULE_SAMPLE = """\
h0 = torch.zeros(1, x.size(0), self.hidden_size).to(x.device)
out, _ = self.rnn(x, h0)
out = self.fc(out[:, -1, :])
optimizer.zero_grad()
outputs = model(inputs)
loss = criterion(outputs, targets.view(-1))
loss.backward()
optimizer.step()
"""


def normalise(code: str) -> str:
    """``code`` without any whitespace, the form fragments are compared in."""
    return re.sub(r"\s+", "", code)


def _size(node: ast.AST) -> int:
    return sum(isinstance(n, (ast.expr, ast.keyword)) for n in ast.walk(node))


def answer_fragments(text: str, filename: str = "solutions/rnn.py") -> dict[str, str]:
    """normalised fragment -> the function whose answer it comes from.

    Every statement of every solution region (a compound statement with its
    body), and every expression of at least :data:`MIN_FRAGMENT_NODES` nodes,
    e.g. ``model(inputs).argmax(dim=1)`` or ``out[:, -1, :]``, each as written
    and as ``ast.unparse`` writes it; minus :data:`ALLOWED_FRAGMENTS`.
    """
    lines = text.splitlines()
    found: dict[str, str] = {}
    for region in find_regions(text, filename):
        body = "\n".join(line[len(region.indent):] if line.startswith(region.indent) else line.lstrip()
                         for line in lines[region.begin:region.end - 1])
        tree = ast.parse(body)
        in_slice = {id(node.slice) for node in ast.walk(tree) if isinstance(node, ast.Subscript)}
        for node in ast.walk(tree):
            wanted = isinstance(node, ast.stmt) or (
                isinstance(node, ast.expr) and _size(node) >= MIN_FRAGMENT_NODES and id(node) not in in_slice)
            if not wanted:
                continue
            for form in (ast.get_source_segment(body, node), ast.unparse(node)):
                fragment = normalise(form or "")
                if fragment and fragment not in ALLOWED_FRAGMENTS:
                    found.setdefault(fragment, region.function)
    return found


def find_answers(fragments: dict[str, str], text: str, *, quoted: str = "") -> list[str]:
    """The fragments that occur in ``text`` (whitespace ignored), each as a readable line.

    A fragment counts only where it starts a token: ``h.unsqueeze(0)`` is not
    found inside ``with.unsqueeze(0)``. Fragments that also occur in ``quoted``
    (e.g. :data:`MODULE_SAMPLE`, for the quiz) are not counted.
    """
    haystack = normalise(text)
    allowed = normalise(quoted)
    hits = []
    for fragment, function in fragments.items():
        if allowed and fragment in allowed:
            continue
        start = haystack.find(fragment)
        while start != -1:
            if start == 0 or not (haystack[start - 1].isalnum() or haystack[start - 1] == "_"):
                hits.append(f"{fragment}  (from the answer of {function})")
                break
            start = haystack.find(fragment, start + 1)
    return hits
