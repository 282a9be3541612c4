"""The rows of the dashboards' long tables (the school's completion per category, teacher
and class; the county's schools), written here rather than through a template's tags for
every cell: a school of 2,000 students has 160 teachers and a large county 600 schools,
whose rows took a third of their pages' time that way."""

from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

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
                _percent(c.rate),
                format_html('<td class="num">{}</td>', c.overdue) if running else "",
            )
            for c in groups
        ),
    )


@register.simple_tag
def county_rows(rows: Iterable[dict[str, Any]], *, code: str) -> SafeString:
    """The county table's rows, one per school (`dashboards.selectors.county_rollup`), written
    here for the same reason: 600 schools' rows through the template's tags took longer than
    adding their figures up."""
    return format_html_join(
        "",
        '<tr><td><a href="{}?semester={}">{}</a></td><td class="num">{}</td>{}'
        '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td></tr>',
        (
            (
                reverse("county_school", args=[row["school"].pk]),
                code,
                row["school"].name,
                row["enrolled"],
                format_html_join("", '<td class="num">{}</td>', ((n,) for n in row["categories"])),
                row["identified"],
                row["paired"],
                _percent(row["rate"]),
                _duty_rate(row),
                row["logs"],
                row["incidents"],
                f"{row['approved']}/{row['sheets']}" if row["sheets"] else "—",
            )
            for row in rows
        ),
    )


def _percent(rate: int | None) -> str:
    return "—" if rate is None else f"{rate}%"


def _duty_rate(row: dict[str, Any]) -> SafeString | str:
    if row["duty_rate"] is None:
        return "—"
    return format_html(
        '<span title="{}">{}%</span>',
        _("%(met)s/%(due)s 个周期已完成") % {"met": row["duties_met"], "due": row["duties_due"]},
        row["duty_rate"],
    )
