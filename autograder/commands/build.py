"""``python -m autograder build``: regenerate the files derived from the one source."""

from __future__ import annotations

HELP = "regenerate the files derived from solutions/rnn.py (stubs, notebook, release)"
DESCRIPTION = """\
Regenerate every file derived from the one source, solutions/rnn.py: the
student stubs in exercises/, the nbgrader source notebook and the bundled
reference example. With --check nothing is written: the command exits 1 and
shows a diff when any derived file drifted.
"""


def add_arguments(parser) -> None:
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 and show a diff if anything drifted")


def run(args) -> int:
    from ..derived import build

    return build(check=args.check)
