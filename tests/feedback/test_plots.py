"""A student's own numbers never break their page: the loss plot takes any float, finite or not,
and a curve equal to the reference's stays visible as two curves."""

from __future__ import annotations

import copy
import math
import re

import pytest

from autograder.feedback import render_student, svg
from tests.feedback import cohort
from tests.feedback.conftest import parse, visible_text

INF, NAN = float("inf"), float("nan")
CURVES = {
    "inf": [0.7, INF, 0.5],
    "-inf": [-INF, 0.6, 0.5],
    "nan": [NAN, NAN, 0.4],
    "huge": [1.7e308, 1e308, 0.3],
    "huge negative (the -1.7e308 of the review)": [0.69, -1.7e308, -1.7e308],
    "huge both ways": [1.7e308, -1.7e308, 1.0, -1e300, 1e300],
    "tiny": [5e-324, 1e-320, 2.2e-308],
    "mixed": [0.7, None, INF, -1.7e308, NAN, 1e-300, 0.2, 10**400, "x", True],
    "empty": [],
    "one point": [0.42],
    "flat": [0.5] * 30,
}


@pytest.fixture(scope="module")
def base() -> dict:
    return next(s for s in cohort.fixtures() if s.stem == "grace_hopper").results


def _coordinates(page: str) -> list[float]:
    tags = parse(page).tags
    found = []
    for tag, attrs in tags:
        for key in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "width", "height"):
            if tag in ("line", "circle", "rect", "text") and key in attrs:
                found.append(float(attrs[key]))
        if tag == "polyline":
            found += [float(c) for point in attrs["points"].split() for c in point.split(",")]
        if tag == "path":
            found += [float(c) for c in re.findall(r"-?\d+(?:\.\d+)?", attrs["d"])]
    return found


@pytest.mark.parametrize("which", ["student", "reference"])
@pytest.mark.parametrize("name", list(CURVES))
def test_any_float_draws_a_page_with_a_finite_plot(base, name, which):
    results = copy.deepcopy(base)
    results["extra_data"]["loss_curve"][which] = CURVES[name]
    page, md = render_student(results, "s")
    chart = re.search(r"<svg.*?</svg>", page, re.S)
    assert chart, "the plot is drawn"
    coordinates = _coordinates(chart.group())
    assert coordinates and all(math.isfinite(c) and -20 <= c <= 700 for c in coordinates)
    assert "Training loss" in visible_text(page) and "## Training loss" in md


def test_a_diverged_student_is_told_so_and_marked_at_the_edge(base):
    results = copy.deepcopy(base)
    results["extra_data"]["loss_curve"]["student"] = [0.69, 0.5, -1.7e308, 1.7e308, INF]
    page, _ = render_student(results, "s")
    assert "▲ above" in page and "▼ below" in page
    assert "At epoch 5 it stopped being a number" in visible_text(page)


def test_line_chart_takes_anything_directly():
    values = [None, NAN, INF, -INF, 1.7e308, -1.7e308, 5e-324, 10**400, "x", True, 1.0]
    for cap, floor in ((None, None), (4.0, -4.0), (INF, -INF), (NAN, NAN)):
        chart = svg.line_chart("c", [svg.Series("s", values, "#000", marker="circle", end_label="above")],
                               title="t", desc="d", x_label="epoch", y_label="loss", y_cap=cap, y_floor=floor)
        assert all(math.isfinite(c) for c in _coordinates(chart))
    chart = svg.bar_chart("b", ["a", "b", "c"], [NAN, 1e308, -INF], title="t", desc="d", x_label="x", y_label="y")
    assert all(math.isfinite(c) for c in _coordinates(chart))


def test_a_curve_equal_to_the_reference_shows_both_and_labels_the_last_epoch(base):
    results = copy.deepcopy(base)
    curve = results["extra_data"]["loss_curve"]
    curve["student"] = list(curve["reference"])
    page, _ = render_student(results, "s")
    chart = re.search(r"<svg.*?</svg>", page, re.S).group()
    groups = re.findall(r'<g class="series" data-series="([^"]+)">(.*?)</g>', chart, re.S)
    assert [name for name, _ in groups] == ["your train", "reference"]  # the reference drawn on top
    yours, reference = (body for _, body in groups)
    n = len(curve["reference"])
    assert yours.count("<circle") == n and reference.count("<rect") == n  # a marker at every epoch
    assert 'stroke-dasharray="7 5"' in reference and 'fill="none"' in reference  # dashed, hollow squares
    ticks = [t for t, a in parse(chart).tags if t == "text"]
    assert ticks
    text = visible_text(chart)
    assert f"your train, epoch {n}: " in text and f"reference, epoch {n}: " in text
    labels = re.findall(r'text-anchor="middle">(\d+)</text>', chart)
    assert labels[-1] == str(n)  # the last epoch is on the axis
