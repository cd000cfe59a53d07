"""``python -m autograder``: the instructor's command line."""

from __future__ import annotations

import argparse

DESCRIPTION = """\
Module 11 (Recurrent Neural Networks) autograder.

  build    regenerate the files derived from solutions/rnn.py
           (the student stubs in exercises/); --check only verifies them
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser(
        "build",
        help="regenerate derived files (student stubs) from solutions/rnn.py",
        description="Regenerate every file derived from the one source, solutions/rnn.py.",
    )
    build.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 and show a diff if anything drifted",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "build":
        from .derived import build

        return build(check=args.check)
    raise AssertionError(args.command)  # argparse rejects unknown commands first
