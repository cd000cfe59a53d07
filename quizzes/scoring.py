"""Score an answer sheet against a bank.

Single-answer questions: full points for the key, 0 otherwise.

Multiple-answer questions, with C = number of keys, W = number of distractors,
N = C + W options, c = keys chosen, w = distractors chosen:

- ``canvas`` (the default): right minus wrong, ``max(0, (c - w) / C)``. It is what
  Canvas Classic Quizzes does; it gives partial credit and makes ticking every box
  worth no more than the keys outnumber the distractors.
- ``exact``: all or nothing, the chosen set must equal the key set.
- ``moodle``: the sum of the chosen options' Moodle fractions, clamped to [0, 1]
  (bank defaults: a key +1/C, a distractor -1/W).
- ``edx``: Open edX "EDC" partial credit, ``(c + (W - w)) / N`` (every box counts,
  ticked or not).

A question with no answer at all scores 0 ("not answered") under every scheme,
including ``edx``. The score is ``points * fraction``, rounded to 4 decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .answers import MAX_KEY_CHARS, MAX_NOTES, AnswerSheet, RawAnswer
from .bank import Bank, Question
from .shuffle import SecretMissing, course_secret, label_map, option_order

SCHEMES = ("canvas", "exact", "moodle", "edx")
DEFAULT_SCHEME = "canvas"
SCHEME_HELP = {
    "canvas": "right minus wrong: max(0, (keys chosen - distractors chosen) / keys)",
    "exact": "all or nothing: the chosen set must equal the set of keys",
    "moodle": "sum of the chosen options' Moodle fractions, clamped to [0, 1]",
    "edx": "edX EDC: (keys chosen + distractors left blank) / options",
}


def multiple_fraction(scheme: str, question: Question, chosen: set[str]) -> float:
    """Fraction of the points earned on a multiple-answer question (0..1)."""
    keys = question.keys
    n_keys, n_options = len(keys), len(question.options)
    c = len(chosen & keys)
    w = len(chosen - keys)
    if scheme == "exact":
        return 1.0 if chosen == keys else 0.0
    if scheme == "canvas":
        return max(0.0, (c - w) / n_keys)
    if scheme == "moodle":
        total = sum(question.option(o).fraction for o in chosen) / 100.0
        return min(1.0, max(0.0, total))
    if scheme == "edx":
        n_wrong = n_options - n_keys
        return (c + (n_wrong - w)) / n_options
    raise ValueError(f"unknown scheme {scheme!r} (choose from {', '.join(SCHEMES)})")


def question_fraction(scheme: str, question: Question, chosen: set[str]) -> float:
    if not chosen:
        return 0.0
    if question.type == "single":
        return 1.0 if len(chosen) == 1 and chosen == question.keys else 0.0
    return multiple_fraction(scheme, question, chosen)


@dataclass
class QuestionResult:
    question: Question
    chosen: list[str]  # canonical option ids, in the order written
    score: float
    messages: list[str] = field(default_factory=list)
    answered: bool = False

    @property
    def max_score(self) -> float:
        return self.question.points

    @property
    def passed(self) -> bool:
        return self.answered and abs(self.score - self.max_score) < 1e-9


@dataclass
class SheetResult:
    questions: list[QuestionResult]
    notes: list[str]  # problems not tied to one question (unknown ids, broken lines)
    scheme: str

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.questions), 4)

    @property
    def max_score(self) -> float:
        return sum(r.max_score for r in self.questions)


def resolve_question_id(bank: Bank, key: str) -> str | None:
    """Bank question id for an answer key: exact, case-insensitive or q1 == q01.

    String operations only, no regular expression: the key is student text.
    """
    if not isinstance(key, str) or len(key) > MAX_KEY_CHARS:
        return None
    if bank.get(key):
        return key
    lowered = key.strip().lower()
    for q in bank.questions:
        if q.id.lower() == lowered:
            return q.id
    number = _question_number(lowered, optional_q=True)
    if number is not None:
        for q in bank.questions:
            if _question_number(q.id.lower(), optional_q=False) == number:
                return q.id
    return None


def _question_number(text: str, *, optional_q: bool) -> int | None:
    """3 for "q03" (and for "3" when ``optional_q``), else None."""
    if text.startswith("q"):
        text = text[1:]
    elif not optional_q:
        return None
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def score_sheet(bank: Bank, sheet: AnswerSheet, scheme: str = DEFAULT_SCHEME, *,
                student_id: str | None = None, secret: str | bytes | None = None,
                reveal: bool = False) -> SheetResult:
    """Score every bank question from ``sheet``. Never raises on bad answers.

    ``student_id`` (from the grader) overrides the one in the file for shuffled
    sheets; ``secret`` defaults to ``$RNN_QUIZ_SECRET``. With ``reveal`` the
    message also names the keys and gives the explanation.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r} (choose from {', '.join(SCHEMES)})")
    notes = list(sheet.notes)
    every: dict[str, list[RawAnswer]] = {}
    unknown = 0
    for raw in sheet.answers:
        where = f"{sheet.source}:{raw.line}" if raw.line else sheet.source
        qid = resolve_question_id(bank, raw.key)
        if qid is None:
            unknown += 1
            if unknown <= MAX_NOTES:
                ids = ", ".join(q.id for q in bank.questions)
                notes.append(f"{where}: unknown question id {raw.key!r} (answer {raw.written} "
                             f"not scored); this quiz has {ids}")
            continue
        every.setdefault(qid, []).append(raw)
    if unknown > MAX_NOTES:
        notes.append(f"{sheet.source}: ... and {unknown - MAX_NOTES} more answers to unknown "
                     "question ids")
    by_qid = {qid: raws[-1] for qid, raws in every.items()}
    extra: dict[str, list[str]] = {}
    for qid, raws in every.items():
        if len(raws) > 1:
            first, last = raws[0], raws[-1]
            between = "; ..." if len(raws) > 2 else ""
            extra[qid] = [f"answered more than once ({len(raws)} times: {_at(first)}"
                          f"{first.written}{between}; {_at(last)}{last.written}); the last one "
                          "counts"]

    order_sid = student_id or sheet.student_id
    secret_bytes: bytes | None = None
    order_problem = None
    if sheet.option_order == "shuffled":
        if not order_sid:
            order_problem = ("your file says option_order = \"shuffled\" but has no "
                             "student_id, so your letters cannot be matched to options")
        else:
            try:
                secret_bytes = secret if isinstance(secret, bytes) else course_secret(secret)
            except SecretMissing:
                order_problem = ("your letters follow a personal option order, but the "
                                 "grader has no course secret to decode it; ask course staff")
        if student_id and sheet.student_id and student_id != sheet.student_id:
            notes.append(f"{sheet.source}: student_id {sheet.student_id!r} in the file differs "
                         f"from the submitter {student_id!r}; letters are read in the "
                         "submitter's personal order")

    results = []
    for q in bank.questions:
        raw = by_qid.get(q.id)
        messages = list(extra.get(q.id, []))
        if raw is None or not raw.labels:
            messages = (raw.notes if raw else []) + messages + ["not answered"]
            results.append(QuestionResult(q, [], 0.0, messages))
            continue
        messages += raw.notes
        if order_problem:
            messages.append(f"{order_problem}; you wrote {raw.written}")
            results.append(QuestionResult(q, [], 0.0, messages, answered=True))
            continue
        mapping = ({lab: lab for lab in q.option_ids} if secret_bytes is None
                   else label_map(option_order(secret_bytes, order_sid, q.id, q.option_ids)))
        chosen = []
        for label in raw.labels:
            if label in mapping:
                chosen.append(mapping[label])
            else:
                valid = ", ".join(sorted(mapping))
                messages.append(f"option {label!r} does not exist (options: {valid}); ignored")
        if not chosen:
            messages.append(f"no valid option chosen (you wrote {raw.written})")
            results.append(QuestionResult(q, [], 0.0, messages, answered=True))
            continue
        if q.type == "single" and len(chosen) > 1:
            messages.append(f"this question takes one answer, you gave {len(chosen)}: 0 points")
        fraction = question_fraction(scheme, q, set(chosen))
        score = round(q.points * fraction, 4)
        results.append(QuestionResult(q, chosen, score, messages, answered=True))

    for r in results:
        r.messages.extend(_feedback(r, sheet, secret_bytes, order_sid, reveal))
    return SheetResult(results, notes, scheme)


def _at(raw: RawAnswer) -> str:
    return f"line {raw.line}: " if raw.line else ""


MULTIPLE_NOT_RIGHT = ("Not fully right: a choice is wrong or a right one is missing. "
                      "Feedback on each option is given once the whole answer is right, so "
                      "that ticking every box cannot reveal the answer.")


def _feedback(r: QuestionResult, sheet, secret_bytes, order_sid, reveal) -> list[str]:
    """Feedback on the options chosen; the key only with ``reveal``.

    Without ``reveal`` nothing here may tell a student who did not earn full marks
    which option is right. A single-answer question shows the feedback of the one
    option chosen (written not to name the key). A multiple-answer question shows
    per-option feedback only when the answer is fully right: otherwise the verdicts
    on the options chosen would give the key away to whoever ticks every box.
    """
    q = r.question
    out = []
    if r.chosen and not (q.type == "single" and len(r.chosen) > 1):
        if q.type == "multiple" and not r.passed and not reveal:
            out.append(MULTIPLE_NOT_RIGHT)
        else:
            shown = _shown_labels(q, secret_bytes, order_sid)
            for oid in r.chosen:
                out.append(f"({shown[oid]}) {q.option(oid).feedback}")
    if reveal:
        shown = _shown_labels(q, secret_bytes, order_sid)
        keys = ", ".join(shown[o.id] for o in q.options if o.correct)
        out.append(f"Key: {keys}. {' '.join(q.explanation.split())}")
    return out


def _shown_labels(q: Question, secret_bytes, order_sid) -> dict[str, str]:
    if secret_bytes is None:
        return {o: o for o in q.option_ids}
    return {v: k for k, v in label_map(option_order(secret_bytes, order_sid, q.id,
                                                    q.option_ids)).items()}


def gradescope_tests(result: SheetResult, *, visibility: str = "visible") -> list[dict]:
    """Gradescope test dicts, one per question, plus one for file-level notes.

    Each has ``name``, ``score``, ``max_score``, ``status``, ``output`` (what the
    student reads), ``visibility`` and ``extra_data``: ``{"check": question id,
    "chosen": canonical option ids}`` for a question, ``{}`` for the file notes.
    """
    tests = []
    for r in result.questions:
        q = r.question
        head = f"{_fmt(r.score)}/{_fmt(r.max_score)} points"
        tests.append({
            "name": f"Quiz {q.id.upper()}: {_short(q.prompt)}",
            "score": r.score,
            "max_score": r.max_score,
            "status": "passed" if r.passed else "failed",
            "output": _capped([head, *r.messages]),
            "visibility": visibility,
            # not shown by Gradescope: the question and the canonical ids chosen (never
            # the key), so reports need not read the choices back out of ``output``
            "extra_data": {"check": q.id, "chosen": list(r.chosen)},
        })
    if result.notes:
        tests.append({
            "name": "Quiz: answer file",
            "score": 0.0,
            "max_score": 0.0,
            "status": "failed",
            "output": _capped(result.notes),
            "visibility": visibility,
            "extra_data": {},
        })
    return tests


MAX_OUTPUT_LINES = 30
MAX_OUTPUT_CHARS = 6000


def _capped(lines: list[str]) -> str:
    """A test's output, bounded: student text in it is already cut to size."""
    if len(lines) > MAX_OUTPUT_LINES:
        lines = [*lines[: MAX_OUTPUT_LINES - 1],
                 f"... and {len(lines) - MAX_OUTPUT_LINES + 1} more lines"]
    text = "\n".join(lines)
    return text if len(text) <= MAX_OUTPUT_CHARS else text[: MAX_OUTPUT_CHARS - 1] + "…"


def _fmt(x: float) -> str:
    return f"{x:g}"


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
