"""One student's results file, read into plain values the pages can trust.

The results file is the contract (``autograder.results_schema``), but a renderer runs after
every student of a cohort: a missing key, a wrong type or a NaN must cost a line of the
page, never the page. Everything here reads defensively and never raises on a dict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import quiz as quiz_module

GRADED, NOT_RUN, GRADER_ERROR = "graded", "not_run", "grader_error"
CORE, UNDER_THE_HOOD, QUIZ = "core", "under_the_hood", "quiz"

PART_LABELS = {CORE: "Core exercise", UNDER_THE_HOOD: "Under the hood", QUIZ: "Quiz"}
PART_ORDER = (CORE, UNDER_THE_HOOD, QUIZ)

# The student function a group of checks judges, when a test does not name it.
GROUP_FUNCTIONS = {
    "construction": "SimpleRNN.__init__",
    "forward": "SimpleRNN.forward",
    "device": "devices (forward and train)",
    "training_step": "training_step",
    "train": "train",
    "predict": "predict",
}


def num(value, default: float | None = 0.0) -> float | None:
    """A finite float, or ``default``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    value = float(value)
    return value if math.isfinite(value) else default


def text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def as_list(value) -> list:
    return value if isinstance(value, list) else []


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def part_label(part: str) -> str:
    return PART_LABELS.get(part, part.replace("_", " ").capitalize() or "Other")


@dataclass
class CheckView:
    number: str
    name: str
    check: str  # catalogue id ("forward.shapes"); "" when the grader gave none
    function: str
    group: str
    part: str
    score: float
    max_score: float
    passed: bool
    message: str  # the message without the hint
    hint: str
    cause: str = ""  # a failed check: the check whose failure this one follows from ("" when a root cause)

    @property
    def root_cause(self) -> bool:
        """A failure that is not explained by another check's."""
        return not self.passed and not self.cause


@dataclass
class LossCurve:
    student: list[float | None] | None  # None: the student's train could not be run
    reference: list[float | None]
    student_bad_epochs: list[int] = field(default_factory=list)  # 1-based, NaN or infinite


@dataclass
class StudentView:
    name: str
    stem: str
    status: str
    regrade_reason: str
    score: float
    max_score: float
    parts: list[tuple[str, float, float]]  # (part, score, max_score) in PART_ORDER
    checks: list[CheckView]  # the exercise's checks, grading order, quiz excluded
    quiz: list[quiz_module.QuizAnswer]
    quiz_notes: list[str]  # answer-file problems not tied to one question
    hidden_checks: int
    loss_curve: LossCurve | None
    cells: list[dict]  # {"cell": int | None, "status": str, "message": str}
    notebook: bool
    execution_time: float | None
    peak_memory_bytes: int | None
    processes_killed: int
    isolation_mode: str
    isolation_measures: list[str]
    submitted_at: str
    grader_version: str
    late: dict
    grader_errors: list[str]  # instructor only
    output: str  # the grader's text summary for the student (what Gradescope shows)
    schema: str
    raw_status: str  # the status as written (for the report's odd cases)
    quiz_scheme: str = ""  # extra_data.options.quiz_scheme, when the grader records it

    @property
    def graded(self) -> bool:
        return self.status == GRADED

    @property
    def percent(self) -> float | None:
        return 100.0 * self.score / self.max_score if self.max_score > 0 else None


def _split_hint(message: str, hint: str) -> tuple[str, str]:
    """The message alone, and the hint (the results store the hint inside the message too)."""
    if hint:
        at = message.find(hint)
        if at >= 0:
            head = message[:at]
            marker = head.rfind("Hint:")
            if marker >= 0 and not head[marker + 5:].strip():
                head = head[:marker]
            rest = message[at + len(hint):]
            message = (head.rstrip().rstrip(".").rstrip() + rest).strip()
        return message, hint
    marker = message.rfind("Hint: ")
    if marker > 0:
        return message[:marker].rstrip().rstrip(".").rstrip(), message[marker + 6:].strip()
    return message.strip(), ""


def _is_quiz(tags: list, name: str) -> bool:
    if QUIZ in tags[:2]:
        return True
    return not tags and name.startswith("Quiz")


def read_test(test: dict, index: int) -> CheckView:
    extra = as_dict(test.get("extra_data"))
    tags = [text(t) for t in as_list(test.get("tags"))]
    group = tags[0] if tags else ""
    check = text(extra.get("check"))
    if not group and "." in check:
        group = check.split(".", 1)[0]
    part = tags[1] if len(tags) > 1 and tags[1] else CORE
    function = text(extra.get("function")) or GROUP_FUNCTIONS.get(group, "") or group or "Other checks"
    max_score = num(test.get("max_score"), 0.0)
    score = num(test.get("score"), 0.0)
    status = test.get("status")
    passed = status == "passed" if status in ("passed", "failed") else score >= max_score > 0
    message, hint = _split_hint(text(test.get("output")), text(extra.get("hint")))
    return CheckView(number=text(test.get("number")) or str(index + 1), name=text(test.get("name")),
                     check=check, function=function, group=group, part=part, score=score,
                     max_score=max_score, passed=passed, message=message, hint=hint,
                     cause=text(extra.get("cause"))[:80] if not passed else "")


def _curve(value) -> tuple[list[float | None], list[int]]:
    values, bad = [], []
    for i, v in enumerate(as_list(value)):
        if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
            values.append(None)
            continue
        try:
            number = float(v)
        except OverflowError:  # an integer beyond any float
            number = math.inf
        if math.isfinite(number):
            values.append(number)
        else:
            values.append(None)
            bad.append(i + 1)  # NaN or infinite: the loss diverged
    return values, bad


def read_loss_curve(value) -> LossCurve | None:
    data = as_dict(value)
    if not data:
        return None
    reference, _ = _curve(data.get("reference"))
    raw_student = data.get("student")
    student, bad = _curve(raw_student) if isinstance(raw_student, list) else (None, [])
    if not any(v is not None for v in reference) and student is None:
        return None
    return LossCurve(student=student, reference=reference, student_bad_epochs=bad)


def read(results: dict, stem: str = "") -> StudentView:
    """The view of one results file (``results`` as ``json.load`` returned it)."""
    results = as_dict(results)
    extra = as_dict(results.get("extra_data"))
    name = text(extra.get("student")) or stem or "(no name)"
    raw_status = text(extra.get("status"))
    status = raw_status if raw_status in (GRADED, NOT_RUN, GRADER_ERROR) else \
        (GRADED if not raw_status else GRADER_ERROR)
    checks: list[CheckView] = []
    quiz_tests: list[tuple[dict, CheckView]] = []
    hidden = 0
    for i, test in enumerate(as_list(results.get("tests"))):
        if not isinstance(test, dict):
            continue
        view = read_test(test, i)
        if _is_quiz([text(t) for t in as_list(test.get("tags"))], view.name):
            view.part = QUIZ
            quiz_tests.append((test, view))
        elif text(test.get("visibility")) == "hidden":
            hidden += 1
        else:
            checks.append(view)
    quiz, quiz_notes = quiz_module.read_quiz(quiz_tests)

    all_views = checks + [v for _, v in quiz_tests]
    score = num(results.get("score"), None)
    if score is None:
        score = sum(v.score for v in all_views)
    max_score = num(extra.get("max_score"), None)
    if max_score is None:
        max_score = sum(v.max_score for v in all_views)

    parts_in = as_dict(extra.get("parts"))
    parts: list[tuple[str, float, float]] = []
    if parts_in:
        names = [p for p in PART_ORDER if p in parts_in] + sorted(p for p in parts_in if p not in PART_ORDER)
        for p in names:
            entry = as_dict(parts_in[p])
            parts.append((p, num(entry.get("score"), 0.0), num(entry.get("max_score"), 0.0)))
    else:
        sums: dict[str, list[float]] = {}
        for v in all_views:
            sums.setdefault(v.part, [0.0, 0.0])
            sums[v.part][0] += v.score
            sums[v.part][1] += v.max_score
        for p in [p for p in PART_ORDER if p in sums] + sorted(p for p in sums if p not in PART_ORDER):
            parts.append((p, sums[p][0], sums[p][1]))

    cells = []
    for c in as_list(extra.get("notebook_cells")):
        c = as_dict(c)
        if not c:
            continue
        n = c.get("cell")
        cells.append({"cell": n if isinstance(n, int) and not isinstance(n, bool) else None,
                      "status": text(c.get("status")) or "error", "message": text(c.get("message"))})
    submission = as_dict(extra.get("submission"))
    isolation = as_dict(extra.get("isolation"))
    submitted = as_dict(extra.get("submitted_at"))
    peak = extra.get("peak_memory_bytes")
    killed = extra.get("processes_killed")
    return StudentView(
        name=name, stem=stem, status=status, regrade_reason=text(extra.get("regrade_reason")),
        score=score, max_score=max_score, parts=parts, checks=checks, quiz=quiz, quiz_notes=quiz_notes,
        hidden_checks=hidden, loss_curve=read_loss_curve(extra.get("loss_curve")), cells=cells,
        notebook=text(submission.get("kind")) == "notebook" or bool(cells),
        execution_time=num(results.get("execution_time"), None),
        peak_memory_bytes=int(peak) if isinstance(peak, int) and not isinstance(peak, bool) else None,
        processes_killed=int(killed) if isinstance(killed, int) and not isinstance(killed, bool) else 0,
        isolation_mode=text(isolation.get("mode")),
        isolation_measures=[text(m) for m in as_list(isolation.get("measures"))],
        submitted_at=text(submitted.get("time")), grader_version=text(extra.get("grader_version")),
        late=as_dict(extra.get("late")),
        grader_errors=[text(e) for e in as_list(extra.get("grader_errors"))],
        output=text(results.get("output")), schema=text(extra.get("schema")), raw_status=raw_status,
        quiz_scheme=text(as_dict(extra.get("options")).get("quiz_scheme")),
    )


# The order in which the exercise builds its functions: fixing them in this order fixes
# causes before effects (train uses training_step, which uses forward).
FUNCTION_ORDER = ("SimpleRNN.__init__", "SimpleRNN.forward", "training_step", "train", "predict")


def by_function(checks: list[CheckView]) -> list[tuple[str, str, list[CheckView]]]:
    """(part, function, checks): parts in PART_ORDER; the exercise's functions in the order it
    builds them (FUNCTION_ORDER), other functions as first met; checks in grading order."""
    groups: dict[tuple[str, str], list[CheckView]] = {}
    for c in checks:
        groups.setdefault((c.part, c.function), []).append(c)
    part_rank = {p: i for i, p in enumerate(PART_ORDER)}
    fn_rank = {f: i for i, f in enumerate(FUNCTION_ORDER)}
    first_met = {k: i for i, k in enumerate(groups)}
    keys = sorted(groups, key=lambda k: (part_rank.get(k[0], len(part_rank)),
                                         fn_rank.get(k[1], len(fn_rank)), first_met[k]))
    return [(part, function, groups[(part, function)]) for part, function in keys]
