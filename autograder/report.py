"""What people read: the terminal summary and the plain-text summary in results.json."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text


def _rows(results: dict):
    for test in results["tests"]:
        yield test["name"], test["score"], test["max_score"], test["status"], test.get("output", "")


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


def print_summary(results: dict, submission: str, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    table = Table(title=f"Grading {submission}", show_lines=False, expand=False)
    table.add_column("check", overflow="fold")
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("message", overflow="fold")
    for name, score, max_score, status, output in _rows(results):
        style = "green" if status == "passed" else "red"
        table.add_row(name, Text(f"{score:g}/{max_score:g}", style=style),
                      "" if status == "passed" else output)
    console.print(table)
    extra = results.get("extra_data", {})
    console.print(f"[bold]Score: {results['score']:g} / {extra.get('max_score', 0):g}[/bold]"
                  f"  ({results['execution_time']:.1f} s)")
    if extra.get("isolation"):
        console.print("Isolation: " + ", ".join(extra["isolation"]), style="dim")
    for error in extra.get("grader_errors", []):
        console.print(f"grader note: {error}", style="yellow")
