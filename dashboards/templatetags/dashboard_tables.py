"""The rows of the dashboard's completion tables (per category, teacher and class), written
here rather than through a template's tags for every cell: a school of 2,000 students has
160 teachers, whose rows took a third of the page's rendering that way."""

from collections.abc import Iterable

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from dashboards.selectors import Completion

register = template.Library()


@register.simple_tag
def completion_rows(
    groups: Iterable[Completion], *, running: bool, badges: bool = False
) -> SafeString:
    """A row per group: its label (a category's badge with `badges`), pairings, periods met
    of those come due, the rate, and in a running semester the overdue duties."""
    return format_html_join(
        "",
        '<tr><td>{}</td><td class="num">{}</td><td class="num">{}/{}</td>'
        '<td class="num">{}</td>{}</tr>',
        (
            (
                format_html('<span class="badge cat-{}">{}</span>', c.key, c.label)
                if badges
                else c.label,
                c.pairings,
                c.met,
                c.due,
                "—" if c.rate is None else f"{c.rate}%",
                format_html('<td class="num">{}</td>', c.overdue) if running else "",
            )
            for c in groups
        ),
    )
