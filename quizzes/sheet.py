"""The key-free question sheet students receive (Markdown), optionally in a
personal option order."""

from __future__ import annotations

from .answers import render_answers
from .bank import Bank, Question
from .shuffle import display_labels, option_order


def displayed_options(q: Question, secret: bytes | None, student_id: str | None):
    """[(label shown, option)] in display order: canonical, or personal if both given."""
    if secret is None or not student_id:
        return [(o.id, o) for o in q.options]
    order = option_order(secret, student_id, q.id, q.option_ids)
    return list(zip(display_labels(len(order)), (q.option(i) for i in order), strict=True))


def question_sheet(bank: Bank, *, secret: bytes | None = None,
                   student_id: str | None = None) -> str:
    """Markdown with prompts and options only: no keys, feedback or explanations."""
    personal = secret is not None and bool(student_id)
    out = [f"# {bank.title}", ""]
    if personal:
        out += [f"Personal sheet for student `{student_id}`: the options are in your own "
                "order. Answer with the letters shown here and keep "
                '`option_order = "shuffled"` in your answer file.', ""]
    out += ["Write your answers in `quiz_answers.toml` (beside your `rnn.py`), or run "
            "`python -m quizzes take`.", ""]
    for n, q in enumerate(bank.questions, start=1):
        kind = ("choose one" if q.type == "single" else "choose all that apply")
        pts = f"{q.points:g} point{'s' if q.points != 1 else ''}"
        out += [f"## {n}. `{q.id}` ({kind}, {pts})", "", q.prompt, ""]
        for label, o in displayed_options(q, secret, student_id):
            out.append(f"- **{label})** {o.text}")
        out.append("")
    return "\n".join(out)


def answers_template(bank: Bank, *, student_id: str | None = None,
                     shuffled: bool = False) -> str:
    return render_answers(bank, {}, student_id=student_id,
                          option_order="shuffled" if shuffled else "canonical")
