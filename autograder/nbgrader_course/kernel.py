"""Helpers the hidden quiz cells call inside the grading kernel.

Each quiz question is one nbgrader test cell worth the question's points; the
cell's value is the points earned (nbgrader reads a numeric result as partial
credit). Scoring goes through the quiz package's own entry point,
``quizzes.autograder_tests``, exactly as the project's grader does, so both
give the same points. The key stays in the quiz bank, never in a notebook.
"""

from __future__ import annotations

QUIZ_VARIABLE = "QUIZ_ANSWERS"


def quiz_points(namespace: dict, question_id: str) -> float:
    """Points earned on ``question_id`` by the answers in ``namespace[QUIZ_VARIABLE]``.

    Prints the quiz package's feedback for that question (what was chosen, and
    why it is right or wrong). Never raises on a bad or missing answer text:
    an unreadable answer scores 0 like an unanswered one.
    """
    import quizzes

    answers = namespace.get(QUIZ_VARIABLE)
    if not isinstance(answers, str):
        print(f"{QUIZ_VARIABLE} is missing or not a string: {question_id} not answered")
        answers = ""
    questions = quizzes.load_bank().questions
    tests = quizzes.autograder_tests(answers, source="the quiz answers cell")
    by_id = {q.id: test for q, test in zip(questions, tests, strict=False)}
    if question_id not in by_id:
        raise KeyError(f"the quiz has no question {question_id!r}")
    test = by_id[question_id]
    print(test["output"])
    for extra in tests[len(questions):]:  # problems not tied to one question
        print(extra["output"])
    return float(min(max(test["score"], 0.0), test["max_score"]))
