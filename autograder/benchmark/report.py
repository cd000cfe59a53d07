"""The benchmark's printed report, from the numbers ``--json`` writes."""

from __future__ import annotations


def _target(entry: dict, key: str, unit: str, better: str) -> str:
    value, target = entry[key], entry["target"] if "target" in entry else entry["target_s"]
    ok = value <= target if better == "<=" else value >= target
    verdict = "ok" if ok else ("OVER" if better == "<=" else "UNDER")
    return f"{better}{target:g}{unit}".rjust(8) + f"  {verdict}"


def print_report(data: dict) -> None:
    machine = data["machine"]
    print(f"benchmark: {machine['runs']} interleaved runs, {machine['cpus']} CPUs, torch {machine['torch']}, "
          f"load {machine['load_start']} at the start, {machine['load_end']} at the end, "
          f"{machine['seconds']:.0f} s in all")
    if "ratios" in data:
        ratios = data["ratios"]
        print("\n1. floors and ratios (median wall time)")
        print(f"  {'command':34} {'median s':>9} {'ratio':>7} {'target':>8}")
        print(f"  {'floor: import torch + Adam':34} {ratios['floor']['median_s']:9.2f} {1:6.2f}x")
        no_exit = ratios["floor_no_exit"]["median_s"]
        share = no_exit / ratios["floor"]["median_s"]
        print(f"  {'  the same, leaving by os._exit':34} {no_exit:9.2f} {share:6.2f}x"
              "  (the interpreter's exit with torch loaded)")
        for key, name in (("pytest_exercises", "pytest exercises (solution)"),
                          ("grade", "autograder grade (solution)")):
            entry = ratios[key]
            verdict = _target(entry, "ratio", "x", "<=")
            print(f"  {name:34} {entry['median_s']:9.2f} {entry['ratio']:6.2f}x {verdict}")
    if "grade_all" in data:
        ga = data["grade_all"]
        k = ga["students"]
        print(f"\n2. grade-all: one more student (1 and {k} copies of the solution, fresh --out, --force)")
        print(f"  {'jobs':>5} {'T(1) s':>8} {f'T({k}) s':>8} {'marginal s/student':>19} {'target':>8}")
        rows = [(1, ga["t_k_jobs1"]["median_s"], ga["marginal_jobs1_s"])]
        if "t_k_jobs_default" in ga:
            rows.append((ga["jobs_default"], ga["t_k_jobs_default"]["median_s"],
                         ga["marginal_jobs_default_s"]))
        for jobs, tk, marginal in rows:
            verdict = _target({"value": marginal, "target_s": ga["target_s"]}, "value", " s", "<=")
            print(f"  {jobs:>5} {ga['t_1']['median_s']:8.2f} {tk:8.2f} {marginal:19.3f} {verdict}")
        print("  marginal: the median over runs of (T(K) - T(1)) / (K - 1), T(K) and T(1) back to back; "
              "one student takes one slot whatever --jobs says, so T(1) serves both rows")
    if "memory" in data:
        memory = data["memory"]
        print(f"\n3. peak memory, from {memory['from']}")
        print(f"  judge process (VmHWM)        {memory['judge_peak_mib']:8.1f} MiB")
        print(f"  fork server (VmHWM)          {memory['fork_server_peak_mib']:8.1f} MiB")
        print(f"  worker, largest cgroup peak  {memory['worker_peak_mib']:8.1f} MiB"
              "  (every process of one submission)")
        print(f"  judge + fork server + {memory['slots']} x worker = {memory['estimate_mib']:.0f} MiB "
              "(an upper bound: workers share the fork server's pages)")
    if "nbgrader" in data:
        _print_nbgrader(data["nbgrader"])
    if "sandboxes" in data:
        _print_sandboxes(data["sandboxes"])


def _print_nbgrader(nb: dict) -> None:
    print("\n4. the release notebook: nbgrader autograde against grade-all --assignment, on the same "
          "submitted/ folder")
    if "skipped" in nb:
        print(f"  NOT RUN: {nb['skipped']}")
        return
    theirs, ours, runs = nb["nbgrader_autograde"], nb["grade_all"], nb["runs"]
    print(f"  {nb['students']} notebooks, each tool {runs} time{'s' if runs != 1 else ''}, interleaved "
          f"(medians): nbgrader autograde {theirs['median_s']:.1f} s, grade-all {ours['median_s']:.2f} s "
          f"(--jobs {nb['jobs']})")
    print(f"  ratio {nb['ratio']:.1f}x {_target(nb, 'ratio', 'x', '>=')}")
    if "grade_all_skip_selftest" in nb:
        print(f"    grade-all self-tests the grader first; with --skip-selftest it took "
              f"{nb['grade_all_skip_selftest']['median_s']:.2f} s: {nb['ratio_skip_selftest']:.1f}x")
    each = nb["per_notebook"]
    print(f"  per notebook: nbgrader {each['nbgrader_s']:.2f} s (a kernel, torch and the checks each); "
          f"grade-all {each['grade_all_s']:.3f} s (its cohort time / {nb['students']})")
    margin = nb["marginal"]
    for key, count in (("at_cohort_s", nb["students"]), ("at_large_s", nb["large_students"])):
        verdict = _target({"value": margin[key], "target_s": margin["target_s"]}, "value", " s", "<=")
        print(f"  grade-all's marginal cost per student at {count:>3} students: {margin[key]:.4f} s "
              f"{verdict}")
    print(f"    marginal: (T(N) - T(1)) / (N - 1), T(1) the first notebook alone "
          f"({each['grade_all_start_s']:.2f} s: the start); target: nbgrader's cost per notebook / "
          f"{margin['share_target']:g}")
    judge = nb["judge_memory"]
    print(f"  judge's peak memory (VmHWM): {judge['one_mib']:.0f} MiB for 1 student, "
          f"{judge['cohort_mib']:.0f} for {nb['students']}, {judge['large_mib']:.0f} for "
          f"{nb['large_students']}: "
          f"{judge['per_student_kib']:.1f} KiB per student")
    fidelity = nb["fidelity"]
    print(f"  fidelity: {fidelity['same_fraction']} of {fidelity['compared']} notebooks get the same "
          "fraction of their points both ways")
    for name, entry in fidelity["differ"].items():
        print(f"    {name}: nbgrader {entry['nbgrader']}, grade-all {entry['grade_all']} "
              f"(differs by {entry['difference']})")


def _print_sandboxes(boxes: dict) -> None:
    print("\n5. sandbox mechanisms: one judge, the same worker code and probes "
          "(the solution, median per student)")
    print(f"  {'mechanism':24} {'per student s':>13} {'worker start s':>14} {'one-off start s':>15} "
          f"{'attacks contained':>18}")
    names = {"fork_server": f"fork server ({boxes['fork_server']['mode']})", "bwrap": "bwrap + fresh python"}
    shown = []
    for key in ("fork_server", "bwrap"):
        entry = boxes.get(key, {})
        if "skipped" in entry:
            print(f"  {names[key]:24} NOT RUN: {entry['skipped']}")
            continue
        shown.append(key)
        contained = f"{entry['attacks_contained']} of {entry['attacks_tried']}"
        print(f"  {names[key]:24} {entry['per_student']['median_s']:13.2f} {entry['worker_start_s']:14.2f} "
              f"{entry['one_off_start']['median_s']:15.2f} {contained:>18}")
    print("  one-off start: the fork server's own start (torch imported once); bwrap has none and pays an "
          "interpreter and torch in every worker")
    close = boxes["fork_server"].get("one_off_close")
    if close:
        print("  the fork server's exit (Zygote.close, which grade and grade-all wait for): "
              f"{close['median_s']:.2f} s")
    print("  phases of one student (median s):")
    for key in shown:
        print(f"    {key}: " + ", ".join(f"{k} {v:.3f}" for k, v in boxes[key]["phases_median_s"].items()))
    judge = boxes["fork_server"].get("judge_side_per_student")
    if judge:
        print("    grade-all's judge side per student (results file + feedback page): "
              f"{judge['median_s']:.3f}")
    print(f"  the same score both ways: {boxes['same_score']}")
    if "attacks_skipped" in boxes:
        print(f"  attacks NOT TRIED: {boxes['attacks_skipped']}")
    print(f"  {'attack':20} " + " ".join(f"{names[k]:>24}" for k in shown))
    for name, outcome in boxes["attacks"].items():
        print(f"  {name:20} " + " ".join(f"{outcome[k]['verdict']:>24}" for k in shown))
        for key in shown:
            print(f"    {key}: {outcome[key]['seen']}")

