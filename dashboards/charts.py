"""Charts drawn on the server as SVG: the same drawing serves the page, printing and PDFs,
needs no JavaScript and no CDN, and carries its numbers as text for screen readers."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 12, 34
BAR = "#1d6b57"
GRID = "#dfe3e8"
INK = "#5b6675"


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar (shown for every n-th bar when they are many)
    value: int
    title: str  # the full label, in the bar's tooltip and the text description


def bar_chart(*, key: str, title: str, bars: Sequence[Bar]) -> SafeString:
    """Vertical bars with a labelled y axis. Scales to its container (viewBox); `title` and
    a description listing every value make it readable without seeing it. `key` makes the
    ids unique on the page."""
    top = max((bar.value for bar in bars), default=0)
    scale_max = _nice_ceiling(top)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(bars), 1)
    every = max(1, round(len(bars) / 10))
    grid = []
    for n in range(5):
        value = scale_max * n // 4
        y = TOP + plot_h - plot_h * value / scale_max
        grid.append((y, value))
    rects = []
    for index, bar in enumerate(bars):
        height = plot_h * bar.value / scale_max
        x = LEFT + index * step + step * 0.15
        rects.append(
            (
                f"{x:.1f}",
                f"{TOP + plot_h - height:.1f}",
                f"{step * 0.7:.1f}",
                f"{height:.1f}",
                BAR,
                f"{bar.title}：{bar.value}",
                f"{x + step * 0.35:.1f}",
                HEIGHT - BOTTOM + 16,
                INK,
                bar.label if index % every == 0 else "",
            )
        )
    description = "；".join(f"{bar.title} {bar.value}" for bar in bars)
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t {id}-d" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{title}</title>'
        '<desc id="{id}-d">{desc}</desc>{grid}{rects}</svg>',
        w=WIDTH,
        h=HEIGHT,
        id=f"chart-{key}",
        title=title,
        desc=description,
        grid=format_html_join(
            "",
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
            '<text x="{}" y="{}" font-size="11" fill="{}" text-anchor="end">{}</text>',
            (
                (
                    LEFT,
                    WIDTH - RIGHT,
                    f"{y:.1f}",
                    f"{y:.1f}",
                    GRID,
                    LEFT - 6,
                    f"{y + 4:.1f}",
                    INK,
                    value,
                )
                for y, value in grid
            ),
        ),
        rects=format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
            '<text x="{}" y="{}" font-size="11" fill="{}" text-anchor="middle">{}</text>',
            rects,
        ),
    )


def _nice_ceiling(value: int) -> int:
    """The axis top: 4, 8, 10, 20, 40, 50, 100… at least the highest bar, divisible by 4."""
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 4, 5, 8, 10):
        top = factor * magnitude
        if top >= value and top % 4 == 0:
            return top
    return 20 * magnitude
