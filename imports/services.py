"""The spreadsheet kinds of DESIGN's contract, and the import service shared by the
`import_xlsx` command and the aid office's upload page."""

from typing import IO, Any, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from aidcase.spreadsheets import Column, Plan, Rows, parse, read_table
from students.models import School, Semester, validate_semester_code
from students.services import semester_create

SHEETS = {
    "students": "students.resources.StudentsSheet",
    "teachers": "students.resources.TeachersSheet",
    "pairings": "pairing.resources.PairingsSheet",
    "scores": "assessment.resources.ScoresSheet",
    "incidents": "visits.resources.IncidentsSheet",
}
# Kinds imported for a whole county rather than a school: from the command line only, so the
# school's upload pages, which list SHEETS, never offer them.
COUNTY_SHEETS = {
    "schools": "students.school_resources.SchoolsSheet",
}


class Sheet(Protocol):
    kind: str
    title: Any
    notes: Any
    columns: tuple[Column, ...]

    def plan(
        self, parsed: Rows, *, school: School, semester: Semester | None, by: Any, run: bool = False
    ) -> Plan: ...


class CountySheet(Protocol):
    kind: str
    title: Any
    notes: Any
    columns: tuple[Column, ...]

    def plan(self, parsed: Rows, *, county_name: str, by: Any) -> Plan: ...


class UnknownKind(ValueError):
    pass


def sheet_for(kind: str) -> Sheet:
    """A school's kind, or (for the command line's templates and imports) a county's."""
    path = SHEETS.get(kind) or COUNTY_SHEETS.get(kind)
    if path is None:
        raise UnknownKind(
            _("未知的类型“%(kind)s”，可选：%(kinds)s")
            % {"kind": kind, "kinds": "、".join([*SHEETS, *COUNTY_SHEETS])}
        )
    return import_string(path)()


def import_county_file(
    *,
    kind: str,
    file: IO[bytes],
    name: str = "",
    county_name: str,
    by: Any = None,
    dry_run: bool = False,
) -> tuple[Plan, Any]:
    """A county's kind (the list of its schools), all or nothing, as `import_file`. The plan
    is checked and applied in one transaction: county imports are rare and small, and a row
    must not pass against schools that change before it is saved."""
    sheet: CountySheet = import_string(COUNTY_SHEETS[kind])()
    rows = parse(read_table(file, sheet.columns, name=name), sheet.columns)
    result = None
    if dry_run:
        plan = sheet.plan(rows, county_name=county_name, by=by)
    else:
        with transaction.atomic():
            plan = sheet.plan(rows, county_name=county_name, by=by)
            if not plan.errors and not _unchanged(plan):
                result = plan.apply()
    plan.errors.sort(key=lambda error: error.sort_key)
    plan.notes = rows.notes()
    return plan, result


class _Refused(Exception):
    """Rolls back an import whose rows no longer pass once the write lock is held."""


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
    for a bad semester code.

    The file is read and checked outside any transaction: on SQLite a transaction holds the
    database's one write lock from its start, and every other save waits for it. Only a plan
    that changes something takes the lock, and then checks the rows again against the
    records as they are under it (another import or an edit may have come in between), so
    that the writes follow from what is there when they are made: one real run that checks
    the rows and writes nothing when a check fails."""
    sheet = sheet_for(kind)
    rows = parse(read_table(file, sheet.columns, name=name), sheet.columns)
    semester = _semester(school=school, code=semester_code)
    new_code = semester.code if semester is not None and semester.pk is None else None
    plan = _plan(sheet, rows, school=school, semester=semester, new_code=new_code, by=by)
    result = None
    if plan.errors or dry_run:
        pass
    elif _unchanged(plan):
        # A file imported again: applying it writes nothing, there is nothing to check again.
        result = plan.apply()
    else:
        try:
            with transaction.atomic():
                if new_code:
                    # Made in the import's transaction: it is gone again if the import fails.
                    found = Semester.objects.filter(school=school, code=new_code).first()
                    semester = found or semester_create(school=school, code=new_code)
                    new_code = None if found else new_code
                plan = _plan(
                    sheet,
                    rows,
                    school=school,
                    semester=semester,
                    new_code=new_code,
                    by=by,
                    run=True,
                )
                if plan.errors:
                    raise _Refused
                result = plan.apply()
        except _Refused:
            pass
    plan.errors.sort(key=lambda error: error.sort_key)  # stable: a row's cells stay in order
    plan.notes = rows.notes()
    return plan, result


def _semester(*, school: School, code: str | None) -> Semester | None:
    """The school's semester of the code; one not saved yet when the school has none (the
    import creates it), None without a code."""
    if not code:
        return None
    semester = Semester.objects.filter(school=school, code=code).first()
    if semester is not None:
        return semester
    try:
        validate_semester_code(code)
    except ValidationError as error:
        raise ValidationError({"code": error.messages}) from None
    return Semester(school=school, code=code)


def _plan(
    sheet: Sheet,
    rows: Rows,
    *,
    school: School,
    semester: Semester | None,
    new_code: str | None,
    by: Any,
    run: bool = False,
) -> Plan:
    plan = sheet.plan(rows, school=school, semester=semester, by=by, run=run)
    if new_code:
        plan.creates.insert(0, _("学期：%(code)s") % {"code": new_code})
    return plan


def _unchanged(plan: Plan) -> bool:
    """Whether applying the plan would write nothing: a file imported again."""
    return not plan.creates and all(change.action == "unchanged" for change in plan.changes)
