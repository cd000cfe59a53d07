"""``python -m autograder``: the instructor's command line.

The parser is built from :mod:`autograder.commands`; nothing here imports
torch, so ``--help`` (and each command's ``--help``) answers at once.
"""

from __future__ import annotations

import argparse
import sys

from . import commands

DESCRIPTION = """\
Module 11 (Recurrent Neural Networks) autograder: grade submissions in a
sandbox, send the grades to an LMS, and build the course files.

Run `python -m autograder COMMAND --help` for a command's options.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in commands.COMMANDS:
        module = commands.load(name)
        if module is None:
            continue
        command = sub.add_parser(name, help=module.HELP, description=module.DESCRIPTION,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(command)
        command.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args._module.run(args)
    except commands.UsageError as exc:
        print(f"python -m autograder {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"python -m autograder {args.command}: interrupted", file=sys.stderr)
        return 130
