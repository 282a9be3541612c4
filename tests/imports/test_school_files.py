"""The registers in tests/data/spreadsheets, made the way schools make them (LibreOffice saving
.xls, .ods and .xlsx; see its README and `make spreadsheets`): each is read as its manifest
says, or refused naming the sheet, row and column; and one school's files import end to end."""

import datetime as dt
import io
import json
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aidcase.spreadsheets import FileRefused, parse, read_table
from assessment.models import Score
from imports.services import import_county_file, import_file, sheet_for
from pairing.models import Pairing
from students.models import County, School, Student
from visits.models import Incident

FOLDER = Path(__file__).resolve().parent.parent / "data" / "spreadsheets"
MANIFEST = json.loads((FOLDER / "manifest.json").read_text(encoding="utf-8"))
FILES = MANIFEST["files"]
# The cells compared with the manifest's records, by kind: what identifies and dates a row.
COMPARED = {
    "students": ("学籍号", "姓名", "身份证号", "出生日期", "入学年份", "班级"),
    "teachers": ("工号", "姓名", "手机号"),
    "pairings": ("工号", "学籍号", "开始日期", "结束日期"),
    "scores": ("学籍号", "学期", "成绩"),
    "incidents": ("学籍号", "日期", "说明"),
    "schools": ("学校代码", "学校名称", "乡镇", "学段"),
}
SKIPPED = {"hidden": "隐藏的工作表", "no required columns": "前 10 行中没有找到表头"}
FILE_REFUSALS = {
    "web page": "这个文件是网页（HTML）",
    "formulas without values": "公式没有计算结果",
}
REFUSALS = {"numeric id": "是数字格式", "bare year": "只填了年份"}


def read(name: str) -> Any:
    sheet = sheet_for(FILES[name]["kind"])
    data = (FOLDER / name).read_bytes()
    return parse(read_table(io.BytesIO(data), sheet.columns, name=name), sheet.columns), sheet


def shown(value: Any) -> str:
    """A parsed value as the manifest writes it."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize()) if value != value.to_integral_value() else str(int(value))
    return str(value)


# Keys and numbers are read in their ordinary forms (NFKC), names without padding spaces.
NORMALISED = {"学籍号", "身份证号", "工号", "学校代码", "学期", "入学年份", "成绩", "班级"}


def expected(header: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(Decimal(str(value)).normalize())
    if header in NORMALISED:
        return unicodedata.normalize("NFKC", str(value)).strip()
    return str(value).replace("\u3000", "").strip()


@pytest.mark.parametrize("name", [n for n, f in FILES.items() if not f["file_refusal"]])
def test_each_register_is_read_as_its_manifest_says(name):
    spec = FILES[name]

    # When the file is read
    rows, sheet = read(name)

    # Then the sheets, the rows as Excel shows them and the columns left aside are as listed
    assert [s for s, _header in rows.sheets] == (spec["sheets_read"] or [""])
    assert dict(rows.sheets) == (spec["header_rows"] or {"": 1})
    assert [str(number) for number, _record, _ok in rows.records] == spec["rows"]
    assert [header for _sheet, header in rows.ignored] == spec["ignored_columns"]
    assert dict(rows.skipped) == {s: SKIPPED[why] for s, why in spec["sheets_skipped"].items()}
    # And every refused cell is named with its sheet, row and column, and nothing else is
    refused = [(error.row.sheet, int(error.row), error.column) for error in rows.errors]
    assert refused == [(r["sheet"], r["row"], r["column"]) for r in spec["refusals"]]
    for error, refusal in zip(rows.errors, spec["refusals"], strict=True):
        assert REFUSALS[refusal["why"]] in error.message
    # And the cells that were read hold what the school typed
    keys = {column.header: column.key for column in sheet.columns}
    records = {str(number): record for number, record, _ok in rows.records}
    for record in spec["records"] or []:
        got = records[record["row"]]
        for header in COMPARED[spec["kind"]]:
            if header in record and keys[header] in got:
                refused_here = any(
                    str(r["row"]) == record["row"].split("!")[-1] and r["column"] == header
                    for r in spec["refusals"]
                )
                if not refused_here:
                    assert shown(got[keys[header]]) == expected(header, record[header]), (
                        record["row"],
                        header,
                    )


@pytest.mark.parametrize("name", [n for n, f in FILES.items() if f["file_refusal"]])
def test_a_file_that_is_not_a_readable_register_is_named_with_what_to_do(name):
    with pytest.raises(FileRefused) as refused:
        read(name)
    message = str(refused.value)
    assert FILE_REFUSALS[FILES[name]["file_refusal"]["why"]] in message
    assert "另存为" in message or "保存一次" in message


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["numeric-ids.xls", "numeric-ids.xlsx", "numeric-student-no.xlsx"])
def test_an_id_number_or_student_no_typed_as_a_number_is_never_saved(name):
    school = School.objects.create(code="2152010101", name="青溪县第一中学")

    plan, _result = import_file(
        kind="students",
        file=io.BytesIO((FOLDER / name).read_bytes()),
        name=name,
        school=school,
        semester_code=MANIFEST["semester"],
    )

    assert len(plan.errors) == len(FILES[name]["refusals"])
    assert all("设为文本格式" in error.message for error in plan.errors)
    assert not Student.objects.exists()


def run(kind: str, name: str, school: School, semester: str | None = None) -> Any:
    plan, result = import_file(
        kind=kind,
        file=io.BytesIO((FOLDER / name).read_bytes()),
        name=name,
        school=school,
        semester_code=semester,
    )
    assert [str(error) for error in plan.errors] == [], name
    return plan, result


@pytest.mark.django_db
def test_one_schools_files_as_libreoffice_saves_them_import_end_to_end():
    # Given the county's list of schools (.xls with a title row)
    county_plan, _result = import_county_file(
        kind="schools",
        file=io.BytesIO((FOLDER / "schools.xls").read_bytes()),
        name="schools.xls",
        county_name=MANIFEST["school"]["county"],
    )
    assert county_plan.errors == []
    school = School.objects.get(code=MANIFEST["school"]["code"])
    assert school.county == County.objects.get(name=MANIFEST["school"]["county"])
    assert School.objects.count() == FILES["schools.xls"]["data_rows"]

    # When the school imports its roster (.xls), staff (.xls), pairings (.ods), scores of two
    # semesters (.xlsx, a sheet each) and incidents (.ods)
    semester = MANIFEST["semester"]
    run("students", "title-notes.xls", school, semester)
    run("teachers", "teachers-title.xls", school)
    run("pairings", "pairings-history.ods", school, semester)
    run("scores", "scores-two-sheets.xlsx", school)
    run("incidents", "incidents.ods", school)

    # Then every row is stored
    assert Student.objects.filter(school=school).count() == FILES["title-notes.xls"]["data_rows"]
    pairings = Pairing.objects.filter(student__school=school)
    assert pairings.count() == FILES["pairings-history.ods"]["data_rows"]
    ended = [r for r in FILES["pairings-history.ods"]["records"] if r["结束日期"]]
    assert pairings.exclude(end=None).count() == len(ended)
    assert Score.objects.filter(student__school=school).count() == 10
    assert Incident.objects.filter(student__school=school).count() == 4
