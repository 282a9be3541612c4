"""Reads for activity logs, incidents, duty rules and the school calendar."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from aidcase.permissions import is_office
from pairing.models import Pairing
from pairing.selectors import pairings_visible_to
from students.models import School, Semester, Student, semester_default_dates
from students.selectors import (
    current_semester,
    pairing_active_between,
    pairing_active_on,
    students_visible_to,
    today,
)
from visits import duties
from visits.models import ActivityLog, DutyRule, Exam, HolidayWeek, Incident, Reminder

# A week that starts up to six days before the semester reaches into it.
WEEK_BACK = dt.timedelta(days=6)


def rules_for(*, school: School) -> list[duties.Rule]:
    """The school's own rule set when it has edited one, else the shipped defaults."""
    return rules_by_school([school.pk])[school.pk]


def rules_by_school(school_ids: Iterable[int]) -> dict[int, list[duties.Rule]]:
    """Each school's rule set (its own when edited, else the defaults). One query."""
    school_ids = list(school_ids)
    own: dict[int, list[duties.Rule]] = defaultdict(list)
    for r in DutyRule.objects.filter(school__in=school_ids):
        own[r.school_id].append(
            duties.Rule(
                category=r.category,
                kind=r.kind,
                period=duties.Period(r.period),
                count=r.count,
                title=r.title,
                key=str(r.pk),
            )
        )
    return {pk: own.get(pk) or list(duties.DEFAULT_RULES) for pk in school_ids}


def _school_year(semester: Semester) -> str | None:
    try:
        semester_default_dates(semester.code)
    except ValueError:
        return None
    return semester.code[:9]


def _year_bounds(
    semester: Semester, terms: dict[tuple[int, str], Semester]
) -> tuple[dt.date, dt.date]:
    """The school year of a semester: from its term 1's start to its term 2's end (`terms` by
    school and code), using the default dates for a term the school has not entered. Each
    term's dates as `Semester.teaching_dates` holds them inside the school year."""
    year = _school_year(semester)
    if year is None:
        return semester.teaching_dates
    first = terms.get((semester.school_id, f"{year}-1"))
    second = terms.get((semester.school_id, f"{year}-2"))
    start = first.teaching_dates[0] if first else semester_default_dates(f"{year}-1")[0]
    end = second.teaching_dates[1] if second else semester_default_dates(f"{year}-2")[1]
    return start, end


def calendar_for(*, semester: Semester) -> duties.Calendar:
    """The semester as the duty evaluators see it: teaching dates, holiday weeks, exams and
    the school year. Three queries."""
    return calendars_for([semester])[semester.pk]


def calendars_for(semesters: Iterable[Semester]) -> dict[int, duties.Calendar]:
    """`calendar_for` for several semesters (of one school or many) at once, by semester
    pk. Three queries, however many semesters."""
    semesters = list(semesters)
    if not semesters:
        return {}
    same_year = Q(pk__in=[])
    on_holiday = Q(pk__in=[])
    for semester in semesters:
        year = _school_year(semester)
        if year is not None:
            same_year |= Q(school_id=semester.school_id, code__startswith=year)
        start, end = semester.teaching_dates
        on_holiday |= Q(school_id=semester.school_id, monday__range=(start - WEEK_BACK, end))
    terms = {(s.school_id, s.code): s for s in Semester.objects.filter(same_year).order_by()}
    holidays: dict[int, set[dt.date]] = defaultdict(set)
    for school_id, monday in (
        HolidayWeek.objects.filter(on_holiday).values_list("school_id", "monday").order_by()
    ):
        holidays[school_id].add(monday)
    exams: dict[int, list[dt.date]] = defaultdict(list)
    for semester_id, date in (
        Exam.objects.filter(semester__in=semesters).values_list("semester_id", "date").order_by()
    ):
        exams[semester_id].append(date)
    calendars = {}
    for semester in semesters:
        year_start, year_end = _year_bounds(semester, terms)
        start, end = semester.teaching_dates
        window = (start - WEEK_BACK, end)
        calendars[semester.pk] = duties.Calendar(
            start=start,
            end=end,
            holidays=frozenset(
                m for m in holidays[semester.school_id] if window[0] <= m <= window[1]
            ),
            exams=tuple(exams[semester.pk]),
            year_start=year_start,
            year_end=year_end,
        )
    return calendars


def duties_for_pairings(
    *,
    pairings: Iterable[Pairing],
    school: School,
    on: dt.date | None = None,
    semester: Semester | None = None,
) -> dict[int, duties.PairingDuties]:
    """Each pairing's duties on a day, evaluated against the school's rules and calendar
    (the semester running that day unless the caller has it already). A fixed number of
    queries, however many pairings."""
    day = on or today()
    pairings = list(pairings)
    semester = semester or current_semester(school=school, on=day)
    if semester is None or not pairings:
        return {}
    return _evaluate(pairings, semesters=[semester], day=day)


def duty_record_for(
    *, pairings: Iterable[Pairing], semester: Semester
) -> dict[int, list[duties.RuleStatus]]:
    """Each pairing's duty record over a semester, rule by rule: periods met out of those
    that have come due (all of them once the semester is over). For the assessment sheet."""
    pairings = list(pairings)
    if not pairings:
        return {}
    # The day after the semester: every period of a finished semester has come due.
    day = min(today(), semester.teaching_dates[1] + dt.timedelta(days=1))
    rules = rules_for(school=School(pk=semester.school_id))
    evaluated = _evaluate(
        pairings, semesters=[semester], day=day, rules={semester.school_id: rules}
    )
    order = {rule.key: n for n, rule in enumerate(rules)}
    return {
        pk: sorted(result.statuses, key=lambda s: order.get(s.rule.key, len(order)))
        for pk, result in evaluated.items()
    }


def duty_completion_by_school(
    semesters: Iterable[Semester], *, on: dt.date | None = None
) -> dict[int, tuple[int, int]]:
    """Duty periods met and come due per school, for semesters of several schools (one
    each): in a running semester the pairings active that day, so far; in a finished one
    every pairing of the semester, over the whole semester (as the school's dashboard
    counts). Six queries, however many schools and pairings."""
    day = on or today()
    semesters = [s for s in semesters if s.teaching_dates[0] <= day]
    if not semesters:
        return {}
    active = Q(pk__in=[])
    for s in semesters:
        start, end = s.teaching_dates
        if day <= end:
            active |= Q(pairing_active_on(day), school_id=s.school_id)
        else:
            active |= Q(pairing_active_between(start, end), school_id=s.school_id)
    pairings = list(Pairing.objects.filter(active))
    evaluated = _evaluate(pairings, semesters=semesters, day=day, to_end=True)
    totals: dict[int, tuple[int, int]] = {s.school_id: (0, 0) for s in semesters}
    for pairing in pairings:
        met, due = duties.completeness(evaluated[pairing.pk].statuses)
        was = totals[pairing.school_id]
        totals[pairing.school_id] = (was[0] + met, was[1] + due)
    return totals


def _evaluate(
    pairings: list[Pairing],
    *,
    semesters: list[Semester],
    day: dt.date,
    to_end: bool = False,
    rules: dict[int, list[duties.Rule]] | None = None,
) -> dict[int, duties.PairingDuties]:
    """Evaluates pairings of the schools of `semesters` (one semester per school) on a day;
    with `to_end`, no later than the day after each semester, when all of its periods have
    come due. Five queries (four when the caller has the rules)."""
    by_school = {s.school_id: s for s in semesters}
    calendars = calendars_for(semesters)
    rules = rules or rules_by_school(by_school)
    earliest = min(min(c.start, c.year_start or c.start) for c in calendars.values())
    logs: dict[int, list[duties.Log]] = defaultdict(list)
    rows = ActivityLog.objects.filter(
        pairing__in=[p.pk for p in pairings], withdrawn_at__isnull=True, date__gte=earliest
    ).values_list("pairing_id", "date", "kind")
    for pairing_id, date, kind in rows:
        logs[pairing_id].append(duties.Log(date, kind))
    results = {}
    for p in pairings:
        calendar = calendars[by_school[p.school_id].pk]
        results[p.pk] = duties.evaluate_pairing(
            rules[p.school_id],
            category=p.category,
            calendar=calendar,
            span=duties.Span(p.start, p.end),
            logs=logs[p.pk],
            today=min(day, calendar.end + dt.timedelta(days=1)) if to_end else day,
        )
    return results


def logs_visible_to(*, user: Any) -> QuerySet[ActivityLog]:
    """Logs of the pairings the user may see (their students' helpers' logs included)."""
    return ActivityLog.objects.filter(pairing__in=pairings_visible_to(user=user)).select_related(
        "pairing", "pairing__student", "author__profile"
    )


def log_get_for_user(*, user: Any, pk: int) -> ActivityLog:
    log = logs_visible_to(user=user).filter(pk=pk).first()
    if log is None:
        raise Http404
    return log


def pairing_for_logging(*, user: Any, pk: int) -> Pairing:
    """A pairing the user may log aid under: their own active one, or any of the school's
    for the aid office (which corrects and completes records). 404 for anyone else."""
    pairings = pairings_visible_to(user=user)
    if not is_office(user):
        pairings = pairings.filter(teacher=user)
    pairing = pairings.filter(pk=pk).first()
    if pairing is None:
        raise Http404
    return pairing


def timeline_of(*, student: Student) -> list[tuple[dt.date, str, Any]]:
    """Every helper's logs and every incident of a student, newest first."""
    logs = (
        ActivityLog.objects.filter(pairing__student=student)
        .select_related("author__profile", "pairing")
        .prefetch_related("photos")
    )
    incidents = Incident.objects.filter(student=student).select_related("recorded_by__profile")
    entries: list[tuple[dt.date, str, Any]] = [(log.date, "log", log) for log in logs]
    entries += [(incident.date, "incident", incident) for incident in incidents]
    entries.sort(key=lambda e: (e[0], e[2].created_at), reverse=True)
    return entries


def student_for_incident(*, user: Any, pk: int) -> Student:
    """A student whose incidents the user may record: the office's school, or the homeroom
    teacher's class. 404 for anyone else."""
    students = students_visible_to(user=user)
    if not is_office(user):
        students = students.filter(school_class__homeroom_teacher=user)
    student = students.filter(pk=pk).first()
    if student is None:
        raise Http404
    return student


def can_record_incident(*, user: Any, student: Student) -> bool:
    return is_office(user) or (
        student.school_class is not None and student.school_class.homeroom_teacher_id == user.pk
    )


def reminders_unread(*, user: Any, limit: int = 3) -> list[Reminder]:
    """The user's own unread reminders, latest first: a teacher's digests on /me/, a
    principal's weekly summaries on the dashboard. One query."""
    return list(Reminder.objects.filter(user=user, read_at__isnull=True)[:limit])


def reminder_get_for_user(*, user: Any, pk: int) -> Reminder:
    """A reminder of the user's own; 404 for anyone else's."""
    reminder = Reminder.objects.filter(user=user, pk=pk).first()
    if reminder is None:
        raise Http404
    return reminder
