"""Where the project's files live. One place, so nothing else hard-codes a path."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
SOLUTION_FILE = PROJECT_ROOT / "solutions" / "rnn.py"
EXERCISE_FILE = PROJECT_ROOT / "exercises" / "rnn.py"
EXAMPLES_DIR = PROJECT_ROOT / "autograder" / "examples"
