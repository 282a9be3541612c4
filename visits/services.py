"""Writes for activity logs and incidents."""

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aidcase.permissions import is_office, school_id_of
from pairing.models import Pairing
from students.models import Student
from visits.duty_store import duty_status_refresh
from visits.models import LOG_FIELDS, ActivityLog, Incident
from visits.photos import photos_add

# The audit trail's note on a record written on a phone offline and sent later: the entry's
# own time is when it arrived. Stored as written, as the other change reasons are.
OFFLINE_REASON = "离线记录于 {at:%Y-%m-%d %H:%M}"


def offline_reason(written_at: dt.datetime | None) -> str | None:
    return OFFLINE_REASON.format(at=timezone.localtime(written_at)) if written_at else None


def _office_of(user: Any, school_id: int) -> bool:
    return is_office(user) and school_id_of(user) == school_id


def log_edit_refusal(*, log: ActivityLog, user: Any) -> str | None:
    """Why the user may not edit or withdraw the log, or None when they may. The author may
    for 7 days; after that the log is part of the record and only the school's aid office
    corrects it."""
    if _office_of(user, log.pairing.school_id):
        return None
    if log.author_id != user.pk:
        return _("只有记录人或资助办可以修改该记录")
    if log.is_withdrawn:
        return _("该记录已撤回")
    if timezone.now() >= log.editable_by_author_until():
        return _("记录已超过 7 天，只能由资助办更正")
    return None


def log_can_edit(*, log: ActivityLog, user: Any) -> bool:
    return log_edit_refusal(log=log, user=user) is None


def _save(
    log: ActivityLog,
    *,
    data: Mapping[str, Any],
    photos: Sequence[UploadedFile],
    by: Any,
    written_at: dt.datetime | None = None,
) -> ActivityLog:
    for name in LOG_FIELDS:
        if name in data:
            value = data[name]
            setattr(log, name, value.strip() if isinstance(value, str) else value)
    log.full_clean()
    if written_at is not None:
        log._change_reason = offline_reason(written_at)  # type: ignore[attr-defined]
    log.save()
    if photos:
        photos_add(log=log, uploads=photos, by=by)
    duty_status_refresh(pairings=[log.pairing])
    return log


@transaction.atomic
def log_create(
    *,
    pairing: Pairing,
    by: Any,
    data: Mapping[str, Any],
    photos: Sequence[UploadedFile] = (),
    written_at: dt.datetime | None = None,
) -> ActivityLog:
    """Records aid given under a pairing: by its teacher, or by the school's aid office
    completing the record. Photos (home visits) are re-encoded in the same transaction.
    `written_at`: when the record was written on a phone offline (noted in its history)."""
    if by.pk != pairing.teacher_id and not _office_of(by, pairing.school_id):
        raise PermissionDenied
    log = ActivityLog(pairing=pairing, author=by)
    return _save(log, data=data, photos=photos, by=by, written_at=written_at)


@transaction.atomic
def log_update(
    *,
    log: ActivityLog,
    by: Any,
    data: Mapping[str, Any],
    photos: Sequence[UploadedFile] = (),
) -> ActivityLog:
    refusal = log_edit_refusal(log=log, user=by)
    if refusal:
        raise ValidationError(refusal)
    return _save(log, data=data, photos=photos, by=by)


@transaction.atomic
def log_withdraw(*, log: ActivityLog, by: Any, reason: str) -> ActivityLog:
    """Withdraws a log: it stops counting towards any duty but stays in the record, with
    the reason."""
    refusal = log_edit_refusal(log=log, user=by)
    if log.is_withdrawn or refusal:
        raise ValidationError(refusal or _("该记录已撤回"))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("请填写撤回原因")})
    log.withdrawn_at = timezone.now()
    log.withdrawn_reason = reason
    log.full_clean()
    log.save(update_fields=["withdrawn_at", "withdrawn_reason", "updated_at"])
    duty_status_refresh(pairings=[log.pairing])
    return log


@transaction.atomic
def incident_create(
    *,
    student: Student,
    by: Any,
    date: Any,
    type: str,
    note: str = "",
    written_at: dt.datetime | None = None,
) -> Incident:
    """Records an incident (逃学、打架…) for a student: by the homeroom teacher of the
    student's class or the aid office. The semester assessment reads them. `written_at` as
    for a log."""
    homeroom = (
        student.school_class is not None and student.school_class.homeroom_teacher_id == by.pk
    )
    if not homeroom and not _office_of(by, student.school_id):
        raise PermissionDenied
    incident = Incident(student=student, date=date, type=type, note=note.strip(), recorded_by=by)
    incident.full_clean()
    if written_at is not None:
        incident._change_reason = offline_reason(written_at)  # type: ignore[attr-defined]
    incident.save()
    return incident
