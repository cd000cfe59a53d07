"""The sample cohort shipped in ``quizzes/samples/cohort/``, and how it was made.

32 made-up students answer the bundled bank under a two-parameter logistic model
(ability ~ N(0, 1); an easy item, hard ones, one that discriminates poorly) with
the distractors real students favour (Adam for vanishing gradients, batch_first
on h0, ...), a few blanks and the odd hand-edited file. Fixed seed: the files are
the same on every run, and a test checks the shipped copy against this script.

Regenerate after a bank change: ``python -m tests.quiz.sample_cohort``.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COHORT = ROOT / "quizzes" / "samples" / "cohort"

STUDENTS = [
    "aiko", "amara", "ana", "ben", "carlos", "chen", "dara", "elif", "emma", "farid",
    "gabriel", "hana", "ines", "ivan", "jamal", "julia", "kofi", "lea", "liam", "maya",
    "mehmet", "nadia", "noah", "olga", "priya", "rafael", "sara", "tariq", "uma", "viktor",
    "yuki", "zoe",
]
# single answer: (difficulty b, discrimination a, distractor weights)
SINGLE = {
    "q01": (-1.6, 1.3, {"a": 2, "c": 1, "d": 1}),
    "q02": (0.4, 1.4, {"b": 3, "c": 6, "d": 1}),  # the module's tip makes Adam tempting
    "q03": (-1.0, 1.1, {"a": 1, "b": 1, "d": 1}),
    "q04": (-0.3, 1.2, {"a": 3, "b": 4, "d": 1}),
    "q06": (0.1, 1.5, {"a": 2, "b": 3, "d": 5}),
    "q08": (-0.4, 1.6, {"a": 5, "c": 3, "d": 2}),
    "q09": (0.7, 0.3, {"a": 7, "b": 2, "d": 1}),  # poor discrimination: flagged for review
    "q11": (0.0, 1.3, {"a": 4, "b": 2, "c": 4}),
    "q12": (-0.8, 1.0, {"b": 6, "c": 1, "d": 1}),
}
# multiple answer: (key ease, distractor pull per option)
MULTIPLE = {
    "q05": (1.0, {"c": -0.2, "e": -1.5}),
    "q07": (0.6, {"c": -1.0, "d": -0.4}),
    "q10": (0.3, {"c": -0.6, "d": 0.1, "e": -1.2}),
}


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    options = sorted(weights)
    return rng.choices(options, [weights[o] for o in options])[0]


def answers_for(rng: random.Random, bank, ability: float) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for q in bank.questions:
        if rng.random() < 0.04:
            continue  # left blank
        if q.id in SINGLE:
            b, a, distractors = SINGLE[q.id]
            right = rng.random() < _logistic(a * (ability - b))
            out[q.id] = [sorted(q.keys)[0] if right else _pick(rng, distractors)]
        else:
            ease, pull = MULTIPLE[q.id]
            chosen = [o for o in q.option_ids
                      if rng.random() < _logistic(1.3 * ability + ease if o in q.keys
                                                  else -1.3 * ability + pull[o])]
            if chosen:
                out[q.id] = chosen
    return out


def render() -> dict[str, str]:
    """Relative path under the cohort folder -> file text."""
    import quizzes
    from quizzes.answers import render_answers

    bank = quizzes.load_bank()
    rng = random.Random(11)
    files = {}
    for n, student in enumerate(STUDENTS):
        ability = rng.gauss(0.5, 1.0)
        answers = answers_for(rng, bank, ability)
        if n % 4 == 0:  # written with `python -m quizzes take`
            text = render_answers(bank, answers, student_id=student,
                                  header="Quiz answers, written by `python -m quizzes take`.")
        else:  # edited by hand
            lines = [f"# {student}'s quiz answers"]
            for q in bank.questions:
                chosen = answers.get(q.id)
                if chosen is None:
                    continue
                key = q.id.upper() if n % 7 == 3 else q.id
                value = (f'"{chosen[0]}"' if q.type == "single"
                         else "[" + ", ".join(f'"{c}"' for c in chosen) + "]")
                lines.append(f"{key} = {value}")
            text = "\n".join(lines) + "\n"
        files[f"{student}/quiz_answers.toml"] = text
    return files


def write() -> None:
    for rel, text in render().items():
        path = COHORT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write()
    print(f"wrote {len(STUDENTS)} answer files under {COHORT}")
