"""``python -m autograder``: the instructor's command line.

The parser is built from :mod:`autograder.commands`; nothing here imports
torch, so ``--help`` (and each command's ``--help``) answers at once.
"""

from __future__ import annotations

import argparse
import signal
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


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled as Ctrl-C is (workers killed, results kept, summaries written)."""


_received: list[int] = []


def _terminate(signum, frame) -> None:
    _received.append(signum)
    for other in (signal.SIGTERM, signal.SIGHUP):  # once: the clean-up must not be cut short
        signal.signal(other, signal.SIG_IGN)
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # What timeout(1), CI limits and a closed terminal send: the run stops as after Ctrl-C, its
    # sandboxes and their processes gone before it exits (SIGKILL: the fork server's guardian).
    # A signal this process was started ignoring stays ignored, as Python leaves SIGINT: `nohup`
    # (SIGHUP) and a shell's background job (SIGINT) ask for exactly that.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) != signal.SIG_IGN:
            signal.signal(signum, _terminate)
    try:
        status = args._module.run(args)
    except commands.UsageError as exc:
        print(f"python -m autograder {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"python -m autograder {args.command}: "
              + (f"terminated ({signal.Signals(_received[0]).name})" if _received else "interrupted"),
              file=sys.stderr)
        return 128 + (_received[0] if _received else signal.SIGINT)
    return 128 + _received[0] if _received else status
