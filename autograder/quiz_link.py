"""The quiz, from the answers the sandboxed worker parsed to Gradescope tests scored with the key.

The worker parses the answer file (or the notebook's quiz cell) before any
student code runs and sends the parsed answers; the key never leaves this
process. Every field is re-validated here (types, lengths), since the file
itself is the student's.
"""

from __future__ import annotations

from . import wire


def _sheet(data: dict | None):
    from quizzes.answers import AnswerSheet, RawAnswer

    if data is None:
        return AnswerSheet(source=wire.QUIZ_FILE, notes=[])
    answers = []
    for item in wire.sequence(data.get("answers"), 200):
        item = wire.mapping(item)
        labels = [wire.text(x, 8).lower() for x in wire.sequence(item.get("labels"), 26)
                  if isinstance(x, str)]
        answers.append(RawAnswer(key=wire.text(item.get("key"), 60), labels=labels,
                                 line=wire.integer(item.get("line")),
                                 notes=[wire.text(n, 300) for n in wire.sequence(item.get("notes"), 5)],
                                 written=wire.text(item.get("written"), 200)))
    order = data.get("option_order") if data.get("option_order") in ("canonical", "shuffled") else "canonical"
    student_id = data.get("student_id")
    return AnswerSheet(source=wire.text(data.get("source"), 120) or wire.QUIZ_FILE, answers=answers,
                       student_id=wire.text(student_id, 120) if isinstance(student_id, str) else None,
                       option_order=order,
                       notes=[wire.text(n, 300) for n in wire.sequence(data.get("notes"), 50)],
                       readable=data.get("readable") is not False)


def quiz_tests(data: dict | None) -> list[dict]:
    """One Gradescope test per question (unanswered ones score 0), tagged as the quiz part."""
    from quizzes import load_bank  # parsed once per process
    from quizzes.scoring import DEFAULT_SCHEME, gradescope_tests, score_sheet

    bank = load_bank()
    sheet = _sheet(data)
    try:
        result = score_sheet(bank, sheet, DEFAULT_SCHEME, student_id=sheet.student_id)
    except Exception:  # noqa: BLE001 - a grader must never crash on a student's answers
        from quizzes.answers import AnswerSheet

        result = score_sheet(bank, AnswerSheet(source=sheet.source, readable=False,
                                               notes=[f"{sheet.source}: could not be read"]), DEFAULT_SCHEME)
    return gradescope_tests(result)
