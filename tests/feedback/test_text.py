"""Student text made safe: terminal escapes out, controls visible, HTML and Markdown escaped."""

from __future__ import annotations

import re

import pytest

from autograder.feedback.text import clean, fmt_points, h, md, md_code, one_line

HOSTILE = [
    "<script>alert(1)</script>",
    '=HYPERLINK("x")',
    "[click](javascript:alert(1))",
    "![img](http://evil.example/x.png)",
    "<http://evil.example>",
    "see https://evil.example/a and www.evil.example and ftp://evil.example",
    "mail me: someone@evil.example",
    "# heading\n- list\n> quote\n1. item\n| a | b |\n---\n    indented code",
    "**bold** _em_ ~~strike~~ `code` <b>b</b> &amp; &lt;x&gt;",
    "<img src=x onerror=alert(1)><iframe src=//evil.example></iframe>",
    "text\\ with \\*backslashes\\*",
]


def test_ansi_sequences_are_removed():
    raw = ("\x1b[31mred\x1b[0m \x1b[1;4;38;5;208mbold\x1b[m \x1b]0;window title\x07"
           "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ \x1b(B\x1b7saved\x1b8 \x9b2Jcsi")
    assert clean(raw) == "red bold link saved csi"


def test_control_characters_are_shown_not_kept():
    out = clean("a\x00b\x07c\x08d\x7fe\x85f\u202eg\u2066h\u2028i\ud800j")
    assert out == "a␀b␇c␈d␡e<U+0085>f<U+202E>g<U+2066>h<U+2028>i\ufffdj"
    assert clean("tab\tand\nnewline") == "tab\tand\nnewline"
    out.encode("utf-8")  # a lone surrogate would not encode


def test_carriage_returns_are_visible_in_messages_and_rewind_in_printed_output():
    # in a message, a carriage return must not hide the grader's words before it
    assert clean("forward: raised\rfine") == "forward: raised␍fine"
    assert clean("a\r\nb") == "a\nb"
    # printed output: a progress bar keeps its last state, as on a terminal
    assert clean("epoch 1\repoch 2\repoch 3\ndone", terminal=True) == "epoch 3\ndone"


def test_long_text_is_cut_and_says_so():
    out = clean("x" * 50, limit=10)
    assert out.startswith("x" * 10) and "40 more characters not shown" in out


@pytest.mark.parametrize("raw", HOSTILE)
def test_html_escape_leaves_no_markup(raw):
    out = h(raw)
    assert "<" not in out and ">" not in out and '"' not in out
    assert not re.search(r"&(?!(amp|lt|gt|quot|#x27);)", out)


def test_one_line_and_points():
    assert one_line("a\n  b\tc", 10) == "a b c"
    assert one_line("x" * 20, 5) == "xxxx…"
    assert [fmt_points(x) for x in (3, 2.5, 1.3333, 0.0, None, float("nan"), True)] == \
        ["3", "2.5", "1.33", "0", "?", "?", "1"]


def _renderers():
    """Markdown renderers available here, each with raw HTML and autolinks switched ON, so
    that only our escaping stands between student text and markup."""
    out = []
    from markdown_it import MarkdownIt  # a dependency of rich: always here

    mdit = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
    try:
        import linkify_it  # noqa: F401

        mdit = mdit.enable("linkify")
        mdit.options["linkify"] = True
    except ImportError:
        pass
    out.append(("markdown-it", mdit.render))
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


@pytest.mark.parametrize("name", ["cmark-gfm", "mistune"])
def test_optional_markdown_renderer_is_here(name):
    """GitHub's renderer (cmark-gfm: e-mail and URL autolinks) and mistune widen the checks
    below; markdown-it (always here, through rich) runs them regardless."""
    if name not in [r[0] for r in RENDERERS]:
        pytest.skip(f"{name} is not installed (pip install {'cmarkgfm' if name == 'cmark-gfm' else name})")


@pytest.mark.parametrize("name,render", RENDERERS, ids=[r[0] for r in RENDERERS])
@pytest.mark.parametrize("raw", HOSTILE)
def test_markdown_inline_renders_as_plain_text(name, render, raw):
    from html import unescape

    rendered = render(f"Student: {md(raw)}\n")
    inner = re.fullmatch(r"<p>(.*)</p>\s*", rendered, re.S)
    assert inner, f"{name} made more than one paragraph: {rendered!r}"
    assert not re.search(r"<(?!/?p>)", inner.group(1)), f"{name} rendered markup: {rendered!r}"
    shown = unescape(inner.group(1)).replace("\u2060", "")
    assert shown == "Student: " + one_line(raw), name


@pytest.mark.parametrize("name,render", RENDERERS, ids=[r[0] for r in RENDERERS])
def test_markdown_code_block_keeps_text_verbatim(name, render):
    from html import unescape

    raw = "```\n<script>x</script>\n~~~\n````` five\n[a](b)"
    rendered = render(md_code(raw))
    m = re.fullmatch(r"<pre[^>]*><code[^>]*>(.*)</code></pre>\s*", rendered, re.S)
    assert m, rendered
    assert unescape(m.group(1)).rstrip("\n") == raw
