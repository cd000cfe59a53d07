"""The one rule for student text (autograder/escape.py), sink by sink: a table of hostile strings,
each sent to the terminal, a CSV cell, HTML and Markdown, and what a reader of each must see."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import sys
import time
import unicodedata
from html.parser import HTMLParser

import pytest

from autograder import cohort, escape
from autograder.escape import UNSAFE, clean, csv_cell, formula_like, h, h1, label, md, md_code, one_line

HOSTILE = {
    "ansi colour": "\x1b[31mred\x1b[0m name",
    "ansi clear screen and title": "\x1b]0;pwned\x07\x1b[2J\x1b[H gone",
    "8-bit csi": "\x9b2J csi",
    "c0 controls": "a\x00b\x07c\x08d\x1bz",
    "del and c1": "x\x7fy\x85z\x9f",
    "carriage return over the grader's words": "graded: 0\rgraded: 120",
    "newline": "alice\nbob",
    "right-to-left override": "\u202egnp.exe",
    "bidi isolates and embeddings": "\u2066a\u2067b\u2068c\u2069\u202a\u202b\u202c\u202d",
    "bidi marks": "x\u200ey\u200fz\u061c",
    "zero-width and invisible": "al\u200bi\u2060c\ufeffe\u00ad\u180e\u2064",
    "tag characters": "flag\U000e0041\U000e007f",
    "line and paragraph separators": "a\u2028b\u2029c",
    "formula": '=HYPERLINK("http://evil.example","click")',
    "formula after a space": " =1+1",
    "formula after a tab": "\t=1+1",
    "formula after a no-break space": "\u00a0=cmd|' /C calc'!A0",
    "formula after an ideographic space": "\u3000+SUM(A1:A9)",
    "plus and minus and at": "-2+3",
    "at sign": "@SUM(A1)",
    "full-width equals": "\uff1d1+1",
    "formula behind a carriage return": "\r=1+1",
    "html": "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "attribute breakout": "\" onmouseover=\"alert(1)' x='",
    "markdown link and image": "[click](javascript:alert(1)) ![x](http://evil.example/x.png)",
    "markdown structure": "# heading\n- list\n> quote\n1. item\n| a | b |\n---",
    "markdown emphasis and code": "**bold** _em_ ~~strike~~ `code` $x$",
    "autolinks": "https://evil.example www.evil.example someone@evil.example mailto:a@b.example",
    "autolinks without a scheme": "//evil.example/x evil.com rnn.py xmpp:a@b.co",
    "underscores": "snake_case _lead trail_ a__b__c __init__ _x_y_ *a_b* x_*y*_z",
    "entities": "&amp; &lt;b&gt; &#60;",
    "rich markup": "[bold red]FAKE[/bold red] [link=file:///etc/passwd]x[/link]",
    "lone surrogate": "a\ud800b\udfffc",
    "very long": "x" * 100_000,
    "emoji with joiners (kept)": "👩\u200d💻 Zo\u00eb \u0645\u200c\u0627",
}
CASES = sorted(HOSTILE.items())
IDS = [name for name, _ in CASES]
# The characters no sink may pass on raw (the rule), and on one line nothing that breaks a line.
LINE_BREAKS = re.compile("[\n\r\t\x0b\x0c\x85\u2028\u2029]")


def _no_unsafe(text: str) -> None:
    assert not UNSAFE.search(text), repr(UNSAFE.search(text).group())
    text.encode("utf-8")  # no lone surrogate left


def test_every_format_and_separator_character_of_this_python_is_unsafe():
    kept = {"\u200c", "\u200d"}  # zero-width (non-)joiner: emoji sequences and several scripts need them
    missing = [f"U+{c:04X}" for c in range(sys.maxunicode + 1)
               if unicodedata.category(chr(c)) in ("Cf", "Zl", "Zp", "Cc", "Cs")
               and chr(c) not in kept and chr(c) not in "\t\n" and not UNSAFE.match(chr(c))]
    assert not missing, missing


# --- terminal ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,raw", CASES, ids=IDS)
def test_terminal_shows_every_character_and_obeys_none(name, raw):
    for text in (label(raw), one_line(raw), clean(raw), clean(raw, terminal=True)):
        _no_unsafe(text)
        assert "\x1b" not in text and "\x9b" not in text
    for text in (label(raw), one_line(raw)):
        assert not LINE_BREAKS.search(text) and len(text) <= 300


@pytest.mark.parametrize("name,raw", CASES, ids=IDS)
def test_rich_prints_student_text_literally(name, raw):
    from rich.console import Console
    from rich.text import Text

    out = io.StringIO()
    Console(file=out, force_terminal=False, width=10_000, highlight=False).print(Text(label(raw, 300)))
    assert out.getvalue().rstrip("\n") == label(raw, 300)


def test_a_name_hides_nothing_and_two_look_alikes_differ():
    assert label("mallory\x1b[2J\nfake") == "mallory␛[2J␊fake"
    assert label("\u202egnp.exe") == "<U+202E>gnp.exe"
    assert label("al\u200bice") != label("alice") and label("alice\t") != label("alice")
    assert label("ALICE") == "ALICE" and label("José Núñez") == "José Núñez"
    assert one_line("\x1b[31mred\x1b[0m done") == "red done"  # printed output: colours removed whole


def test_escape_sequences_are_removed_whole_from_printed_text():
    raw = ("\x1b[31mred\x1b[0m \x1b[1;4;38;5;208mbold\x1b[m \x1b]0;window title\x07"
           "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ \x1b(B\x1b7saved\x1b8 \x9b2Jcsi")
    assert clean(raw) == "red bold link saved csi"


def test_carriage_returns_are_visible_in_messages_and_rewind_in_printed_output():
    # in a message, a carriage return must not hide the grader's words before it
    assert clean("forward: raised\rfine") == "forward: raised␍fine"
    assert clean("a\r\nb") == "a\nb" and clean("tab\tand\nnewline") == "tab\tand\nnewline"
    # printed output: a progress bar keeps its last state, as on a terminal
    assert clean("epoch 1\repoch 2\repoch 3\ndone", terminal=True) == "epoch 3\ndone"


def test_one_line_and_points():
    from autograder.feedback.text import fmt_points

    assert one_line("a\n  b\tc", 10) == "a b c" and one_line("x" * 20, 5) == "xxxx…"
    assert [fmt_points(x) for x in (3, 2.5, 1.3333, 0.0, None, float("nan"), True, 10**400)] == \
        ["3", "2.5", "1.33", "0", "?", "?", "1", "?"]


def test_controls_have_one_visible_form_in_every_sink():
    raw = "a\x00b\x07c\x08d\x7fe\x85f\u202eg\u2066h\u2028i\ud800j"
    shown = "a␀b␇c␈d␡e<U+0085>f<U+202E>g<U+2066>h<U+2028>i\ufffdj"
    assert clean(raw) == label(raw) == one_line(raw) == shown
    assert csv_cell(raw) == shown and html.unescape(h(raw)) == shown


def test_long_text_is_cut_and_says_so_in_linear_time():
    started = time.perf_counter()
    for raw in ("\x1b[" * 200_000, "\u202e" * 500_000, "a\r" * 300_000, "x" * 2_000_000):
        assert len(label(raw)) <= 200 and len(one_line(raw)) <= 300 and len(csv_cell(raw)) <= escape.CSV_LIMIT + 1
        assert len(clean(raw, limit=1000)) < 1100
        md(raw)
    assert time.perf_counter() - started < 10
    assert clean("x" * 5000, limit=1000).endswith("… (4000 more characters not shown)")


# --- CSV --------------------------------------------------------------------------------------------

def _spreadsheet_runs(cell: str) -> bool:
    """What Excel, LibreOffice and Sheets take as a formula: a formula sign, possibly after spaces."""
    return cell.lstrip().startswith(("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")) \
        or cell.startswith(("\t", "\r"))


@pytest.mark.parametrize("name,raw", CASES, ids=IDS)
def test_csv_cell_is_one_line_never_a_formula_and_reads_back(name, raw):
    cell = csv_cell(raw)
    _no_unsafe(cell)
    assert not LINE_BREAKS.search(cell)
    assert not _spreadsheet_runs(cell)
    if raw.lstrip(" \u00a0\u3000").startswith(("=", "+", "-", "@", "\uff1d")):
        assert cell.startswith("'") and formula_like(raw)
    buffer = io.StringIO()
    csv.writer(buffer).writerow([cell, "x"])
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == [cell, "x"]


def test_grades_csv_and_the_lms_cells_follow_the_same_rule(tmp_path):
    from autograder.lms import csv_files

    for raw in ("\u202eevil", " =1+1", "\t=1", "plain", "-1"):
        assert csv_files.cell(raw) == csv_cell(raw)
    assert csv_files.cell(csv_files.number(-1.5)) == "-1.5"  # our own numbers are never prefixed
    for stem, name in (("a", "\u202egnp.exe"), ("b", " =1+1"), ("c", "x\u2066y\n=z")):
        extra = {"student": name, "max_score": 120, "status": "graded"}
        (tmp_path / f"{stem}.json").write_text(json.dumps({"score": 1, "extra_data": extra}))
    cohort.rebuild_csv(tmp_path, tmp_path / "grades.csv")
    rows = list(csv.reader((tmp_path / "grades.csv").open(encoding="utf-8")))
    cells = [row[0] for row in rows[1:]]
    assert cells == ["<U+202E>gnp.exe", "' =1+1", "x<U+2066>y␊=z"]


# --- HTML -------------------------------------------------------------------------------------------

class _Collect(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize("name,raw", CASES, ids=IDS)
def test_html_is_text_only_inside_elements_and_attributes(name, raw):
    for escaped, plain in ((h(raw), clean(raw)), (h1(raw), one_line(raw))):
        assert not re.search(r"[<>\"']", escaped)
        page = f'<p title="{escaped}">{escaped}</p>'
        parser = _Collect()
        parser.feed(page)
        assert parser.tags == ["p"] and "".join(parser.text) == plain
        _no_unsafe(html.unescape(escaped))


# --- Markdown ---------------------------------------------------------------------------------------

def _renderers():
    from markdown_it import MarkdownIt

    mdit = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(["table", "strikethrough"])
    out = []
    try:
        import linkify_it  # noqa: F401

        out.append(("markdown-it+linkify", mdit.enable("linkify").render))
    except ImportError:
        out.append(("markdown-it", MarkdownIt("commonmark", {"html": True}).enable("table").render))
    try:
        import cmarkgfm
        from cmarkgfm.cmark import Options

        out.append(("cmark-gfm", lambda s: cmarkgfm.github_flavored_markdown_to_html(
            s, options=Options.CMARK_OPT_UNSAFE)))
    except ImportError:
        pass
    try:
        import mistune

        out.append(("mistune", mistune.create_markdown(escape=False, plugins=["url", "table", "strikethrough"])))
    except ImportError:
        pass
    return out


RENDERERS = _renderers()


@pytest.mark.parametrize("render", [r for _, r in RENDERERS], ids=[n for n, _ in RENDERERS])
@pytest.mark.parametrize("name,raw", CASES, ids=IDS)
def test_markdown_renders_student_text_as_itself(render, name, raw):
    """Each renderer with raw HTML and autolinks switched ON: only the escaping stands between
    student text and markup."""
    for prefix in ("", "Student: "):  # at the start of a line, and inside one
        rendered = render(f"{prefix}{md(raw)}\n")
        inner = re.fullmatch(r"<p>(.*)</p>\s*", rendered, re.S)
        assert inner, rendered[:300]
        assert not re.search(r"<(?!/?p>)", inner.group(1)), rendered[:300]
        assert html.unescape(inner.group(1)).replace("\u2060", "") == prefix + one_line(raw)


@pytest.mark.parametrize("name,render", RENDERERS, ids=[n for n, _ in RENDERERS])
def test_markdown_code_block_keeps_text_verbatim(name, render):
    raw = "```\n<script>x</script>\n~~~\n````` five\n[a](b)"
    rendered = render(md_code(raw))
    m = re.fullmatch(r"<pre[^>]*><code[^>]*>(.*)</code></pre>\s*", rendered, re.S)
    assert m, rendered
    assert html.unescape(m.group(1)).rstrip("\n") == raw


@pytest.mark.parametrize("raw", ["2026-12-06 20:30", "1.5 and 2.25", "loss 0.0512 (epoch 30)",
                                 "score: 57.5/120", "a - b, c + d = e", "it's \"fine\"; (really)!",
                                 "q01, q02 & q03", "#3 on the list", "100% done?",
                                 "torch.zeros(1, x.size(0), hidden_size)", "output_size=2"])
def test_markdown_escapes_only_what_markdown_needs(raw):
    out = md(raw)
    assert out == raw.replace("&", "&amp;")
    for _, render in RENDERERS:
        assert html.unescape(re.fullmatch(r"<p>(.*)</p>\s*", render(out + "\n"), re.S).group(1)) == raw
