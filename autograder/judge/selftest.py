"""The grader grades known submissions and compares every score with the one it must give.

Run before grading anything (``python -m autograder selftest``, by ``grade-all``
before a cohort, by every Dask worker as it starts, by the Gradescope image as
it is built): an install whose loader, probes, judge or quiz scoring is broken
(an incompatible IPython, a bad upgrade) is caught on submissions whose right
scores are known, instead of grading a class wrong.

The cases, all made from the project's own trusted files on the grader's own
plan (same fork server, same inputs as the cohort it guards):

* the reference ``solutions/rnn.py`` as a ``.py``, with a quiz answer file that
  answers every question with the key but two single-answer ones wrongly;
* the released notebook, filled in with the reference and the quiz key;
* two known mistakes, each costing exactly the checks named here (the mistake
  corpus in ``tests/grader/test_mistakes.py`` holds them too, with the same
  charges: a test keeps the two in step).

Expected scores never come from the code under test: a check is worth its full
points unless the case names it, a quiz question its points when answered with
the key and 0 when answered with a wrong single option.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths, results_schema, wire
from ..intake import Submission

# name: ((anchor in solutions/rnn.py, replacement), ...), the checks it costs (exactly)
MISTAKES: dict[str, tuple[tuple[tuple[str, str], ...], frozenset[str]]] = {
    "no_zero_grad": ((("    optimizer.zero_grad()\n", ""),), frozenset({"training_step.zero_grad"})),
    "first_time_step": (
        (("        return self.fc(out[:, -1, :])\n", "        return self.fc(out[:, 0, :])\n"),),
        frozenset({"forward.last_time_step", "forward.matches_reference"})),
}
WRONG_QUIZ_ANSWERS = 2  # single-answer questions the .py case answers wrongly


class SelftestError(RuntimeError):
    """The self-test's own inputs cannot be made (a project file missing or edited out of shape)."""


@dataclass
class Case:
    name: str
    submission: Submission
    charged: frozenset[str] = frozenset()  # checks this case must fail (all others pass)
    quiz: dict[str, float] | None = None  # question id -> expected score (None: no quiz handed in)


@dataclass
class Difference:
    case: str
    check: str
    expected: float
    actual: float
    message: str = ""


@dataclass
class Report:
    seed: int | None
    cases: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)  # cases not run, and why

    @property
    def passed(self) -> bool:
        return not self.differences

    def summary(self) -> dict:
        """What a results file and the manifest record of this self-test."""
        return {"status": "passed" if self.passed else "failed", "seed": self.seed, "cases": self.cases,
                "seconds": round(self.seconds, 3), "skipped": self.skipped,
                "differences": [vars(d) for d in self.differences[:50]]}

    def lines(self) -> list[str]:
        if self.passed:
            return [f"selftest passed: {len(self.cases)} known submissions, every check's score as expected "
                    f"({self.seconds:.1f} s, seed {self.seed})"]
        out = [f"selftest FAILED: {len(self.differences)} scores differ from the expected ones "
               f"(seed {self.seed}); this grader must not grade students until it is fixed:"]
        for d in self.differences[:40]:
            out.append(f"  {d.case}: {d.check}: expected {d.expected:g}, got {d.actual:g}"
                       + (f" ({d.message[:160]})" if d.message else ""))
        if len(self.differences) > 40:
            out.append(f"  ... and {len(self.differences) - 40} more")
        return out


def _edit(text: str, pairs) -> str:
    for old, new in pairs:
        if text.count(old) != 1:
            raise SelftestError(f"selftest: {paths.SOLUTION_FILE} no longer holds {old.strip()!r} "
                                "exactly once")
        text = text.replace(old, new)
    return text


def _quiz_key():
    """(answer-file text with the key, but WRONG_QUIZ_ANSWERS single answers wrong; expected scores;
    the key's text for a notebook cell; the key's expected scores)."""
    import quizzes

    bank = quizzes.load_bank()
    lines, right_lines, expected, full = [], [], {}, {}
    wrong = 0
    for q in bank.questions:
        key = sorted(q.keys)
        right = (f'{q.id} = "{key[0]}"' if q.type == "single"
                 else f"{q.id} = [{', '.join(map(json.dumps, key))}]")
        right_lines.append(right)
        full[q.id] = q.points
        if q.type == "single" and wrong < WRONG_QUIZ_ANSWERS:
            other = next(o for o in q.option_ids if o not in q.keys)
            lines.append(f'{q.id} = "{other}"')
            expected[q.id] = 0.0
            wrong += 1
        else:
            lines.append(right)
            expected[q.id] = q.points
    return "\n".join(lines) + "\n", expected, "\n".join(right_lines), full


def filled_notebook(quiz_lines: str) -> bytes:
    """The released notebook as a student who wrote the reference's answers hands it in: the source
    notebook with nbgrader's hidden tests removed and the quiz cell answered.

    Plain JSON, not nbformat: the file is the project's own, and nbformat's import (jsonschema and
    its format checkers: 0.75 s in a fresh environment) would double what the self-test costs."""
    from ..nbgrader_course import SOURCE_NOTEBOOK

    nb = json.loads(Path(SOURCE_NOTEBOOK).read_text(encoding="utf-8"))
    hidden = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS\n.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?",
                        re.M | re.S)
    answered = False
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        cell["source"] = hidden.sub("", "".join(source) if isinstance(source, list) else source)
        if wire.QUIZ_TAG in cell.get("metadata", {}).get("tags", []):
            cell["source"] = f'QUIZ_ANSWERS = """\n{quiz_lines}\n"""\n'
            answered = True
    if not answered:
        raise SelftestError(f"selftest: {SOURCE_NOTEBOOK} has no cell tagged {wire.QUIZ_TAG}")
    return json.dumps(nb, indent=1, ensure_ascii=False).encode("utf-8")


def cases(notebooks: bool = True) -> list[Case]:
    """The known submissions and what each must score."""
    reference = paths.SOLUTION_FILE.read_text(encoding="utf-8")
    quiz_text, quiz_expected, key_lines, key_expected = _quiz_key()
    origin = Path("<selftest>")

    def py(name: str, text: str, quiz: str | None = None) -> Submission:
        files = {wire.STUDENT_FILE: text.encode("utf-8")}
        if quiz is not None:
            files[wire.QUIZ_FILE] = quiz.encode("utf-8")
        return Submission(name=f"selftest:{name}", origin=origin, files=files)

    found = [Case("reference.py", py("reference.py", reference, quiz_text), quiz=quiz_expected)]
    if notebooks:
        found.append(Case("release notebook, filled in",
                          Submission(name="selftest:notebook", origin=origin, kind=wire.KIND_NOTEBOOK,
                                     files={"rnn.ipynb": filled_notebook(key_lines)}), quiz=key_expected))
    for name, (pairs, charged) in MISTAKES.items():
        found.append(Case(f"mistake {name}", py(name, _edit(reference, pairs)), charged=charged))
    return found


def compare(case: Case, grade, catalogue, quiz_enabled: bool) -> list[Difference]:
    """Every check's (and quiz question's) score against the expected one."""
    found = []
    if grade.status != results_schema.GRADED:
        found.append(Difference(case.name, "status", 1, 0, f"{grade.status}: {grade.reason}"))
    for fault in grade.grader_errors[:5]:
        found.append(Difference(case.name, "grader error", 0, 1, fault))
    by_id = {o.check.id: o for o in grade.outcomes}
    for check in catalogue:
        outcome = by_id.get(check.id)
        actual = outcome.score if outcome is not None else 0.0
        expected = 0.0 if check.id in case.charged else float(check.points)
        if abs(actual - expected) > 1e-9:
            found.append(Difference(case.name, check.id, expected, actual,
                                    outcome.message if outcome is not None else ""))
    if quiz_enabled:
        scores = {t.get("extra_data", {}).get("check"): float(t["score"]) for t in grade.quiz_tests}
        for qid, expected in (case.quiz or {}).items():
            actual = scores.get(qid)
            if actual is None or abs(actual - expected) > 1e-9:
                found.append(Difference(case.name, f"quiz {qid}", expected, -1 if actual is None else actual,
                                        "question missing" if actual is None else ""))
        if case.quiz is None and any(t["score"] for t in grade.quiz_tests):
            found.append(Difference(case.name, "quiz", 0, sum(t["score"] for t in grade.quiz_tests),
                                    "points for a quiz that was not handed in"))
    return found


def run(grader, notebooks: bool | None = None) -> Report:
    """Grade every case on ``grader`` (its fork server, plan and options), two at a time."""
    from concurrent.futures import ThreadPoolExecutor

    started = time.monotonic()
    with_notebooks = grader.options.notebooks if notebooks is None else notebooks
    report = Report(seed=grader.plan.seed)
    try:
        known = cases(with_notebooks)
    except (SelftestError, OSError, ValueError, KeyError, StopIteration) as exc:
        report.differences.append(Difference("set-up", "inputs", 1, 0, f"{type(exc).__name__}: {exc}"))
        report.seconds = time.monotonic() - started
        return report
    if not with_notebooks:
        report.skipped.append("release notebook: this run grades no notebooks")
    workers = max(1, min(2, len(grader.claims) or 1))
    with ThreadPoolExecutor(workers, thread_name_prefix="selftest") as pool:
        grades = list(pool.map(grader.grade, [c.submission for c in known]))
    for case, grade in zip(known, grades, strict=True):
        report.cases.append(case.name)
        report.differences += compare(case, grade, grader.catalogue, grader.options.quiz)
    report.seconds = time.monotonic() - started
    return report
