# nbgrader configuration for Module 11 (Recurrent Neural Networks), nbgrader 0.9.x.
#
# nbgrader reads this file from the directory it runs in (it has no --config flag):
# run every nbgrader command from the course folder.
# Made by `python -m autograder.nbgrader_course init COURSE_DIR`.

import os

c = get_config()  # noqa: F821 - nbgrader provides get_config when it loads this file

c.CourseDirectory.course_id = "module11-rnn"

# --- the exchange: where release_assignment puts the release, collect picks up ------
# nbgrader's default, /srv/nbgrader/exchange, needs root to create. This course keeps
# its own, exchange/ beside this file (init made it; nbgrader wants it writable by
# everyone, and init adds the sticky bit so no user can remove another's files).
# A JupyterHub course where students fetch and submit: point every instructor's and
# student's config at one shared folder instead, e.g. "/srv/nbgrader/exchange".
_here = os.path.dirname(os.path.abspath(globals().get("__file__", "nbgrader_config.py")))
c.Exchange.root = os.path.join(_here, "exchange")

# --- generate_assignment: what students receive -------------------------------------
# Solution regions become this stub; hidden test regions are removed (ClearHiddenTests).
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# --- autograde: running the submissions ---------------------------------------------
# A cell that runs longer than this (seconds) is interrupted and scores 0; the rest run.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
# Kernel options: no history file, and one-line tracebacks ("AssertionError: message")
# so a failing check shows its message and not the test code around it.
c.Execute.extra_arguments = [
    "--HistoryManager.hist_file=:memory:",
    "--InteractiveShell.xmode=Minimal",
]
# nbgrader gives 0 to a test cell with any stderr output. Python warnings (torch prints
# some, e.g. when numpy is missing) are not the student's fault: drop those outputs.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?m)^.*:\d+: \w*Warning: "
# Short error output in the graded notebooks and the feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 10

# --- generate_feedback: what students see after grading ----------------------------
# nbgrader's default feedback shows the autograded notebook, hidden tests included.
# Clearing the hidden test regions keeps them hidden for the next cohort too.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]

# --- export: gradebook CSVs for the LMS --------------------------------------------
# nbgrader export --exporter autograder.nbgrader_course.exports.CanvasExportPlugin
# nbgrader export --exporter autograder.nbgrader_course.exports.MoodleExportPlugin
# Canvas: map nbgrader assignment names to the Canvas column, e.g.
#   c.CanvasExportPlugin.canvas_ids = {"module11": "1234"}
#   c.CanvasExportPlugin.roster = "canvas_gradebook_export.csv"
