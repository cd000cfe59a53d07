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


STANDALONE_HEADER = """
Module 11 quiz answers. The questions are in quiz.md, beside this file.
Keep this file named quiz_answers.toml, in the folder of your rnn.py, and hand it
in with rnn.py. Edit it in any text editor:
  one answer:        write the letter between the quotes     q01 = "b"
  all that apply:    list every letter, in quotes            q05 = ["a", "c"]
  no answer (yet):   leave "" or []
The text after # on a line is a comment; student_id is optional.
"""

STANDALONE_INTRO = (
    "Answer in `quiz_answers.toml`, the file beside this one (keep its name; hand it in "
    "with your `rnn.py`). Write the letter of your choice between the quotes, e.g. "
    '`q01 = "b"`; for *choose all that apply*, list every letter, e.g. '
    '`q05 = ["a", "c"]`. Leave `""` or `[]` for a question you do not answer. A mistake '
    "in one line costs that question only. Questions marked *from the module text* are "
    "quoted word for word from the module."
)


def question_sheet(bank: Bank, *, secret: bytes | None = None,
                   student_id: str | None = None, standalone: bool = False) -> str:
    """Markdown with prompts and options only: no keys, feedback or explanations.

    ``standalone``: the sheet for ``exercises/`` (students without this package):
    it says how to fill in the blank answer file and marks the module's questions.
    """
    personal = secret is not None and bool(student_id)
    out = [f"# {bank.title}", ""]
    if personal:
        out += [f"Personal sheet for student `{student_id}`: the options are in your own "
                "order. Answer with the letters shown here and keep "
                '`option_order = "shuffled"` in your answer file.', ""]
    if standalone:
        out += [STANDALONE_INTRO, ""]
    else:
        out += ["Write your answers in `quiz_answers.toml` (beside your `rnn.py`), or run "
                "`python -m quizzes take`.", ""]
    for n, q in enumerate(bank.questions, start=1):
        kind = ("choose one" if q.type == "single" else "choose all that apply")
        pts = f"{q.points:g} point{'s' if q.points != 1 else ''}"
        origin = ", *from the module text*" if standalone and q.origin == "module" else ""
        out += [f"## {n}. `{q.id}` ({kind}, {pts}{origin})", "", q.prompt, ""]
        for label, o in displayed_options(q, secret, student_id):
            out.append(f"- **{label})** {o.text}")
        out.append("")
    return "\n".join(out)


def answers_template(bank: Bank, *, student_id: str | None = None,
                     shuffled: bool = False) -> str:
    return render_answers(bank, {}, student_id=student_id,
                          option_order="shuffled" if shuffled else "canonical")
