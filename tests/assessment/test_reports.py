"""The printed assessment: a teacher's sheet as a Chinese A4 PDF (one embedded font, masked ID
numbers, page footer), frozen once approved; every sheet in a ZIP; the school's summary in
Excel with totals that agree with the stored sheets."""

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from pypdf import PdfReader

from aidcase.pdf import MISSING, printable
from assessment.models import Questionnaire, Score, Sheet
from assessment.reports import (
    reason_texts,
    sheet_filename,
    sheet_pdf,
    summary_xlsx,
    write_sheets_zip,
)
from assessment.services import sheet_approve, sheet_submit, sheets_compute
from pairing.models import Pairing
from students import idcard
from students.models import Category, Role
from tests import factories
from visits.models import Incident, IncidentType

NOW, BEFORE = "2025-2026-1", "2024-2025-2"
AT = dt.datetime(2026, 1, 20, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
# Quotes and angle brackets: the footer's CSS string must survive them.
EXPORTER = '韦燕芬 "资助办" <导出>'
FIRST17 = "52010220120101123"
FULL_ID = FIRST17 + idcard.check_char(FIRST17)
MASKED_ID = idcard.mask(FULL_ID)
KIB = 1024


def pair(school, student, category, teacher, **extra):
    return factories.PairingFactory(
        school=school,
        student=student,
        category=category,
        teacher=teacher,
        start=dt.date(2025, 3, 1),
        identified=False,
        **extra,
    )


def make_school() -> dict:
    """A school in its 2025-2026-1 semester, a cohort of four with total scores (the
    average goes from 80 to 100) and maths scores for two, and two teachers:
    张老师 (T001): 刘一 left-behind, 110: ratio 1.1000, effective, 2 points;
                   陈二 struggling in maths, 90 (avg 90) after 60 (avg 70): 1.1667, 1 point;
                   王三 problem, 100: 1.0000 below 1.05, and a fight: ineffective;
                   赵四 poor, no score last term: incomplete.
    李老师 (T002): 刘一 poor: effective, 1 point."""
    school = factories.SchoolFactory(name="平寨镇中学")
    now = factories.SemesterFactory(school=school, code=NOW)
    before = factories.SemesterFactory(school=school, code=BEFORE)
    cohort = factories.CohortFactory(school=school, entry_year=2024)
    klass = factories.SchoolClassFactory(school=school, cohort=cohort, name="七年级(1)班")
    students = [
        factories.StudentFactory(
            school=school,
            cohort=cohort,
            school_class=klass,
            student_no=f"G2024000{n}",
            name=name,
            id_number=FULL_ID if n == 1 else "",
        )
        for n, name in enumerate(("刘一", "陈二", "王三", "赵四"), start=1)
    ]
    s1, s2, s3, s4 = students
    for student, score_before, score_now in [
        (s1, "80", "110"),
        (s2, "80", "90"),
        (s3, "80", "100"),
        (s4, None, "100"),
    ]:
        if score_before:
            Score.objects.create(student=student, semester=before, score=Decimal(score_before))
        Score.objects.create(student=student, semester=now, score=Decimal(score_now))
    for student, score_before, score_now in [(s2, "60", "90"), (s3, "80", "90")]:
        Score.objects.create(
            student=student, semester=before, subject="数学", score=Decimal(score_before)
        )
        Score.objects.create(
            student=student, semester=now, subject="数学", score=Decimal(score_now)
        )
    zhang = factories.make_user(school=school, user__username="T001", name="张老师")
    li = factories.make_user(school=school, user__username="T002", name="李老师")
    office = factories.make_user(Role.OFFICE, school=school, name="韦燕芬")
    principal = factories.make_user(Role.PRINCIPAL, school=school, name="王校长")
    first = pair(school, s1, Category.LEFT_BEHIND, zhang)
    pair(school, s2, Category.STRUGGLING, zhang, subject="数学")
    pair(school, s3, Category.PROBLEM, zhang)
    pair(school, s4, Category.POOR, zhang)
    pair(school, s1, Category.POOR, li)
    Incident.objects.create(
        student=s3, date=dt.date(2025, 10, 8), type=IncidentType.GANG_FIGHT, recorded_by=office
    )
    Questionnaire.objects.create(
        pairing=first,
        semester=now,
        answered_at=timezone.now(),
        source=Questionnaire.Source.PAPER,
        respondent=Questionnaire.Respondent.PARENT,
        q1=5,
        q2=4,
        q3=5,
        q4=4,
        q5=5,
        # A parent's emoji: the font has no glyph for it.
        comment="老师很耐心，孩子进步很大👍",
    )
    sheets_compute(school=school, semester=now, by=office)
    return {
        "school": school,
        "now": now,
        "students": students,
        "zhang": zhang,
        "li": li,
        "office": office,
        "principal": principal,
    }


def sheet_of(teacher) -> Sheet:
    return Sheet.objects.select_related(
        "school", "semester", "teacher__profile", "submitted_by__profile", "approved_by__profile"
    ).get(teacher=teacher)


def approve(sheet: Sheet, world: dict) -> Sheet:
    sheet_submit(sheet=sheet, by=world["office"], comment="记录齐全，同意。")
    sheet_approve(sheet=sheet, by=world["principal"], comment="同意")
    return sheet_of(sheet.teacher)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    """Text without its line breaks and spaces, which depend on where lines wrap."""
    return re.sub(r"\s+", "", text)


def font_faces(pdf: bytes) -> tuple[set[str], set[int]]:
    """The embedded fonts' names (without the subset tag) and font file objects, over
    every font of every page."""
    names: set[str] = set()
    files: set[int] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():  # type: ignore[index]
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                names.add(str(descriptor["/FontName"]).split("+", 1)[-1])
                files.update(
                    descriptor.raw_get(key).idnum
                    for key in ("/FontFile", "/FontFile2", "/FontFile3")
                    if key in descriptor
                )
    return names, files


@pytest.fixture(scope="module")
def rendered(django_db_setup, django_db_blocker) -> dict:
    """张老师's draft and 李老师's approved sheet, rendered once for the module (rendering is
    slow) with an English interface active, and everything the tests compare them with.
    The database is rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = make_school()
        approved = approve(sheet_of(world["li"]), world)
        with translation.override("en"):
            draft_pdf = sheet_pdf(sheet=sheet_of(world["zhang"]), exported_by=EXPORTER, at=AT)
            approved_pdf = sheet_pdf(sheet=approved, exported_by=EXPORTER, at=AT)
        result = {
            "draft": draft_pdf,
            "approved": approved_pdf,
            "draft_sheet": sheet_of(world["zhang"]),
            "approved_at": timezone.localtime(approved.approved_at).strftime("%Y-%m-%d %H:%M"),
        }
        transaction.set_rollback(True)
    return result


# The PDF sheet


def test_the_sheet_names_the_school_the_teacher_and_each_student_in_chinese(rendered):
    text = text_of(rendered["draft"])
    for expected in (
        "教师结对帮扶学期考核表",
        "平寨镇中学",
        "2025—2026学年第一学期",
        "张老师",
        "T001",
        "刘一",
        "陈二",
        "王三",
        "赵四",
        "G20240001",
        "七年级(1)班",
    ):
        assert expected in text
    # Labels come out in Chinese although the interface was English.
    assert "刘一（留守）" in text
    assert "Left-behind" not in text


def test_each_pairing_shows_its_ratio_numbers_status_reasons_and_points(rendered):
    text = text_of(rendered["draft"])
    # 陈二's maths: 90 over the maths average 90, 60 over 70.
    assert "本学期数学 90 ÷ 年级均分 90.00" in text
    assert "上学期数学 60 ÷ 年级均分 70.00" in text
    assert "进步比例 1.1667（达到标准 1.10）" in text
    # 王三: the fight and the low ratio, with its numbers.
    assert "2025-10-08 结伙打架" in text
    assert "无效结伙打架、欺诈弱小、严重违纪；进步比例1.0000，低于标准1.05得分0" in flat(text)
    assert "待补数据 成绩缺失，无法计算进步比例 得分 0" in text
    assert "无法计算（成绩缺失或为零）" in text


def test_the_totals_and_the_duty_record_are_on_the_sheet(rendered):
    text = text_of(rendered["draft"])
    totals = rendered["draft_sheet"].content["totals"]
    assert (totals["points"], totals["effective"], totals["ineffective"]) == (3, 2, 1)
    assert (
        f"结对数 有效 无效 待补数据 帮扶记录完成 考核得分\n4 2 1 1 0 / {totals['duty_due']}（0%） 3"
        in text
    )
    duty = rendered["draft_sheet"].content["pairings"][0]["duties"][0]
    assert f"{duty['title']} 0 / {duty['due']} {duty['owed']}" in text


def test_the_questionnaire_summary_shows_each_question_and_the_comment(rendered):
    text = text_of(rendered["draft"])
    assert "发放 1 份，收回 1 份" in text
    assert "1 老师经常和我（孩子）谈心、联系 5.00" in text
    assert "2 老师关心我（孩子）的学习，给予了辅导和帮助 4.00" in text
    assert "总体平均分 4.60" in text
    assert f"老师很耐心，孩子进步很大{MISSING}" in text


def test_the_id_number_is_printed_masked_only(rendered):
    text = text_of(rendered["draft"])
    assert MASKED_ID in text
    assert FULL_ID not in text
    assert FULL_ID[6:14] not in text  # not even the birth date part


def test_a_draft_is_marked_on_every_page_and_an_approved_sheet_is_not(rendered):
    draft = [page.extract_text() for page in PdfReader(io.BytesIO(rendered["draft"])).pages]
    approved = text_of(rendered["approved"])
    assert all("草稿（未审批）" in page for page in draft)
    assert "草稿（未审批）" not in approved
    assert "待审批" not in approved
    assert "已审批" in approved


def test_the_reviewers_comments_say_who_and_when(rendered):
    text = text_of(rendered["approved"])
    assert "帮扶办审核意见 记录齐全，同意。 韦燕芬" in text
    assert f"校长审批意见 同意 王校长\n{rendered['approved_at']}" in text
    for signature in ("被考核教师签名", "帮扶办审核", "校长审批"):
        assert signature in text


def test_every_page_has_the_exporter_and_its_number_in_the_footer(rendered):
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(rendered["draft"])).pages]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"导出：{EXPORTER}　2026-01-20 09:30" in page
        assert f"第 {number} 页 / 共 {len(pages)} 页" in page


@pytest.mark.parametrize("which", ["draft", "approved"])
def test_one_font_face_is_embedded_and_pages_stay_small(rendered, which):
    pdf = rendered[which]
    names, files = font_faces(pdf)
    assert len(names) == 1
    assert next(iter(names)).replace("-", "").startswith("NotoSansCJKSC")
    assert len(files) == 1
    assert len(pdf) <= 400 * KIB * len(PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.django_db
def test_an_approved_sheet_prints_the_same_after_the_records_change():
    # given 李老师's approved sheet and 张老师's draft, printed
    world = make_school()
    approved = approve(sheet_of(world["li"]), world)
    before = {
        "approved": sheet_pdf(sheet=approved, exported_by=EXPORTER, at=AT),
        "draft": sheet_pdf(sheet=sheet_of(world["zhang"]), exported_by=EXPORTER, at=AT),
    }
    # when 陈二's total score is corrected and the sheets are computed again
    s2 = world["students"][1]
    Score.objects.filter(student=s2, semester=world["now"], subject="").update(score=95.5)
    sheets_compute(school=world["school"], semester=world["now"], by=world["office"])
    after = {
        "approved": sheet_pdf(sheet=sheet_of(world["li"]), exported_by=EXPORTER, at=AT),
        "draft": sheet_pdf(sheet=sheet_of(world["zhang"]), exported_by=EXPORTER, at=AT),
    }
    # then the approved sheet is the same document; the draft shows the new averages
    assert after["approved"] == before["approved"]
    assert "年级均分 100.00" in text_of(after["approved"])
    assert "年级均分 101.38" in text_of(after["draft"])
    assert "年级均分 101.38" not in text_of(before["draft"])


# Names, the ZIP and the wording


@pytest.mark.django_db
def test_the_zip_has_one_pdf_per_sheet_and_reports_progress():
    world = make_school()
    sheets = [sheet_of(world["zhang"]), sheet_of(world["li"])]
    progress: list[int] = []
    out = io.BytesIO()

    count = write_sheets_zip(
        sheets=sheets, exported_by=EXPORTER, out=out, on_progress=progress.append
    )

    archive = zipfile.ZipFile(out)
    assert count == 2
    assert progress == [1, 2]
    assert archive.namelist() == [f"{NOW}_T001_张老师.pdf", f"{NOW}_T002_李老师.pdf"]
    for name, teacher in zip(archive.namelist(), ("张老师", "李老师"), strict=True):
        assert f"教师 {teacher} 工号" in text_of(archive.read(name))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "expected"),
    [("张三", "2025-2026-1_T9_张三.pdf"), ("../张 三/", "2025-2026-1_T9_张_三.pdf")],
)
def test_file_names_keep_letters_digits_and_dashes_only(name, expected):
    school = factories.SchoolFactory()
    teacher = factories.make_user(school=school, user__username="T9", name=name)
    semester = factories.SemesterFactory(school=school, code=NOW)
    sheet = Sheet(
        school=school,
        semester=semester,
        teacher=teacher,
        content={"teacher": {"username": "T9", "name": name}},
    )
    assert sheet_filename(sheet) == expected


def test_low_progress_says_the_ratio_and_the_threshold():
    line = {"reasons": ["violence", "low_progress"], "ratio": "0.9273", "threshold": "1.10"}
    with translation.override("zh-hans"):
        assert reason_texts(line) == [
            "结伙打架、欺诈弱小、严重违纪",
            "进步比例 0.9273，低于标准 1.10",
        ]


def test_characters_the_font_lacks_are_replaced_and_invisible_marks_dropped():
    assert printable("好👍🏻 ❤️ 𠮷 é ①\n") == f"好{MISSING} {MISSING} 𠮷 é ①\n"


# The Excel summary


def rows_of(sheet) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.django_db
def test_the_summary_totals_agree_with_the_stored_sheets():
    # given the computed sheets, one of them approved
    world = make_school()
    approve(sheet_of(world["li"]), world)
    sheets = Sheet.objects.filter(semester=world["now"]).select_related("teacher__profile")

    # when the summary is exported
    data = summary_xlsx(
        school=world["school"], semester=world["now"], sheets=sheets, exported_by=EXPORTER
    )

    # then it names the school, the semester and the exporter, a row per teacher, and
    # its totals are the database's
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    summary = rows_of(workbook["汇总"])
    columns = ("工号", "姓名", "结对数", "有效", "无效", "待补数据", "得分")
    header = summary.index((*columns, "帮扶记录完成率", "问卷均分", "状态"))
    about = {row[0]: row[1] for row in summary[1:header] if row[0]}
    assert about["学校"] == "平寨镇中学"
    assert about["学期"] == f"2025—2026学年第一学期（{NOW}）"
    assert about["导出人"] == EXPORTER
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", about["导出时间"])
    teachers, totals = summary[header + 1 : -1], summary[-1]
    assert [row[:2] for row in teachers] == [("T001", "张老师"), ("T002", "李老师")]
    assert teachers[0][8] == 4.6  # 问卷均分
    assert [row[9] for row in teachers] == ["草稿", "已审批"]
    stored = Sheet.objects.filter(semester=world["now"]).aggregate(
        Sum("points"), Sum("effective"), Sum("ineffective"), Sum("incomplete")
    )
    assert totals[0] == "合计"
    assert totals[2:7] == (
        Pairing.objects.filter(school=world["school"]).count(),
        stored["effective__sum"],
        stored["ineffective__sum"],
        stored["incomplete__sum"],
        stored["points__sum"],
    )
    assert totals[2:7] == (5, 3, 1, 1, 4)


@pytest.mark.django_db
def test_the_detail_lists_every_pairing_in_chinese_without_id_numbers():
    world = make_school()
    world["students"][3].name = "=HYPERLINK(1)"  # a name that looks like a formula
    world["students"][3].save()
    sheets_compute(school=world["school"], semester=world["now"], by=world["office"])
    sheets = Sheet.objects.filter(semester=world["now"]).select_related("teacher__profile")

    data = summary_xlsx(
        school=world["school"], semester=world["now"], sheets=sheets, exported_by=EXPORTER
    )

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    detail = rows_of(workbook["明细"])
    header = detail.index(
        ("工号", "教师", "学籍号", "学生", "类别", "学科", "进步比例", "状态", "原因", "得分")
    )
    assert detail[header + 1 :] == [
        ("T001", "张老师", "G20240001", "刘一", "留守", None, 1.1, "有效", None, 2),
        ("T001", "张老师", "G20240002", "陈二", "学困", "数学", 1.1667, "有效", None, 1),
        (
            "T001",
            "张老师",
            "G20240003",
            "王三",
            "问题",
            None,
            1,
            "无效",
            "结伙打架、欺诈弱小、严重违纪；进步比例 1.0000，低于标准 1.05",
            0,
        ),
        (
            "T001",
            "张老师",
            "G20240004",
            "=HYPERLINK(1)",
            "贫困",
            None,
            None,
            "待补数据",
            "成绩缺失，无法计算进步比例",
            0,
        ),
        ("T002", "李老师", "G20240001", "刘一", "贫困", None, 1.1, "有效", None, 1),
    ]
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert not any(str(cell.value).startswith((FULL_ID[:4], MASKED_ID[:4])) for cell in cells)
