"""``python -m quizzes``: validate, student-copy, take, score, export, analyze."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import ANSWERS_FILENAME
from .bank import BankError, load_bank
from .scoring import DEFAULT_SCHEME, SCHEME_HELP, SCHEMES
from .shuffle import SECRET_ENV, SecretMissing, course_secret


class CLIError(Exception):
    pass


def _schemes_epilog() -> str:
    lines = ["multiple-answer scoring schemes (--scheme):"]
    for name in SCHEMES:
        default = " (default)" if name == DEFAULT_SCHEME else ""
        lines.append(f"  {name:<7} {SCHEME_HELP[name]}{default}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    from .exports import FORMATS

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bank", metavar="PATH",
                        help="quiz bank TOML (default: the bundled module 11 bank)")
    fmt = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(
        prog="python -m quizzes", formatter_class=fmt,
        description="Module 11 (Recurrent Neural Networks) quiz: answer, score, export, "
                    "analyze.",
        epilog=f"The course secret for personal option order comes from --secret or "
               f"${SECRET_ENV}.\nSee quizzes/README.md for the workflows.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sub.add_parser("validate", parents=[common], help="check the bank; print a summary",
                   description="Load and check the bank; errors name file:line.")

    s = sub.add_parser("student-copy", parents=[common], formatter_class=fmt,
                       help="write the key-free question sheet and a blank answer file",
                       description="Write what students receive: the questions and options "
                                   "(never keys, feedback or explanations) and a blank "
                                   "answer template. With --student, options are in that "
                                   "student's personal order (needs the course secret).")
    s.add_argument("--out", default="out/quiz-questions.md", metavar="PATH",
                   help="question sheet, Markdown (default: %(default)s)")
    s.add_argument("--answers", metavar="PATH",
                   help=f"blank answer file (default: {ANSWERS_FILENAME} beside --out)")
    s.add_argument("--student", metavar="ID", help="personal sheet for this student id")
    s.add_argument("--secret", help=f"course secret (default: ${SECRET_ENV})")

    t = sub.add_parser("take", parents=[common], formatter_class=fmt,
                       help="answer the quiz in the terminal; writes the answer file",
                       description="Keyboard-driven quiz: type a letter or number and Enter "
                                   "(several for 'all that apply'); Enter alone = next, "
                                   "'<' = back, '-' = clear, 'w' = save and quit. Resumes "
                                   "from an existing answer file.")
    t.add_argument("--out", default=ANSWERS_FILENAME, metavar="PATH",
                   help="answer file to write (default: %(default)s)")
    t.add_argument("--student", metavar="ID",
                   help="show options in this student's personal order (needs the secret)")
    t.add_argument("--secret", help=f"course secret (default: ${SECRET_ENV})")

    c = sub.add_parser("score", parents=[common], formatter_class=fmt,
                       help="score an answer file; write Gradescope results.json",
                       description="Score ANSWERS and write Gradescope-schema results "
                                   "(score, execution_time, tests[]). Problems in the file "
                                   "become per-question messages; this never crashes on "
                                   "student input.",
                       epilog=_schemes_epilog())
    c.add_argument("answers", metavar="ANSWERS", help="the student's answer file")
    c.add_argument("--results", default="results.json", metavar="PATH",
                   help="where to write results.json (default: %(default)s; '-' = stdout)")
    c.add_argument("--scheme", choices=SCHEMES, default=DEFAULT_SCHEME,
                   help="multiple-answer scoring scheme (default: %(default)s)")
    c.add_argument("--student-id", metavar="ID",
                   help="submitter id (overrides the file's, for personal option order)")
    c.add_argument("--secret", help=f"course secret (default: ${SECRET_ENV})")
    c.add_argument("--reveal", action="store_true",
                   help="add keys and explanations to each message")

    e = sub.add_parser("export", parents=[common], formatter_class=fmt,
                       help="export the bank for an LMS",
                       description="Export the bank. Formats and default paths:\n" + "\n".join(
                           f"  {k:<15} {v[1]:<30} {v[2]}" for k, v in FORMATS.items()) +
                       "\n  all             every format, to its default path (or --out DIR)")
    e.add_argument("format", metavar="FORMAT", choices=[*FORMATS, "all"],
                   help=f"one of: {', '.join(FORMATS)}, all")
    e.add_argument("--out", metavar="PATH", help="output file (a folder for 'all')")

    a = sub.add_parser("analyze", parents=[common], formatter_class=fmt,
                       help="item analysis of a cohort's answers (table, CSV, PNG)",
                       description="Item analysis. RESPONSES is a CSV (header "
                                   "student_id,q01,q02,...; cells like 'b' or 'a;c') or a "
                                   "cohort folder: <student>.toml files, "
                                   "<student>/.../quiz_answers.toml (e.g. nbgrader's "
                                   "submitted/<student>/<assignment>/) or notebooks with a "
                                   "quiz-answers cell; the student is the first path component "
                                   "under the folder. Try it on the bundled sample:\n"
                                   "  python -m quizzes analyze quizzes/samples/cohort",
                       epilog=_schemes_epilog())
    a.add_argument("responses", metavar="RESPONSES", help="CSV file or cohort folder")
    a.add_argument("--csv", default="out/item-analysis.csv", metavar="PATH",
                   help="CSV report (default: %(default)s)")
    a.add_argument("--png", default="out/item-analysis.png", metavar="PATH",
                   help="plot (default: %(default)s)")
    a.add_argument("--scheme", choices=SCHEMES, default=DEFAULT_SCHEME,
                   help="multiple-answer scoring scheme (default: %(default)s)")
    a.add_argument("--secret", help=f"course secret, for files in personal order "
                                    f"(default: ${SECRET_ENV})")
    return p


def _bank(args):
    return load_bank(args.bank)


def _secret(args, required: bool) -> bytes | None:
    try:
        return course_secret(args.secret)
    except SecretMissing as exc:
        if required:
            raise CLIError(str(exc)) from None
        return None


def _write(path: str, data: bytes | str) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        p.write_text(data, encoding="utf-8")
    else:
        p.write_bytes(data)


def cmd_validate(args) -> int:
    bank = _bank(args)
    single = sum(q.type == "single" for q in bank.questions)
    print(f"{bank.path}: OK, {len(bank.questions)} questions ({single} single answer, "
          f"{len(bank.questions) - single} multiple answer), {bank.total_points:g} points")
    return 0


def cmd_student_copy(args) -> int:
    from .sheet import answers_template, question_sheet

    bank = _bank(args)
    secret = _secret(args, required=bool(args.student))
    _write(args.out, question_sheet(bank, secret=secret, student_id=args.student))
    answers = args.answers or str(Path(args.out).with_name(ANSWERS_FILENAME))
    _write(answers, answers_template(bank, student_id=args.student,
                                     shuffled=bool(args.student)))
    print(f"wrote {args.out} and {answers}")
    return 0


def cmd_take(args) -> int:
    from .take import run

    bank = _bank(args)
    secret = _secret(args, required=bool(args.student))
    run(bank, args.out, secret=secret, student_id=args.student)
    return 0


def cmd_score(args) -> int:
    from .answers import parse_answers
    from .scoring import gradescope_tests, score_sheet

    start = time.monotonic()
    bank = _bank(args)
    path = Path(args.answers)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CLIError(f"cannot read {path}: {exc.strerror or exc}") from None
    sheet = parse_answers(data, path.name)
    result = score_sheet(bank, sheet, args.scheme, student_id=args.student_id,
                         secret=args.secret, reveal=args.reveal)
    tests = gradescope_tests(result)
    for n, test in enumerate(tests, start=1):
        test["number"] = str(n)
    answered = sum(r.answered for r in result.questions)
    results = {
        "score": result.score,
        "execution_time": round(time.monotonic() - start, 3),
        "output": f"Quiz: {result.score:g}/{result.max_score:g} points, {answered}/"
                  f"{len(result.questions)} questions answered (scheme: {result.scheme}).",
        "visibility": "visible",
        "tests": tests,
    }
    text = json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    if args.results == "-":
        sys.stdout.write(text)
    else:
        _write(args.results, text)
        print(f"{results['output']} Wrote {args.results}")
    return 0


def cmd_export(args) -> int:
    from .exports import FORMATS, export

    bank = _bank(args)
    names = list(FORMATS) if args.format == "all" else [args.format]
    for name in names:
        default = FORMATS[name][1]
        if args.format == "all":
            out = str(Path(args.out) / Path(default).name) if args.out else default
        else:
            out = args.out or default
        try:
            data = export(name, bank)
        except ModuleNotFoundError as exc:
            raise CLIError(f"exports need the {exc.name} package: pip install {exc.name}") from None
        _write(out, data)
        print(f"{name}: wrote {out}")
    return 0


def cmd_analyze(args) -> int:
    from .analysis import analyze, plot, print_table, read_cohort, read_responses, to_csv

    bank = _bank(args)
    where = Path(args.responses)
    if not where.exists():
        raise CLIError(f"{args.responses}: no such file or folder")
    try:
        if where.is_dir():
            cohort = read_cohort(where)
            from autograder.escape import one_line  # the project's one rule for student text

            for problem in cohort.problems:  # they name students' files and folders
                print(f"note: {one_line(problem, 400)}", file=sys.stderr)
            responses = cohort.responses
        else:
            responses = read_responses(where, bank)
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        raise CLIError(str(exc)) from None
    if not responses:
        raise CLIError(f"{args.responses}: no answer files (quiz_answers.toml, *.toml at the "
                       "top, or notebooks with a quiz-answers cell)")
    stats = analyze(bank, responses, args.scheme, secret=_secret(args, required=False))
    print_table(stats)
    _write(args.csv, to_csv(stats))
    plot(stats, args.png)
    print(f"wrote {args.csv} and {args.png}")
    return 0


COMMANDS = {"validate": cmd_validate, "student-copy": cmd_student_copy, "take": cmd_take,
            "score": cmd_score, "export": cmd_export, "analyze": cmd_analyze}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (BankError, CLIError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
