"""Reads for activity logs, incidents, duty rules and the school calendar."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from aidcase.permissions import is_office
from pairing.models import Pairing
from pairing.selectors import pairings_visible_to
from students.models import School, Semester, Student
from students.selectors import (
    current_semester,
    students_visible_to,
    today,
)
from visits import duties, duty_store
from visits.calendars import calendars_for, rules_by_school
from visits.models import ActivityLog, Incident, Reminder


def rules_for(*, school: School) -> list[duties.Rule]:
    """The school's own rule set when it has edited one, else the shipped defaults."""
    return rules_by_school([school.pk])[school.pk]


def calendar_for(*, semester: Semester) -> duties.Calendar:
    """The semester as the duty evaluators see it: teaching dates, holiday weeks, exams and
    the school year. Three queries."""
    return calendars_for([semester])[semester.pk]


def duties_for_pairings(
    *,
    pairings: Iterable[Pairing],
    school: School,
    on: dt.date | None = None,
    semester: Semester | None = None,
) -> dict[int, duties.PairingDuties]:
    """Each pairing's duties on a day under the school's rules and calendar (the semester
    running that day unless the caller has it already), read from the stored status
    (`visits.duty_store`). Six queries when nothing is stale, however many pairings."""
    day = on or today()
    pairings = list(pairings)
    semester = semester or current_semester(school=school, on=day)
    if semester is None or not pairings:
        return {}
    return duty_store.statuses_for(pairings, semesters=[semester], day=day)


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


def duty_figures_by_school(
    semesters: Iterable[Semester], *, on: dt.date | None = None
) -> dict[int, duty_store.SchoolFigures]:
    """Per school, for semesters of several schools (one each) that have started by the day:
    the duty periods met and come due (in a running semester of the pairings active that
    day, so far; in a finished one of every pairing of the semester, over the whole
    semester, as the school's dashboard counts) and the logs dated in the semester so far.
    Added up in SQL from the stored status: seven queries when nothing is stale, however
    many schools, pairings and logs."""
    return duty_store.figures_by_school(semesters, day=on or today())


def duty_completion_by_pairing(
    *, pairings: QuerySet[Pairing], semester: Semester, on: dt.date | None = None, overdue: bool
) -> tuple[dict[int, tuple[int, int]], list[duty_store.Overdue]]:
    """For pairings of one school: duty periods met and come due per pairing by the day (no
    later than the day after the semester, when all have come due), and, when asked, the
    rules overdue that day with the day each fell overdue. Added up in SQL from the stored
    status: eight queries when nothing is stale, however many pairings and logs."""
    return duty_store.completion_by_pairing(
        pairings, semester=semester, day=on or today(), overdue=overdue
    )


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
    logs = duty_store.logs_by_pairing(pairings, calendars.values())
    results = {}
    for p in pairings:
        calendar = calendars[by_school[p.school_id].pk]
        results[p.pk] = duties.evaluate_pairing(
            rules[p.school_id],
            category=p.category,
            calendar=calendar,
            span=duties.Span(p.start, p.end),
            logs=logs[p.pk],
            today=min(day, duties.shift(calendar.end, 1)) if to_end else day,
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
