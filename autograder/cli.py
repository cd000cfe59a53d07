"""``python -m autograder``: the instructor's command line.

The parser is built from :mod:`autograder.commands`; nothing here imports
torch, so ``--help`` (and each command's ``--help``) answers at once.
"""

from __future__ import annotations

import argparse
import signal
import sys

from . import commands, stopping

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
    # Ctrl-C, and what timeout(1), CI limits and a closed terminal send: the run stops as after
    # Ctrl-C, its sandboxes and their processes gone before it exits (SIGKILL: the fork server's
    # guardian). A signal this process was started ignoring (nohup, a background job) stays ignored.
    stopping.install()
    try:
        status = args._module.run(args)
    except commands.UsageError as exc:
        print(f"python -m autograder {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        first = stopping.received[0] if stopping.received else signal.SIGINT
        print(f"python -m autograder {args.command}: "
              + (f"terminated ({signal.Signals(first).name})" if first != signal.SIGINT else "interrupted"),
              file=sys.stderr)
        return 128 + first
    return 128 + stopping.received[0] if stopping.received else status
