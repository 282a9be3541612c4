"""Reading the audit trail: the change history that django-simple-history keeps for the tracked
models, as lines a person reads ("王芳 修改了 结对：结束日期 — → 2026-01-10"), and the access
log. For the aid office and the principal; nothing here writes.

Values are shown as the records' own pages show them: an ID number masked, a user by name,
a choice by its label. Stored secrets (token hashes, the lookup hash) and snapshots too large
to read (a sheet's content) are named as changed without their values.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcase.models import AccessLog
from aidcase.permissions import person_label
from assessment.models import AssessmentRule, Questionnaire, Score, Sheet
from governance.models import Erasure
from pairing.models import Pairing
from students import idcard
from students.models import (
    Cohort,
    Identification,
    Profile,
    School,
    SchoolClass,
    Semester,
    Student,
)
from visits.models import ActivityLog, DutyRule, Exam, HolidayWeek, Incident, VisitPhoto

PAGE = 50
ACTIONS = {"+": gettext_lazy("新建"), "~": gettext_lazy("修改"), "-": gettext_lazy("删除")}
# Never worth showing, or never to be shown: bookkeeping and stored secrets.
# Bookkeeping and technical fields (a photo's pixel size, a rule's place in its list) are not
# shown as changes.
HIDDEN = {
    *("id", "created_at", "updated_at", "id_number_hash", "token_hash", "computed_at"),
    *("width", "height", "position"),
}
VALUE_HIDDEN = {"content"}  # a sheet's snapshot: named as changed, too large to read
MASKED = {"id_number"}

# What each tracked model is called on the history pages, and how its rows reach a school.
KINDS: dict[str, tuple[type[models.Model], Any, str]] = {
    "student": (Student, gettext_lazy("学生"), "school_id"),
    "identification": (Identification, gettext_lazy("类别认定"), "student__school"),
    "pairing": (Pairing, gettext_lazy("结对"), "school_id"),
    "log": (ActivityLog, gettext_lazy("帮扶记录"), "pairing__school"),
    "photo": (VisitPhoto, gettext_lazy("家访照片"), "log__pairing__school"),
    "incident": (Incident, gettext_lazy("违纪事件"), "student__school"),
    "score": (Score, gettext_lazy("成绩"), "semester__school"),
    "sheet": (Sheet, gettext_lazy("考核表"), "school_id"),
    "questionnaire": (Questionnaire, gettext_lazy("问卷"), "semester__school"),
    "duty_rule": (DutyRule, gettext_lazy("帮扶措施要求"), "school_id"),
    "assessment_rule": (AssessmentRule, gettext_lazy("计分规则"), "school_id"),
    "semester": (Semester, gettext_lazy("学期"), "school_id"),
    "holiday": (HolidayWeek, gettext_lazy("放假周"), "school_id"),
    "exam": (Exam, gettext_lazy("考试"), "semester__school"),
    "staff": (Profile, gettext_lazy("教职工"), "school_id"),
    "school": (School, gettext_lazy("学校设置"), "id"),
}


@dataclass
class Change:
    at: dt.datetime
    kind: str
    kind_label: str
    action: str
    object_id: int
    history_id: int
    by: str
    reason: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, before, after)


def records_of(model: type[models.Model]) -> Any:
    """The history records of a tracked model (django-simple-history's manager)."""
    return model.history  # type: ignore[attr-defined]


def _shown_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if f.name not in HIDDEN]


# Related records named on the history pages, by a label that needs no further query; people
# by name and 工号.
NAMED: tuple[type[models.Model], ...] = (School, Semester, Student, Cohort, SchoolClass)


def _related_labels(rows: list[tuple[str, Any]]) -> dict[tuple[Any, int], str]:
    """Labels of the people (who made each change, and any user a record names), schools,
    semesters, students, years and classes the rows point to, by (model, pk): one query per
    kind of record, however many rows."""
    user_model = get_user_model()
    wanted: dict[Any, set[int]] = {}
    for kind, record in rows:
        if record.history_user_id:
            wanted.setdefault(user_model, set()).add(record.history_user_id)
        for f in _shown_fields(KINDS[kind][0]):
            value = getattr(record, f.attname)
            named = f.related_model in NAMED or f.related_model is user_model
            if f.is_relation and named and value:
                wanted.setdefault(f.related_model, set()).add(value)
    labels = {}
    for model, pks in wanted.items():
        if model is user_model:
            for user in user_model.objects.filter(pk__in=pks).select_related("profile"):
                labels[(model, user.pk)] = person_label(user)
        else:
            for pk, obj in model._default_manager.in_bulk(pks).items():
                labels[(model, pk)] = str(obj)
    return labels


def _value(f: models.Field[Any, Any], record: Any, labels: dict[tuple[Any, int], str]) -> str:
    if f.name in VALUE_HIDDEN:
        return "…"
    value = getattr(record, f.attname)
    if value is None or value == "":
        return "—"
    if f.name in MASKED:
        return idcard.mask(value)
    if f.is_relation:
        return labels.get((f.related_model, value), f"#{value}")
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dt.datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _changes(rows: list[tuple[str, Any]]) -> list[Change]:
    """Turns historical rows (of several models, each model's rows of one object in order) into
    Changes, each compared with the row before it of the same object."""
    labels = _related_labels(rows)
    user_model = get_user_model()
    previous: dict[tuple[str, int], Any] = {}
    changes = []
    for kind, record in sorted(rows, key=lambda kr: (kr[1].history_date, kr[1].history_id)):
        model = KINDS[kind][0]
        before = previous.get((kind, record.id))
        fields = []
        for f in _shown_fields(model):
            if record.history_type == "-":
                break
            if record.history_type == "~" and before is not None:
                if getattr(before, f.attname) == getattr(record, f.attname):
                    continue
                before_value = _value(f, before, labels)
            else:
                before_value = ""
            fields.append((str(f.verbose_name), before_value, _value(f, record, labels)))
        previous[(kind, record.id)] = record
        changes.append(
            Change(
                at=record.history_date,
                kind=kind,
                kind_label=str(KINDS[kind][1]),
                action=str(ACTIONS.get(record.history_type, record.history_type)),
                object_id=record.id,
                history_id=record.history_id,
                by=labels.get((user_model, record.history_user_id), "")
                if record.history_user_id
                else _("系统（命令或导入）"),
                reason=record.history_change_reason or "",
                fields=fields,
            )
        )
    changes.reverse()  # newest first
    return changes


def student_history(*, student: Student) -> list[Change]:
    """Every recorded change of a student and of what hangs on them: identifications,
    pairings, their logs and photos, incidents and scores. One query per kind and one for the
    people named."""
    pairing_ids = list(
        records_of(Pairing).filter(student_id=student.pk).values_list("id", flat=True).distinct()
    )
    log_ids = list(
        records_of(ActivityLog)
        .filter(pairing_id__in=pairing_ids)
        .values_list("id", flat=True)
        .distinct()
    )
    sources: list[tuple[str, QuerySet[Any]]] = [
        ("student", records_of(Student).filter(id=student.pk)),
        ("identification", records_of(Identification).filter(student_id=student.pk)),
        ("pairing", records_of(Pairing).filter(id__in=pairing_ids)),
        ("log", records_of(ActivityLog).filter(id__in=log_ids)),
        ("photo", records_of(VisitPhoto).filter(log_id__in=log_ids)),
        ("incident", records_of(Incident).filter(student_id=student.pk)),
        ("score", records_of(Score).filter(student_id=student.pk)),
    ]
    rows = [(kind, r) for kind, qs in sources for r in qs.order_by("history_date", "history_id")]
    return _changes(rows)


def school_changes(
    *, school: School, kind: str = "", before: dt.datetime | None = None
) -> list[Change]:
    """The school's latest recorded changes, newest first, PAGE at most, older than `before`
    (the page's cursor), optionally of one kind. One query per kind, one for the people
    named and one for the rows before each change (to show what changed)."""
    kinds = [kind] if kind in KINDS else list(KINDS)
    latest: list[tuple[str, Any]] = []
    for name in kinds:
        model, _label, path = KINDS[name]
        history = records_of(model)
        if path.endswith("_id") or path == "id":
            scoped = history.filter(**{path: school.pk})
        else:
            # Through a live record: the school of a row's parent (deleted parents drop out).
            relation, _sep, rest = path.partition("__")
            parent: Any = model._meta.get_field(relation).related_model
            live = parent._default_manager.filter(**{rest: school}).values("pk")
            scoped = history.filter(**{f"{relation}_id__in": live})
        if before is not None:
            scoped = scoped.filter(history_date__lt=before)
        latest += [(name, r) for r in scoped.order_by("-history_date", "-history_id")[:PAGE]]
    latest.sort(key=lambda kr: (kr[1].history_date, kr[1].history_id), reverse=True)
    latest = latest[:PAGE]
    # The row before each shown change, to tell what it changed.
    earlier: list[tuple[str, Any]] = []
    shown = {(k, r.history_id) for k, r in latest}
    for name in {k for k, _r in latest}:
        updated = [r for k, r in latest if k == name and r.history_type == "~"]
        if not updated:
            continue
        wanted = Q(pk__in=[])
        for r in updated:
            wanted |= Q(id=r.id, history_date__lt=r.history_date)
        earlier += [
            (name, r)
            for r in records_of(KINDS[name][0]).filter(wanted)
            if (name, r.history_id) not in shown
        ]
    return [
        c for c in _changes(_nearest_before(latest, earlier)) if (c.kind, c.history_id) in shown
    ]


def _nearest_before(
    latest: list[tuple[str, Any]], earlier: list[tuple[str, Any]]
) -> list[tuple[str, Any]]:
    """The shown rows with, for each object, only the one earlier row just before its oldest
    shown change (enough to compare against)."""
    oldest: dict[tuple[str, int], Any] = {}
    for k, r in latest:
        key = (k, r.id)
        if key not in oldest or r.history_date < oldest[key].history_date:
            oldest[key] = r
    picked: dict[tuple[str, int], Any] = {}
    for k, r in earlier:
        key = (k, r.id)
        if (
            key in oldest
            and r.history_date < oldest[key].history_date
            and (key not in picked or r.history_date > picked[key].history_date)
        ):
            picked[key] = r
    return latest + [(k, r) for (k, _id), r in picked.items()]


def access_log_of(
    *, school: School, action: str = "", before: dt.datetime | None = None
) -> list[AccessLog]:
    entries = AccessLog.objects.filter(school=school).select_related("student")
    if action:
        entries = entries.filter(action=action)
    if before is not None:
        entries = entries.filter(at__lt=before)
    return list(entries[:PAGE])


def erasures_of(*, school: School, before: dt.datetime | None = None) -> list[Erasure]:
    erasures = Erasure.objects.filter(school=school)
    if before is not None:
        erasures = erasures.filter(at__lt=before)
    return list(erasures[:PAGE])


def access_log_of_student(*, student: Student) -> list[AccessLog]:
    return list(AccessLog.objects.filter(student=student)[:PAGE])
