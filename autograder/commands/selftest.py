"""``python -m autograder selftest``: grade known submissions and check every score."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import options as options_module

HELP = "check this installation: grade known submissions and compare every score with the expected one"
DESCRIPTION = """\
Check the grader installed here before it grades anyone. It grades, in the
sandbox and on one warm fork server:

  * the reference solution as a .py, with a quiz answer file (every question
    answered with the key, but two single-answer ones answered wrongly);
  * the released notebook, filled in with the reference and the quiz key;
  * two known mistakes (no optimizer.zero_grad(); reading the first time
    step), each of which must cost exactly its own checks;

and compares every check's score, and every quiz question's, with the score
it must get. Expected scores are fixed by the cases, never computed by the
code under test. On any difference it prints the case, the check, the
expected and the actual score.

Run it after installing or upgrading (a new IPython, torch or numpy), on
every grading machine and in every image. grade-all runs it before grading a
cohort (and refuses to grade when it fails), and the Gradescope image runs it
last in setup.sh.

Exit status: 0 every score as expected; 1 a score differs (do not grade with
this installation); 2 the self-test could not run (no usable sandbox mode,
the project's files missing).
"""


def add_arguments(parser) -> None:
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON to PATH")
    options_module.add_arguments(parser)


def _fail(message: str) -> int:
    print(f"python -m autograder selftest: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    from ..judge import selftest
    from ..judge.grader import Grader
    from ..judge.reference import MissingReference
    from ..sandbox.modes import SandboxUnavailable

    options = options_module.from_args(args, [])
    options.notebooks, options.plots = True, False
    try:
        grader = Grader(options, slots=2)
    except (MissingReference, SandboxUnavailable) as exc:
        return _fail(str(exc))
    try:
        report = selftest.run(grader)
        mode = grader.mode
    finally:
        grader.close()
    for line in report.lines():
        print(line, file=sys.stdout if report.passed else sys.stderr)
    print(f"  (sandbox mode: {mode}; cases: {', '.join(report.cases)})")
    if args.json:
        Path(args.json).write_text(json.dumps({**report.summary(), "mode": mode}, indent=2), encoding="utf-8")
    return 0 if report.passed else 1
