"""Charts drawn on the server as SVG: the same drawing serves the page, printing and PDFs,
needs no JavaScript and no CDN, and carries its numbers as text for screen readers."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 640, 220  # the drawing for a laptop's column of 960 px
# A phone draws its own: 640 units squeezed into 358 px made 11-unit labels 6 px high. This one
# is shown about one unit to the pixel, so its labels are as big as the text around them.
NARROW_WIDTH, NARROW_HEIGHT = 360, 200
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
    """Vertical bars with a labelled y axis, drawn twice: for a wide column (`chart-wide`)
    and for a phone (`chart-narrow`, fewer and larger labels); the stylesheet shows the one
    that fits. Each scales to its container (viewBox); `title` and a description listing
    every value make it readable without seeing it. `key` makes the ids unique on the page."""
    return format_html(
        "{}{}",
        _drawing(
            key=key, title=title, bars=bars, size=(WIDTH, HEIGHT), labels=10, font=11, kind="wide"
        ),
        _drawing(
            key=f"{key}-n",
            title=title,
            bars=bars,
            size=(NARROW_WIDTH, NARROW_HEIGHT),
            labels=5,
            font=12,
            kind="narrow",
        ),
    )


def _drawing(
    *,
    key: str,
    title: str,
    bars: Sequence[Bar],
    size: tuple[int, int],
    labels: int,
    font: int,
    kind: str,
) -> SafeString:
    width, height = size
    top = max((bar.value for bar in bars), default=0)
    scale_max = _nice_ceiling(top)
    plot_w = width - LEFT - RIGHT
    plot_h = height - TOP - BOTTOM
    step = plot_w / max(len(bars), 1)
    every = max(1, round(len(bars) / labels))
    grid = []
    for n in range(5):
        value = scale_max * n // 4
        y = TOP + plot_h - plot_h * value / scale_max
        grid.append((y, value))
    rects = []
    for index, bar in enumerate(bars):
        bar_height = plot_h * bar.value / scale_max
        x = LEFT + index * step + step * 0.15
        rects.append(
            (
                f"{x:.1f}",
                f"{TOP + plot_h - bar_height:.1f}",
                f"{step * 0.7:.1f}",
                f"{bar_height:.1f}",
                BAR,
                _("%(label)s：%(value)s") % {"label": bar.title, "value": bar.value},
                f"{x + step * 0.35:.1f}",
                height - BOTTOM + 16,
                font,
                INK,
                bar.label if index % every == 0 else "",
            )
        )
    description = _("；").join(
        _("%(label)s：%(value)s") % {"label": bar.title, "value": bar.value} for bar in bars
    )
    return format_html(
        '<svg class="chart chart-{kind}" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="{id}-t {id}-d" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>{grid}{rects}</svg>',
        kind=kind,
        w=width,
        h=height,
        id=f"chart-{key}",
        title=title,
        desc=description,
        grid=format_html_join(
            "",
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
            '<text x="{}" y="{}" font-size="{}" fill="{}" text-anchor="end">{}</text>',
            (
                (
                    LEFT,
                    width - RIGHT,
                    f"{y:.1f}",
                    f"{y:.1f}",
                    GRID,
                    LEFT - 6,
                    f"{y + 4:.1f}",
                    font,
                    INK,
                    value,
                )
                for y, value in grid
            ),
        ),
        rects=format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
            '<text x="{}" y="{}" font-size="{}" fill="{}" text-anchor="middle">{}</text>',
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
