"""Keyboard-driven terminal quiz that writes the answer file.

Plain stdin is enough: type the letter (or number) of an option and press Enter;
for multiple-answer questions type several (``a c`` or ``1,3``). Other keys:
Enter alone keeps the current answer and moves on, ``-`` clears it, ``<`` goes
back, ``?`` shows help, ``w`` saves and quits. At the end of input (Ctrl-D) what
was answered so far is saved. Answers are written with canonical option ids, so
the file scores the same whether or not the options were shown shuffled.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TextIO

from .answers import parse_answers, render_answers
from .bank import Bank
from .scoring import resolve_question_id
from .sheet import displayed_options
from .shuffle import label_map

HELP = ("Type the letter or number of your choice and press Enter "
        "(several for 'all that apply', e.g. 'a c').\n"
        "Enter alone: keep and go on   -: clear   <: back   w: save and quit   ?: help")


def _load_existing(bank: Bank, path: Path) -> dict[str, list[str]]:
    if not path.exists():
        return {}
    sheet = parse_answers(path.read_bytes(), str(path))
    if sheet.option_order != "canonical":
        return {}
    out: dict[str, list[str]] = {}
    for raw in sheet.answers:
        qid = resolve_question_id(bank, raw.key)
        if qid:
            valid = bank.get(qid).option_ids
            chosen = [lab for lab in raw.labels if lab in valid]
            if chosen:
                out[qid] = chosen
    return out


def run(bank: Bank, out_path: str | Path, *, stdin: TextIO | None = None,
        stdout: TextIO | None = None, secret: bytes | None = None,
        student_id: str | None = None) -> dict[str, list[str]]:
    """Run the quiz; returns the answers written (question id -> canonical ids)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    out_path = Path(out_path)
    answers = _load_existing(bank, out_path)

    def say(text: str = "") -> None:
        stdout.write(text + "\n")
        stdout.flush()

    say(f"{bank.title}: {len(bank.questions)} questions, {bank.total_points:g} points.")
    if answers:
        say(f"Resuming from {out_path} ({len(answers)} answers found).")
    say(HELP)
    i = 0
    while 0 <= i < len(bank.questions):
        q = bank.questions[i]
        shown = displayed_options(q, secret, student_id)
        mapping = label_map([o.id for _, o in shown])
        back = {v: k for k, v in mapping.items()}
        kind = "choose one" if q.type == "single" else "choose all that apply"
        say("")
        say(f"[{i + 1}/{len(bank.questions)}] {q.id} ({kind}, {q.points:g} pt)")
        say(q.prompt)
        for n, (_, o) in enumerate(shown, start=1):
            label = chr(ord("a") + n - 1)
            say(f"  {label}) {o.text}")
        current = answers.get(q.id, [])
        if current:
            say("Current answer: " + " ".join(sorted(back[c] for c in current)))
        stdout.write("> ")
        stdout.flush()
        line = stdin.readline()
        if line == "":  # end of input: save what we have
            say("")
            say("End of input.")
            break
        cmd = line.strip().lower()
        if cmd == "":
            i += 1
        elif cmd == "<":
            i = max(0, i - 1)
        elif cmd == "?":
            say(HELP)
        elif cmd == "w":
            break
        elif cmd == "-":
            answers.pop(q.id, None)
            i += 1
        else:
            picked, bad = _read_choice(cmd, len(shown))
            if bad:
                say(f"Not an option: {', '.join(bad)}. Options are a-"
                    f"{chr(ord('a') + len(shown) - 1)} or 1-{len(shown)}.")
                continue
            if q.type == "single" and len(picked) != 1:
                say("This question takes exactly one answer.")
                continue
            answers[q.id] = [mapping[p] for p in picked]
            i += 1
    _write(bank, out_path, answers)
    done = sum(1 for q in bank.questions if answers.get(q.id))
    say(f"Saved {done}/{len(bank.questions)} answers to {out_path}.")
    return answers


def _read_choice(cmd: str, n: int) -> tuple[list[str], list[str]]:
    picked, bad = [], []
    tokens = [t for t in re.split(r"[\s,;]+", cmd) if t]
    if len(tokens) == 1 and tokens[0].isalpha() and len(tokens[0]) > 1:
        tokens = list(tokens[0])  # "ac" means a and c
    for t in tokens:
        if t.isdigit() and 1 <= int(t) <= n:
            label = chr(ord("a") + int(t) - 1)
        elif len(t) == 1 and "a" <= t < chr(ord("a") + n):
            label = t
        else:
            bad.append(t)
            continue
        if label not in picked:
            picked.append(label)
    return picked, bad


def _write(bank: Bank, path: Path, answers: dict[str, list[str]]) -> None:
    ordered = {q.id: [o for o in q.option_ids if o in answers.get(q.id, [])]
               for q in bank.questions}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_answers(bank, ordered, option_order="canonical"), encoding="utf-8")
