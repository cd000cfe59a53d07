"""Module 11 released through nbgrader (0.9.x).

- :mod:`.notebook` builds the assignment's source notebook from the one source;
- :mod:`.visible` carries the visible checks of ``exercises/`` into it;
- :mod:`.kernel` scores the quiz cells inside the grading kernel;
- :mod:`.exports` holds the Canvas and Moodle gradebook export plugins;
- :mod:`.scaffold` makes a course folder (``python -m autograder.nbgrader_course init``).

The course template (``nbgrader_config.py`` and ``source/``) lives in ``course/``.
"""

from __future__ import annotations

from pathlib import Path

ASSIGNMENT = "module11"
NOTEBOOK_NAME = "rnn.ipynb"
TEMPLATE_DIR = Path(__file__).resolve().parent / "course"
SOURCE_NOTEBOOK = TEMPLATE_DIR / "source" / ASSIGNMENT / NOTEBOOK_NAME  # the course's notebook
PLOT_CELL = "plot-gradient-norms"  # the read-only cell that plots (the graders skip it)
PLOT_CELL_MATPLOTLIB = 2  # how often its source names matplotlib (tested against notebook.PLOT)
# nbgrader sets NBGRADER_EXECUTION ("autograde" or "validate") while it runs a notebook (its FAQ:
# "Can I modify the notebook behavior during autograding or validation?"). The cells that only show
# the student something (the visible checks, the training demo, the plot) skip themselves then:
# grading reads nothing from them, and nbgrader stops paying for them. The project's own grader
# skips them by their grade ids (autograder/worker/load.py); ``__name__`` keeps them from running
# in a notebook downloaded as a .py and imported, as the solution's own closing block does.
SKIPPED_WHILE_NBGRADER_RUNS = """\
import os

# Runs in Jupyter; not while nbgrader grades or validates, nor in a copy imported as a module.
if __name__ == "__main__" and not os.environ.get("NBGRADER_EXECUTION"):"""
