"""Student text in the instructor's messages: the project's one rule (:mod:`autograder.escape`).

``shown`` is :func:`autograder.escape.label`: one line, every control character, escape
sequence and invisible format character shown, never obeyed.
"""

from __future__ import annotations

from ..escape import label as shown
from ..escape import plural

__all__ = ["plural", "shown"]
