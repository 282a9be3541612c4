"""Incidents as a spreadsheet (违纪事件表): import and export with DESIGN's headers. An
incident is known by its student, date and type: importing the same row again changes
nothing, and a different 说明 updates the one already recorded."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aidcase.audit import IMPORT_REASON, tracked_bulk_create, tracked_bulk_update
from aidcase.spreadsheets import (
    CellError,
    Column,
    Plan,
    RowChange,
    RowError,
    Rows,
    choice,
    code,
    date,
    duplicate_keys,
    text,
)
from students.models import Role, School, Semester, Student
from visits.models import Incident, IncidentType

# DESIGN "Incident types", the names schools write in their sheets.
INCIDENT_TYPE_NAMES = {
    "逃学": IncidentType.TRUANCY,
    "逃课": IncidentType.SKIPPING,
    "弃学": IncidentType.QUITTING,
    "辍学": IncidentType.DROPPING_OUT,
    "私自离校": IncidentType.LEAVING_SCHOOL,
    "夜不归宿": IncidentType.NIGHT_OUT,
    "离家出走": IncidentType.RUNNING_AWAY,
    "结伙打架": IncidentType.GANG_FIGHT,
    "欺诈弱小": IncidentType.BULLYING,
    "严重违纪": IncidentType.SERIOUS_BREACH,
}
INCIDENT_TYPE_LABELS = {value: name for name, value in INCIDENT_TYPE_NAMES.items()}
NOTE_MAX_LENGTH = 2000


def past_date(value: Any) -> dt.date:
    day = date(value)
    if day > timezone.localdate():
        raise CellError(_("日期不能晚于今天"))
    return day


def note(value: Any) -> str:
    return text(value, max_length=NOTE_MAX_LENGTH)


def office_account(*, school: School) -> Any:
    """Who an import from the command line is recorded as: the school's first active aid
    office account."""
    return (
        get_user_model()
        .objects.filter(profile__school=school, profile__role=Role.OFFICE, is_active=True)
        .order_by("pk")
        .first()
    )


class IncidentsSheet:
    kind = "incidents"
    title = gettext_lazy("违纪事件")
    notes = gettext_lazy(
        "每行一件事：学生、日期和类型相同的行视为同一件事，再次导入只会更新说明。"
        "这些事件会使该学期的结对帮扶被评为无效。"
    )
    columns = (
        Column("学籍号", "student_no", True, code, gettext_lazy("须已在本校学生名册中")),
        Column("日期", "date", True, past_date, gettext_lazy("如 2026-03-15，不能晚于今天")),
        Column(
            "类型",
            "type",
            True,
            choice(INCIDENT_TYPE_NAMES, label=gettext_lazy("类型")),
            "、".join(INCIDENT_TYPE_NAMES),
        ),
        Column("说明", "note", False, note, gettext_lazy("经过与处理情况，选填")),
    )

    def plan(self, parsed: Rows, *, school: School, semester: Semester | None, by: Any) -> Plan:
        """Checks every row. `semester` is not used: each row has its own date. `by` is
        recorded as who recorded new incidents; without one (the command), the school's
        aid office account is."""
        plan = Plan(kind=self.kind, errors=list(parsed.errors))
        errors = plan.errors
        read = parsed.records
        if parsed.missing:
            return plan
        duplicate_keys(
            (
                (n, (r["student_no"], r["date"], r["type"]))
                for n, r, _ok in read
                if r.get("student_no") and r.get("date") and r.get("type")
            ),
            column="类型",
            errors=errors,
        )
        ids = dict(Student.objects.filter(school=school).order_by().values_list("student_no", "pk"))
        for number, row, _ok in read:
            if row.get("student_no") and row["student_no"] not in ids:
                errors.append(
                    RowError(number, "学籍号", _("本校学生名册中没有该学籍号，请先导入学生名册"))
                )
        if errors:
            return plan

        # The earliest recorded incident stands for its key (the form may have recorded two).
        existing: dict[tuple[int, dt.date, str], Incident] = {}
        days = [r["date"] for _n, r, _ok in read]
        if days:
            # Whole rows: a changed one is written back with its history entry.
            for incident in Incident.objects.filter(
                student__school=school, date__gte=min(days), date__lte=max(days)
            ).order_by("pk"):
                existing.setdefault((incident.student_id, incident.date, incident.type), incident)
        has_note = "说明" in parsed.headers
        new: list[Incident] = []
        changed: list[Incident] = []
        for number, row, _ok in read:
            student_id = ids[row["student_no"]]
            label = INCIDENT_TYPE_LABELS[row["type"]]
            key = f"{row['student_no']} {row['date'].isoformat()} {label}"
            text_ = row.get("note") or ""
            found = existing.get((student_id, row["date"], row["type"]))
            if found is None:
                plan.changes.append(RowChange(number, key, "new"))
                new.append(
                    Incident(student_id=student_id, date=row["date"], type=row["type"], note=text_)
                )
            elif has_note and found.note != text_:
                plan.changes.append(RowChange(number, key, "changed", ["说明"]))
                found.note = text_
                changed.append(found)
            else:
                plan.changes.append(RowChange(number, key, "unchanged"))

        recorder = by
        if new and recorder is None:
            recorder = office_account(school=school)
            if recorder is None:
                errors.append(RowError(1, "", _("学校还没有资助办账号，无法记录导入人")))
                plan.changes = []
                return plan

        def apply() -> dict[str, int]:
            return self._apply(new=new, changed=changed, recorder=recorder, by=by)

        plan.apply = apply
        return plan

    @staticmethod
    @transaction.atomic
    def _apply(
        *, new: list[Incident], changed: list[Incident], recorder: Any, by: Any
    ) -> dict[str, int]:
        for incident in new:
            incident.recorded_by = recorder
        tracked_bulk_create(Incident, new, by=by, reason=IMPORT_REASON)
        tracked_bulk_update(Incident, changed, ["note"], by=by, reason=IMPORT_REASON)
        return {"new": len(new), "changed": len(changed)}

    def export_rows(
        self, *, school: School, semester: Semester | None = None
    ) -> Iterable[list[Any]]:
        """The school's incidents (within a semester's dates, when given), one row per
        student, date and type, with the import's headers: export → import changes nothing."""
        incidents = Incident.objects.filter(student__school=school)
        if semester is not None:
            incidents = incidents.filter(date__gte=semester.start, date__lte=semester.end)
        seen: set[tuple[str, dt.date, str]] = set()
        for student_no, day, type_, text_ in incidents.order_by(
            "date", "student__student_no", "type", "pk"
        ).values_list("student__student_no", "date", "type", "note"):
            if (student_no, day, type_) in seen:
                continue
            seen.add((student_no, day, type_))
            yield [student_no, day, INCIDENT_TYPE_LABELS[IncidentType(type_)], text_]
