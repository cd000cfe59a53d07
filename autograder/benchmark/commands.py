"""Sections 1-3: the floors and ratios, grade-all's marginal student over .py copies, peak memory."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .. import paths
from .timing import load_average, median, mib, progress, summary, time_once

FLOOR = [sys.executable, "-c", "import torch; torch.optim.Adam([torch.zeros(1, requires_grad=True)])"]
# the same, ending with os._exit: what the interpreter's own exit (its last gc passes over torch) costs
FLOOR_NO_EXIT = [*FLOOR[:2], FLOOR[2] + "; import os; os._exit(0)"]
MIB = 1 << 20
MARGINAL_TARGET_S = 0.5


def grade_all_argv(folder: Path, out: Path, jobs: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade-all", str(folder), "--out", str(out), "--force",
            "--jobs", str(jobs), *extra]


def copies(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    solution = paths.SOLUTION_FILE.read_bytes()
    for number in range(1, count + 1):
        (folder / f"student{number:03d}.py").write_bytes(solution)
    return folder


def manifest_memory(out: Path) -> dict:
    """The judge's and fork server's VmHWM (run.manifest) and the largest worker peak (results files)."""
    manifest = json.loads((out / "run.manifest").read_text(encoding="utf-8"))
    slots = manifest.get("slots") or [{}]
    workers = []
    for path in out.glob("[!.]*.json"):
        peak = json.loads(path.read_text(encoding="utf-8"))["extra_data"].get("peak_memory_bytes")
        if isinstance(peak, int):
            workers.append(peak)
    return {"judge_peak": max((s.get("judge_peak") or 0) for s in slots),
            "fork_server_peak": max((s.get("fork_server_peak") or 0) for s in slots),
            "worker_peak": max(workers, default=0), "slots": sum(s.get("slots") or 1 for s in slots),
            "seconds": manifest.get("seconds")}


def run_commands(args, scratch: Path) -> tuple[dict, dict, dict]:
    """Sections 1-3: the floors and ratios, grade-all's marginal student, peak memory."""
    jobs = os.cpu_count() or 1
    one = copies(scratch / "one", 1)
    many = copies(scratch / "many", args.students)
    results = scratch / "grade-results.json"
    fixed = {
        "floor": FLOOR,
        "floor_no_exit": FLOOR_NO_EXIT,
        "pytest_exercises": [sys.executable, "-m", "pytest", "exercises", "--impl", "solutions/rnn.py", "-q",
                             "-p", "no:cacheprovider"],
        "grade": [sys.executable, "-m", "autograder", "grade", "solutions/rnn.py", "--results", str(results),
                  "--quiet"],
    }
    counter = iter(range(1_000_000))

    def out() -> Path:
        return scratch / f"out-{next(counter)}"

    kinds = ["floor", "floor_no_exit", "pytest_exercises", "grade", "ga_1", "ga_k_jobs1"] \
        + (["ga_k_jobs"] if jobs > 1 else [])
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    memory: list[dict] = []

    def one_of(kind: str) -> float:
        if kind in fixed:
            return time_once(fixed[kind])
        if kind == "ga_1":
            return time_once(grade_all_argv(one, out(), 1))
        target = out()
        elapsed = time_once(grade_all_argv(many, target, 1 if kind == "ga_k_jobs1" else jobs))
        if kind == "ga_k_jobs" or jobs == 1:
            memory.append(manifest_memory(target))
        return elapsed

    progress(f"sections 1-3: warming the caches, then {args.runs} interleaved runs")
    for kind in ("floor", "pytest_exercises", "grade", "ga_1"):
        one_of(kind)  # warm the disk cache once
    for run in range(args.runs):
        for kind in kinds:
            times[kind].append(one_of(kind))
        progress(f"  run {run + 1}/{args.runs} done (load {load_average()[:1]})")
    floor = median(times["floor"])
    ratios = {"floor": summary(times["floor"]), "floor_no_exit": summary(times["floor_no_exit"])}
    for kind, target in (("pytest_exercises", 2.0), ("grade", 1.5)):
        ratio = round(median(times[kind]) / floor, 3)
        ratios[kind] = {**summary(times[kind]), "ratio": ratio, "target": target}
    t1 = median(times["ga_1"])

    def marginal(kind: str) -> float:
        """The median over runs of (T_K - T_1) / (K - 1), each run's pair measured back to back."""
        pairs = zip(times[kind], times["ga_1"], strict=True)
        return round(median([(k - one) / (args.students - 1) for k, one in pairs]), 3)

    def of_medians(kind: str) -> float:
        return round((median(times[kind]) - t1) / (args.students - 1), 3)

    grade_all = {"students": args.students, "jobs_default": jobs, "target_s": MARGINAL_TARGET_S,
                 "t_1": summary(times["ga_1"]), "t_k_jobs1": summary(times["ga_k_jobs1"]),
                 "marginal_jobs1_s": marginal("ga_k_jobs1"),
                 "marginal_of_medians_jobs1_s": of_medians("ga_k_jobs1")}
    if jobs > 1:
        grade_all["t_k_jobs_default"] = summary(times["ga_k_jobs"])
        grade_all["marginal_jobs_default_s"] = marginal("ga_k_jobs")
        grade_all["marginal_of_medians_jobs_default_s"] = of_medians("ga_k_jobs")
    else:
        grade_all["marginal_jobs_default_s"] = grade_all["marginal_jobs1_s"]
        grade_all["marginal_of_medians_jobs_default_s"] = grade_all["marginal_of_medians_jobs1_s"]
    peaks = {key: median([m[key] for m in memory])
             for key in ("judge_peak", "fork_server_peak", "worker_peak")}
    slots = memory[-1]["slots"] if memory else 1
    memory_section = {
        "from": f"grade-all --jobs {jobs} over {args.students} students (median of {len(memory)} runs)",
        "slots": slots, "judge_peak_mib": mib(peaks["judge_peak"]),
        "fork_server_peak_mib": mib(peaks["fork_server_peak"]), "worker_peak_mib": mib(peaks["worker_peak"]),
        "estimate_mib": mib(peaks["judge_peak"] + peaks["fork_server_peak"] + slots * peaks["worker_peak"]),
    }
    return ratios, grade_all, memory_section

