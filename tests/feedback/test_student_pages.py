"""Per-student feedback pages: what they say, in what order, and what they never show."""

from __future__ import annotations

import ast
import io
import json
import math
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

import quizzes
from autograder.feedback import render_student, safe_stem, write_all, write_student
from autograder.feedback.text import fmt_points
from tests.feedback import cohort
from tests.feedback.conftest import md_text, parse, visible_text

ROOT = Path(__file__).resolve().parents[2]


def test_every_fixture_has_both_pages(cohort_dir, fixture_students):
    for s in fixture_students:
        assert (cohort_dir / "feedback" / f"{s.stem}.html").is_file()
        assert (cohort_dir / "feedback" / f"{s.stem}.md").is_file()
    assert (cohort_dir / "report.html").is_file()
    assert not list(cohort_dir.rglob(".*.tmp")), "temporary files left behind"


def test_score_comes_first_with_each_part(rendered):
    page = rendered["grace_hopper"]
    results = page.student.results
    text = visible_text(page.html)
    total = f"{fmt_points(results['score'])} / {fmt_points(results['extra_data']['max_score'])} points"
    assert text.index(total) < text.index("What to fix next") < text.index("Checks, by function")
    for label, part in (("Core exercise", "core"), ("Under the hood", "under_the_hood"), ("Quiz", "quiz")):
        entry = results["extra_data"]["parts"][part]
        assert f"{label} {fmt_points(entry['score'])} / {fmt_points(entry['max_score'])}" in text, label
    md = page.md
    assert md.index("**Score:") < md.index("## What to fix next") < md.index("## Checks, by function")
    assert "| Core exercise | 81 / 100 |" in md


def test_checks_are_grouped_by_function_with_message_and_hint(rendered):
    page = rendered["alan_turing"]
    text = visible_text(page.html)
    text = text[text.index("Checks, by function"):]
    order = [text.index(f) for f in ("SimpleRNN.__init__", "SimpleRNN.forward", "training_step",
                                      "train", "predict")]
    assert order == sorted(order), "functions are listed in the order the exercise builds them"
    # a failed check shows its message and its hint, separately
    assert "training_step: with gradients left over from an earlier step the update is wrong" in text
    assert ("Hint: gradients add up across backward calls: clear those left from an earlier step first "
            "(look up Optimizer.zero_grad)") in text
    assert "Hint: pass max_grad_norm through to training_step" in text
    # the message is preformatted, and does not repeat the hint
    pres = parse(page.html).text.split("wrong")[0]
    assert pres.rstrip().endswith("the update is")
    assert text.count("clear those left from an earlier step first") == 1  # with the check, said once
    assert "#### training_step: 14 / 24" in page.md


def test_what_to_fix_next_names_the_earliest_failing_function_and_its_hint(rendered):
    text = visible_text(rendered["grace_hopper"].html)
    fix = text[text.index("What to fix next"):text.index("Checks, by function")]
    assert "SimpleRNN.forward: 3 checks failed, 19 points to gain" in fix
    assert "Start with forward: one row of logits per sequence, for every batch size and length" in fix
    assert "Hint: return one row of output_size logits per sequence for any batch size and length" in fix
    # training_step comes before train, even when a train check is graded first
    text = visible_text(rendered["alan_turing"].html)
    fix = text[text.index("What to fix next"):text.index("Checks, by function")]
    assert fix.index("training_step:") < fix.index("train:")
    full = visible_text(rendered["ada_lovelace"].html)
    assert "Nothing: every check of the exercise passed." in full


def test_loss_curve_is_plotted_against_the_reference(rendered):
    page = rendered["grace_hopper"]
    tags = parse(page.html).tags
    svgs = [a for t, a in tags if t == "svg"]
    assert len(svgs) == 1 and svgs[0]["role"] == "img"
    lines = [a for t, a in tags if t == "polyline"]
    assert len(lines) == 2, "the student's curve and the reference's"
    for line in lines:
        points = [tuple(map(float, p.split(","))) for p in line["points"].split()]
        assert len(points) == 30
        xs = [x for x, _ in points]
        assert xs == sorted(xs)
    assert "Training loss per epoch" in page.html
    # the numbers, for screen readers and print
    assert "your loss" in visible_text(page.html) and "| 30 |" in page.md


@pytest.mark.parametrize("stem,says", [
    ("margaret_hamilton", "No training-loss curve was recorded for this submission, so there is no plot"),
    ("donald_knuth", "Your train function could not be run to the end, so only the reference's curve is shown"),
    ("HYPERLINK_x-8cce3310", "At epoch 10 it stopped being a number (NaN or infinite): the training diverged"),
    ("student-5c140d35", "It barely fell"),
    ("alan_turing", "Your loss went from 0.69 (epoch 1) to"),
])
def test_loss_curve_states_are_said_plainly(rendered, stem, says):
    page = rendered[stem]
    assert says in visible_text(page.html)
    assert says in md_text(page.md)


def test_missing_curve_has_no_plot_and_partial_curve_has_a_gap(rendered):
    assert "<svg" not in rendered["margaret_hamilton"].html
    tags = parse(rendered["donald_knuth"].html).tags
    assert len([1 for t, _ in tags if t == "polyline"]) == 1  # the reference alone
    tags = parse(rendered["katherine_johnson"].html).tags
    student = [a for t, a in tags if t == "g" and a.get("data-series") == "your train"]
    assert student
    # epoch 13 is missing: the student's line is two segments
    assert len([1 for t, a in tags if t == "polyline"]) == 3


def test_diverged_curve_is_capped_and_marked(rendered):
    page = rendered["HYPERLINK_x-8cce3310"]
    assert "▲ above" in page.html
    tags = parse(page.html).tags
    ys = [float(p.split(",")[1]) for t, a in tags if t == "polyline" for p in a["points"].split()]
    assert all(math.isfinite(y) and 0 <= y <= 300 for y in ys)


def test_notebook_cells_that_raised(rendered):
    page = rendered["katherine_johnson"]
    text = visible_text(page.html)
    part = text[text.index("Notebook cells that raised"):text.index("Quiz", text.index("Notebook cells"))]
    assert "Cell 4" in part and "NameError: name 'trian' is not defined" in part
    assert "Cell 7" in part and "skipped" in part
    assert "<script>alert('cell')</script> ValueError: expected 3D input␇" in part
    assert "Cell 1" not in part, "cells that ran are not listed"
    assert "\x1b" not in page.html
    assert "## Notebook cells that raised" in page.md and "- **Cell 9** (error)" in page.md
    assert "Notebook cells" not in visible_text(rendered["ada_lovelace"].html), "a .py submission has none"


def test_quiz_feedback_for_what_was_answered(rendered):
    bank = quizzes.load_bank()
    page = rendered["grace_hopper"]
    text = visible_text(page.html)
    quiz = text[text.index("Quiz", text.index("Training loss")):]
    q01 = bank.get("q01")
    # fully right: the option chosen, its feedback and the explanation
    assert q01.option("b").text in quiz and _plain(q01.explanation) in _plain(quiz)
    # wrong: the option chosen and its feedback, nothing more
    q02 = bank.get("q02")
    assert q02.option("c").text in quiz and q02.option("c").feedback in quiz
    assert "answered 12 of 12 questions" in quiz
    unanswered = visible_text(rendered["alan_turing"].html)
    assert "answered 0 of 12 questions" in unanswered and "not answered" in unanswered
    # answer-file problems (an unknown question id) are shown, escaped
    hostile = visible_text(rendered["student-5c140d35"].html)
    assert "unknown question id '<img src=x onerror=alert(2)>'" in hostile
    # an option that does not exist
    assert "option 'zz' does not exist" in visible_text(rendered["katherine_johnson"].html)


def _scored(student: cohort.Student):
    return cohort.chosen_ids(student.answers) if student.answers is not None else {}


def _plain(text: str) -> str:
    """Bank text as a page shows it: `code` marks become code styling, words stay."""
    return " ".join(text.replace("`", "").split())


def _quiz_sections(page) -> list[str]:
    text = _plain(visible_text(page.html))
    md = _plain(md_text(page.md))
    return [text[text.index("Quiz", text.index("Checks, by function")):], md[md.index("## Quiz"):]]


def test_no_key_is_shown_for_a_question_not_answered_fully_right(rendered):
    """For every question a student did not get fully right, the quiz shows no key they did
    not choose, no key's feedback, and not the explanation (it gives the answer away).

    Only the quiz part is searched: a check's hint may use the same words as a key (the
    hint of forward.matches_reference names q09's key, "(num_layers, batch, hidden_size)")."""
    bank = quizzes.load_bank()
    checked = 0
    for page in rendered.values():
        scored = _scored(page.student)
        if not scored:
            continue
        seen = _quiz_sections(page)
        for q in bank.questions:
            chosen, score = scored[q.id]
            if score >= q.points - 1e-9:
                continue
            for o in q.options:
                if not o.correct:
                    continue
                for text in seen:
                    assert _plain(o.feedback) not in text, (page.student.stem, q.id, o.id)
                    if o.id not in chosen:
                        assert _plain(o.text) not in text, (page.student.stem, q.id, o.id)
                checked += 1
            for text in [_plain(visible_text(page.html)), _plain(md_text(page.md))]:
                assert _plain(q.explanation) not in text, (page.student.stem, q.id)
    assert checked > 50


def test_key_is_never_the_answer_for_partly_right_multiple_choice_even_with_chosen_ids(rendered):
    """Should a grader store the options chosen (extra_data.chosen), a partly right
    multiple-answer question still shows no verdict on them."""
    bank = quizzes.load_bank()
    student = rendered["grace_hopper"].student
    results = json.loads(json.dumps(student.results))
    for t in results["tests"]:
        qid = t["extra_data"].get("check")
        if qid in cohort.chosen_ids(student.answers):
            t["extra_data"]["chosen"] = cohort.chosen_ids(student.answers)[qid][0]
    page, md = render_student(results, "x")
    q05 = bank.get("q05")
    text, md = _plain(visible_text(page)), _plain(md_text(md))
    assert _plain(q05.option("a").text) in text  # what they chose is listed...
    for o in q05.options:
        assert _plain(o.feedback) not in text and _plain(o.feedback) not in md  # ...with no verdict


def _code_lines(path: Path) -> set[str]:
    """Lines of a Python file that hold code and no string or comment, 24+ characters."""
    source = path.read_text(encoding="utf-8")
    has_string: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.STRING, tokenize.COMMENT) or tok.type == getattr(tokenize, "FSTRING_START", -1):
            has_string.update(range(tok.start[0], tok.end[0] + 1))
    return {line.strip() for n, line in enumerate(source.splitlines(), 1)
            if n not in has_string and len(line.strip()) >= 24}


def _hidden_sources() -> list[Path]:
    paths = [ROOT / "solutions" / "rnn.py", ROOT / "autograder" / "judge.py"]
    paths += sorted((ROOT / "autograder" / "judge").rglob("*.py"))
    paths += sorted((ROOT / "autograder" / "suites").rglob("*.py"))
    return [p for p in paths if p.is_file()]


def test_no_reference_solution_or_hidden_check_code_is_shown(rendered):
    """No line of the reference solution or of the hidden checks appears on a page, unless the
    grader itself put it in the results (a hint quoting a line, say)."""
    sources = _hidden_sources()
    assert any(p.name == "rnn.py" for p in sources), "the reference solution is where it should be"
    forbidden = set().union(*(_code_lines(p) for p in sources))
    assert len(forbidden) > 50
    for page in rendered.values():
        given = json.dumps(page.student.results, ensure_ascii=False)
        for text in (visible_text(page.html), md_text(page.md)):
            for line in forbidden:
                if line in text:
                    assert line in given, (page.student.stem, line)


def test_grader_errors_are_for_the_instructor_only(rendered, report_html):
    page = rendered["edsger_dijkstra"]
    for text in (visible_text(page.html), md_text(page.md)):
        assert "KeyError: 'y.main'" not in text and "probes.py" not in text
        assert "The grader itself failed on your submission" in text
    assert "KeyError: &#x27;y.main&#x27;" in report_html


def test_feedback_reads_no_hidden_material():
    """The package imports only the standard library, quizzes and itself: it cannot show
    what it never reads (the reference, the judge, the hidden suites, torch)."""
    allowed = {"quizzes", "autograder.feedback"}
    for path in (ROOT / "autograder" / "feedback").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = ["autograder.feedback" if node.level else node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or any(
                    name == a or name.startswith(a + ".") for a in allowed), (path.name, name)


@pytest.mark.slow
def test_writing_pages_imports_no_torch(cohort_dir):
    code = ("import sys; from pathlib import Path; from autograder.feedback import write_all; "
            f"write_all(Path({str(cohort_dir)!r})); "
            "bad = [m for m in ('torch', 'numpy', 'matplotlib', 'solutions', 'autograder.judge') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "a", "div", "header", "main", "footer", "section",
    "article", "nav", "h1", "h2", "h3", "h4", "p", "span", "strong", "em", "br", "ul", "ol", "li", "pre",
    "code", "time", "figure", "figcaption", "details", "summary", "table", "thead", "tbody", "tr", "th", "td",
    "colgroup", "col", "abbr",
    "svg", "g", "rect", "line", "polyline", "circle", "path", "text", "desc",
}


def check_markup(page: str) -> None:
    """Only the template's own elements and attributes: nothing a student could have added."""
    for tag, attrs in parse(page).tags:
        assert tag in ALLOWED_TAGS, tag
        for key, value in attrs.items():
            assert not key.startswith("on"), (tag, key)
            assert key not in ("src", "srcset", "action", "formaction", "xlink:href", "background"), (tag, key)
            if key == "href":
                assert value.startswith("#") or re.fullmatch(r"feedback/[^:/?#]+\.html", value), value
            if key == "style":
                assert re.fullmatch(r"width:[\d.]+%", value), value
        if tag == "meta" and attrs.get("http-equiv"):
            assert attrs["http-equiv"] == "Content-Security-Policy"
            assert "default-src 'none'" in attrs["content"] and "script" not in attrs["content"]


def test_pages_hold_only_their_own_markup(rendered, report_html):
    for page in rendered.values():
        check_markup(page.html)
    check_markup(report_html)


def test_hostile_names_are_text(rendered, report_html):
    script = rendered["student-5c140d35"]
    assert parse(script.html).text.count("<script>alert(1)</script>") >= 1
    assert "<title>Feedback: &lt;script&gt;alert(1)&lt;/script&gt;" in script.html
    assert script.md.startswith("# Feedback: &lt;script&gt;alert(1)&lt;/script&gt;\n")
    formula = rendered["HYPERLINK_x-8cce3310"]
    assert "<h1>=HYPERLINK(&quot;x&quot;)</h1>" in formula.html
    assert formula.md.startswith('# Feedback: =HYPERLINK("x")\n')
    text = parse(report_html).text
    assert "<script>alert(1)</script>" in text and '=HYPERLINK("x")' in text


def test_markdown_pages_escape_only_what_markdown_needs(rendered):
    page = rendered["grace_hopper"].md
    assert "Submitted 2025-03-14 23:58 (UTC+01:00)" in page  # not 2025\\-03\\-14 23\\:58
    assert not re.search(r"\\[-:.,;()!?'\"/]", page)


def test_printed_output_is_clean_and_visible(rendered):
    page = rendered["katherine_johnson"]
    text = parse(page.html).text
    assert "Epoch 30/30 loss 0.0512" in text and "epoch 1/30" not in text  # the progress bar's last state
    assert "pwned title" not in text  # a window-title escape is dropped
    assert "done␇ ␀ bell␈ tab\there" in text
    assert "<img src=x onerror=alert(1)>" in text and "<U+202E>evil<U+202C>" in text
    assert "\ufffd" in text  # the lone surrogate


def test_pages_have_no_raw_control_characters(rendered, report_html):
    for page in [*(p.html for p in rendered.values()), *(p.md for p in rendered.values()), report_html]:
        bad = re.findall(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]", page)
        assert not bad, bad[:5]


def test_messages_with_carriage_returns_keep_the_graders_words(rendered):
    text = parse(rendered["HYPERLINK_x-8cce3310"].html).text
    assert "training_step: printed ERROR␍overwritten | pipes | # not a heading\n- not a list" in text
    md = rendered["HYPERLINK_x-8cce3310"].md
    assert "  ```text\n  training_step: printed ERROR␍overwritten | pipes | # not a heading\n  - not a list\n" in md


def test_pages_of_submissions_not_graded(rendered):
    not_run = rendered["barbara_liskov"]
    text = visible_text(not_run.html)
    assert "Your submission has not been graded yet" in text
    assert "the cgroup memory controller is not delegated" in text
    assert "What to fix next" not in text and "Training loss" not in text
    error = visible_text(rendered["edsger_dijkstra"].html)
    assert "this is not a mistake of yours" in error
    assert "The points below are not your grade" in error


def test_under_the_hood_failures_are_their_own_part(rendered):
    text = visible_text(rendered["HYPERLINK_x-8cce3310"].html)
    fix = text[text.index("What to fix next"):text.index("Checks, by function")]
    assert "hidden_gradient_norms (Under the hood): 2 checks failed, 5 points to gain" in fix
    assert "partly" in text  # 3 of 6 points on a failed check


def test_write_student_is_atomic_and_makes_stems_safe(tmp_path, fixture_students):
    results = fixture_students[0].results
    out = tmp_path / "feedback"
    page = write_student(results, out, "ada")
    assert page == out / "ada.html" and (out / "ada.md").is_file()
    first = page.read_text(encoding="utf-8")
    assert write_student(results, out, "ada").read_text(encoding="utf-8") == first
    assert sorted(p.name for p in out.iterdir()) == ["ada.html", "ada.md"]
    for unsafe in ("../escape", "/etc/passwd", ".hidden", "a/b", "-rf", "x\x00y", ""):
        path = write_student(results, out, unsafe)
        assert path.parent == out and not path.name.startswith((".", "-")), path
    assert not (tmp_path / "escape.html").exists()
    # without a stem, one is made from the student's name
    hostile = fixture_students[4].results
    path = write_student(hostile, out)
    assert path.parent == out and path.name == safe_stem("<script>alert(1)</script>") + ".html"
    assert safe_stem("José Núñez") == "José Núñez"


def test_write_all_returns_every_page_and_the_report_last(tmp_path, fixture_students):
    root = cohort.write_folder(tmp_path, fixture_students[:3])
    (root / "broken.json").write_text('{"score": 1,', encoding="utf-8")
    (root / "notes.json").write_text('{"something": "else"}', encoding="utf-8")
    paths = write_all(root)
    assert paths[-1] == root / "report.html"
    assert sorted(p.name for p in paths[:-1]) == sorted(
        f"{s.stem}.{ext}" for s in fixture_students[:3] for ext in ("html", "md"))
    report = visible_text(paths[-1].read_text(encoding="utf-8"))
    assert "broken.json" in report and "unreadable" in report
    assert "notes.json" not in report


MUTATIONS = [None, "", "x", 0, -1, 1e308, float("nan"), float("inf"), True, [], {}, [None], {"x": None},
             ["a", 1, None], "\x1b[31m<b>\u202e", 10**30]


def _mutate(value, rng, depth=0):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            roll = rng.random()
            if roll < 0.08:
                continue
            out[k] = rng.choice(MUTATIONS) if roll < 0.18 else _mutate(v, rng, depth + 1)
        return out
    if isinstance(value, list):
        return [rng.choice(MUTATIONS) if rng.random() < 0.1 else _mutate(v, rng, depth + 1)
                for v in value if rng.random() > 0.05]
    return value


def test_damaged_results_never_stop_a_page(fixture_students):
    """A missing key, a wrong type or a NaN costs a line of the page, never the page."""
    import random

    rng = random.Random(5)
    for i in range(300):
        base = fixture_students[i % len(fixture_students)].results
        html, md = render_student(_mutate(base, rng), f"s{i}")
        assert html.endswith("</html>\n") and md.startswith("# Feedback: ")
        check_markup(html)
    for junk in ({}, {"tests": "x", "extra_data": []}, {"extra_data": {"student": 5, "parts": {"core": 1}}},
                 {"tests": [{"tags": "quiz", "output": None, "score": "1"}]}):
        html, md = render_student(junk, "junk")
        assert "</html>" in html
