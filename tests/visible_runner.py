"""Run the visible exercise tests against several implementation files in one process.

Usage: python tests/visible_runner.py IMPL [IMPL ...]
Prints one JSON object: {impl: {test_name: [outcome, feedback_line]}}.
Paying torch's import once for all files keeps the project's test suite fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"


class Collector:
    def __init__(self) -> None:
        self.results: dict[str, list[str]] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.failed:
            line = report.longrepr if isinstance(report.longrepr, str) else ""
            self.results[report.nodeid.split("::", 1)[1]] = [report.outcome, line]


def main(impls: list[str]) -> int:
    everything = {}
    for impl in impls:
        collector = Collector()
        pytest.main(
            [str(EXERCISES), "--impl", impl, "-q", "-p", "no:cacheprovider", "--no-header"],
            plugins=[collector],
        )
        everything[impl] = collector.results
    print("@@RESULTS@@" + json.dumps(everything))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
