"""Helpers of the visits view tests: labels, logs made directly, and reading duties off pages."""

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from pairing.models import Pairing
from tests.helpers import text, today
from visits.models import ActivityLog, Kind

LB_TALK = "谈心交流（学习、生活、假期活动、交友）"
LB_LETTER = "指导学生给父母写一封信"
POOR_VISIT = "家访"
STATUS_WORDS = {"逾期", "待完成", "已完成", "本期无任务"}
TOO_OLD = "记录已超过 7 天，只能由资助办更正"
NOT_YOURS = "只有记录人或资助办可以修改该记录"


def make_log(pairing: Pairing, *, kind: str = Kind.TALK, date: dt.date | None = None, **fields):
    fields.setdefault("content", "聊了学习和生活")
    return ActivityLog.objects.create(
        pairing=pairing, author=pairing.teacher, kind=kind, date=date or today(), **fields
    )


def age(log: ActivityLog, days: int) -> None:
    """Makes the log look as if it had been written `days` days ago."""
    ActivityLog.objects.filter(pk=log.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )
    log.refresh_from_db()


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def require_teaching_week(semester, pairing: Pairing, *, weeks_ago: int) -> None:
    """Skips unless the week `weeks_ago` weeks before this one is owed by the pairing: at
    least four of its days inside both the semester and the pairing."""
    monday = monday_of(today()) - dt.timedelta(weeks=weeks_ago)
    first = max(semester.start, pairing.start)
    last = min(semester.end, pairing.end or semester.end, today() if weeks_ago else semester.end)
    days = sum(1 for n in range(7) if first <= monday + dt.timedelta(days=n) <= last)
    if days < 4:
        pytest.skip(
            f"the week of {monday} has {days} day(s) inside the semester "
            f"({semester.start}–{semester.end}) and the pairing: its weekly talk is not owed"
        )


def require_semester_running(semester) -> None:
    if not semester.start <= today() <= semester.end:
        pytest.skip(f"today ({today()}) is outside the semester {semester.start}–{semester.end}")


def me_duty(response: Any, pairing: Pairing, kind: str) -> tuple[str, str, str]:
    """The status word, rule title and deadline words of a duty shown on /me/ for a pairing."""
    match = re.search(
        rf'\?pairing={pairing.pk}&amp;kind={kind}&amp;next=/me/">\s*'
        r'<span class="badge[^"]*">([^<]+)</span>\s*<span class="duty-title">([^<]+)</span>\s*'
        r'<span class="meta duty-when">([^<]*)</span>',
        text(response),
    )
    assert match, f"/me/ shows no {kind} duty for pairing {pairing.pk}"
    return match[1], match[2], match[3]


def page_duty(response: Any, title: str) -> str:
    """The status word shown beside a duty on the student's page."""
    match = re.search(
        rf'<span class="badge[^"]*">([^<]+)</span><span class="duty-title">{re.escape(title)}<',
        text(response),
    )
    assert match, f"the page shows no duty {title!r}"
    return match[1]
