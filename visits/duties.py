"""Duty rules (帮扶措施) as data, and pure evaluators of what is due, done and overdue.

A rule says: for a pairing of category C, at least N activities of kind K in every period
(a week, a month, the semester, the school year, or around each exam). The shipped defaults are
plan 1 of the seed (DESIGN "Duties"); a school may edit its own copy.

How periods count — the same for every kind of period:
- Periods are calendar weeks (Monday–Sunday), calendar months, the semester's teaching dates,
  the school year, or an exam window (14 days before to 14 days after an exam, never reaching
  back past the previous exam).
- Only teaching days count: days inside the semester's teaching dates (the school year's for
  yearly rules) that are not in a holiday week the school marked (National Day, exam weeks…).
- A period is owed when the pairing was active on at least half of the period's countable days,
  so the duties are prorated to the part of the semester the pairing was active: a pairing that
  starts on a Thursday owes that week's talk, one that starts on a Saturday does not.
  An exam's duty is owed when the pairing is active on the exam day.
- Logs count in the period they are dated in, clipped to the semester; a log outside the
  pairing's active span counts for nothing. Logs of one kind on one day count once: a record
  sent twice (a double tap, a phone sending its outbox again) is not a second activity, and
  "twice a week" means on two days.

Status on a day, per rule:
- done: the current period's requirement is met;
- overdue: the last period that has ended was missed and the current one is not met yet;
- due: the current period is owed and not met yet (deadline: its last day);
- idle: nothing is owed right now (a holiday week, before the next exam window…).
No module here touches the database: callers pass rules, calendars and logs in. Any date
is taken, up to the first and last a `datetime.date` holds (a row written by hand may hold
them); callers keep a calendar inside its school year (`visits.selectors.calendars_for`), so
that a semester is a few dozen weeks, never centuries of them.
"""

import datetime as dt
from bisect import bisect_left, bisect_right
from calendar import monthrange
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from math import ceil
from typing import Any

from django.utils.translation import gettext_lazy as _

ONE_DAY = dt.timedelta(days=1)
EXAM_WINDOW = dt.timedelta(days=14)


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"
    SEMESTER = "semester"
    YEAR = "year"
    EXAM = "exam"


PERIOD_LABELS = {
    Period.WEEK: _("每周"),
    Period.MONTH: _("每月"),
    Period.SEMESTER: _("每学期"),
    Period.YEAR: _("每学年"),
    Period.EXAM: _("每次考试"),
}


class Status(StrEnum):
    DONE = "done"
    DUE = "due"
    OVERDUE = "overdue"
    IDLE = "idle"


STATUS_LABELS = {
    Status.OVERDUE: _("逾期"),
    Status.DUE: _("待完成"),
    Status.DONE: _("已完成"),
    Status.IDLE: _("本期无任务"),
}
# Overdue first, then what is due, then what needs nothing now.
STATUS_ORDER = {Status.OVERDUE: 0, Status.DUE: 1, Status.IDLE: 2, Status.DONE: 3}


@dataclass(frozen=True)
class Rule:
    category: str
    kind: str
    period: Period
    count: int
    title: Any
    key: str = ""


# Plan 1 of the seed (學生貧困戶幫扶方案 1), DESIGN's duty table.
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        "left_behind",
        "talk",
        Period.WEEK,
        1,
        _("谈心交流（学习、生活、假期活动、交友）"),
        "lb-talk",
    ),
    Rule(
        "left_behind",
        "parent_contact",
        Period.MONTH,
        1,
        _("与家长通话，汇报情况，学生与家长交流"),
        "lb-call",
    ),
    Rule("left_behind", "letter", Period.SEMESTER, 1, _("指导学生给父母写一封信"), "lb-letter"),
    Rule("left_behind", "festival", Period.YEAR, 1, _("陪学生过一个节日"), "lb-festival"),
    Rule("poor", "talk", Period.MONTH, 1, _("交流生活、学习情况，征询帮扶意见"), "poor-talk"),
    Rule("poor", "material_aid", Period.SEMESTER, 1, _("衣物、学习用品或资金资助"), "poor-aid"),
    Rule("poor", "home_visit", Period.SEMESTER, 1, _("家访"), "poor-visit"),
    Rule("struggling", "tutoring", Period.WEEK, 1, _("有效辅导，作业面批"), "st-tutoring"),
    Rule("struggling", "exam_guidance", Period.EXAM, 1, _("考前指导复习，考后分析试卷"), "st-exam"),
    Rule(
        "struggling",
        "home_visit",
        Period.SEMESTER,
        1,
        _("家庭学习访问，节假日学习计划"),
        "st-visit",
    ),
    Rule("problem", "talk", Period.WEEK, 1, _("促膝谈心：一个肯定、一个忠告、一个期望"), "pr-talk"),
    Rule("problem", "exchange", Period.WEEK, 1, _("与班主任、科任教师交流"), "pr-exchange"),
    Rule("problem", "parent_contact", Period.MONTH, 1, _("与家长交流"), "pr-parent"),
    Rule("problem", "progress_review", Period.MONTH, 1, _("进步盘点与思想行为总结"), "pr-review"),
)


@dataclass(frozen=True)
class Window:
    """A period's days, first and last included."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def days(self) -> Iterable[dt.date]:
        day = self.start
        while day <= self.end:
            yield day
            if day == self.end:  # the next day may be past the last one a date can hold
                return
            day += ONE_DAY


@dataclass(frozen=True)
class Calendar:
    """A school's semester as the duties see it."""

    start: dt.date
    end: dt.date
    holidays: frozenset[dt.date] = frozenset()  # the Mondays of weeks that do not count
    exams: tuple[dt.date, ...] = ()
    year_start: dt.date | None = None  # the school year, for yearly rules; default: semester
    year_end: dt.date | None = None

    def is_holiday(self, day: dt.date) -> bool:
        return monday_of(day) in self.holidays

    def teaching(self, window: Window, bounds: Window) -> list[dt.date]:
        return [d for d in window.days() if d in bounds and not self.is_holiday(d)]


@dataclass(frozen=True)
class Span:
    """When a pairing is active: from its start to its end (open when None), inclusive."""

    start: dt.date
    end: dt.date | None = None

    def __contains__(self, day: object) -> bool:
        return (
            isinstance(day, dt.date) and self.start <= day and (self.end is None or day <= self.end)
        )


@dataclass(frozen=True)
class Log:
    day: dt.date
    kind: str


@dataclass(frozen=True)
class RuleStatus:
    rule: Rule
    status: Status
    required: int
    done: int  # in the current period (or, when there is none, the last one that ended)
    window: Window | None  # the current period, else the last one that ended
    deadline: dt.date | None  # when the current period's requirement falls due
    overdue_since: dt.date | None  # the day after the missed period ended
    next_due: dt.date | None  # the first day of the next owed period
    missed: int  # periods that ended unmet so far
    owed: int  # periods owed in the whole semester
    met: int  # periods met so far

    @property
    def label(self) -> Any:
        return STATUS_LABELS[self.status]


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())  # 1 Jan of year 1 is a Monday: never overflows


def shift(day: dt.date, days: int) -> dt.date:
    """The day moved by a number of days, stopping at the first or last day a date can hold:
    a calendar or a pairing may hold any date the database does."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


def _month_windows(first: dt.date, last: dt.date) -> list[Window]:
    windows = []
    month = first.replace(day=1)
    while month <= last:
        end = month.replace(day=monthrange(month.year, month.month)[1])
        windows.append(Window(month, end))
        if end >= last:
            break
        month = end + ONE_DAY
    return windows


def _week_windows(first: dt.date, last: dt.date) -> list[Window]:
    windows = []
    week = monday_of(first)
    while week <= last:
        sunday = shift(week, 6)
        windows.append(Window(week, sunday))
        if sunday >= last:
            break
        week = sunday + ONE_DAY
    return windows


@lru_cache(maxsize=4096)
def owed_periods(period: Period, *, calendar: Calendar, span: Span) -> tuple[Window, ...]:
    """The periods of one kind that the pairing owes in the semester, clipped to the
    semester (or the school year for yearly rules), in order. Cached: a school's pairings
    mostly share a few start dates, and the calendar is the same for all of them."""
    semester = Window(calendar.start, calendar.end)
    if period is Period.EXAM:
        return tuple(_exam_windows(calendar=calendar, span=span))
    if period is Period.YEAR:
        bounds = Window(calendar.year_start or calendar.start, calendar.year_end or calendar.end)
        candidates = [bounds]
    elif period is Period.SEMESTER:
        bounds = semester
        candidates = [semester]
    elif period is Period.MONTH:
        bounds = semester
        candidates = _month_windows(semester.start, semester.end)
    else:
        bounds = semester
        candidates = _week_windows(semester.start, semester.end)
    owed = []
    for window in candidates:
        # Half of the period's countable days: a whole week or month (less holiday weeks),
        # even where the semester cuts it, so a period split by a semester boundary is owed
        # on one side only.
        countable = [d for d in window.days() if not calendar.is_holiday(d)]
        active = [d for d in calendar.teaching(window, bounds) if d in span]
        if active and len(active) >= ceil(len(countable) / 2):
            owed.append(Window(max(window.start, bounds.start), min(window.end, bounds.end)))
    return tuple(owed)


def _exam_windows(*, calendar: Calendar, span: Span) -> list[Window]:
    windows = []
    previous: dt.date | None = None
    for exam in sorted(calendar.exams):
        if not calendar.start <= exam <= calendar.end:
            continue
        start = max(shift(exam, -EXAM_WINDOW.days), calendar.start)
        if previous is not None:
            start = max(start, shift(previous, 1))
        if exam in span:
            windows.append(Window(start, min(shift(exam, EXAM_WINDOW.days), calendar.end)))
        previous = exam
    return windows


def counted_periods(
    rule: Rule, *, calendar: Calendar, span: Span, logs: Sequence[Log]
) -> tuple[tuple[Window, int], ...]:
    """The periods the pairing owes under the rule, each with the activities done in it:
    what a rule's status on any day is derived from (`status_of`), and what
    `visits.duty_store` keeps, so that a status is read without reading logs."""
    periods = owed_periods(rule.period, calendar=calendar, span=span)
    days = sorted({log.day for log in logs if log.kind == rule.kind and log.day in span})
    return tuple((w, bisect_right(days, w.end) - bisect_left(days, w.start)) for w in periods)


def evaluate(
    rule: Rule, *, calendar: Calendar, span: Span, logs: Sequence[Log], today: dt.date
) -> RuleStatus:
    """The rule's status for a pairing on a day (see the module's docstring)."""
    return status_of(
        rule, counted_periods(rule, calendar=calendar, span=span, logs=logs), today=today
    )


def status_of(rule: Rule, periods: Sequence[tuple[Window, int]], *, today: dt.date) -> RuleStatus:
    """The rule's status on a day from the periods owed, in order, each with the activities
    done in it (`counted_periods`)."""
    current = next((p for p in periods if today in p[0]), None)
    past = [p for p in periods if p[0].end < today]
    upcoming = next((w for w, _n in periods if w.start > today), None)
    last = past[-1] if past else None
    missed = sum(1 for _w, n in past if n < rule.count)
    met = sum(1 for w, n in periods if w.start <= today and n >= rule.count)

    def result(
        status: Status,
        period: tuple[Window, int] | None,
        *,
        deadline: dt.date | None = None,
        overdue_since: dt.date | None = None,
    ) -> RuleStatus:
        return RuleStatus(
            rule=rule,
            status=status,
            required=rule.count,
            done=period[1] if period else 0,
            window=period[0] if period else None,
            deadline=deadline,
            overdue_since=overdue_since,
            next_due=upcoming.start if upcoming else None,
            missed=missed,
            owed=len(periods),
            met=met,
        )

    if current is not None and current[1] >= rule.count:
        return result(Status.DONE, current, deadline=current[0].end)
    if last is not None and last[1] < rule.count:
        period = current or last
        overdue_since = shift(last[0].end, 1)
        return result(Status.OVERDUE, period, deadline=period[0].end, overdue_since=overdue_since)
    if current is not None:
        return result(Status.DUE, current, deadline=current[0].end)
    return result(Status.IDLE, last)


@dataclass(frozen=True)
class PairingDuties:
    """Every rule of a pairing's category, evaluated, most urgent first."""

    statuses: list[RuleStatus] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(1 for s in self.statuses if s.status is Status.OVERDUE)

    @property
    def due(self) -> int:
        return sum(1 for s in self.statuses if s.status is Status.DUE)


def evaluate_pairing(
    rules: Iterable[Rule],
    *,
    category: str,
    calendar: Calendar,
    span: Span,
    logs: Sequence[Log],
    today: dt.date,
) -> PairingDuties:
    return _most_urgent_first(
        evaluate(rule, calendar=calendar, span=span, logs=logs, today=today)
        for rule in rules
        if rule.category == category
    )


def pairing_duties_of(
    rules: Iterable[Rule],
    *,
    category: str,
    periods: Mapping[str, Sequence[tuple[Window, int]]],
    today: dt.date,
) -> PairingDuties:
    """`evaluate_pairing` from each rule's counted periods (`counted_periods`) by the rule's
    key, as `visits.duty_store` keeps them: a rule whose key is missing owes nothing."""
    return _most_urgent_first(
        status_of(rule, periods.get(rule.key, ()), today=today)
        for rule in rules
        if rule.category == category
    )


def _most_urgent_first(statuses: Iterable[RuleStatus]) -> PairingDuties:
    ordered = sorted(statuses, key=lambda s: (STATUS_ORDER[s.status], s.deadline or dt.date.max))
    return PairingDuties(ordered)


def completeness(statuses: Iterable[RuleStatus]) -> tuple[int, int]:
    """Periods met and periods that have come due so far (met, or ended unmet), summed over
    several rules: the duty record's completeness."""
    statuses = list(statuses)
    met = sum(s.met for s in statuses)
    return met, met + sum(s.missed for s in statuses)
