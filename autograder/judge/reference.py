"""The trusted reference: ``solutions/rnn.py``, loaded only by the judge."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from types import ModuleType

from .. import paths


class MissingReference(RuntimeError):
    """The grader needs the project's solutions/rnn.py (a clone or an editable install)."""


def ensure_present() -> None:
    """Fail early, before any process is started, when the reference is not there."""
    if not paths.SOLUTION_FILE.is_file():
        raise MissingReference(
            f"the reference solution {paths.SOLUTION_FILE} is missing: grade from a clone of the "
            "project or an editable install (pip install -e .)")


@lru_cache(maxsize=1)
def load() -> ModuleType:
    ensure_present()
    spec = importlib.util.spec_from_file_location("rnn_reference", paths.SOLUTION_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
