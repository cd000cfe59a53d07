"""``python -m autograder grade``: one submission, start to results.json."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import options as options_module

HELP = "grade one submission (rnn.py, a folder or a notebook) in the sandbox"
DESCRIPTION = """\
Grade one submission. Student code runs in a sandboxed child process (see
--sandbox), never in this process; the results are judged here from numbers
the grader computes itself.

Exit status: 0 once grading ran, whatever the submission did (its results
say what happened, including a submission the sandbox refused to run); 2
when grading cannot run at all (no such file, results path not writable,
no usable sandbox mode), with a one-line reason.
"""


def add_arguments(parser) -> None:
    parser.add_argument("submission", metavar="SUBMISSION",
                        help="a student's rnn.py, a folder holding it, or a .ipynb notebook")
    parser.add_argument("--results", metavar="PATH",
                        help="where to write Gradescope's results.json (default: print only)")
    parser.add_argument("--quiet", action="store_true", help="print only the score line")
    from ..results import QUIZ_VISIBILITIES

    parser.add_argument("--quiz-visibility", choices=QUIZ_VISIBILITIES, default="after_due_date",
                        help="Gradescope's visibility for the quiz's tests in --results: after_due_date "
                             "(default) keeps a student who resubmits from finding the key by trial; the "
                             "summary in output then leaves the quiz out too")
    options_module.add_arguments(parser)


def _fail(message: str) -> int:
    print(f"python -m autograder grade: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    from .. import intake, results, wire
    from ..judge.grader import Grader
    from ..judge.reference import MissingReference
    from ..sandbox.modes import SandboxUnavailable

    results_file = Path(args.results).expanduser().absolute() if args.results else None
    hidden = [os.getcwd(), *([str(results_file.parent)] if results_file else [])]
    options = options_module.from_args(args, hidden)
    try:
        submission = intake.load(args.submission)
        if results_file is not None:
            results.check_writable(results_file)
    except (intake.IntakeError, results.ResultsPathError) as exc:
        return _fail(str(exc))
    options.notebooks = submission.kind == wire.KIND_NOTEBOOK
    options.plots = intake.may_plot(submission)
    try:
        grader = Grader(options)
    except (MissingReference, SandboxUnavailable) as exc:
        return _fail(str(exc))
    try:
        data = results.build_for(grader, grader.grade(submission), submission, options, args.quiz_visibility)
    finally:
        grader.close()
    if results_file is not None:
        try:
            results.write(results_file, data)
        except OSError as exc:
            return _fail(f"cannot write {results_file}: {exc.strerror}")
    if args.quiet:
        from ..escape import label

        print(f"{data['score']:g} / {data['extra_data']['max_score']:g}  {label(args.submission, 300)}")
    else:
        from ..report import print_summary

        print_summary(data, str(args.submission))
    return 0
