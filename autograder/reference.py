"""The trusted reference: ``solutions/rnn.py``, loaded only by the judge."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from types import ModuleType

from . import paths


@lru_cache(maxsize=1)
def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rnn_reference", paths.SOLUTION_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
