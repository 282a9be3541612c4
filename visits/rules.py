"""Writes and reads for a school's duty rules and calendar (holiday weeks and exams).

A school without rule rows of its own uses the shipped defaults (`duties.DEFAULT_RULES`,
through `visits.selectors.rules_for`); editing is copy-on-write: the first save writes the
school's own full rule set, and resetting deletes it again.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcase.audit import RULES_REASON, tracked_bulk_create
from students.models import School, Semester
from students.selectors import schools_visible_to
from visits.duties import monday_of
from visits.models import DutyRule, Exam, HolidayWeek
from visits.tasks import rebuild_duty_status_later

# A rule's errors name the row (1 = the first rule given), so that a caller showing the rules
# as a list can put each error beside its row: the row number travels in `params["row"]`.
# A row named by another (`params["other"]`) is a row number as well.
ROW_ERROR = gettext_lazy("第 %(row)s 条：%(error)s")
DUPLICATE_ERROR = gettext_lazy(
    "第 %(row)s 条：类别、措施类型和周期与第 %(other)s 条相同，请合并为一条"
)


def _row_error(row: int, message: Any) -> ValidationError:
    return ValidationError(ROW_ERROR, code="rule", params={"row": row, "error": message})


@transaction.atomic
def duty_rules_save(
    *, school: School, rules: Sequence[Mapping[str, Any]], by: Any
) -> list[DutyRule]:
    """Replaces the school's rule set with the given rows (category, kind, period, count,
    title), in that order. Every row is checked before anything is written: a known category,
    kind and period, a count of 1–20, a title, and no two rows for the same category, kind and
    period. An empty set is refused: going back to the defaults is `duty_rules_reset`."""
    if not rules:
        raise ValidationError(
            {"rules": _("至少保留一条帮扶措施要求；要使用默认规则，请点“恢复默认”")}
        )
    errors: dict[str, list[ValidationError]] = defaultdict(list)
    built: list[DutyRule] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row, data in enumerate(rules, start=1):
        count: Any = data.get("count")  # checked by full_clean() below, like the rest
        rule = DutyRule(
            school=school,
            category=data.get("category") or "",
            kind=data.get("kind") or "",
            period=data.get("period") or "",
            count=count,
            title=(data.get("title") or "").strip(),
            position=row,
        )
        try:
            # The unique constraint is checked against the rows given, below: the school's
            # current rows are about to be replaced, so they cannot clash.
            rule.full_clean(validate_constraints=False)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors[field].extend(_row_error(row, message) for message in messages)
        key = (rule.category, rule.kind, rule.period)
        if all(key) and key in seen:
            errors["kind"].append(
                ValidationError(
                    DUPLICATE_ERROR, code="duplicate", params={"row": row, "other": seen[key]}
                )
            )
        seen.setdefault(key, row)
        built.append(rule)
    if errors:
        raise ValidationError(dict(errors))
    DutyRule.objects.filter(school=school).delete()
    saved = tracked_bulk_create(DutyRule, built, by=by, reason=RULES_REASON)
    rebuild_duty_status_later(school_id=school.pk)
    return saved


@transaction.atomic
def duty_rules_reset(*, school: School, by: Any) -> int:
    """Deletes the school's own rules, so that it uses the shipped defaults again. Returns
    how many rows were deleted (0 when the school already used the defaults)."""
    deleted, _counts = DutyRule.objects.filter(school=school).delete()
    rebuild_duty_status_later(school_id=school.pk)
    return deleted


@transaction.atomic
def holiday_week_add(*, school: School, day: dt.date, note: str, by: Any) -> HolidayWeek:
    """Marks the week of a day (any day of it) as not counting for the duties; the week is
    stored by its Monday."""
    monday = monday_of(day)
    if HolidayWeek.objects.filter(school=school, monday=monday).exists():
        raise ValidationError(
            {
                "day": _("%(start)s—%(end)s 这一周已经标记为不计周")
                % {
                    "start": monday.isoformat(),
                    "end": (monday + dt.timedelta(days=6)).isoformat(),
                }
            }
        )
    holiday = HolidayWeek(school=school, monday=monday, note=note.strip())
    holiday.full_clean()
    holiday.save()
    rebuild_duty_status_later(school_id=school.pk)
    return holiday


@transaction.atomic
def holiday_week_remove(*, holiday: HolidayWeek, by: Any) -> None:
    holiday.delete()
    rebuild_duty_status_later(school_id=holiday.school_id)


@transaction.atomic
def exam_add(*, semester: Semester, name: str, date: dt.date, by: Any) -> Exam:
    """Puts an exam on the school's calendar: inside the semester's teaching dates, at most
    one exam a day (an exam spanning several days is entered on its first day)."""
    clash = Exam.objects.filter(school_id=semester.school_id, date=date).first()
    if clash is not None:
        raise ValidationError(
            {
                "date": _("%(date)s 已有考试“%(name)s”")
                % {"date": date.isoformat(), "name": clash.name}
            }
        )
    exam = Exam(school_id=semester.school_id, semester=semester, name=name.strip(), date=date)
    exam.full_clean()
    exam.save()
    rebuild_duty_status_later(school_id=semester.school_id)
    return exam


@transaction.atomic
def exam_remove(*, exam: Exam, by: Any) -> None:
    exam.delete()
    rebuild_duty_status_later(school_id=exam.school_id)


def holiday_weeks_of(*, school: School, semester: Semester) -> QuerySet[HolidayWeek]:
    """The school's holiday weeks that overlap the semester's teaching dates (as
    `visits.selectors.calendar_for` sees them)."""
    start, end = semester.teaching_dates
    return HolidayWeek.objects.filter(
        school=school, monday__gte=start - dt.timedelta(days=6), monday__lte=end
    ).order_by("monday")


def exams_of(*, semester: Semester) -> QuerySet[Exam]:
    return Exam.objects.filter(semester=semester).order_by("date")


def holiday_get_for_user(*, user: Any, pk: int) -> HolidayWeek:
    holiday = HolidayWeek.objects.filter(school__in=schools_visible_to(user=user), pk=pk).first()
    if holiday is None:
        raise Http404
    return holiday


def exam_get_for_user(*, user: Any, pk: int) -> Exam:
    exam = Exam.objects.filter(school__in=schools_visible_to(user=user), pk=pk).first()
    if exam is None:
        raise Http404
    return exam
