"""Server-rendered SVG charts: no JavaScript, no CDN, readable without a legend hunt."""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#2f6f4f", "#c0632b", "#3b6ea8", "#a33b5c", "#7a6a2f", "#5b5b8f", "#888888"]
SERIES_COLORS = {
    "in-country": "#2f6f4f",
    "external": "#c0632b",
    "refused": "#888888",
    "served": "#2f6f4f",
    "blocked": "#c9a227",
    "failed": "#b03030",
    "open": "#9aa7b0",
}


def color_for(name: str, index: int) -> str:
    return SERIES_COLORS.get(name, PALETTE[index % len(PALETTE)])


def stacked_bars(
    labels: list[str], series: dict[str, list[float]], *, title: str, width: int = 640
) -> SafeString:
    """A stacked bar per label; the legend sits under the bars."""
    height, top, bottom, left = 180, 10, 30, 40
    n = max(len(labels), 1)
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak = max([*totals, 1])
    step = (width - left - 10) / n
    bar = max(step * 0.8, 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + 24}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" font-size="10">{peak:g}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
        'stroke="#999"/>',
    ]
    plot = height - top - bottom
    for i, label in enumerate(labels):
        x = left + i * step
        y: float = height - bottom
        for j, (name, values) in enumerate(series.items()):
            h = plot * values[i] / peak
            if h <= 0:
                continue
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{color_for(name, j)}"><title>{escape(label)} {escape(name)}: '
                f"{values[i]:g}</title></rect>"
            )
        if i % max(n // 8, 1) == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 12}" font-size="9">{escape(label)}</text>'
            )
    x = left
    for j, name in enumerate(series):
        parts.append(
            f'<rect x="{x}" y="{height + 8}" width="10" height="10" fill="{color_for(name, j)}"/>'
            f'<text x="{x + 14}" y="{height + 17}" font-size="11">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def hbars(
    items: list[tuple[str, float, float | None]], *, title: str, unit: str = ""
) -> SafeString:
    """Horizontal bars: (label, value, limit or None); a limit draws a budget mark."""
    width, row, left = 640, 22, 170
    peak = max([v for _, v, _ in items] + [lim or 0 for _, _, lim in items] + [1e-9])
    height = row * max(len(items), 1) + 6
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    span = width - left - 90
    for i, (label, value, limit) in enumerate(items):
        y = 3 + i * row
        w = span * value / peak
        over = limit is not None and value > limit
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="11">'
            f"{escape(label[:28])}</text>"
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="14" '
            f'fill="{"#b03030" if over else "#3b6ea8"}"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 14}" font-size="11">{unit}{value:g}</text>'
        )
        if limit is not None:
            lx = left + span * limit / peak
            parts.append(
                f'<line x1="{lx:.1f}" y1="{y}" x2="{lx:.1f}" y2="{y + 20}" stroke="#222" '
                f'stroke-dasharray="3,2"><title>budget {unit}{limit:g}</title></line>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
