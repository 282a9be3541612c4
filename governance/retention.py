"""How long AidCase keeps what it holds about children, and how it lets go.

- Graduated and transferred students are archived `ARCHIVE_AFTER_DAYS` after the day they
  left: hidden from the student list, searches and teachers, kept for the ledgers, the
  assessment sheets and the audit trail.
- On a justified request (a guardian's, a court's…) the aid office erases a student who has
  left: every record of the child, the files of their photos, the history of those records
  and their name in stored assessment sheets and reminders go. An `Erasure` record keeps who,
  when, why and how many records, under a reference, and never who the child was.
- `manage.py retention` runs once a day: it archives, deletes login records and reminders past
  their periods, expired export ZIPs and import uploads, and files under MEDIA_ROOT that no
  record points to (photos of a rolled-back upload, exports whose row is gone).
"""

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog
from axes.models import AccessLog as LoginLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcase.audit import tracked_bulk_update
from aidcase.permissions import person_label
from aidcase.stored_files import stored_files_older_than
from aidcase.submissions import submissions_prune
from assessment.models import Questionnaire, Score, Sheet, SheetExport
from assessment.tasks import EXPORT_DIR, expired_exports, exports_delete
from governance.history import records_of
from governance.models import Erasure
from imports.views import pending_files_sweep
from pairing.models import Pairing
from students.models import Identification, Student
from visits.models import ActivityLog, Incident, Reminder, VisitPhoto

ARCHIVE_REASON = "离校满保存期限，自动归档"
# How an erased student appears in the stored sheets that counted their pairing.
ERASED_LABEL = gettext_lazy("（资料已删除）")
MIN_REASON_LENGTH = 10
# Files younger than this may belong to an upload whose transaction has not committed yet.
ORPHAN_GRACE = dt.timedelta(days=1)
PHOTO_DIR = "photos"


# Archiving


def archivable(*, on: dt.date) -> QuerySet[Student]:
    """Graduated and transferred students gone for at least ARCHIVE_AFTER_DAYS on the day."""
    cutoff = on - dt.timedelta(days=settings.ARCHIVE_AFTER_DAYS)
    return Student.objects.filter(
        status__in=Student.LEFT, left_on__lte=cutoff, archived_at__isnull=True
    )


@transaction.atomic
def students_archive(*, on: dt.date, dry_run: bool = False) -> int:
    """Archives the students archivable on the day; how many. Running it again archives
    nobody twice. Each archiving is kept in the student's history."""
    students = list(archivable(on=on).order_by("pk"))
    if dry_run:
        return len(students)
    now = timezone.now()
    for student in students:
        student.archived_at = now
    tracked_bulk_update(Student, students, ["archived_at"], by=None, reason=ARCHIVE_REASON)
    return len(students)


# Erasure


# The records about a student, each with how it is found from the student's id, the
# pairings' ids or the logs' ids (the ids of deleted records too, from their history).
ABOUT: dict[str, tuple[type[models.Model], str, str]] = {
    "students": (Student, "id", "student"),
    "identifications": (Identification, "student_id", "student"),
    "pairings": (Pairing, "student_id", "student"),
    "logs": (ActivityLog, "pairing_id__in", "pairings"),
    "photos": (VisitPhoto, "log_id__in", "logs"),
    "questionnaires": (Questionnaire, "pairing_id__in", "pairings"),
    "incidents": (Incident, "student_id", "student"),
    "scores": (Score, "student_id", "student"),
}


@dataclass(frozen=True)
class Footprint:
    """Everything of one student that an erasure deletes or blots out, found before anything
    goes: the ids of every record about them (of deleted ones too, from their history), the
    words of their questionnaires, and how many of each."""

    ids: dict[str, frozenset[int]]
    comments: frozenset[str]
    counts: dict[str, int]


def _histories(ids: dict[str, frozenset[int]]) -> list[QuerySet[Any]]:
    """The history rows of the records, as querysets."""
    return [records_of(model).filter(id__in=ids[kind]) for kind, (model, _f, _b) in ABOUT.items()]


def _sheets_of(student: Student) -> list[QuerySet[Any]]:
    return [
        Sheet.objects.filter(school_id=student.school_id),
        records_of(Sheet).filter(school_id=student.school_id),
    ]


def _redacted(
    content: Any, *, pairing_ids: frozenset[int], comments: frozenset[str]
) -> tuple[Any, int]:
    """The sheet content with the lines of the pairings anonymised and the questionnaires'
    comments left out, and how many entries that was: the teacher's points, statuses and
    duties stay, whom they were for goes."""
    if not isinstance(content, dict) or not isinstance(content.get("pairings"), list):
        return content, 0
    lines, redacted = [], 0
    for line in content["pairings"]:
        if isinstance(line, dict) and line.get("pairing") in pairing_ids:
            line = {
                **line,
                "pairing": None,
                "student_no": "",
                "student_name": str(ERASED_LABEL),
                "id_number": "",
                "class_name": "",
                "incidents": [],
            }
            redacted += 1
        lines.append(line)
    content = {**content, "pairings": lines}
    summary = content.get("questionnaire")
    if isinstance(summary, dict) and isinstance(summary.get("comments"), list):
        kept = [c for c in summary["comments"] if c not in comments]
        redacted += len(summary["comments"]) - len(kept)
        content["questionnaire"] = {**summary, "comments": kept}
    return content, redacted


def _ids_about(student: Student) -> dict[str, frozenset[int]]:
    """The ids of every record about the student, present or deleted (from the history:
    a record deleted before the erasure still has history rows to purge)."""
    found = {"student": frozenset([student.pk])}
    ids: dict[str, frozenset[int]] = {}
    for kind, (model, field, by) in ABOUT.items():
        key = found[by] if field.endswith("__in") else next(iter(found[by]))
        ids[kind] = frozenset(
            model._default_manager.filter(**{field: key}).values_list("pk", flat=True)
        )
        ids[kind] |= frozenset(
            records_of(model).filter(**{field: key}).values_list("id", flat=True)
        )
        found[kind] = ids[kind]
    return ids


def erasure_footprint(*, student: Student) -> Footprint:
    """What erasing the student would delete or blot out, counted."""
    ids = _ids_about(student)
    comments = frozenset(
        comment.strip()
        for records in (Questionnaire.objects, records_of(Questionnaire))
        for comment in records.filter(pairing_id__in=ids["pairings"]).values_list(
            "comment", flat=True
        )
        if comment.strip()
    )
    counts = {
        kind: model._default_manager.filter(pk__in=ids[kind]).count()
        for kind, (model, _f, _b) in ABOUT.items()
        if kind != "students"
    }
    counts["history"] = sum(history.count() for history in _histories(ids))
    counts["sheets"] = sum(
        _redacted(content, pairing_ids=ids["pairings"], comments=comments)[1]
        for sheets in _sheets_of(student)
        for content in sheets.values_list("content", flat=True)
    )
    return Footprint(ids=ids, comments=comments, counts=counts)


def erasure_refusal(*, student: Student) -> str | None:
    if not student.has_left:
        return _("只能删除已毕业或转出学生的资料；在读的学生请先修改学籍状态")
    return None


def _reason_problem(reason: str, student: Student) -> str | None:
    if len(reason) < MIN_REASON_LENGTH:
        return _("请写明删除依据（至少 %(count)d 个字），如谁在哪天以什么方式提出申请") % {
            "count": MIN_REASON_LENGTH
        }
    named = [student.name, student.student_no, student.id_number]
    if any(value and value.lower() in reason.lower() for value in named):
        return _("删除依据会一直保留，不能写学生的姓名、学籍号或身份证号")
    return None


def _new_reference() -> str:
    return f"SC{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"


@transaction.atomic
def student_erase(*, student: Student, by: Any, reason: str) -> Erasure:
    """Deletes a student who has left and everything recorded about them: identifications,
    pairings, logs with their photos (files too, once committed), incidents, scores,
    questionnaires, the history of all of these; their lines in stored sheets (snapshots and
    their history) are anonymised, their name is blotted out of reminders and the school's
    export ZIPs go. Access-log entries stay, without the student. All or nothing; what remains
    is the returned Erasure."""
    # Locked and read again, so that a second request, or a change of status, made at the
    # same moment waits and is judged on what it did.
    # Unordered: the default ordering joins the nullable class, which PostgreSQL cannot lock.
    locked = Student.objects.select_for_update().filter(pk=student.pk).order_by("pk").first()
    if locked is None:
        raise ValidationError(_("该生的资料已被删除"))
    student, reason = locked, reason.strip()
    refusal = erasure_refusal(student=student)
    if refusal:
        raise ValidationError(refusal)
    problem = _reason_problem(reason, student)
    if problem:
        raise ValidationError({"reason": problem})
    footprint = erasure_footprint(student=student)
    ids = footprint.ids

    for sheets in _sheets_of(student):
        for pk, content in sheets.values_list("pk", "content"):
            anonymised, redacted = _redacted(
                content, pairing_ids=ids["pairings"], comments=footprint.comments
            )
            if redacted:
                # update(), not save(): a save would write one more history row.
                sheets.model.objects.filter(pk=pk).update(content=anonymised)
    _admin_log_blot(ids)

    files = [
        name
        for name in VisitPhoto.objects.filter(pk__in=ids["photos"]).values_list("image", flat=True)
        if name
    ]
    # Dependants first: logs, questionnaires, pairings, incidents and scores protect the
    # records they point to.
    for kind in ("photos", "logs", "questionnaires", "pairings", "incidents", "scores"):
        model = ABOUT[kind][0]
        model._default_manager.filter(pk__in=ids[kind]).delete()
    name = student.name
    student.delete()  # with its identifications
    # Deleting wrote "deleted" history rows; they go with the rest.
    for history in _histories(ids):
        history.delete()
    _reminders_blot(name=name, school_id=student.school_id)
    exports_delete(SheetExport.objects.filter(school_id=student.school_id))

    storage = VisitPhoto._meta.get_field("image").storage

    def delete_files() -> None:
        for name in files:
            storage.delete(name)

    transaction.on_commit(delete_files)
    return Erasure.objects.create(
        user=by,
        user_label=person_label(by)[:80],
        school_id=student.school_id,
        reference=_new_reference(),
        reason=reason,
        counts=footprint.counts,
    )


def _admin_log_blot(ids: dict[str, frozenset[int]]) -> None:
    """The admin's log names the records it changed (a student's name and 学籍号): the
    entries stay, as the trail of what the administrator did, under a name that says nothing."""
    for kind, (model, _f, _b) in ABOUT.items():
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in ids[kind]],
        ).update(object_repr=str(ERASED_LABEL))


def _reminders_blot(*, name: str, school_id: int) -> None:
    """Replaces the name in the reminders of the school's people. A classmate with the same
    name is blotted out too: a reminder is a passing notice, a name in it is not needed."""
    for reminder in Reminder.objects.filter(user__profile__school_id=school_id).filter(
        models.Q(subject__contains=name) | models.Q(body__contains=name)
    ):
        Reminder.objects.filter(pk=reminder.pk).update(
            subject=reminder.subject.replace(name, str(ERASED_LABEL)),
            body=reminder.body.replace(name, str(ERASED_LABEL)),
        )


# The daily run


@dataclass(frozen=True)
class Step:
    label: str
    count: int


def _prune(queryset: QuerySet[Any], field: str, *, days: int, now: dt.datetime, dry: bool) -> int:
    old = queryset.filter(**{f"{field}__lt": now - dt.timedelta(days=days)})
    count = old.count()
    if count and not dry:
        old.delete()
    return count


def media_orphans(*, now: dt.datetime) -> list[str]:
    """Files of the storage's photo and export folders that no record points to, older than
    a day (a younger one may belong to an upload or an export still being written)."""
    known = set(VisitPhoto.objects.values_list("image", flat=True))
    known |= {name for name in SheetExport.objects.values_list("file", flat=True) if name}
    cutoff = now - ORPHAN_GRACE
    return [
        name
        for folder in (PHOTO_DIR, EXPORT_DIR)
        for name in stored_files_older_than(folder, cutoff, nested=True)
        if name not in known
    ]


def retention_run(*, on: dt.date, dry_run: bool = False) -> list[Step]:
    """The daily retention run, step by step, each with how many it archived or deleted (or
    would, in a dry run). Re-runnable: a second run on the same day finds nothing to do."""
    now = timezone.now()
    logins, reminders = settings.LOGIN_RECORD_DAYS, settings.REMINDER_DAYS
    steps: list[tuple[str, Callable[[], int]]] = [
        (
            _("归档离校满 %(days)d 天的毕业、转出学生") % {"days": settings.ARCHIVE_AFTER_DAYS},
            lambda: students_archive(on=on, dry_run=dry_run),
        ),
        (
            _("删除 %(days)d 天前的登录记录") % {"days": logins},
            lambda: sum(
                _prune(model.objects.all(), "attempt_time", days=logins, now=now, dry=dry_run)
                for model in (LoginLog, AccessFailureLog, AccessAttempt)
            ),
        ),
        (
            _("删除 %(days)d 天前的提醒") % {"days": reminders},
            lambda: _prune(
                Reminder.objects.all(), "created_at", days=reminders, now=now, dry=dry_run
            ),
        ),
        (
            _("删除过期的考核表压缩包"),
            lambda: _expired_exports(dry_run=dry_run),
        ),
        (
            _("删除过期未确认的导入文件"),
            lambda: pending_files_sweep(dry_run=dry_run),
        ),
        (
            _("删除没有记录指向的照片和压缩包文件"),
            lambda: _orphans_delete(now=now, dry_run=dry_run),
        ),
        (
            _("删除一天前的表单提交记录和无人取回的暂存表单"),
            lambda: submissions_prune(now=now, dry_run=dry_run),
        ),
    ]
    return [Step(label, action()) for label, action in steps]


def _expired_exports(*, dry_run: bool) -> int:
    expired = SheetExport.objects.filter(expired_exports())
    if dry_run:
        return expired.count()
    with transaction.atomic():
        return exports_delete(expired)


def _orphans_delete(*, now: dt.datetime, dry_run: bool) -> int:
    orphans = media_orphans(now=now)
    if not dry_run:
        storage = storages["default"]
        for name in orphans:
            storage.delete(name)
    return len(orphans)
