"""Reminders (提醒): each teacher's daily digest of due and overdue duties, and each
principal's weekly summary of the school; kept in-app always, e-mailed when the user has an
address. `manage.py send_reminders` runs this daily.

What is sent is recorded as one row per user, kind and period (the day of a digest, the
Monday of a summary): a second run on the same day finds the rows there and sends nothing
again, and the unique constraint keeps it so when two runs race.
"""

import datetime as dt
import logging
import smtplib
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from aidcase.permissions import profile_of
from pairing.models import Pairing
from pairing.selectors import pairings_of_school
from students.models import Category, Role, School
from students.selectors import current_semester
from visits import duties
from visits.models import Reminder
from visits.selectors import duties_for_pairings

logger = logging.getLogger(__name__)

TOP_TEACHERS = 5
REMINDED = (duties.Status.OVERDUE, duties.Status.DUE)


@dataclass(frozen=True)
class ReminderRun:
    """What one run did."""

    created: int  # in-app reminders this run made
    emailed: int  # of those, the ones e-mailed
    skipped: int  # already made by an earlier run for the same day (or week)
    failed: int = 0  # e-mails the mail server refused: those reminders are in-app only


def reminders_send(*, on: dt.date, school: School | None = None) -> ReminderRun:
    """Makes the reminders of a day for one school, or every school, and e-mails the new ones.

    - Every active user holding pairings active on the day gets a digest of their due and
      overdue duties, per student; someone with nothing due or overdue gets none.
    - Every active principal of a school with pairings running gets the school's summary
      for the week (keyed by its Monday): school-wide counts, overdue duties by category,
      the teachers most behind. On Mondays, or on the first run of a week that has none yet.
    - Nothing is sent for a school whose semester is not running on the day: between
      semesters nothing can be done about the last one's duties.
    - A reminder already made for the user, kind and period is not made or sent again.
    - Only the reminders this run made are e-mailed, to users with an address.

    Not one transaction: an e-mail cannot be taken back, so the rows are committed before any
    is sent. A refused e-mail leaves its reminder in-app, with no e-mail time.
    A fixed number of queries per school, however many teachers."""
    run = uuid.uuid4()
    schools = [school] if school is not None else list(School.objects.all())
    # Stored as text: written in the site's language, not whichever one the caller has on.
    with translation.override(settings.LANGUAGE_CODE):
        reminders = [r for s in schools for r in _reminders_of(school=s, on=on, run=run)]
    created = _reminders_save(reminders=reminders, run=run)
    sent, failed = _email(created)
    if sent:
        Reminder.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    return ReminderRun(
        created=len(created),
        emailed=len(sent),
        skipped=len(reminders) - len(created),
        failed=failed,
    )


@transaction.atomic
def reminder_mark_read(*, reminder: Reminder, by: Any) -> Reminder:
    """Marks the user's own reminder read; reading it again keeps the first time."""
    if reminder.user_id != by.pk:
        raise PermissionDenied
    if reminder.read_at is None:
        reminder.read_at = timezone.now()
        reminder.save(update_fields=["read_at"])
    return reminder


@transaction.atomic
def _reminders_save(*, reminders: list[Reminder], run: uuid.UUID) -> list[Reminder]:
    """Inserts the reminders not made yet and returns those this run inserted. Rows are
    built from evaluated duties, not user input: the constraints are the check here, and
    full_clean() would cost a query per row."""
    Reminder.objects.bulk_create(reminders, ignore_conflicts=True, batch_size=500)
    return list(Reminder.objects.filter(run=run).select_related("user"))


def _email(reminders: Sequence[Reminder]) -> tuple[list[int], int]:
    """E-mails each reminder whose user has an address, through Django's mail settings.
    Returns the reminders sent and how many were refused (logged, without their text)."""
    addressed = [r for r in reminders if r.user.email.strip()]
    sent: list[int] = []
    if not addressed:
        return sent, 0
    try:
        # One connection for the whole run: an SMTP session per e-mail is slow.
        with mail.mailers.default as connection:
            for reminder in addressed:
                message = mail.EmailMessage(
                    subject=reminder.subject, body=reminder.body, to=[reminder.user.email.strip()]
                )
                try:
                    delivered = connection.send_messages([message])
                except (smtplib.SMTPException, OSError):
                    logger.warning("reminder %s: e-mail refused", reminder.pk, exc_info=True)
                else:
                    if delivered:
                        sent.append(reminder.pk)
    except (smtplib.SMTPException, OSError):
        logger.warning("reminders: the mail server could not be reached", exc_info=True)
    return sent, len(addressed) - len(sent)


def _reminders_of(*, school: School, on: dt.date, run: uuid.UUID) -> list[Reminder]:
    semester = current_semester(school=school, on=on)
    if semester is None or not semester.contains(on):
        return []
    pairings = list(
        pairings_of_school(school=school, on=on).order_by(
            "teacher_id", "student__name", "student_id", "category"
        )
    )
    evaluated = duties_for_pairings(pairings=pairings, school=school, on=on, semester=semester)
    if not evaluated:
        return []
    by_teacher: dict[int, list[Pairing]] = defaultdict(list)
    for pairing in pairings:
        by_teacher[pairing.teacher_id].append(pairing)
    reminders = []
    for own in by_teacher.values():
        teacher = own[0].teacher
        if not teacher.is_active:
            continue
        digest = _teacher_digest(
            teacher=teacher, entries=[(p, evaluated[p.pk]) for p in own], on=on, run=run
        )
        if digest is not None:
            reminders.append(digest)
    principals = (
        get_user_model()
        .objects.filter(is_active=True, profile__school=school, profile__role=Role.PRINCIPAL)
        .select_related("profile")
        .order_by("pk")
    )
    reminders += _principal_summaries(
        principals=list(principals), pairings=pairings, evaluated=evaluated, on=on, run=run
    )
    return reminders


def _name_of(user: Any) -> str:
    profile = profile_of(user)
    return profile.name if profile is not None and profile.name else user.get_username()


def _long_date(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _duty_line(status: duties.RuleStatus) -> str:
    if status.status is duties.Status.OVERDUE and status.overdue_since is not None:
        when = _("%(day)s 起逾期") % {"day": formats.date_format(status.overdue_since, "n/j")}
    elif status.deadline is not None:
        when = _("%(day)s 前完成") % {"day": formats.date_format(status.deadline, "n/j")}
    else:
        when = ""
    words = {"status": status.label, "title": status.rule.title, "when": when}
    return (
        _("· %(status)s：%(title)s（%(when)s）") if when else _("· %(status)s：%(title)s")
    ) % words


def _teacher_digest(
    *,
    teacher: Any,
    entries: list[tuple[Pairing, duties.PairingDuties]],
    on: dt.date,
    run: uuid.UUID,
) -> Reminder | None:
    overdue = sum(d.overdue for _p, d in entries)
    due = sum(d.due for _p, d in entries)
    if not overdue and not due:
        return None
    counts = {"overdue": overdue, "due": due}
    lines = [
        _("%(name)s，您好：") % {"name": _name_of(teacher)},
        "",
        _("截至 %(date)s，您结对帮扶的学生中有逾期 %(overdue)s 项、待完成 %(due)s 项：")
        % {"date": _long_date(on), **counts},
    ]
    for pairing, pairing_duties in entries:
        reminded = [s for s in pairing_duties.statuses if s.status in REMINDED]
        if reminded:
            student = {"name": pairing.student.name, "category": Category(pairing.category).label}
            lines += ["", _("%(name)s（%(category)s）") % student]
            lines += [_duty_line(s) for s in reminded]
    lines += ["", _("请登录结对帮扶系统，在“我的学生”页面记录帮扶。")]
    subject = _("%(date)s 帮扶提醒：逾期 %(overdue)s 项，待完成 %(due)s 项") % {
        "date": formats.date_format(on, "MONTH_DAY_FORMAT"),
        **counts,
    }
    return Reminder(
        user=teacher,
        kind=Reminder.Kind.TEACHER_DIGEST,
        period=on,
        subject=subject,
        body="\n".join(lines),
        overdue=overdue,
        due=due,
        run=run,
    )


def _principal_summaries(
    *,
    principals: list[Any],
    pairings: list[Pairing],
    evaluated: dict[int, duties.PairingDuties],
    on: dt.date,
    run: uuid.UUID,
) -> list[Reminder]:
    if not principals:
        return []
    monday = duties.monday_of(on)
    overdue = sum(d.overdue for d in evaluated.values())
    due = sum(d.due for d in evaluated.values())
    by_category: Counter[str] = Counter()
    by_teacher: Counter[int] = Counter()
    teachers: dict[int, Any] = {}
    for pairing in pairings:
        by_category[pairing.category] += evaluated[pairing.pk].overdue
        by_teacher[pairing.teacher_id] += evaluated[pairing.pk].overdue
        teachers[pairing.teacher_id] = pairing.teacher
    counts = {"overdue": overdue, "due": due}
    summary = [
        _(
            "截至 %(date)s，全校进行中的结对 %(pairings)s 个、帮扶教师 %(teachers)s 名，"
            "共有逾期 %(overdue)s 项、待完成 %(due)s 项。"
        )
        % {
            "date": _long_date(on),
            "pairings": len(pairings),
            "teachers": len(teachers),
            **counts,
        },
        "",
        _("各类别逾期项数："),
    ]
    summary += [
        _("· %(category)s：%(n)s 项") % {"category": label, "n": by_category[value]}
        for value, label in Category.choices
    ]
    worst = sorted(
        (pk for pk, n in by_teacher.items() if n),
        key=lambda pk: (-by_teacher[pk], _name_of(teachers[pk])),
    )[:TOP_TEACHERS]
    summary += ["", _("逾期最多的教师：") if worst else _("没有逾期的帮扶任务。")]
    summary += [
        _("· %(name)s：逾期 %(n)s 项") % {"name": _name_of(teachers[pk]), "n": by_teacher[pk]}
        for pk in worst
    ]
    summary += ["", _("详情请登录结对帮扶系统查看学校总览。")]
    subject = _("%(date)s 起一周帮扶汇总：逾期 %(overdue)s 项，待完成 %(due)s 项") % {
        "date": formats.date_format(monday, "MONTH_DAY_FORMAT"),
        **counts,
    }
    return [
        Reminder(
            user=principal,
            kind=Reminder.Kind.PRINCIPAL_WEEKLY,
            period=monday,
            subject=subject,
            body="\n".join([_("%(name)s，您好：") % {"name": _name_of(principal)}, "", *summary]),
            overdue=overdue,
            due=due,
            run=run,
        )
        for principal in principals
    ]
