"""Charts as server-rendered SVG: no script, no internet resource, readable without colour.

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>`` naming what it shows;
the page puts the same numbers in a table beside it (the data-table fallback) and links the CSV.
Every value is escaped by format_html.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 34


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]
    css: str  # "series-current", "series-previous"


@dataclass(frozen=True)
class Band:
    start: int  # index of the first bucket covered
    end: int  # index of the last bucket covered
    label: str


def _r(value: float) -> str:
    return f"{value:.1f}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _frame(chart_id: str, title: str, desc: str, body: SafeString, *, height: int = HEIGHT) -> SafeString:
    return format_html(
        '<svg class="metrics-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        desc,
        body,
    )


def _axis(max_value: float, unit: str) -> SafeString:
    plot_h = HEIGHT - TOP - BOTTOM
    ticks = []
    for i in range(5):
        value = max_value * i / 4
        y = TOP + plot_h - plot_h * i / 4
        label = f"{value:,.0f}" if max_value >= 20 or value == int(value) else f"{value:,.1f}"
        ticks.append((LEFT, _r(y), WIDTH - RIGHT, _r(y), LEFT - 4, _r(y + 4), label))
    lines = format_html_join(
        "",
        '<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/>'
        '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
        ticks,
    )
    return format_html('{}<text class="unit" x="4" y="{}">{}</text>', lines, TOP - 2, unit)


def line_chart(
    chart_id: str,
    *,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str,
    bands: Sequence[Band] = (),
) -> SafeString:
    """Lines over buckets (e.g. this period and the previous one), campaign bands behind them."""
    n = max(len(labels), 1)
    values = [v for s in series for v in s.values if v is not None]
    top = _nice_max(max(values) if values else 0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(n - 1, 1)

    def x(i: int) -> float:
        return _r(LEFT + step * i if n > 1 else LEFT + plot_w / 2)

    def y(v: float) -> float:
        return _r(TOP + plot_h - plot_h * v / top)

    parts = [_axis(top, unit)]
    for band in bands:
        x1, x2 = float(x(band.start)) - step / 2, float(x(band.end)) + step / 2
        x1, x2 = max(x1, LEFT), min(x2, WIDTH - RIGHT)
        parts.append(
            format_html(
                '<g class="band"><rect x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>'
                '<text x="{}" y="{}">{}</text></g>',
                _r(x1),
                TOP,
                _r(max(x2 - x1, 2)),
                plot_h,
                band.label,
                _r(x1 + 3),
                TOP + 11,
                band.label,
            )
        )
    for s in series:
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(s.values) if v is not None)
        if points:
            parts.append(
                format_html('<polyline class="{}" points="{}"><title>{}</title></polyline>', s.css, points, s.label)
            )
    every = max(1, n // 8)
    parts.append(
        format_html_join(
            "",
            '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
            ((x(i), HEIGHT - BOTTOM + 16, label) for i, label in enumerate(labels) if i % every == 0),
        )
    )
    legend = format_html_join(
        "",
        '<g class="legend"><line class="{}" x1="{}" y1="{}" x2="{}" y2="{}"/><text x="{}" y="{}">{}</text></g>',
        (
            (
                s.css,
                LEFT + 160 * k,
                HEIGHT - 6,
                LEFT + 160 * k + 18,
                HEIGHT - 6,
                LEFT + 160 * k + 22,
                HEIGHT - 2,
                s.label,
            )
            for k, s in enumerate(series)
        ),
    )
    parts.append(legend)
    return _frame(chart_id, title, desc, mark_safe("".join(parts)))  # noqa: S308 - parts are format_html output


def bar_chart(chart_id: str, *, title: str, desc: str, rows: Sequence[tuple[str, float]], unit: str) -> SafeString:
    """Horizontal bars, one per row, labelled with their value."""
    rows = list(rows)[:12]
    bar_h, gap, label_w = 18, 6, 170
    height = TOP + len(rows) * (bar_h + gap) + 10
    top = max((v for _, v in rows), default=0) or 1
    plot_w = WIDTH - label_w - 60
    bars = format_html_join(
        "",
        '<g class="bar"><text class="tick" x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}"><title>{}: {} {}</title></rect>'
        '<text class="value" x="{}" y="{}">{}</text></g>',
        (
            (
                label_w - 6,
                TOP + i * (bar_h + gap) + 13,
                label[:28],
                label_w,
                TOP + i * (bar_h + gap),
                _r(max(plot_w * value / top, 1)),
                bar_h,
                label,
                f"{value:,.1f}".rstrip("0").rstrip("."),
                unit,
                _r(label_w + max(plot_w * value / top, 1) + 4),
                TOP + i * (bar_h + gap) + 13,
                f"{value:,.1f}".rstrip("0").rstrip("."),
            )
            for i, (label, value) in enumerate(rows)
        ),
    )
    return _frame(chart_id, title, desc, bars, height=max(height, 40))


def heat_map(
    chart_id: str, *, title: str, desc: str, values: Sequence[float], marks: Sequence[int], short: Sequence[bool]
) -> SafeString:
    """168 cells (7 weekdays × 24 hours): shade = arrivals, number = agents on shift, a bold
    outline where fewer agents are on shift than the staffing estimate needs."""
    cell_w, cell_h, left, top_pad = 24, 22, 40, 18
    top = max(values) if values else 0
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    cells = []
    for how, value in enumerate(values):
        day, hour = divmod(how, 24)
        level = 0 if not top else min(5, int(6 * value / top))
        x, y = left + hour * cell_w, top_pad + day * cell_h
        short_class = " short" if short[how] else ""
        cells.append(
            f'<g class="cell"><rect x="{x}" y="{y}" width="{cell_w - 1}" height="{cell_h - 1}" '
            f'class="heat-{level}{short_class}"><title>{days[day]} {hour:02d}:00 — {_e(value)} arrivals per hour, '
            f"{_e(marks[how])} agents on shift</title></rect>"
            f'<text x="{x + cell_w / 2:.1f}" y="{y + 15}" text-anchor="middle">{_e(marks[how])}</text></g>'
        )
    body = mark_safe("".join(cells))  # noqa: S308 - numbers and fixed labels, escaped above
    day_labels = format_html_join(
        "",
        '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
        ((left - 4, top_pad + i * cell_h + 15, name) for i, name in enumerate(days)),
    )
    hour_labels = format_html_join(
        "",
        '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
        ((_r(left + h * cell_w + cell_w / 2), 12, f"{h:02d}") for h in range(0, 24, 3)),
    )
    height = top_pad + 7 * cell_h + 6
    return format_html(
        '<svg class="metrics-chart heat" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}{}{}</svg>',
        left + 24 * cell_w + 4,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        desc,
        day_labels,
        hour_labels,
        body,
    )


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def data_table(
    *, caption: str, headers: Sequence[str], rows: Sequence[Sequence], marked: Sequence[bool] = ()
) -> SafeString:
    """A chart's numbers as an HTML table (its accessible fallback), built here rather than with
    template tags: a year of daily rows or 168 hours would otherwise dominate the page's time.
    Every value is escaped with ``html.escape``."""
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    body = "".join(
        ('<tr class="short">' if marked and marked[i] else "<tr>") + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>"
        for i, row in enumerate(rows)
    )
    return mark_safe(  # noqa: S308 - every value above went through html.escape
        f'<table class="queue"><caption>{_e(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
