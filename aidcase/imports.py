"""The spreadsheet kinds of DESIGN's contract, and the import service shared by the
`import_xlsx` command and the aid office's upload page."""

from typing import IO, Any, Protocol

from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from aidcase.spreadsheets import Column, Plan, read_table
from students.models import School, Semester
from students.services import semester_create

SHEETS = {
    "students": "students.resources.StudentsSheet",
    "teachers": "students.resources.TeachersSheet",
    "pairings": "pairing.resources.PairingsSheet",
    "scores": "assessment.resources.ScoresSheet",
    "incidents": "visits.resources.IncidentsSheet",
}


class Sheet(Protocol):
    kind: str
    title: Any
    notes: Any
    columns: tuple[Column, ...]

    def plan(self, table: Any, *, school: School, semester: Semester | None, by: Any) -> Plan: ...


class UnknownKind(ValueError):
    pass


def sheet_for(kind: str) -> Sheet:
    if kind not in SHEETS:
        raise UnknownKind(
            _("未知的类型“%(kind)s”，可选：%(kinds)s") % {"kind": kind, "kinds": "、".join(SHEETS)}
        )
    return import_string(SHEETS[kind])()


class _DryRun(Exception):
    """Rolls back a dry run, or a plan with errors, after it was made."""


def import_file(
    *,
    kind: str,
    file: IO[bytes],
    name: str = "",
    school: School,
    semester_code: str | None = None,
    by: Any = None,
    dry_run: bool = False,
) -> tuple[Plan, Any]:
    """Reads, checks and (unless it is a dry run or anything is wrong) imports a file, all or
    nothing. Returns the plan and what applying it returned (None when nothing was saved).
    Raises FileRefused for a file that is not a readable spreadsheet, and ValidationError
    for a bad semester code."""
    sheet = sheet_for(kind)
    table = read_table(file, name=name)
    plan: Plan | None = None
    result = None
    try:
        with transaction.atomic():
            # A semester the file is imported for is created with default dates, inside the
            # same transaction: it disappears again if the import does not happen.
            semester = None
            if semester_code:
                semester = Semester.objects.filter(school=school, code=semester_code).first()
            new_semester = bool(semester_code) and semester is None
            if new_semester:
                semester = semester_create(school=school, code=str(semester_code))
            plan = sheet.plan(table, school=school, semester=semester, by=by)
            if new_semester:
                plan.creates.insert(0, _("学期：%(code)s") % {"code": semester_code})
            if plan.errors or dry_run:
                raise _DryRun
            result = plan.apply()
    except _DryRun:
        pass
    assert plan is not None  # noqa: S101 — set before any _DryRun
    plan.errors.sort(key=lambda error: error.row)  # stable: a row's cells stay in order
    return plan, result
