"""Timing helpers: one command timed, medians, the machine's load."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .. import paths

MIB = 1 << 20


def time_once(argv: list[str], cwd: str | Path | None = None, env: dict | None = None,
              timeout: float = 3600) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd or paths.PROJECT_ROOT, capture_output=True, text=True, env=env,
                          timeout=timeout)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(map(str, argv))}\n"
                         f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return elapsed


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summary(values: list[float]) -> dict:
    return {"median_s": round(median(values), 3), "runs_s": [round(v, 3) for v in values]}


def load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def mib(value: float | None) -> float | None:
    return None if value is None else round(value / MIB, 1)



def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
