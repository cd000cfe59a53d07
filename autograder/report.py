"""What people read in a terminal: the per-submission table, and the plain-text summary in results.json.

Student text never reaches rich as markup: every cell is a ``rich.text.Text``
built from text made safe by the project's one rule (:mod:`autograder.escape`).
"""

from __future__ import annotations

from .escape import clean, label, one_line


def plain_summary(tests: list[dict]) -> str:
    score = sum(t["score"] for t in tests)
    total = sum(t["max_score"] for t in tests)
    lines = [f"Score: {score:g} / {total:g}"]
    for test in tests:
        mark = "ok  " if test["status"] == "passed" else "FAIL"
        line = f"{mark} {test['score']:g}/{test['max_score']:g}  {test['name']}"
        if test["status"] != "passed":
            line += f"\n       {test.get('output', '')}"
        lines.append(line)
    return "\n".join(lines)


def print_summary(results: dict, submission: str, console=None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console(highlight=False)
    table = Table(title=Text(f"Grading {label(submission, 300)}"), show_lines=False, expand=False)
    table.add_column("check", overflow="fold")
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("message", overflow="fold")
    for test in results["tests"]:
        passed = test["status"] == "passed"
        table.add_row(Text(one_line(test["name"])),
                      Text(f"{test['score']:g}/{test['max_score']:g}", style="green" if passed else "red"),
                      Text("" if passed else clean(test.get("output", ""))))
    console.print(table)
    extra = results.get("extra_data", {})
    for part, value in (extra.get("parts") or {}).items():
        console.print(Text(f"  {part}: {value['score']:g} / {value['max_score']:g}", style="dim"))
    console.print(Text(f"Score: {results['score']:g} / {extra.get('max_score', 0):g}", style="bold"),
                  Text(f"  ({results['execution_time']:.1f} s)"))
    isolation = extra.get("isolation") or {}
    if isolation.get("mode") == "unconfined":
        console.print(Text("UNCONFINED: student code ran without a sandbox (--unconfined)", style="bold red"))
    elif isolation:
        console.print(Text(f"Sandbox: {isolation.get('mode')} ({', '.join(isolation.get('measures', []))})",
                           style="dim"))
        for reason in isolation.get("passed_over", []):
            console.print(Text(f"  not used: {one_line(reason, 400)}", style="yellow"))
    if extra.get("status") not in (None, "graded"):
        console.print(Text(f"NOT GRADED: {one_line(extra.get('regrade_reason') or '')} (regrade once fixed)",
                           style="bold yellow"))
    for error in extra.get("grader_errors", []):
        console.print(Text(f"grader note: {one_line(error)}", style="yellow"))
