"""``python -m autograder grade``: one submission, start to results.json."""

from __future__ import annotations

import sys
from pathlib import Path

from .sandbox.session import Limits


def _fail(message: str) -> int:
    print(f"python -m autograder grade: {message}", file=sys.stderr)
    return 2


def grade_one(submission_path: str, results_path: str | None, limits: Limits, quiet: bool = False) -> int:
    from . import results as results_module
    from . import submission as submission_module

    results_file = Path(results_path).expanduser().absolute() if results_path else None
    try:
        submission = submission_module.load(submission_path)
        if results_file is not None:
            results_module.check_writable(results_file)
    except (submission_module.SubmissionError, results_module.ResultsPathError) as exc:
        return _fail(str(exc))

    # The fork server starts before the reference and the hidden checks are loaded.
    from .judge import Grader
    from .reference import MissingReference

    try:
        grader = Grader(limits)
    except MissingReference as exc:
        return _fail(str(exc))
    try:
        results = grade_with(grader, submission, results_file)
    finally:
        grader.close()
    if results_file is not None:
        try:
            results_module.write(results_file, results)
        except OSError as exc:
            return _fail(f"cannot write {results_file}: {exc.strerror}")
    if quiet:
        print(f"{results['score']:g} / {results['extra_data']['max_score']:g}  {submission_path}")
    else:
        from .report import print_summary

        print_summary(results, str(submission_path))
    return 0


def grade_with(grader, submission, results_file: Path | None, protect: list[str] | None = None) -> dict:
    """Grade a loaded submission with a running grader; return the results dict."""
    import time

    import quizzes

    from . import judge
    from . import results as results_module

    origin = submission.origin if submission.origin.is_dir() else submission.origin.parent
    started = time.monotonic()

    def nothing_graded(message: str) -> judge.Grade:
        return judge.Grade(outcomes=[judge.CheckOutcome(c, False, message) for c in grader.catalogue],
                           seconds=time.monotonic() - started)

    if submission.source is None:
        grade = nothing_graded(submission.problem)
    else:
        hidden = [str(origin), *([str(results_file.parent)] if results_file else []), *(protect or [])]
        try:
            grade = grader.grade(submission.source, hidden)
        except Exception as exc:  # noqa: BLE001 - a grader fault must still leave a valid file
            grade = nothing_graded("the grader itself failed on this submission; your instructor "
                                   "has been told (regrade once it is fixed)")
            grade.internal_errors.append(f"grader failure: {type(exc).__name__}: {exc}")
    quiz_tests = []
    if submission.quiz_text is not None:
        quiz_tests = quizzes.autograder_tests(submission.quiz_text, submission.quiz_source)
    return results_module.build(grade, quiz_tests, submission.notes)
