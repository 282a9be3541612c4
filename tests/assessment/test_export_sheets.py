"""`manage.py export_sheets --school CODE --semester CODE --out DIR`: one PDF per teacher of
the assessment, approved sheets as they were approved; bad input refused in Chinese with
nothing written."""

import datetime as dt
import io
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from assessment.models import Score, Sheet
from assessment.services import sheet_approve, sheet_submit, sheets_compute
from students.models import Category, Role
from tests import factories

pytestmark = pytest.mark.django_db

NOW, BEFORE = "2025-2026-1", "2024-2025-2"
TEACHERS = {"T001": "张老师", "T002": "李老师", "T003": "王老师"}


@pytest.fixture
def world(school):
    """Three teachers, each paired with one student of a cohort whose total scores went
    from 80 each to 110, 90 and 100 (average 100)."""
    now = factories.SemesterFactory(school=school, code=NOW)
    before = factories.SemesterFactory(school=school, code=BEFORE)
    cohort = factories.CohortFactory(school=school, entry_year=2024)
    teachers = {}
    for (username, name), score in zip(TEACHERS.items(), ("110", "90", "100"), strict=True):
        student = factories.StudentFactory(school=school, cohort=cohort)
        Score.objects.create(student=student, semester=before, score=Decimal("80"))
        Score.objects.create(student=student, semester=now, score=Decimal(score))
        teacher = factories.make_user(school=school, user__username=username, name=name)
        factories.PairingFactory(
            school=school,
            student=student,
            teacher=teacher,
            category=Category.LEFT_BEHIND,
            start=dt.date(2025, 3, 1),
            identified=False,
        )
        teachers[username] = teacher
    return {"school": school, "now": now, "teachers": teachers}


def export(school, out, semester=NOW) -> str:
    stdout = StringIO()
    call_command(
        "export_sheets", school=school.code, semester=semester, out=str(out), stdout=stdout
    )
    return stdout.getvalue()


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_one_pdf_per_teacher_of_the_assessment(world, tmp_path):
    # given an output folder that does not exist yet
    out = tmp_path / "sheets" / NOW

    # when the sheets are exported
    printed = export(world["school"], out)

    # then there is a PDF per teacher that `assess --json` lists, each naming its teacher,
    # exported by the command line
    assessed = StringIO()
    call_command("assess", school=world["school"].code, semester=NOW, json=True, stdout=assessed)
    teachers = [t["teacher"] for t in json.loads(assessed.getvalue())["teachers"]]
    assert teachers == list(TEACHERS)
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"{NOW}_{u}_{n}.pdf" for u, n in TEACHERS.items()]
    for path, (username, name) in zip(files, TEACHERS.items(), strict=True):
        text = text_of(path.read_bytes())
        assert f"教师 {name} 工号 {username}" in text
        assert "导出：命令行导出" in text
        assert "第 1 页 / 共" in text
    assert "已导出 3 份考核表 PDF" in printed
    # and the sheets were computed and stored, by nobody in particular
    assert Sheet.objects.filter(semester=world["now"]).count() == 3
    assert set(Sheet.objects.values_list("events__by", flat=True)) == {None}


def test_an_approved_sheet_is_exported_as_it_was_approved(world, tmp_path):
    # given 张老师's sheet approved while the average was 100.00
    school = world["school"]
    office = factories.make_user(Role.OFFICE, school=school)
    principal = factories.make_user(Role.PRINCIPAL, school=school)
    sheet = next(
        s
        for s in sheets_compute(school=school, semester=world["now"], by=office)
        if s.teacher.username == "T001"
    )
    sheet_approve(sheet=sheet_submit(sheet=sheet, by=office), by=principal)

    # when a score is corrected (the average becomes 110.00) before the export
    Score.objects.filter(semester=world["now"], score=Decimal("90")).update(score=Decimal("120"))
    export(school, tmp_path)

    # then the approved sheet keeps the approved numbers; the drafts show the new ones
    approved = text_of((tmp_path / f"{NOW}_T001_张老师.pdf").read_bytes())
    draft = text_of((tmp_path / f"{NOW}_T002_李老师.pdf").read_bytes())
    assert "本学期 110 ÷ 年级均分 100.00" in approved
    assert "草稿（未审批）" not in approved
    assert "本学期 120 ÷ 年级均分 110.00" in draft
    assert "草稿（未审批）" in draft


@pytest.mark.parametrize(
    ("school_code", "semester", "message"),
    [
        ("NOPE", NOW, "学校代码 NOPE 不存在"),
        (None, "2030-2031-1", "没有学期 2030-2031-1"),
    ],
)
def test_a_bad_school_or_semester_is_refused_and_nothing_written(
    world, tmp_path, school_code, semester, message
):
    out = tmp_path / "out"
    with pytest.raises(CommandError, match=message):
        call_command(
            "export_sheets",
            school=school_code or world["school"].code,
            semester=semester,
            out=str(out),
        )
    assert not out.exists()
    assert not Sheet.objects.exists()


def test_an_out_path_that_is_a_file_is_refused_and_nothing_written(world, tmp_path):
    existing = tmp_path / "sheets.pdf"
    existing.write_bytes(b"kept")
    with pytest.raises(CommandError, match="已存在且不是文件夹"):
        export(world["school"], existing)
    assert [p.name for p in tmp_path.iterdir()] == ["sheets.pdf"]
    assert existing.read_bytes() == b"kept"
    assert not Sheet.objects.exists()
