"""Reads for activity logs, incidents, duty rules and the school calendar."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from aidcase.permissions import is_office
from pairing.models import Pairing
from pairing.selectors import pairings_visible_to
from students.models import SEMESTER_CODE_RE, School, Semester, Student, semester_default_dates
from students.selectors import current_semester, students_visible_to, today
from visits import duties
from visits.models import ActivityLog, DutyRule, Exam, HolidayWeek, Incident, Reminder


def rules_for(*, school: School) -> list[duties.Rule]:
    """The school's own rule set when it has edited one, else the shipped defaults."""
    own = [
        duties.Rule(
            category=r.category,
            kind=r.kind,
            period=duties.Period(r.period),
            count=r.count,
            title=r.title,
            key=str(r.pk),
        )
        for r in DutyRule.objects.filter(school=school)
    ]
    return own or list(duties.DEFAULT_RULES)


def school_year_bounds(semester: Semester) -> tuple[dt.date, dt.date]:
    """The school year of a semester: from its term 1's start to its term 2's end, using the
    default dates for a term the school has not entered."""
    match = SEMESTER_CODE_RE.match(semester.code)
    if not match:
        return semester.start, semester.end
    year = f"{match[1]}-{match[2]}"
    terms = {
        s.code: s
        for s in Semester.objects.filter(school_id=semester.school_id, code__startswith=year)
    }
    first = terms.get(f"{year}-1")
    second = terms.get(f"{year}-2")
    start = first.start if first else semester_default_dates(f"{year}-1")[0]
    end = second.end if second else semester_default_dates(f"{year}-2")[1]
    return start, end


def calendar_for(*, semester: Semester) -> duties.Calendar:
    """The semester as the duty evaluators see it: teaching dates, holiday weeks, exams and
    the school year. Three queries."""
    year_start, year_end = school_year_bounds(semester)
    holidays = HolidayWeek.objects.filter(
        school_id=semester.school_id, monday__gte=semester.start - dt.timedelta(days=6)
    ).filter(monday__lte=semester.end)
    exams = Exam.objects.filter(semester=semester).values_list("date", flat=True)
    return duties.Calendar(
        start=semester.start,
        end=semester.end,
        holidays=frozenset(h.monday for h in holidays),
        exams=tuple(exams),
        year_start=year_start,
        year_end=year_end,
    )


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
    return _evaluate(pairings, rules=rules_for(school=school), semester=semester, day=day)


def duty_record_for(
    *, pairings: Iterable[Pairing], semester: Semester
) -> dict[int, list[duties.RuleStatus]]:
    """Each pairing's duty record over a semester, rule by rule: periods met out of those
    that have come due (all of them once the semester is over). For the assessment sheet."""
    pairings = list(pairings)
    if not pairings:
        return {}
    # The day after the semester: every period of a finished semester has come due.
    day = min(today(), semester.end + dt.timedelta(days=1))
    rules = rules_for(school=School(pk=semester.school_id))
    evaluated = _evaluate(pairings, rules=rules, semester=semester, day=day)
    order = {rule.key: n for n, rule in enumerate(rules)}
    return {
        pk: sorted(result.statuses, key=lambda s: order.get(s.rule.key, len(order)))
        for pk, result in evaluated.items()
    }


def _evaluate(
    pairings: list[Pairing], *, rules: list[duties.Rule], semester: Semester, day: dt.date
) -> dict[int, duties.PairingDuties]:
    calendar = calendar_for(semester=semester)
    earliest = min(calendar.start, calendar.year_start or calendar.start)
    logs: dict[int, list[duties.Log]] = defaultdict(list)
    rows = ActivityLog.objects.filter(
        pairing__in=[p.pk for p in pairings], withdrawn_at__isnull=True, date__gte=earliest
    ).values_list("pairing_id", "date", "kind")
    for pairing_id, date, kind in rows:
        logs[pairing_id].append(duties.Log(date, kind))
    return {
        p.pk: duties.evaluate_pairing(
            rules,
            category=p.category,
            calendar=calendar,
            span=duties.Span(p.start, p.end),
            logs=logs[p.pk],
            today=day,
        )
        for p in pairings
    }


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
