"""A rendered fixture cohort, shared by the feedback tests (rendering it takes ~50 ms)."""

from __future__ import annotations

import html.parser
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.feedback import write_all
from tests.feedback import cohort


@dataclass
class Rendered:
    student: cohort.Student
    html: str
    md: str

    @property
    def name(self) -> str:
        return self.student.results["extra_data"]["student"]


BLOCKS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "section", "article", "header", "footer",
          "main", "nav", "pre", "table", "tr", "td", "th", "details", "summary", "figure", "figcaption", "br"}


class TextAndTags(html.parser.HTMLParser):
    """The text a reader sees (entities decoded; blocks apart) and every tag with its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in BLOCKS:
            self.chunks.append("\n")
        if tag in ("style", "title"):
            self._skip += 1

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in BLOCKS:
            self.chunks.append("\n")
        if tag in ("style", "title") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def parse(page: str) -> TextAndTags:
    p = TextAndTags()
    p.feed(page)
    p.close()
    return p


def visible_text(page: str) -> str:
    """The page's text with runs of whitespace made one space (as a reader sees it)."""
    return " ".join(parse(page).text.split())


_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def md_text(md: str) -> str:
    """Markdown source as a reader sees it: backslash escapes and entities undone, one line."""
    import html as html_module

    return " ".join(html_module.unescape(_MD_ESCAPE.sub(r"\1", md.replace("\u2060", ""))).split())


@pytest.fixture(scope="session")
def fixture_students() -> list[cohort.Student]:
    return cohort.fixtures()


@pytest.fixture(scope="session")
def cohort_dir(tmp_path_factory, fixture_students) -> Path:
    root = cohort.write_folder(tmp_path_factory.mktemp("out"), fixture_students)
    write_all(root)
    return root


@pytest.fixture(scope="session")
def rendered(cohort_dir, fixture_students) -> dict[str, Rendered]:
    out = {}
    for s in fixture_students:
        out[s.stem] = Rendered(s, (cohort_dir / "feedback" / f"{s.stem}.html").read_text(encoding="utf-8"),
                               (cohort_dir / "feedback" / f"{s.stem}.md").read_text(encoding="utf-8"))
    return out


@pytest.fixture(scope="session")
def report_html(cohort_dir) -> str:
    return (cohort_dir / "report.html").read_text(encoding="utf-8")
