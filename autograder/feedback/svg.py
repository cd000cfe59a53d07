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
    values: list  # y for x = 1, 2, ...; None, NaN, infinities and non-numbers leave a gap
    color: str
    dash: str = ""  # stroke-dasharray, e.g. "6 4"
    width: float = 2.5
    marker: str = ""  # "circle" or "square" at every point (two equal curves both stay visible)
    end_label: str = ""  # "above" or "below": the last point's epoch and value, written beside it


# Beyond this, values are drawn at the edge (a loss of 1e308 or -1.7e308 is a finite float that
# would overflow the axis arithmetic); the chart says so.
LIMIT = 1e300
MIN_SPAN = 1e-30  # a flatter range than this is drawn as flat
MAX_MARKERS = 60  # above this many points, a marker on every k-th


def nice_step(span: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about ``ticks`` intervals."""
    if not span > 0 or not math.isfinite(span):
        return 1.0
    raw = span / ticks
    if not raw > 0:
        return span
    power = 10.0 ** math.floor(math.log10(raw))
    if not power > 0:
        return span
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def number(v) -> float | None:
    """``v`` as a finite float, or None (gaps): anything a results file may hold."""
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


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


def _y_range(ys: list[float], y_cap: float | None, y_floor: float | None) -> tuple[float, float, float]:
    """(y_min, y_max, step) of the axis, from finite values, whatever their size."""
    hi = min(max(ys, default=1.0), LIMIT)
    lo = max(min(min(ys, default=0.0), 0.0), -LIMIT)
    if y_cap is not None and math.isfinite(y_cap):
        hi = min(hi, y_cap)
    if y_floor is not None and math.isfinite(y_floor):
        lo = max(lo, y_floor)
    if hi - lo < max(MIN_SPAN, abs(hi) * 1e-9):
        hi = lo + max(1.0 if lo == 0 else abs(lo) * 0.1, MIN_SPAN)
    step = nice_step(hi - lo)
    y_max = math.ceil(hi / step - 1e-9) * step
    y_min = math.floor(lo / step + 1e-9) * step
    if not (math.isfinite(y_max) and math.isfinite(y_min) and y_max > y_min):  # never, but fail safe
        y_min, y_max, step = lo, hi, hi - lo
    return y_min, y_max, step


def line_chart(uid: str, series: list[Series], *, title: str, desc: str, x_label: str, y_label: str,
               width: int = 640, height: int = 300, y_cap: float | None = None,
               y_floor: float | None = None) -> str:
    """Lines over x = 1..n, from any values (non-finite ones are gaps). Values above ``y_cap``
    are drawn at the top edge and values below ``y_floor`` at the bottom edge, marked."""
    left, right, top, bottom = 58, 16, 40, 46
    pw, ph = width - left - right, height - top - bottom
    values = [[number(v) for v in s.values] for s in series]
    n = max((len(vs) for vs in values), default=0)
    ys = [v for vs in values for v in vs if v is not None]
    y_min, y_max, step = _y_range(ys, y_cap, y_floor)
    above = any(v > y_max for v in ys)
    below = any(v < y_min for v in ys)

    def px(i: int) -> float:  # i: 0-based index
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def py(v: float) -> float:
        v = min(max(v, y_min), y_max)
        return top + ph - ph * (v - y_min) / (y_max - y_min)

    out = _open(uid, width, height, title, desc, "chart line-chart")
    # grid and y ticks
    for k in range(min(int(round((y_max - y_min) / step)), 20) + 1):
        v = y_min + k * step
        y = py(v)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                   f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    # x ticks: at most ~10 labels, the last one always
    if n:
        every = max(1, math.ceil(n / 10))
        ticks = list(range(0, n, every))
        if ticks[-1] != n - 1:
            if n - 1 - ticks[-1] < every / 2:
                ticks.pop()
            ticks.append(n - 1)
        for i in ticks:
            x = px(i)
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + ph}" y2="{top + ph + 5}" '
                       f'stroke="{AXIS}"/><text x="{x:.1f}" y="{top + ph + 19}" '
                       f'text-anchor="middle">{i + 1}</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="{AXIS}"/>'
               f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="{AXIS}"/>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 8}" text-anchor="middle">{_e(x_label)}</text>'
               f'<text transform="translate(15 {top + ph / 2:.1f}) rotate(-90)" '
               f'text-anchor="middle">{_e(y_label)}</text>')
    # series, then the last points' labels above them all
    labels: list[str] = []
    for s, vs in zip(series, values, strict=True):
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        run: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(vs):
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
            if len(seg) == 1 and not s.marker:
                x, y = seg[0].split(",")
                out.append(f'<circle cx="{x}" cy="{y}" r="3.5" fill="{s.color}"/>')
            elif len(seg) > 1:
                out.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{s.color}" '
                           f'stroke-width="{s.width}" stroke-linejoin="round" '
                           f'stroke-linecap="round"{dash}/>')
        if s.marker:
            every = max(1, math.ceil(n / MAX_MARKERS))
            for i, v in enumerate(vs):
                if v is not None and (i % every == 0 or i == len(vs) - 1):
                    out.append(_marker(s, px(i), py(v)))
        for i, v in enumerate(vs):
            if v is not None and v > y_max:
                out.append(f'<path d="M{px(i) - 5:.1f},{top + 7} l5,-7 l5,7 z" fill="{s.color}"/>')
            elif v is not None and v < y_min:
                out.append(f'<path d="M{px(i) - 5:.1f},{top + ph - 7} l5,7 l5,-7 z" fill="{s.color}"/>')
        out.append("</g>")
        last = max((i for i, v in enumerate(vs) if v is not None), default=None)
        if s.end_label and last is not None:
            y = min(max(py(vs[last]) + (-9 if s.end_label == "above" else 17), top + 11), top + ph - 3)
            x, anchor = px(last), "end" if px(last) > left + pw / 2 else "start"
            words = f"{_e(s.name)}, {_e(x_label)} {last + 1}: {_fmt(vs[last])}"
            at = f'x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="12"'
            labels.append(f'<text {at} fill="#ffffff" stroke="#ffffff" stroke-width="4" '
                          f'stroke-linejoin="round" aria-hidden="true">{words}</text>'  # a halo under it
                          f'<text class="end-label" {at} fill="{s.color}">{words}</text>')
    out += labels
    # legend, top
    x = left
    for s in series:
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        out.append(f'<line x1="{x}" x2="{x + 28}" y1="16" y2="16" stroke="{s.color}" '
                   f'stroke-width="{s.width}"{dash}/>' + (_marker(s, x + 14, 16) if s.marker else "")
                   + f'<text x="{x + 34}" y="20">{_e(s.name)}</text>')
        x += 48 + 7.2 * len(s.name)
    edges = ([f"▲ above {_fmt(y_max)}"] if above else []) + ([f"▼ below {_fmt(y_min)}"] if below else [])
    if edges:
        out.append(f'<text x="{left + pw}" y="20" text-anchor="end" fill="{AXIS}">'
                   f'{_e(", ".join(edges))}</text>')
    out.append("</svg>")
    return "".join(out)


def _marker(s: Series, x: float, y: float) -> str:
    if s.marker == "square":  # hollow, so a circle under it still shows
        return (f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="none" '
                f'stroke="{s.color}" stroke-width="1.6"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{s.color}"/>'


def bar_chart(uid: str, labels: list[str], values: list[float], *, title: str, desc: str, x_label: str,
              y_label: str, color: str = "#1d4ed8", width: int = 640, height: int = 260,
              highlight: set[int] | None = None, highlight_color: str = "#b45309") -> str:
    """Vertical bars, one per label, each with its value written above it."""
    left, right, top, bottom = 52, 12, 22, 52
    pw, ph = width - left - right, height - top - bottom
    values = [max(0.0, min(number(v) or 0.0, LIMIT)) for v in values]
    n = max(1, len(values))
    hi = max(values, default=0) or 1
    step = nice_step(hi, 4)
    if step < 1 and all(float(v).is_integer() for v in values):
        step = 1.0
    y_max = math.ceil(hi / step - 1e-9) * step
    out = _open(uid, width, height, title, desc, "chart bar-chart")
    for k in range(min(int(round(y_max / step)), 20) + 1):
        v = k * step
        y = top + ph - ph * v / y_max
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                   f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
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
