"""Helpers for the nbgrader tests: the package's own (autograder/nbgrader_course/submissions.py), and a
release made without nbgrader."""

from __future__ import annotations

import re

import nbformat

from autograder.nbgrader_course.submissions import (  # noqa: F401  (the tests' names for them)
    grade_id,
    nbgrader,
    nbgrader_env,
    quiz_text,
    read,
    submission,
    submit,
)
from autograder.paths import PROJECT_ROOT as ROOT  # noqa: F401


def release_view(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The source notebook as ``nbgrader generate_assignment`` turns it into the release, without
    running nbgrader: each solution region becomes nbgrader's stub, hidden tests are removed.
    The pipeline test checks the real release; this one serves the fast tests."""
    nb = nbformat.from_dict(source)
    solution = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION[ \t]*$", re.M | re.S)
    hidden = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS\n.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?", re.M | re.S)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = solution.sub(r"\1# YOUR CODE HERE\n\1raise NotImplementedError()", cell.source)
        cell.source = hidden.sub("", cell.source)
    return nb
