"""The instructor's commands, one thin module each (``python -m autograder COMMAND``).

Each command module defines, at module level and without importing torch:

* ``HELP``: one line for the command list;
* ``DESCRIPTION``: the text of ``COMMAND --help``;
* ``add_arguments(parser)``: its options;
* ``run(args) -> int``: the exit status (0 done, 1 a check failed, 2 it could not run).

Heavy imports (torch, the grader) happen inside ``run`` so that ``--help``
answers at once. Register a new command by adding its module to ``COMMANDS``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# command name -> module, in the order --help lists them
COMMANDS: dict[str, str] = {
    "grade": "autograder.commands.grade",
    "grade-all": "autograder.commands.grade_all",
    "export-grades": "autograder.commands.export_grades",
    "lti": "autograder.commands.lti",
    "gradescope-zip": "autograder.commands.gradescope_zip",
    "build": "autograder.commands.build",
    "selftest": "autograder.commands.selftest",
}


def load(name: str) -> ModuleType | None:
    """The command's module, or None while it is not written yet."""
    try:
        return importlib.import_module(COMMANDS[name])
    except ModuleNotFoundError as exc:
        if exc.name == COMMANDS[name]:
            return None
        raise


class UsageError(Exception):
    """A bad option value: the CLI prints it as one line and exits 2."""
