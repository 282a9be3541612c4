"""Writes for pairings."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aidcase.permissions import is_office, school_id_of
from pairing.models import Pairing
from students.models import School, Student


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
