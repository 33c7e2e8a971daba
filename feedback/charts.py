"""Charts as server-rendered SVG: no JavaScript and no internet, so they show in pages, print and mail.

Small generic primitives (root, scales, rect, line, polyline, text, axis, legend, bars) that every
chart is composed from, then the charts themselves. Every piece of text and every attribute value
goes through `escape`, so a category name or a customer string can never become markup. Colours are
presentation attributes (not `style=`), which both a strict CSP and mail clients accept.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Colour-blind-safe (Okabe–Ito), in the order series are drawn.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#999999")
FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'PingFang SC', 'Microsoft YaHei', sans-serif"
INK = "#222222"
GRID = "#dddddd"


def num(value: float) -> str:
    """A coordinate or count for SVG: integers bare, others with at most two decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def attrs(**values: object) -> str:
    """Attribute text from keywords (trailing `_` dropped, `_` → `-`), None skipped, values escaped."""
    parts = []
    for key, value in values.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        shown = num(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
        parts.append(f'{name}="{escape(shown)}"')
    return " ".join(parts)


def svg_root(width: float, height: float, body: Iterable[str], *, title: str, css_class: str = "chart") -> Markup:
    """The <svg> element: sized, with a <title> for screen readers and hover, fonts set once."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" '
        f'{attrs(width=width, height=height, viewBox=f"0 0 {num(width)} {num(height)}")} '
        f'{attrs(class_=css_class, role="img", font_family=FONT, font_size=11, fill=INK)}>'
        f"<title>{escape(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")


def rect(x: float, y: float, width: float, height: float, *, fill: str, title: str | None = None,
         css_class: str | None = None) -> str:
    """A rectangle; with a title it shows that text on hover."""
    tip = f"<title>{escape(title)}</title>" if title else ""
    return f"<rect {attrs(x=x, y=y, width=max(width, 0), height=max(height, 0), fill=fill, class_=css_class)}>{tip}</rect>"


def line(x1: float, y1: float, x2: float, y2: float, *, stroke: str = GRID, width: float = 1) -> str:
    """A straight line (grid, axis, marker)."""
    return f"<line {attrs(x1=x1, y1=y1, x2=x2, y2=y2, stroke=stroke, stroke_width=width)}/>"


def polyline(points: Sequence[tuple[float, float]], *, stroke: str = PALETTE[0], width: float = 2) -> str:
    """A line through points (trends, sparklines, cumulative curves)."""
    coords = " ".join(f"{num(x)},{num(y)}" for x, y in points)
    return f"<polyline {attrs(points=coords, fill='none', stroke=stroke, stroke_width=width)}/>"


def text(x: float, y: float, label: object, *, anchor: str = "start", size: float | None = None,
         fill: str | None = None, weight: str | None = None) -> str:
    """A text label, escaped; anchor is start | middle | end; y is the baseline."""
    return (f"<text {attrs(x=x, y=y, text_anchor=anchor, font_size=size, fill=fill, font_weight=weight)}>"
            f"{escape(label)}</text>")


@dataclass(frozen=True)
class LinearScale:
    """Maps a value domain linearly onto a pixel range (the range may run backwards, e.g. for y)."""

    domain: tuple[float, float]
    range: tuple[float, float]

    def __call__(self, value: float) -> float:
        (d0, d1), (r0, r1) = self.domain, self.range
        if d1 == d0:
            return r0
        return r0 + (value - d0) * (r1 - r0) / (d1 - d0)

    def ticks(self, count: int = 5) -> list[float]:
        """Round tick values (1, 2, 5 × 10^k steps) covering the domain."""
        return nice_ticks(self.domain[0], self.domain[1], count)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values from low to at least high, about `count` of them."""
    if high <= low:
        return [low]
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = [round(first, 10)]
    while ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def nice_max(value: float, count: int = 5) -> float:
    """The smallest round tick at or above value, so an axis ends on a labelled line."""
    return nice_ticks(0, max(value, 1), count)[-1]


@dataclass(frozen=True)
class BandScale:
    """Places keys in equal bands along a pixel range, with a gap between bands."""

    keys: tuple
    range: tuple[float, float]
    padding: float = 0.2

    @property
    def step(self) -> float:
        return (self.range[1] - self.range[0]) / max(len(self.keys), 1)

    @property
    def bandwidth(self) -> float:
        return self.step * (1 - self.padding)

    def __call__(self, key: object) -> float:
        return self.range[0] + self.keys.index(key) * self.step + self.step * self.padding / 2


def axis_x(scale: LinearScale, *, top: float, bottom: float, ticks: Sequence[float] | None = None) -> list[str]:
    """Vertical grid lines with value labels under them, for a horizontal value axis."""
    out = []
    for tick in ticks if ticks is not None else scale.ticks():
        x = scale(tick)
        out += [line(x, top, x, bottom), text(x, bottom + 12, num(tick), anchor="middle", size=10)]
    return out


def axis_y(scale: LinearScale, *, left: float, right: float, ticks: Sequence[float] | None = None) -> list[str]:
    """Horizontal grid lines with value labels left of them, for a vertical value axis."""
    out = []
    for tick in ticks if ticks is not None else scale.ticks():
        y = scale(tick)
        out += [line(left, y, right, y), text(left - 4, y + 4, num(tick), anchor="end", size=10)]
    return out


def legend(items: Sequence[tuple[str, str]], *, x: float, y: float, item_width: float = 90) -> list[str]:
    """A one-row legend of (label, colour) swatches starting at (x, y)."""
    out = []
    for i, (label, colour) in enumerate(items):
        left = x + i * item_width
        out += [rect(left, y - 9, 10, 10, fill=colour), text(left + 14, y, label, size=10)]
    return out


def stacked_hbar(x: LinearScale, y: float, height: float, segments: Sequence[tuple[float, str, str]]) -> list[str]:
    """One horizontal bar of (value, colour, hover title) segments laid end to end from x(0)."""
    out, total = [], 0.0
    for value, colour, title in segments:
        if value:
            out.append(rect(x(total), y, x(total + value) - x(total), height, fill=colour, title=title))
        total += value
    return out


def hbars(values: Sequence[tuple[str, float]], *, width: float = 480, bar: float = 16, label_width: float = 150,
          colour: str = PALETTE[0], title: str = "") -> Markup:
    """A simple horizontal bar chart of (label, value), each value printed at the end of its bar."""
    height = len(values) * (bar + 6) + 24
    x = LinearScale((0, nice_max(max((v for _, v in values), default=1))), (label_width, width - 30))
    body = axis_x(x, top=4, bottom=height - 18)
    for i, (label, value) in enumerate(values):
        top = 6 + i * (bar + 6)
        body += [text(label_width - 6, top + bar - 4, label, anchor="end"),
                 rect(x(0), top, x(value) - x(0), bar, fill=colour, title=f"{label}: {num(value)}"),
                 text(x(value) + 4, top + bar - 4, num(value), size=10)]
    return svg_root(width, height, body, title=title)


# --- The bulletin's chart -------------------------------------------------------------------------

def channel_category_chart(rows: Sequence[tuple[str, Mapping[str, int]]], channels: Sequence[tuple[str, str]],
                           *, title: str, empty: str = "No feedback", width: float = 560) -> Markup:
    """Feedback by category (one bar each) split by channel (coloured segments), with a legend.

    rows: (category label, {channel key: count}); channels: (key, label) in drawing order.
    """
    bar, gap, label_width, top = 14, 6, 170, 22
    height = top + max(len(rows), 1) * (bar + gap) + 22
    biggest = max((sum(counts.values()) for _, counts in rows), default=0)
    x = LinearScale((0, nice_max(max(biggest, 5))), (label_width, width - 40))  # counts: whole-number ticks
    colours = {key: PALETTE[i % len(PALETTE)] for i, (key, _) in enumerate(channels)}
    body = legend([(label, colours[key]) for key, label in channels], x=label_width, y=12, item_width=74)
    body += axis_x(x, top=top - 2, bottom=height - 20)
    if not rows:
        body.append(text(label_width + 6, top + bar - 3, empty, size=11, fill="#667085"))
    for i, (category, counts) in enumerate(rows):
        y = top + i * (bar + gap)
        segments = [(counts.get(key, 0), colours[key], f"{category} · {label}: {counts.get(key, 0)}")
                    for key, label in channels]
        total = sum(counts.values())
        body += [text(label_width - 6, y + bar - 3, category, anchor="end")]
        body += stacked_hbar(x, y, bar, segments)
        body += [text(x(total) + 4, y + bar - 3, num(total), size=10, weight="bold")]
    return svg_root(width, height, body, title=title, css_class="chart chart-channel-category")


# --- The weekly review's charts (Pareto, sparkline, KPI trend) ------------------------------------

def _slanted(x: float, y: float, label: str) -> str:
    """A label under a bar, turned 35° so long category names fit side by side."""
    return (f"<text {attrs(x=x, y=y, text_anchor='end', font_size=10, transform=f'rotate(-35 {num(x)} {num(y)})')}>"
            f"{escape(label)}</text>")


def pareto_chart(rows: Sequence[tuple[str, float, float, bool]], *, cut: float, title: str,
                 cut_label: str = "", width: float = 640, height: float = 300) -> Markup:
    """The classic Pareto chart: descending bars (vital few darker), the cumulative % line and the cut line.

    rows: (label, value, cumulative share 0–1, vital) in ranking order.
    """
    left, right, top, bottom = 44, width - 44, 14, height - 92
    band = BandScale(tuple(range(len(rows))), (left, right))
    y = LinearScale((0, nice_max(max((v for _, v, _, _ in rows), default=1))), (bottom, top))
    pct = LinearScale((0, 1), (bottom, top))
    body = axis_y(y, left=left, right=right)
    for tick in (0, 0.25, 0.5, 0.75, 1):
        body.append(text(right + 4, pct(tick) + 4, f"{int(tick * 100)}%", size=10))
    points = []
    for i, (label, value, cumulative, vital) in enumerate(rows):
        x = band(i)
        body.append(rect(x, y(value), band.bandwidth, bottom - y(value), fill=PALETTE[0] if vital else "#9cc3e0",
                         title=f"{label}: {num(value)} ({cumulative:.0%})"))
        body.append(_slanted(x + band.bandwidth / 2 + 3, bottom + 12, label[:28]))
        points.append((x + band.bandwidth / 2, pct(cumulative)))
    body.append(line(left, pct(cut), right, pct(cut), stroke=PALETTE[5], width=1.5))
    body.append(text(right - 2, pct(cut) - 4, cut_label or f"{cut:.0%}", anchor="end", size=10, fill=PALETTE[5]))
    if points:
        body.append(polyline(points, stroke=PALETTE[1]))
        body += [f"<circle {attrs(cx=px, cy=py, r=3, fill=PALETTE[1])}/>" for px, py in points]
    return svg_root(width, height, body, title=title, css_class="chart chart-pareto")


def sparkline(values: Sequence[float], *, title: str, width: float = 80, height: float = 20) -> Markup:
    """A tiny line of recent values (oldest first), the last one marked."""
    x = LinearScale((0, max(len(values) - 1, 1)), (2, width - 3))
    y = LinearScale((0, max(max(values, default=0), 1)), (height - 2, 2))
    points = [(x(i), y(v)) for i, v in enumerate(values)]
    body = [polyline(points, width=1.5)] if len(points) > 1 else []
    if points:
        body.append(f"<circle {attrs(cx=points[-1][0], cy=points[-1][1], r=2, fill=PALETTE[5])}/>")
    return svg_root(width, height, body, title=title, css_class="chart chart-spark")


def kpi_trend(points: Sequence[tuple[str, float | None]], *, target: float | None, title: str,
              width: float = 320, height: float = 120) -> Markup:
    """A KPI's values per period (None: no value, a gap in the line) with its target as a dashed line."""
    known = [v for _, v in points if v is not None] + ([target] if target is not None else [])
    low, high = min(known, default=0), max(known, default=1)
    pad = (high - low) * 0.15 or abs(high) * 0.1 or 1
    left, right, top, bottom = 40, width - 8, 8, height - 20
    x = LinearScale((0, max(len(points) - 1, 1)), (left, right))
    y = LinearScale((low - pad, high + pad), (bottom, top))
    body = axis_y(y, left=left, right=right, ticks=[t for t in nice_ticks(low - pad, high + pad, 3) if low - pad <= t <= high + pad])
    if target is not None:
        body.append(f"<line {attrs(x1=left, y1=y(target), x2=right, y2=y(target), stroke=PALETTE[5], stroke_dasharray='4 3')}/>")
    segment: list[tuple[float, float]] = []
    for i, (label, value) in enumerate(points):
        if value is None:
            body += [polyline(segment)] if len(segment) > 1 else []
            segment = []
            continue
        segment.append((x(i), y(value)))
        body.append(f"<circle {attrs(cx=x(i), cy=y(value), r=2.5, fill=PALETTE[0])}><title>{escape(label)}: {num(value)}</title></circle>")
    body += [polyline(segment)] if len(segment) > 1 else []
    if points:
        body += [text(left, height - 4, points[0][0], size=9), text(right, height - 4, points[-1][0], anchor="end", size=9)]
    return svg_root(width, height, body, title=title, css_class="chart chart-kpi")
