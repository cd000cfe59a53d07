"""The quiz part of a results file, read back against the bank, and the cohort's item analysis.

A quiz test's ``output`` is what ``quizzes.scoring`` wrote: a ``x/y points`` line, then one
``(label) feedback`` line per option the student chose (label as on their sheet, which may
be a personal shuffled order) and notes such as ``not answered``. The results file does not
store the chosen option ids, so they are recovered by matching each feedback line with the
bank's feedback text for that question (unique per question); a test's
``extra_data.chosen`` (canonical option ids), if a grader ever writes it, is used instead.

What a student may see: the prompt, the options they chose with their feedback, and the
explanation only for a question answered fully right. Never the key of a question answered
wrongly, partly or not at all.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

_POINTS_LINE = re.compile(r"^\s*-?[\d.]+\s*/\s*[\d.]+\s+points?\s*$")
_CHOSEN_LINE = re.compile(r"^\(([^()\s]{1,8})\) (.*)$", re.S)
NOT_ANSWERED = "not answered"


@functools.lru_cache(maxsize=1)
def bank():
    """The bundled bank, or None when it cannot be loaded (pages then show the raw output)."""
    try:
        from quizzes import load_bank

        return load_bank()
    except Exception:  # a broken bank must not stop feedback pages
        return None


@dataclass
class Chosen:
    label: str  # as the student wrote it (their sheet's lettering)
    option_id: str | None  # canonical id, None when it could not be matched
    text: str  # the option's text ("" when unmatched)
    feedback: str
    correct: bool | None  # whether the option is a key (None when unmatched)


@dataclass
class QuizAnswer:
    qid: str
    name: str
    prompt: str
    topic: str
    score: float
    max_score: float
    answered: bool
    full_marks: bool
    chosen: list[Chosen] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # other lines (problems with the answer)
    explanation: str = ""  # only filled when full_marks
    in_bank: bool = True
    resolved: bool = True  # every choice matched an option (for item analysis)


def _norm(s: str) -> str:
    return " ".join(s.split())


@functools.lru_cache(maxsize=256)
def _feedback_index(qid: str) -> dict[str, str]:
    b = bank()
    q = b.get(qid) if b else None
    return {_norm(o.feedback): o.id for o in q.options} if q else {}


def _qid_from(test: dict, view) -> str:
    extra = test.get("extra_data") if isinstance(test.get("extra_data"), dict) else {}
    check = extra.get("check")
    if isinstance(check, str) and check:
        return check
    m = re.match(r"Quiz (Q\w+)", view.name)
    return m.group(1).lower() if m else ""


def read_quiz(tests) -> tuple[list[QuizAnswer], list[str]]:
    """(answers in test order, file-level notes) from (test dict, CheckView) pairs."""
    b = bank()
    answers: list[QuizAnswer] = []
    notes: list[str] = []
    for test, view in tests:
        qid = _qid_from(test, view)
        q = b.get(qid) if (b and qid) else None
        if q is None and view.max_score == 0:
            # "Quiz: answer file": problems with the file as a whole
            if view.message:
                notes.extend(line for line in view.message.splitlines() if line.strip())
            continue
        answers.append(_answer(test, view, qid, q))
    return answers, notes


def _answer(test: dict, view, qid: str, q) -> QuizAnswer:
    lines = [line for line in view.message.splitlines() if line.strip()]
    answer = QuizAnswer(
        qid=qid or view.name, name=view.name, prompt=q.prompt if q else view.name,
        topic=q.topic if q else "", score=view.score, max_score=view.max_score, answered=True,
        full_marks=view.passed and view.max_score > 0 and view.score >= view.max_score - 1e-9,
        in_bank=q is not None)
    index = _feedback_index(q.id) if q else {}
    extra = test.get("extra_data") if isinstance(test.get("extra_data"), dict) else {}
    given = extra.get("chosen")
    given_ids = [g for g in given if isinstance(g, str)] if isinstance(given, list) else None
    for line in lines:
        if _POINTS_LINE.match(line):
            continue
        if line.strip().lower() == NOT_ANSWERED:
            answer.answered = False
            continue
        m = _CHOSEN_LINE.match(line)
        if m:
            oid = index.get(_norm(m.group(2)))
            option = q.option(oid) if (q and oid) else None
            answer.chosen.append(Chosen(label=m.group(1), option_id=oid,
                                        text=option.text if option else "",
                                        feedback=option.feedback if option else m.group(2),
                                        correct=option.correct if option else None))
            continue
        answer.notes.append(line)
    if given_ids is not None and q is not None:
        # Feedback on a multiple-answer question's options would tell which are keys: like
        # quizzes.scoring, give it only for a fully right answer. A single-answer option's
        # feedback is written not to name the key.
        verdicts = answer.full_marks or q.type == "single"
        known = {c.option_id for c in answer.chosen}
        for oid in given_ids:
            if oid in q.option_ids and oid not in known:
                o = q.option(oid)
                answer.chosen.append(Chosen(label=oid, option_id=oid, text=o.text,
                                            feedback=o.feedback if verdicts else "",
                                            correct=o.correct if verdicts else None))
    answer.resolved = q is not None and all(c.option_id for c in answer.chosen) and (
        bool(answer.chosen) or not answer.answered)
    if answer.full_marks and q is not None:
        answer.explanation = q.explanation
    return answer


# -- item analysis ---------------------------------------------------------------------------

@dataclass
class CohortQuiz:
    stats: object | None  # quizzes.analysis.QuizStats, None when nothing to analyse
    bank: object | None
    students: int
    unresolved: int  # answers whose options could not be read back (counted as blank)
    rescored: int  # answers the bank now scores differently than the results say
    problem: str = ""  # why there is no analysis
    unresolved_by_item: dict = field(default_factory=dict)  # question id -> unresolved answers
    non_takers: int = 0  # graded students who answered no question: left out of the analysis


def analyse(views, scheme: str | None = None) -> CohortQuiz:
    """Item analysis (``quizzes.analysis.analyze``) of the graded students' quiz answers."""
    b = bank()
    if b is None:
        return CohortQuiz(None, None, 0, 0, 0, "the quiz bank could not be loaded")
    from quizzes.analysis import analyze, took_quiz
    from quizzes.answers import AnswerSheet, RawAnswer
    from quizzes.scoring import DEFAULT_SCHEME, SCHEMES, question_fraction

    scheme = scheme if scheme in SCHEMES else DEFAULT_SCHEME
    responses = []
    unresolved = rescored = 0
    by_item: dict[str, int] = {}
    non_takers = 0
    for v in views:
        if not v.graded or not v.quiz:
            continue
        if not any(a.answered for a in v.quiz if a.in_bank):
            non_takers += 1  # handed in no quiz: not a blank answer to every question
            continue
        sheet = AnswerSheet(source=v.stem or v.name)
        for a in v.quiz:
            if not a.in_bank:
                continue
            ids = [c.option_id for c in a.chosen if c.option_id]
            if a.answered and not a.resolved:
                unresolved += 1
                by_item[a.qid] = by_item.get(a.qid, 0) + 1
                continue
            if not ids:
                continue
            sheet.answers.append(RawAnswer(key=a.qid, labels=ids, line=None, written=" ".join(ids)))
            q = b.get(a.qid)
            now = round(q.points * question_fraction(scheme, q, set(ids)), 4)
            if abs(now - a.score) > 1e-3:
                rescored += 1
        responses.append((v.stem or v.name, sheet))
    if not any(took_quiz(sheet) for _, sheet in responses):
        why = (f"none of the {non_takers} graded students with quiz results answered a question"
               if non_takers else "no graded student has quiz results")
        return CohortQuiz(None, b, 0, unresolved, rescored, why, by_item, non_takers)
    stats = analyze(b, responses, scheme)
    return CohortQuiz(stats, b, stats.n_students, unresolved, rescored, "", by_item, non_takers)
