"""The pages in a real browser: headless Chromium (Debian's ``chromium``), over the DevTools
protocol. The plots render with a size, nothing is fetched from the network, no script or
policy error, and the pages print.

Set FEEDBACK_SCREENSHOTS=<folder> to keep the screenshots and PDFs for a look.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.feedback.cdp import Chromium, find_chromium

CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)"),
]

SVG_BOXES = """[...document.querySelectorAll('svg.chart')].map(s => {
  const r = s.getBoundingClientRect();
  return {id: s.id, w: r.width, h: r.height, x: r.x, y: r.y + window.scrollY,
          name: s.getAttribute('aria-labelledby').split(' ').map(i => document.getElementById(i).textContent)[0],
          marks: [...s.querySelectorAll('polyline, rect.bar')].map(e => {
              const b = e.getBBox(); return [e.tagName, b.width, b.height]; })};
})"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    with Chromium(CHROMIUM, profile) as b:
        yield b


def _keep(path: Path) -> None:
    folder = os.environ.get("FEEDBACK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)


def _only_the_page_itself(page, url: str) -> None:
    urls = page.requested_urls()
    assert urls, "no request seen at all: the recorder is not working"
    others = [u for u in urls if u != url and not u.startswith("data:")]
    assert not others, f"the page asked for more than itself: {others}"
    assert not page.console_problems(), page.console_problems()


def _plot_pixels(path: Path) -> set[tuple[int, int, int]]:
    from PIL import Image

    with Image.open(path) as image:
        return {color for _, color in image.convert("RGB").getcolors(maxcolors=1 << 24)}


def _near(colors, rgb, tolerance=40) -> bool:
    return any(sum(abs(a - b) for a, b in zip(c, rgb, strict=True)) <= tolerance for c in colors)


def test_the_recorder_sees_a_page_that_fetches(browser, tmp_path):
    """The negative checks below mean something: a fetch (to a closed loopback port) is seen."""
    probe = tmp_path / "probe.html"
    probe.write_text('<!DOCTYPE html><title>probe</title><img src="http://127.0.0.1:9/probe.png">',
                     encoding="utf-8")
    page = browser.open(probe.as_uri())
    assert "http://127.0.0.1:9/probe.png" in page.requested_urls()


def test_student_page_renders_its_plot_and_fetches_nothing(browser, cohort_dir, tmp_path):
    path = cohort_dir / "feedback" / "grace_hopper.html"
    url = path.as_uri()
    page = browser.open(url)
    _only_the_page_itself(page, url)
    assert page.evaluate("document.scripts.length") == 0
    boxes = page.evaluate(SVG_BOXES)
    assert [b["id"] for b in boxes] == ["loss-plot"]
    plot = boxes[0]
    assert plot["w"] >= 300 and plot["h"] >= 150, plot
    assert plot["name"].startswith("Training loss per epoch")
    lines = [m for m in plot["marks"] if m[0] == "polyline"]
    assert len(lines) == 2 and all(w > 100 and h > 20 for _, w, h in lines), lines
    # the score is the first thing on the page, above the fold
    top = page.evaluate("document.querySelector('.scorecard').getBoundingClientRect().top")
    assert 0 < top < 250
    shot = page.screenshot(tmp_path / "student-grace_hopper.png")
    _keep(shot)
    clip = {"x": plot["x"], "y": plot["y"], "width": plot["w"], "height": plot["h"]}
    colors = _plot_pixels(page.screenshot(tmp_path / "student-plot.png", clip))
    assert len(colors) > 20, "the plot region is blank"
    assert _near(colors, (0xC2, 0x41, 0x0C)) and _near(colors, (0x1D, 0x4E, 0xD8)), "both curves are drawn"
    pdf = page.pdf(tmp_path / "student-grace_hopper.pdf")
    _keep(pdf)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


def test_hostile_student_page_runs_nothing(browser, cohort_dir, tmp_path):
    for stem in ("student-5c140d35", "HYPERLINK_x-8cce3310", "katherine_johnson"):
        path = cohort_dir / "feedback" / f"{stem}.html"
        page = browser.open(path.as_uri())
        _only_the_page_itself(page, path.as_uri())
        assert page.evaluate("document.scripts.length") == 0
        assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
        assert page.evaluate("document.title").startswith("Feedback: ")
        _keep(page.screenshot(tmp_path / f"student-{stem}.png"))
    name = page.evaluate("document.querySelector('h1').textContent")
    assert name == "Katherine Johnson"


def test_report_renders_its_histogram_and_fetches_nothing(browser, cohort_dir, tmp_path):
    path = cohort_dir / "report.html"
    page = browser.open(path.as_uri())
    _only_the_page_itself(page, path.as_uri())
    boxes = {b["id"]: b for b in page.evaluate(SVG_BOXES)}
    hist = boxes["score-histogram"]
    assert hist["w"] >= 300 and hist["h"] >= 150
    bars = [m for m in hist["marks"] if m[0] == "rect"]
    assert len(bars) == 10 and sum(1 for _, w, h in bars if w > 0 and h > 0) == 3  # 3 bands hold students
    shot = page.screenshot(tmp_path / "report.png")
    _keep(shot)
    clip = {"x": hist["x"], "y": hist["y"], "width": hist["w"], "height": hist["h"]}
    assert _near(_plot_pixels(page.screenshot(tmp_path / "report-hist.png", clip)), (0x1D, 0x4E, 0xD8))
    # nothing overflows the page sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    links = page.evaluate("[...document.querySelectorAll('a[href^=\"feedback/\"]')].map(a => a.href)")
    assert links and all(Path(link.removeprefix("file://")).is_file() for link in links)
    _keep(page.pdf(tmp_path / "report.pdf"))
