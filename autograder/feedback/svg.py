"""Small hand-written SVG charts: a line chart and a bar chart, inline, no script, fast.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (read by screen
readers); the pages put the numbers in a table beside it too. Colours pass WCAG AA against
white and every series also differs by its dash pattern, so colour is never the only cue.
Only numbers and our own labels reach the SVG; labels are escaped all the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..escape import h1

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK, GRID, AXIS = "#1f2937", "#e5e7eb", "#6b7280"


@dataclass
class Series:
    name: str
    values: list[float | None]  # y for x = 1, 2, ...; None leaves a gap
    color: str
    dash: str = ""  # stroke-dasharray, e.g. "6 4"
    width: float = 2.5


def nice_step(span: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about ``ticks`` intervals."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000 or abs(v) < 0.01:
        return f"{v:.2g}"
    return f"{v:.3g}"


def _e(s: str) -> str:
    return h1(s, 2000)


def _open(uid: str, width: int, height: int, title: str, desc: str, css_class: str) -> list[str]:
    return [
        f'<svg class="{css_class}" id="{uid}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" font-family="{_e(FONT)}" font-size="13" fill="{INK}">',
        f'<title id="{uid}-t">{_e(title)}</title><desc id="{uid}-d">{_e(desc)}</desc>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def line_chart(uid: str, series: list[Series], *, title: str, desc: str, x_label: str, y_label: str,
               width: int = 640, height: int = 300, y_cap: float | None = None) -> str:
    """Lines over x = 1..n. Values above ``y_cap`` are drawn at the top edge, marked."""
    left, right, top, bottom = 58, 16, 40, 46
    pw, ph = width - left - right, height - top - bottom
    n = max((len(s.values) for s in series), default=0)
    ys = [v for s in series for v in s.values if v is not None]
    hi = max(ys, default=1.0)
    lo = min(ys, default=0.0)
    clipped = y_cap is not None and hi > y_cap
    if clipped:
        hi = y_cap
    lo = min(0.0, lo)
    if hi <= lo:
        hi = lo + 1.0
    step = nice_step(hi - lo)
    y_max = math.ceil(hi / step - 1e-9) * step
    y_min = math.floor(lo / step + 1e-9) * step

    def px(i: int) -> float:  # i: 0-based index
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def py(v: float) -> float:
        v = min(v, y_max)
        return top + ph - ph * (v - y_min) / (y_max - y_min)

    out = _open(uid, width, height, title, desc, "chart line-chart")
    # grid and y ticks
    k = 0
    while y_min + k * step <= y_max + step * 1e-6:
        v = y_min + k * step
        y = py(v)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                   f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
        k += 1
    # x ticks: at most ~10 labels
    if n:
        every = max(1, math.ceil(n / 10))
        for i in range(0, n, every):
            x = px(i)
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + ph}" y2="{top + ph + 5}" '
                       f'stroke="{AXIS}"/><text x="{x:.1f}" y="{top + ph + 19}" '
                       f'text-anchor="middle">{i + 1}</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="{AXIS}"/>'
               f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="{AXIS}"/>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 8}" text-anchor="middle">{_e(x_label)}</text>'
               f'<text transform="translate(15 {top + ph / 2:.1f}) rotate(-90)" '
               f'text-anchor="middle">{_e(y_label)}</text>')
    # series
    for s in series:
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        run: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(s.values):
            if v is None:
                if run:
                    segments.append(run)
                run = []
                continue
            run.append(f"{px(i):.1f},{py(v):.1f}")
        if run:
            segments.append(run)
        out.append(f'<g class="series" data-series="{_e(s.name)}">')
        for seg in segments:
            if len(seg) == 1:
                x, y = seg[0].split(",")
                out.append(f'<circle cx="{x}" cy="{y}" r="3.5" fill="{s.color}"/>')
            else:
                out.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{s.color}" '
                           f'stroke-width="{s.width}" stroke-linejoin="round" '
                           f'stroke-linecap="round"{dash}/>')
        if clipped:
            for i, v in enumerate(s.values):
                if v is not None and v > y_max:
                    out.append(f'<path d="M{px(i) - 5:.1f},{top + 7} l5,-7 l5,7 z" fill="{s.color}"/>')
        out.append("</g>")
    # legend, top
    x = left
    for s in series:
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        out.append(f'<line x1="{x}" x2="{x + 28}" y1="16" y2="16" stroke="{s.color}" '
                   f'stroke-width="{s.width}"{dash}/><text x="{x + 34}" y="20">{_e(s.name)}</text>')
        x += 48 + 7.2 * len(s.name)
    if clipped:
        out.append(f'<text x="{left + pw}" y="20" text-anchor="end" fill="{AXIS}">'
                   f'▲ above {_fmt(y_max)}</text>')
    out.append("</svg>")
    return "".join(out)


def bar_chart(uid: str, labels: list[str], values: list[float], *, title: str, desc: str, x_label: str,
              y_label: str, color: str = "#1d4ed8", width: int = 640, height: int = 260,
              highlight: set[int] | None = None, highlight_color: str = "#b45309") -> str:
    """Vertical bars, one per label, each with its value written above it."""
    left, right, top, bottom = 52, 12, 22, 52
    pw, ph = width - left - right, height - top - bottom
    n = max(1, len(values))
    hi = max(values, default=0) or 1
    step = nice_step(hi, 4)
    if step < 1 and all(float(v).is_integer() for v in values):
        step = 1.0
    y_max = math.ceil(hi / step - 1e-9) * step
    out = _open(uid, width, height, title, desc, "chart bar-chart")
    k = 0
    while k * step <= y_max + step * 1e-6:
        v = k * step
        y = top + ph - ph * v / y_max
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                   f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
        k += 1
    slot = pw / n
    bw = max(2.0, slot * 0.78)
    for i, (label, v) in enumerate(zip(labels, values, strict=False)):
        x = left + slot * i + (slot - bw) / 2
        bh = ph * v / y_max if y_max else 0
        fill = highlight_color if highlight and i in highlight else color
        out.append(f'<rect class="bar" x="{x:.1f}" y="{top + ph - bh:.1f}" width="{bw:.1f}" '
                   f'height="{max(bh, 0):.1f}" fill="{fill}"><title>{_e(label)}: {_fmt(v)}</title></rect>')
        if v:
            out.append(f'<text x="{x + bw / 2:.1f}" y="{top + ph - bh - 5:.1f}" '
                       f'text-anchor="middle" font-size="12">{_fmt(v)}</text>')
        out.append(f'<text x="{x + bw / 2:.1f}" y="{top + ph + 17}" text-anchor="middle" '
                   f'font-size="11.5">{_e(label)}</text>')
    out.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="{AXIS}"/>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 8}" text-anchor="middle">{_e(x_label)}</text>'
               f'<text transform="translate(14 {top + ph / 2:.1f}) rotate(-90)" '
               f'text-anchor="middle">{_e(y_label)}</text>')
    out.append("</svg>")
    return "".join(out)
