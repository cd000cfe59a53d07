"""The answer text is attacker-written: the parser must be fast, bounded and quiet.

Every call here runs under a hard alarm (so a regression cannot hang the suite: the
regex engine checks for signals) and must finish well under half a second. And no
output for a question answered wrongly, or not at all, may name its key.
"""

import itertools
import json
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import quizzes
from quizzes import answers as answers_module
from quizzes.answers import MAX_ANSWERS, MAX_TEXT_BYTES, parse_answers
from quizzes.scoring import MAX_OUTPUT_CHARS, score_sheet

ROOT = Path(__file__).resolve().parents[2]
LIMIT_S = 0.5  # generous: a few milliseconds is the norm
CAP = MAX_TEXT_BYTES


class Hung(Exception):
    pass


def bounded(fn, *args, limit=LIMIT_S):
    """``fn(*args)``, interrupted after 10 x ``limit``; asserts it took under ``limit``."""
    def alarm(signum, frame):
        raise Hung(f"still running after {10 * limit} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, 10 * limit)
    try:
        start = time.perf_counter()
        result = fn(*args)
        elapsed = time.perf_counter() - start
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert elapsed < limit, f"took {elapsed:.3f} s"
    return result


@pytest.fixture(scope="module", autouse=True)
def warm():
    quizzes.autograder_tests("")  # load the bank once: the timings are the parser's


def fill(unit: str, prefix: str = "", size: int = CAP) -> str:
    """``prefix`` then ``unit`` repeated, up to ``size`` UTF-8 bytes (not over)."""
    count = (size - len(prefix.encode(errors="surrogatepass"))) // len(unit.encode(errors="surrogatepass"))
    return prefix + unit * count


def sane(tests, bank, *, score=0.0):
    """One test per question, in bank order, then at most the file note; bounded output."""
    assert len(tests) in (len(bank.questions), len(bank.questions) + 1)
    for q, t in zip(bank.questions, tests, strict=False):
        assert t["name"].startswith(f"Quiz {q.id.upper()}:")
        assert 0 <= t["score"] <= t["max_score"] == q.points
    if len(tests) > len(bank.questions):
        assert tests[-1]["name"] == "Quiz: answer file" and tests[-1]["max_score"] == 0
    assert sum(t["score"] for t in tests) == pytest.approx(score)
    for t in tests:
        assert len(t["output"]) <= MAX_OUTPUT_CHARS
    json.dumps(tests, ensure_ascii=False).encode("utf-8")  # writable as results.json
    return {t["name"].split(":")[0]: t["output"] for t in tests}


BACKTRACKING_LINE = "q01 = a" + "    a" * 40 + " !"  # hours with the old _BARE regex

PATHOLOGICAL = {
    "backtracking line": BACKTRACKING_LINE,
    "backtracking lines": fill(BACKTRACKING_LINE + "\n"),
    "a, a, a ... on one line": fill("a, ", "q01 = "),
    "a, a, a ... over many lines": fill("q01 = a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, !\n"),
    "letters without separators": fill("a", "q01 = "),
    "[[[ just under the cap": fill("[", "q01 = "),
    "[[[ on every line": fill("q01 = " + "[" * 60 + "\n"),
    "[[[ ]]] balanced": "q01 = " + "[" * 30000 + "]" * 30000,
    "{{{ inline tables": fill("{a=", "q01 = "),
    "dotted key (tomllib is quadratic here)": fill("a.", "q01.") + "=1",
    "open multi-line arrays": fill("q05 = [\n"),
    "one multi-line array": "q05 = [\n" + fill('"a",\n', size=CAP - 20) + "]\n",
    "quotes": fill('"'),
    "escaped quotes": fill('\\"', 'q01 = "'),
    "NUL bytes": fill("\x00"),
    "NUL in lines": fill('q01 = "\x00b"\x00\n'),
    "spaces then junk": fill(" ", size=CAP - 1) + "x",
    "spaces around =": fill("q01" + " " * 900 + "=" + " " * 90 + "x\n"),
    "many keys": fill('k = "a"\n'),
    "many distinct keys": "".join(f'k{i} = "a"\n' for i in range(6000)),
    "many known keys": fill('q01 = "a"\nq05 = ["a", "c"]\n'),
    "many numbered keys": "".join(f'q{i:05d} = "a"\n' for i in range(5000)),
    "zeros in a key": fill("0", "q") + ' = "b"',
    "long list": 'q05 = [' + '"a", ' * 190 + "]",
    "long numbers": fill("9", "q01 = "),
    "headers": fill("[answers]\n[x]\n"),
    "comments": fill("#\n"),
    "blank lines": fill("\n"),
    "CR only": fill('q01 = "b"\r'),
    "lone surrogates": fill("\ud800", "q01 = '") + "'",
    "surrogates in lines": "".join(f'q{i:02d} = "\udc80"\n' for i in range(1, 13)) * 200,
    "invalid UTF-8, decoded with errors=replace":
        fill("\xff\xfe q01 = \x80b\n").encode("latin-1")[:CAP].decode("utf-8", errors="replace"),
    "right-to-left override": fill('q01 = "\u202eb"\n'),
    "typographic quotes": fill("q01 = \u201cb\u201d\n"),
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_text_is_fast_and_sane(name, bank):
    text = PATHOLOGICAL[name]
    tests = bounded(quizzes.autograder_tests, text)
    sane(tests, bank, score=sum(t["score"] for t in tests))
    assert bounded(parse_answers, text).source == "quiz_answers.toml"


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_text_through_the_notebook_helper(name, bank):
    text = PATHOLOGICAL[name]
    lines = bounded(quizzes.answers_from_notebook_cells, [text, text[: len(text) // 2]])
    sane(bounded(quizzes.autograder_tests, lines), bank,
         score=sum(t["score"] for t in quizzes.autograder_tests(lines)))


def test_the_backtracking_line_gets_a_per_line_note(bank):
    out = sane(bounded(quizzes.autograder_tests, BACKTRACKING_LINE + '\nq02 = "a"'), bank, score=1)
    assert "line 1: cannot read" in out["Quiz Q01"]
    assert out["Quiz Q02"].startswith("1/1 points")


def test_a_hundred_thousand_brackets_are_refused_with_a_note(bank):
    out = sane(bounded(quizzes.autograder_tests, "q01 = " + "[" * 100_000), bank)
    assert "over the 64 KiB limit" in out["Quiz"] and "not read" in out["Quiz"]
    deep = sane(bounded(quizzes.autograder_tests, "q01 = " + "[" * 900), bank)
    assert "line 1: cannot read" in deep["Quiz Q01"]
    assert "brackets" in deep["Quiz Q01"]


def test_size_cap_is_per_file_and_exact(bank):
    answer = 'q01 = "b"\n'
    at_cap = answer + "#" * (CAP - len(answer))
    assert len(at_cap.encode()) == CAP
    assert sane(quizzes.autograder_tests(at_cap), bank, score=1)
    over = sane(quizzes.autograder_tests(at_cap + "#", "alice/quiz_answers.toml"), bank)
    assert over["Quiz"].startswith("alice/quiz_answers.toml: 64 KiB, over the 64 KiB limit")
    assert sane(quizzes.autograder_tests(at_cap.encode()), bank, score=1)
    assert "over the 64 KiB limit" in sane(quizzes.autograder_tests((at_cap + "#").encode()),
                                           bank)["Quiz"]
    wide = answer + "é" * ((CAP - len(answer)) // 2 + 1)  # under the cap in characters only
    assert len(wide) < CAP < len(wide.encode())
    assert "over the 64 KiB limit" in sane(quizzes.autograder_tests(wide), bank)["Quiz"]


def test_unreadable_bytes_and_non_text(bank):
    out = sane(quizzes.autograder_tests(b"q01 = \"b\"\n\xff\xfe"), bank)
    assert "not UTF-8" in out["Quiz"]
    for value in (None, 12345, 3.5, ["q01 = 'b'"], object()):
        assert "no answer text" in sane(quizzes.autograder_tests(value), bank)["Quiz"]


def test_lone_surrogates_are_replaced_and_noted(bank):
    out = sane(quizzes.autograder_tests('q01 = "b"\nq02 = "\ud800"\n'), bank, score=1)
    assert "not valid Unicode" in out["Quiz"]
    assert "\ud800" not in json.dumps(out, ensure_ascii=False)


def test_nul_and_control_characters_are_escaped_in_messages(bank):
    out = sane(quizzes.autograder_tests('q01 = "b\x00"\nq02 = a\x1b[31m\n'), bank)
    assert "\x00" not in out["Quiz Q01"] and "\\x00" in out["Quiz Q01"]
    assert "\x1b" not in out["Quiz Q02"]


def test_answer_count_is_bounded(bank):
    text = 'q01 = "b"\n' + "".join(f'x{i} = "a"\n' for i in range(MAX_ANSWERS + 50))
    out = sane(bounded(quizzes.autograder_tests, text), bank, score=1)
    assert f"more than {MAX_ANSWERS} answers" in out["Quiz"]
    assert "more answers to unknown question ids" in out["Quiz"]
    assert out["Quiz"].count("\n") < 40


def test_repeats_collapse_into_one_message(bank):
    out = sane(quizzes.autograder_tests('q01 = "a"\n' * 50 + 'q01 = "b"\n'), bank, score=1)
    assert out["Quiz Q01"].count("answered more than once") == 1
    assert "51 times" in out["Quiz Q01"] and "line 51" in out["Quiz Q01"]


def test_long_tokens_are_cut_to_an_impossible_option_id(bank):
    sheet = parse_answers('q05 = ["abcdefghijk", "a"]')
    assert sheet.answers[0].labels == ["abcdefg…", "a"]
    assert all(len(label) <= 8 for label in sheet.answers[0].labels)


def test_letters_per_answer_are_bounded(bank):
    out = sane(quizzes.autograder_tests('q05 = "' + "a " * 500 + '"'), bank)
    assert "more than 26 letters" not in out["Quiz Q05"]  # repeats of one letter: one label
    out = sane(quizzes.autograder_tests("q05 = [" + ", ".join(f'"x{i}"' for i in range(80)) + "]"),
               bank)
    assert "more than 26 letters" in out["Quiz Q05"]
    assert out["Quiz Q05"].count("does not exist") <= 26


def test_key_length_is_bounded_without_regex(bank):
    from quizzes.scoring import resolve_question_id

    assert resolve_question_id(bank, "q" + "0" * 57 + "1") == "q01"  # 59 characters
    assert resolve_question_id(bank, "q" + "0" * 60 + "1") is None  # over MAX_KEY_CHARS
    assert bounded(resolve_question_id, bank, "q" + "0" * 100_000 + "x") is None
    assert resolve_question_id(bank, "q\u0661") is None  # Arabic-Indic digit one
    assert resolve_question_id(bank, "7") == "q07" and resolve_question_id(bank, "Q7") == "q07"


def test_random_text_over_the_grammar_is_always_fast(bank):
    rng = random.Random(11)
    alphabet = ['q', '0', '1', '5', 'a', 'b', ' ', '\t', '=', '"', "'", '[', ']', ',', ';',
                '#', '\\', '\n', '.', '{', '}', 'x', 'true', 'q01', 'q05 = [', 'u00',
                '\u201c', '\x00', '\ud800']
    for _ in range(60):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 6000)))
        sane(bounded(quizzes.autograder_tests, text), bank,
             score=sum(t["score"] for t in quizzes.autograder_tests(text)))


def test_every_pattern_is_linear_on_its_worst_inputs():
    """The parser's patterns, used as the parser uses them, on 64 KiB near-misses.

    A pattern with nested quantifiers over overlapping characters takes hours on
    some of these; a linear one takes well under a millisecond each.
    """
    m = answers_module
    patterns = {name for name, value in vars(m).items() if isinstance(value, re.Pattern)}
    assert patterns == {"_LINE", "_CODE", "_SCALAR_RE", "_KEY_RE", "_ESCAPE"}, \
        "a new pattern sees student text: add it here"
    probes = ['q01 = ["a", ', '"\\', "'", " \t", "a, ", '"a",', "1", "[ ", "q01.", "\\u00",
              "a    ", "q01 = a ", '["a"', "#", "0", '\\"']

    def run_all():
        for probe in probes:
            text = probe * (CAP // len(probe)) + "!"
            m._LINE.fullmatch(text)
            m._CODE.match(text)
            m._KEY_RE.fullmatch(text)
            m._ESCAPE.sub(m._unescape, text)
            array = m._LINE.fullmatch("q = [" + '"a", ' * (CAP // 5) + "]")
            list(m._SCALAR_RE.finditer(array.group("value"), 1))  # only ever on a matched array

    bounded(run_all, limit=2.0)


# --- no key in the feedback of a wrong or missing answer ------------------------------

def _shingles(text: str, n: int = 4) -> set:
    words = re.findall(r"[a-z0-9_()]+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def _wrong_answers(q):
    ids = q.option_ids
    if q.type == "single":
        yield from ([o] for o in ids if o not in q.keys)
        yield from (list(pair) for pair in itertools.combinations(ids, 2))
        yield list(ids)
    else:
        for r in range(1, len(ids) + 1):
            for chosen in itertools.combinations(ids, r):
                if set(chosen) != q.keys:
                    yield list(chosen)
    yield []


def _letters(q, chosen, secret=None, student=None):
    from quizzes.shuffle import label_map, option_order

    if secret is None:
        return chosen
    mapping = label_map(option_order(secret, student, q.id, q.option_ids))
    back = {canonical: shown for shown, canonical in mapping.items()}
    return [back[c] for c in chosen]


@pytest.mark.parametrize("personal", [False, True], ids=["canonical", "personal order"])
def test_no_key_in_feedback_for_wrong_or_missing_answers(bank, personal):
    secret, student = (b"course-secret", "s123") if personal else (None, None)
    header = f'student_id = "{student}"\noption_order = "shuffled"\n' if personal else ""
    checked = 0
    for q in bank.questions:
        keys = [o for o in q.options if o.correct]
        forbidden = set().union(*(_shingles(o.text) | _shingles(o.feedback) for o in keys))
        forbidden -= _shingles(q.prompt)
        explanation = " ".join(q.explanation.split())
        for chosen in _wrong_answers(q):
            letters = _letters(q, chosen, secret, student)
            value = json.dumps(letters[0] if len(letters) == 1 else letters)
            text = header + f"{q.id} = {value}\n"
            result = score_sheet(bank, parse_answers(text), secret=secret)
            qr = next(r for r in result.questions if r.question.id == q.id)
            assert qr.score < q.points
            output = "\n".join(qr.messages)
            assert "Key:" not in output and "Right" not in output, (q.id, chosen, output)
            assert explanation[:60] not in " ".join(output.split())
            for o in keys:
                assert o.feedback not in output and o.text not in output, (q.id, chosen)
            assert not (_shingles(output) & forbidden), (q.id, chosen, output)
            shown = [m for m in qr.messages if m.startswith("(")]
            if q.type == "multiple" or len(chosen) != 1:
                assert not shown, (q.id, chosen, output)  # no per-option verdicts
            else:
                assert shown == [f"({letters[0]}) {q.option(chosen[0]).feedback}"]
            checked += 1
    assert checked > 100


def test_no_key_in_gradescope_output_for_any_question(bank):
    # all questions wrong at once, through the grader's entry point
    lines = [f'{q.id} = "{sorted(set(q.option_ids) - q.keys)[0]}"' for q in bank.questions]
    tests = quizzes.autograder_tests("\n".join(lines))
    for q, t in zip(bank.questions, tests, strict=False):
        assert t["score"] < q.points
        for o in q.options:
            if o.correct:
                assert o.feedback not in t["output"] and o.text not in t["output"]
        assert "Key:" not in t["output"]
    for t in quizzes.autograder_tests(""):
        assert t["output"].splitlines()[1:] in (["not answered"], [])


def test_full_marks_keep_the_option_feedback(bank):
    lines = [f"{q.id} = {json.dumps(sorted(q.keys))}" for q in bank.questions]
    tests = quizzes.autograder_tests("\n".join(lines))
    for q, t in zip(bank.questions, tests, strict=True):
        assert t["status"] == "passed"
        for key in q.keys:
            assert q.option(key).feedback in t["output"]


# --- importable without torch, and fast ------------------------------------------------

@pytest.mark.slow
def test_scoring_imports_only_the_standard_library():
    code = ("import sys, time; t = time.perf_counter(); import quizzes; "
            "quizzes.autograder_tests('q01 = \"b\"'); "
            # on 3.10, tomli stands in for the standard library's tomllib (quizzes/_toml.py)
            "heavy = ({'torch', 'numpy', 'rich', 'matplotlib', 'nbformat'} "
            "| ({'tomli'} if sys.version_info >= (3, 11) else set())) & set(sys.modules); "
            "print(sorted(heavy), round(time.perf_counter() - t, 3))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    heavy, seconds = out.stdout.rsplit(" ", 1)
    assert heavy == "[]"
    assert float(seconds) < 1.0


@pytest.mark.slow
def test_parsing_never_loads_the_key():
    """The grader parses answers in the student's sandbox, where the bank must not be."""
    code = ("import sys, quizzes, quizzes.answers as a; "
            "t = quizzes.answers_from_notebook_cells(['QUIZ_ANSWERS = \"\"\"\\nq01 = \\'b\\'\\n\"\"\"']); "
            "s = a.parse_answers(t); assert s.answers[0].labels == ['b'], s; "
            "print(sorted(m for m in sys.modules if m.startswith('quizzes')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['quizzes', 'quizzes._toml', 'quizzes.answers']"
