"""Tiny server-side SVG charts: bars (per day, or ranked with labels) and lines (rates over time).

The SVG goes inline into the page: no script, no CDN, nothing for the CSP to allow. Every label is
escaped. Colours come from CSS classes in admin.css (`chart-bar`, `series-0`…), never inline styles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

Number = float | int


def _fmt(value: Number) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _nice_max(value: Number) -> float:
    """A round top for the axis (1, 2, 2.5, 5 × 10^n) at or above `value`."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 0.1
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _svg(width: int, height: int, title: str, body: list[str], css: str = "chart") -> Markup:
    return Markup(
        f'<svg class="{css}" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def column_chart(
    points: Sequence[tuple[str, Number]],
    *,
    title: str,
    width: int = 1120,
    height: int = 240,
    label_every: int | None = None,
) -> Markup:
    """Vertical bars, one per label (a day), with a y axis of three gridlines."""
    left, right, top, bottom = 40, 10, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for _, v in points), default=0))
    if all(isinstance(v, int) for _, v in points):
        top_value = float(math.ceil(top_value / 2) * 2)  # counts: a whole middle gridline (6 → 3, not 2.5)
    body = _grid(left, top, plot_w, plot_h, top_value, _fmt)
    if not points:
        body.append(_empty(width, height))
        return _svg(width, height, title, body)
    slot = plot_w / len(points)
    every = label_every or max(1, round(len(points) / 8))
    for i, (label, value) in enumerate(points):
        bar_h = plot_h * value / top_value
        x = left + i * slot + slot * 0.15
        y = top + plot_h - bar_h
        body.append(
            f'<rect class="chart-bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_h:.1f}">'
            f"<title>{escape(label)}: {escape(_fmt(value))}</title></rect>"
        )
        if i % every == 0:
            body.append(
                f'<text class="chart-label" x="{x + slot * 0.35:.1f}" y="{height - 10}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    return _svg(width, height, title, body)


def ranked_bars(
    items: Sequence[tuple[str, Number]],
    *,
    title: str,
    width: int = 520,
    bar_height: int = 22,
    label_width: int = 210,
    max_label: int = 26,
    value_format: Callable[[Number], str] = _fmt,
) -> Markup:
    """Horizontal bars, longest first as given, label on the left and the value at the bar's end."""
    gap, value_room = 6, 70
    height = max(40, len(items) * (bar_height + gap) + gap)
    top_value = max((v for _, v in items), default=0) or 1
    plot_w = width - label_width - value_room
    body: list[str] = []
    if not items:
        body.append(_empty(width, height))
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_height + gap)
        bar_w = max(1.0, plot_w * value / top_value)
        short = label if len(label) <= max_label else label[: max_label - 1] + "…"
        body.append(
            f'<text class="chart-label" x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end">'
            f"{escape(short)}<title>{escape(label)}</title></text>"
            f'<rect class="chart-bar" x="{label_width}" y="{y}" width="{bar_w:.1f}" height="{bar_height}">'
            f"<title>{escape(label)}: {escape(value_format(value))}</title></rect>"
            f'<text class="chart-value" x="{label_width + bar_w + 6:.1f}" y="{y + bar_height * 0.7:.1f}">'
            f"{escape(value_format(value))}</text>"
        )
    return _svg(width, height, title, body, css="chart ranked")


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    width: int = 1120,
    height: int = 260,
    percent: bool = True,
) -> Markup:
    """Lines over the same labels (days); None leaves a gap (no data that day). A legend on top."""
    left, right, top, bottom = 48, 10, 30, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, points in series for v in points if v is not None]
    top_value = _nice_max(max(values, default=0))
    if percent:
        top_value = min(1.0, top_value) if values and max(values) <= 1 else top_value

    def fmt(value: Number) -> str:
        return f"{value * 100:.0f}%" if percent else _fmt(value)

    body = _grid(left, top, plot_w, plot_h, top_value, fmt)
    step = plot_w / max(1, len(labels) - 1)
    every = max(1, round(len(labels) / 8))
    for i, label in enumerate(labels):
        if i % every == 0:
            body.append(
                f'<text class="chart-label" x="{left + i * step:.1f}" y="{height - 10}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    for index, (name, points) in enumerate(series):
        css = f"series-{index % 4}"
        body.append(
            f'<rect class="{css}" x="{left + index * 150}" y="6" width="14" height="10"></rect>'
            f'<text class="chart-label" x="{left + index * 150 + 20}" y="15">{escape(name)}</text>'
        )
        segment: list[str] = []
        for i, value in enumerate(points):
            if value is None:
                body.append(_polyline(segment, css))
                segment = []
                continue
            x, y = left + i * step, top + plot_h - plot_h * min(value, top_value) / top_value
            segment.append(f"{x:.1f},{y:.1f}")
            body.append(
                f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                f"<title>{escape(labels[i])} {escape(name)}: {escape(fmt(value))}</title></circle>"
            )
        body.append(_polyline(segment, css))
    if not values:
        body.append(_empty(width, height))
    return _svg(width, height, title, body)


def _polyline(points: list[str], css: str) -> str:
    if len(points) < 2:
        return ""
    return f'<polyline class="{css} chart-line" fill="none" points="{" ".join(points)}"></polyline>'


def _grid(left: int, top: int, plot_w: int, plot_h: int, top_value: float, fmt) -> list[str]:
    lines = []
    for fraction in (0, 0.5, 1):
        y = top + plot_h - plot_h * fraction
        lines.append(
            f'<line class="chart-grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"></line>'
            f'<text class="chart-axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(top_value * fraction))}</text>"
        )
    return lines


def _empty(width: int, height: int) -> str:
    return (
        f'<text class="chart-empty" x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle">'
        "这段时间没有数据</text>"
    )
