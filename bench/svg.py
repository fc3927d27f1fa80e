"""A dependency-free SVG line chart of latency percentiles (x: percentile on the usual
"nines" scale, y: milliseconds on a log scale), one line per measured series."""

import math
from html import escape

PERCENTILES = (50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.99, 100.0)
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22")
FLOOR_MS = 0.1  # an event can reach a watcher before its bid's ack: those count as ~0, drawn here
WIDTH, HEIGHT = 880, 480
LEFT, RIGHT, TOP, BOTTOM = 70, 300, 40, 60


def _x(p: float) -> float:
    """Position of a percentile: equal steps per "nine" (50, 90, 99, 99.9 …), 100 at the right."""
    nines = -math.log10(max(100.0 - p, 0.001) / 100.0)
    return LEFT + (nines - 0.30103) / (5 - 0.30103) * (WIDTH - LEFT - RIGHT)


def _y(ms: float, low: float, high: float) -> float:
    span = math.log10(high) - math.log10(low)
    return TOP + (1 - (math.log10(max(ms, low)) - math.log10(low)) / span) * (HEIGHT - TOP - BOTTOM)


def chart(series: dict[str, list[tuple[float, float]]], title: str, dashed=lambda name: False) -> str:
    """series: name → [(percentile, ms), …]; `dashed(name)` draws a series dashed. Returns the SVG."""
    values = [ms for points in series.values() for _, ms in points if ms > 0] or [1.0]
    low = 10 ** math.floor(math.log10(max(min(values), FLOOR_MS)))
    high = 10 ** math.ceil(math.log10(max(values) * 1.01))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    decade = low
    while decade <= high:
        y = _y(decade, low, high)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{decade:g} ms</text>')
        decade *= 10
    for p in PERCENTILES:
        x = _x(p)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#eee"/>')
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">p{p:g}</text>')
    parts.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 18}" text-anchor="middle">percentile</text>')
    palette: dict[str, str] = {}  # one colour per measurement, shared by both configurations
    for i, (name, points) in enumerate(series.items()):
        measurement = name.split(": ", 1)[-1]
        colour = palette.setdefault(measurement, COLOURS[len(palette) % len(COLOURS)])
        path = " ".join(f"{_x(p):.1f},{_y(ms, low, high):.1f}" for p, ms in points)
        dash = ' stroke-dasharray="7,4"' if dashed(name) else ""
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        y = TOP + 10 + i * 18
        parts.append(
            f'<line x1="{WIDTH - RIGHT + 15}" x2="{WIDTH - RIGHT + 35}" y1="{y}" y2="{y}" '
            f'stroke="{colour}" stroke-width="3"{dash}/>'
        )
        parts.append(f'<text x="{WIDTH - RIGHT + 40}" y="{y + 4}">{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
