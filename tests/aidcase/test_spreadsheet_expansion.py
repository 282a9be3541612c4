"""What an uploaded .xlsx may unpack to (aidcase.spreadsheets, MAX_EXPANDED and the limits
beside it), checked from the zip's directory before any parser reads the file: a small file
whose shared-strings table or sheet unpacks to gigabytes of memory is refused with a message
that says the limit and what to do, and the 100,000-row roster still imports."""

import io
import re
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from aidcase import sheetfiles
from aidcase.sheetfiles import MAX_EXPANDED, MAX_SHEET, MAX_STRINGS, MB, FileRefused
from aidcase.spreadsheets import read_table, workbook_bytes
from bench.imports import roster, roster_rows
from students.models import Role
from students.resources import StudentsSheet
from tests import factories
from tests.conftest import login

SHARED_STRINGS = "xl/sharedStrings.xml"
SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def replaced(data: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one member's content replaced, or added (deflated, as Excel stores
    it)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename != name:
                archive.writestr(info.filename, source.read(info.filename))
        archive.writestr(name, content)
    return buffer.getvalue()


def strings_table(count: int) -> bytes:
    """A shared-strings table of `count` short strings, as openpyxl would read into memory."""
    body = b"<si><t>a</t></si>" * count
    return f'<sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">'.encode() + body + b"</sst>"


@pytest.fixture(scope="module")
def small_roster() -> bytes:
    return roster(3)  # an .xlsx as Excel saves it: strings in a shared-strings table


@pytest.fixture
def never_parsed(monkeypatch):
    """Fails the test if openpyxl is asked to read the file."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise MemoryError

    monkeypatch.setattr(sheetfiles._ExcelReader, "read", refuse)
    yield
    assert not calls, "openpyxl's reader was asked to read the file"


def refusal(data: bytes) -> str:
    with pytest.raises(FileRefused) as refused:
        read_table(io.BytesIO(data), StudentsSheet.columns, name="名册.xlsx")
    return str(refused.value)


# Refused before parsing


def test_a_shared_strings_table_past_the_limit_is_refused_without_using_memory(
    small_roster, never_parsed
):
    # Given a 20-odd KB file whose shared-strings table unpacks past the limit (openpyxl
    # would hold two million strings, several hundred MB, in memory)
    data = replaced(small_roster, SHARED_STRINGS, strings_table(MAX_STRINGS // 17 + 1))
    assert len(data) < 200_000
    # When it is read
    tracemalloc.start()
    try:
        message = refusal(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Then it is refused with the limit and what to do, and nothing was unpacked
    assert "其中的文字解开后有 33 MB，上限是 32 MB" in message
    assert "拆分" in message and "CSV" in message
    assert peak < 2 * MB


def test_a_sheet_past_the_limit_is_refused(small_roster, never_parsed, monkeypatch):
    monkeypatch.setattr(sheetfiles, "MAX_SHEET", 1 * MB)
    sheet = zipfile.ZipFile(io.BytesIO(small_roster)).read(SHEET)
    rows = b"".join(
        b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (n, n, n) for n in range(50_000)
    )
    data = replaced(small_roster, SHEET, sheet.replace(b"</sheetData>", rows + b"</sheetData>"))
    message = refusal(data)
    assert re.search(r"其中一个工作表解开后有 \d MB，上限是 1 MB", message)


def test_a_file_past_the_total_limit_is_refused(small_roster, never_parsed, monkeypatch):
    monkeypatch.setattr(sheetfiles, "MAX_EXPANDED", 1 * MB)
    data = replaced(small_roster, "docProps/custom.xml", b"<x/>" * 300_000)
    assert "这个文件解开后有 2 MB，上限是 1 MB" in refusal(data)


def test_a_zip_bomb_is_refused_by_its_compression_ratio(small_roster, never_parsed):
    # Given a sheet within the size limits that deflates a thousand times
    sheet = zipfile.ZipFile(io.BytesIO(small_roster)).read(SHEET)
    filler = b"<row/>" * 1_000_000
    data = replaced(small_roster, SHEET, sheet.replace(b"</sheetData>", filler + b"</sheetData>"))
    # Then it is refused as abnormal, with what to do
    message = refusal(data)
    assert "文件异常" in message and "上限 100 倍" in message
    assert "另存为 .xlsx" in message


def test_a_damaged_zip_directory_is_refused_as_damaged(never_parsed):
    assert "已损坏" in refusal(b"PK\x03\x04" + b"\x00" * 100)


# Real files pass


def sizes(data: bytes) -> dict[str, int]:
    return {i.filename: i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist()}


def test_the_benchmark_roster_is_read_and_100000_rows_fit_with_room_to_spare():
    # Given the benchmark's roster of 10,000 students, saved the way Excel saves it
    data = roster(10_000)
    # Then it is read
    table = read_table(io.BytesIO(data), StudentsSheet.columns, name="名册.xlsx")
    assert table.headers[:2] == ["学籍号", "姓名"]
    # And ten times as many rows (the import's maximum) stay under half of each limit
    parts = sizes(data)
    assert 10 * parts[SHARED_STRINGS] < MAX_STRINGS / 2
    assert 10 * parts[SHEET] < MAX_SHEET / 2
    assert 10 * sum(parts.values()) < MAX_EXPANDED / 2


def test_an_export_of_100000_rows_would_import_again():
    # Given AidCase's own export of 5,000 students (inline strings: the largest sheets)
    data = workbook_bytes(
        title="学生名册",
        columns=StudentsSheet.columns,
        rows=roster_rows(5_000),
        mark_required=False,
    )
    # Then twenty times as many rows stay within the limits
    parts = sizes(data)
    assert 20 * parts[SHEET] < MAX_SHEET * 0.75
    assert 20 * sum(parts.values()) < MAX_EXPANDED * 0.75
    assert (
        read_table(io.BytesIO(data), StudentsSheet.columns, name="名册.xlsx").headers[0] == "学籍号"
    )


# Where files are uploaded


@pytest.fixture
def bomb(small_roster) -> bytes:
    return replaced(small_roster, SHARED_STRINGS, strings_table(MAX_STRINGS // 17 + 1))


@pytest.mark.django_db
def test_the_upload_page_shows_the_message_beside_the_field(school, settings, tmp_path, bomb):
    settings.MEDIA_ROOT = tmp_path
    office = factories.make_user(Role.OFFICE, school=school)
    response = login(office).post(
        "/imports/students/", {"file": SimpleUploadedFile("名册.xlsx", bomb), "semester": ""}
    )
    assert response.status_code == 200
    errors = str(response.context["form"].errors["file"])
    assert "上限是 32 MB" in errors and "CSV" in errors
    assert "上限是 32 MB" in response.content.decode()
    assert not (tmp_path / "imports").exists()  # nothing kept for a confirmation


@pytest.mark.django_db
def test_the_command_refuses_with_the_message(school, tmp_path, bomb):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(bomb)
    with pytest.raises(CommandError, match="上限是 32 MB"):
        call_command("import_xlsx", "students", str(path), school=school.code)
