"""Speed benchmark: ``python -m autograder.benchmark [--runs N]``.

Times, in one run and interleaved so that machine noise hits all alike, the
median wall time of

* the floor: ``python -c "import torch; torch.optim.Adam(...)"`` (importing
  torch and its optimizer machinery, which every grading process pays);
* the student's ``pytest exercises`` against the reference solution;
* ``python -m autograder grade`` on the reference solution;

and prints each one's ratio to the floor with its target. A script, not a
test: these machines are too noisy for timed assertions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from . import paths

FLOOR = [sys.executable, "-c", "import torch; torch.optim.Adam([torch.zeros(1, requires_grad=True)])"]


def commands(results: str) -> dict[str, tuple[list[str], float | None]]:
    return {
        "floor (import torch + Adam)": (FLOOR, None),
        "pytest exercises (solution)": (
            [sys.executable, "-m", "pytest", "exercises", "--impl", "solutions/rnn.py", "-q",
             "-p", "no:cacheprovider"], 2.0),
        "autograder grade (solution)": (
            [sys.executable, "-m", "autograder", "grade", "solutions/rnn.py", "--results", results,
             "--quiet"], 1.5),
    }


def time_once(argv: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=paths.PROJECT_ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(argv)}\n"
                         f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.benchmark", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs of each (default 5)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        todo = commands(os.path.join(scratch, "results.json"))
        times: dict[str, list[float]] = {name: [] for name in todo}
        for command, _ in todo.values():
            time_once(command)  # warm the disk cache once
        for _ in range(args.runs):
            for name, (command, _) in todo.items():
                times[name].append(time_once(command))
    floor = statistics.median(times["floor (import torch + Adam)"])
    print(f"{'command':32} {'median s':>9} {'ratio':>7} {'target':>7}")
    for name, (_, target) in todo.items():
        median = statistics.median(times[name])
        ratio = median / floor
        verdict = "" if target is None else ("  ok" if ratio <= target else "  OVER")
        target_text = "" if target is None else f"<={target:g}x"
        print(f"{name:32} {median:9.2f} {ratio:6.2f}x {target_text:>7}{verdict}")
    print(f"({args.runs} interleaved runs each, {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
