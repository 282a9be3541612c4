"""Writes for pairings."""

import datetime as dt
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal, receiver
from django.utils.translation import gettext as _

from aidcase.permissions import is_office, school_id_of
from pairing.models import Pairing
from students.models import School, Student
from students.signals import student_left

# Sent after an import wrote a school's pairings in bulk (no model signals fire there), with
# `school`: what is kept from the pairings in the floors above (visits' stored duty status)
# is brought up to date. Reads check pairings themselves; this only saves them the work.
pairings_imported = Signal()


@transaction.atomic
def pairing_create(
    *,
    school: School,
    teacher: Any,
    student: Student,
    category: str,
    start: dt.date,
    subject: str = "",
    goals: str = "",
    measures: str = "",
    by: Any,
) -> Pairing:
    """Pairs a teacher of the school with a student identified (approved) in the category
    for the semester of the start date; one open pairing per teacher, student and category."""
    pairing = Pairing(
        school=school,
        teacher=teacher,
        student=student,
        category=category,
        start=start,
        subject=subject.strip(),
        goals=goals.strip(),
        measures=measures.strip(),
        created_by=by,
    )
    pairing.full_clean()
    pairing.save()
    return pairing


@transaction.atomic
def pairing_end(*, pairing: Pairing, end: dt.date, reason: str, by: Any) -> Pairing:
    """Ends an open pairing on a day, with a reason; the record and its history stay."""
    if pairing.end is not None:
        raise ValidationError(_("该结对已于%(end)s结束") % {"end": pairing.end.isoformat()})
    pairing.end = end
    pairing.end_reason = reason
    pairing.full_clean()
    pairing.save()
    return pairing


# How a student's leaving ends their pairings (a student who drops out keeps them open: the
# school may still reach the child).
END_REASONS_OF_LEAVERS = {
    Student.Status.GRADUATED: Pairing.EndReason.GRADUATED,
    Student.Status.TRANSFERRED: Pairing.EndReason.TRANSFERRED,
}


@receiver(student_left, dispatch_uid="pairing.services.pairings_end_for_leaver")
def pairings_end_for_leaver(*, student: Student, by: Any, **kwargs: Any) -> None:
    """A graduated or transferred student's open pairings end on the day they left, inside
    the student's save; a leaving day before a pairing's start refuses that save."""
    reason = END_REASONS_OF_LEAVERS.get(Student.Status(student.status))
    if reason is None:
        return
    left_on = cast(dt.date, student.left_on)
    for pairing in Pairing.objects.filter(student=student, end__isnull=True).order_by("pk"):
        if pairing.start > left_on:
            raise ValidationError(
                {
                    "left_on": _("离校日期早于该生一个结对的开始日期（%(start)s）")
                    % {"start": pairing.start.isoformat()}
                }
            )
        pairing_end(pairing=pairing, end=left_on, reason=reason, by=by)


@transaction.atomic
def pairing_update_plan(*, pairing: Pairing, by: Any, goals: str, measures: str) -> Pairing:
    """The pairing's plan (一生一策): written by its teacher, or by the aid office."""
    office = is_office(by) and school_id_of(by) == pairing.school_id
    if by.pk != pairing.teacher_id and not office:
        raise PermissionDenied
    pairing.goals, pairing.measures = goals.strip(), measures.strip()
    pairing.full_clean()
    pairing.save(update_fields=["goals", "measures", "updated_at"])
    return pairing
