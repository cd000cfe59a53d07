"""The late policy a results folder keeps: given once, applied by every later export and push.

``export-grades`` and ``lti push`` given ``--due ...`` write the policy to
``RESULTS_DIR/late-policy.toml``. From then on, every export and push of that
folder applies it to every student, including students ``grade-all`` graded
again since (their new results file has no late record of its own), with or
without ``--due``. Giving another policy is refused unless
``--replace-late-policy`` says so; ``--no-late-policy`` drops it and every
penalty with it. Whatever happens is one line of the command's output.

The file is TOML, readable and written only here::

    due = "2026-12-01T09:00:00+00:00"
    percent_per_period = 10.0
    period = "day"
    cap_percent = 100.0
    grace_seconds = 900.0
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from . import atomic
from .lateness import LatePolicy, PolicyError, PolicyRequest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FILENAME = "late-policy.toml"
HEADER = """\
# The late policy of this grade-all results folder, kept by `python -m autograder export-grades`
# and `lti push`. Every later export and push applies it to every student, students graded
# again included. Change it with --due ... --replace-late-policy; drop it with --no-late-policy.
"""
CHANGE_HINT = "--replace-late-policy with a new --due ... changes it, --no-late-policy drops it"


@dataclass(frozen=True)
class Decision:
    """The policy that applies now, and what the folder's file becomes."""

    policy: LatePolicy | None  # applied to every student (None: no penalty at all)
    drop: bool  # remove every recorded penalty
    statement: str | None  # one line for the output and the notes ('' when nothing is kept)
    write: LatePolicy | None = None  # the policy to keep (None: the file stays as it is)
    remove: bool = False  # delete the file


def path(folder: Path) -> Path:
    return Path(folder) / FILENAME


def load(folder: Path) -> LatePolicy | None:
    """The policy ``folder`` keeps, or None. Raises PolicyError when the file cannot be used."""
    file = path(folder)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{file}: the late policy kept with the results cannot be read ({exc}); "
                          "fix it, or give the policy again with --due ... --replace-late-policy") from None
    try:
        return LatePolicy.from_dict(data)
    except PolicyError as exc:
        raise PolicyError(f"{file}: {exc}; fix it, or give the policy again with --due ... "
                          "--replace-late-policy") from None


def text(policy: LatePolicy) -> str:
    """The file's contents."""
    lines = [f"{key} = {json.dumps(value)}" for key, value in policy.as_dict().items()]
    return HEADER + "\n".join(lines) + "\n"


def decide(folder: Path, request: PolicyRequest) -> Decision:
    """What applies to ``folder`` given the options. Raises PolicyError (the file, or a conflict)."""
    folder = Path(folder)
    kept = load(folder)
    where = path(folder)
    given = request.given
    if request.drop:
        if kept is None:
            return Decision(None, True, f"late policy: none was kept with {folder}; --no-late-policy "
                                        "removed any penalty recorded in its results files")
        return Decision(None, True, f"late policy DROPPED for {folder}: was {kept.describe()}; every late "
                                    f"penalty removed ({where.name} deleted)", remove=True)
    if given is None:
        if kept is None:
            return Decision(None, False, None)
        return Decision(kept, False, f"late policy kept with {folder} ({where.name}): {kept.describe()}; "
                                     f"applied to every student ({CHANGE_HINT})")
    if kept is None:
        return Decision(given, False, f"late policy for {folder}: {given.describe()}; kept in {where}: "
                                      "every later export and push applies it, to students graded again "
                                      f"too ({CHANGE_HINT})", write=given)
    if kept.as_dict() == given.as_dict():
        return Decision(kept, False, f"late policy kept with {folder} ({where.name}): {kept.describe()}; "
                                     f"applied to every student ({CHANGE_HINT})")
    if not request.replace:
        raise PolicyError(f"{folder} keeps another late policy ({kept.describe()}; in {where.name}) than "
                          f"the options give ({given.describe()}): add --replace-late-policy to replace it "
                          "(every student is recomputed from their score before any penalty), or leave out "
                          "--due and the rest to apply the kept one")
    return Decision(given, False, f"late policy REPLACED for {folder}: was {kept.describe()}; now "
                                  f"{given.describe()} (kept in {where.name})", write=given)


def commit(folder: Path, decision: Decision) -> None:
    """Make the folder's file what ``decision`` says. Raises OSError."""
    if decision.write is not None:
        atomic.write_text(path(folder), text(decision.write))
    elif decision.remove:
        path(folder).unlink(missing_ok=True)
