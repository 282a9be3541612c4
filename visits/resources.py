"""Incidents as a spreadsheet (违纪事件表): import and export with DESIGN's headers. An
incident is known by its student, date and type: importing the same row again changes
nothing, and a different 说明 updates the one already recorded.

The school's import (`IncidentsSheet`) and the superuser's admin both read, diff and save
incidents through `IncidentResource`, on django-import-export (`aidcase.sheet_resources`)."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.fields import Field

from aidcase.sheet_resources import CellWidget, SheetResource, sheet_plan
from aidcase.spreadsheets import (
    CellError,
    Column,
    Plan,
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


STUDENT_NO = CellWidget(code)
DATE = CellWidget(past_date, show=dt.date.isoformat)
TYPE = CellWidget(
    choice(INCIDENT_TYPE_NAMES, label=gettext_lazy("类型")), show=INCIDENT_TYPE_LABELS.get
)
NOTE = CellWidget(note, blank="")


class IncidentResource(SheetResource):
    """Incidents of one school's students (`school`; None only to list the columns). `by`
    is named in the history and records the new incidents; without one (the command line),
    the school's aid office account records them. All or nothing, as every import."""

    columns = (
        Column(
            "学籍号", "student_no", True, STUDENT_NO.clean, gettext_lazy("须已在本校学生名册中")
        ),
        Column("日期", "date", True, DATE.clean, gettext_lazy("如 2026-03-15，不能晚于今天")),
        Column(
            "类型",
            "type",
            True,
            TYPE.clean,
            gettext_lazy("填以下之一："),
            values=tuple(INCIDENT_TYPE_NAMES),
        ),
        Column("说明", "note", False, NOTE.clean, gettext_lazy("经过与处理情况，选填")),
    )
    compared = (("说明", "note"),)

    # The student is found from the 学籍号 in `set_related`.
    student_no = Field(column_name="学籍号", widget=STUDENT_NO)
    date = Field(attribute="date", column_name="日期", widget=DATE)
    type = Field(attribute="type", column_name="类型", widget=TYPE)
    note = Field(attribute="note", column_name="说明", widget=NOTE)

    class Meta:
        model = Incident
        fields = ("student_no", "date", "type", "note")
        import_id_fields = ("student_no", "date", "type")

    def __init__(
        self, *, school: School | None = None, by: Any = None, rows: Rows | None = None
    ) -> None:
        super().__init__(by=by, rows=rows)
        self.school = school
        self.recorder = by
        self.ids: dict[str, int] = {}

    def row_key(self, row: Any) -> Any:
        return (row["学籍号"], row["日期"], row["类型"])

    def change_key(self, record: dict[str, Any]) -> str:
        """A row's incident: 学籍号, date and type."""
        day, type_ = record["date"].isoformat(), INCIDENT_TYPE_LABELS[record["type"]]
        return f"{record['student_no']} {day} {type_}"

    def load(self) -> None:
        """The file's rows against each other, the school's roster and its incidents: one
        query each (and one for the recorder), whatever the number of rows."""
        assert self.rows is not None  # noqa: S101 — before_import reads them first
        read, errors, school = self.rows.records, self.errors, self.school
        if school is None:
            raise ValueError("IncidentResource imports need a school")
        duplicate_keys(
            (
                (n, (r["student_no"], r["date"], r["type"]))
                for n, r, _ok in read
                if r.get("student_no") and r.get("date") and r.get("type")
            ),
            column="类型",
            errors=errors,
        )
        self.ids = dict(
            Student.objects.filter(school=school).order_by().values_list("student_no", "pk")
        )
        for number, row, _ok in read:
            if row.get("student_no") and row["student_no"] not in self.ids:
                errors.append(
                    RowError(number, "学籍号", _("本校学生名册中没有该学籍号，请先导入学生名册"))
                )
        if errors:
            return
        numbers = {pk: no for no, pk in self.ids.items()}
        days = [r["date"] for _n, r, _ok in read]
        if days:
            # The earliest recorded incident stands for its key (the form may have recorded
            # two); whole rows: a changed one is written back with its history entry.
            for incident in Incident.objects.filter(
                student__school=school, date__gte=min(days), date__lte=max(days)
            ).order_by("pk"):
                key = (numbers[incident.student_id], incident.date, incident.type)
                self.existing.setdefault(key, incident)
        new = any(
            (r["student_no"], r["date"], r["type"]) not in self.existing for _n, r, _ok in read
        )
        if new and self.recorder is None:
            self.recorder = office_account(school=school)
            if self.recorder is None:
                errors.append(RowError(1, "", _("学校还没有资助办账号，无法记录导入人")))

    def init_instance(self, row: Any = None) -> Incident:
        return Incident(recorded_by=self.recorder)

    def set_related(self, instance: Incident, row: Any) -> None:
        instance.student_id = self.ids[row["学籍号"]]

    # Export (the admin's)

    def filter_export(self, queryset: Any, **kwargs: Any) -> Any:
        return queryset.filter(student__school=self.school).select_related("student")

    def dehydrate_student_no(self, incident: Incident) -> str:
        return incident.student.student_no


class IncidentsSheet:
    kind = "incidents"
    title = gettext_lazy("违纪事件")
    notes = gettext_lazy(
        "每行一件事：学生、日期和类型相同的行视为同一件事，再次导入只会更新说明。"
        "这些事件会使该学期的结对帮扶被评为无效。"
    )
    columns = IncidentResource.columns

    def plan(
        self, parsed: Rows, *, school: School, semester: Semester | None, by: Any, run: bool = False
    ) -> Plan:
        """The Resource's dry run as the preview; `apply` is its real run (`sheet_plan`).
        `semester` is not used: each row has its own date."""
        resource = IncidentResource(school=school, by=by, rows=parsed)
        return sheet_plan(self.kind, resource, run=run)

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
