"""Spreadsheets as schools really make them (DESIGN): title rows above the header, synonyms,
one sheet per grade, a hidden sheet first, merged class cells, full-width characters, rows
formatted but empty, ID numbers typed as numbers, bare years, formulas without results and web
pages saved as .xls. Each case is read, or refused naming the sheet, row and column, and
nothing is saved then. (The files LibreOffice makes are in test_school_files.py.)"""

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from openpyxl.styles import Border, PatternFill, Side

from aidcase.spreadsheets import FileRefused
from imports.services import import_file
from students.models import Identification, Student
from tests import factories
from tests.helpers import id_number

pytestmark = pytest.mark.django_db

HEADERS = ["学籍号", "姓名", "性别", "出生日期", "入学年份", "班级", "身份证号", "类别"]
ID = id_number("52010220120915001")  # born 2012-09-15


def roster_row(n: int, **cells: Any) -> list[Any]:
    row = {
        "学籍号": f"G{n:06d}",
        "姓名": f"学生{n}",
        "性别": "女" if n % 2 else "男",
        "出生日期": "2012-09-15",
        "入学年份": 2024,
        "班级": "七年级(1)班",
        "身份证号": "",
        "类别": "",
    }
    row.update(cells)
    return [row[h] for h in HEADERS]


def workbook(*sheets: tuple[str, list[list[Any]]], hidden: tuple[str, ...] = ()) -> Any:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    return book


def saved(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(school: Any, data: bytes, *, name: str = "名册.xlsx", dry_run: bool = False) -> Any:
    plan, _result = import_file(
        kind="students",
        file=io.BytesIO(data),
        name=name,
        school=school,
        semester_code="2026-2027-1",
        dry_run=dry_run,
    )
    return plan


@pytest.fixture
def school():
    return factories.SchoolFactory()


def test_a_title_row_and_notes_above_the_header_are_skipped_and_said(school):
    # Given a register with a merged title, a 填表说明 line and a blank row above the header
    book = workbook(
        (
            "学生名册",
            [
                ["XX县第一中学2026年秋季学生名册"],
                ["填表说明：带*的为必填项，日期格式为2012-09-15"],
                [],
                HEADERS,
                roster_row(1),
                roster_row(2, 类别="留守"),
            ],
        )
    )
    book["学生名册"].merge_cells("A1:H1")

    # When it is imported
    plan = run(school, saved(book))

    # Then both students are saved and the preview says what was skipped
    assert plan.errors == []
    assert plan.count("new") == 2
    assert Student.objects.filter(school=school).count() == 2
    assert "表头在第 4 行，上面的 3 行（标题、说明）未导入" in " ".join(plan.notes)
    assert [change.row for change in plan.changes] == [5, 6]


def test_synonyms_marks_line_breaks_and_notes_in_headers_are_matched_and_unknown_columns_named(
    school,
):
    # Given the headers schools write, and one column AidCase does not know
    headers = [
        "学籍号*",
        "学生姓名",
        "性 别",
        "出生年月",
        "入学年份（必填）",
        "班级\n(必填)",
        "身份证号码",
        "帮扶类别",
        "联系电话",
        "是否住校",
        "备注",
    ]
    row = ["G000001", "张三", "女", "2012-09-15", 2024, "七年级(1)班", ID, "留守、贫困"]
    book = workbook(("Sheet1", [headers, [*row, "13800000000", "是", "家访过"]]))

    # When it is imported
    plan = run(school, saved(book))

    # Then every known column is read, and the unknown one is named as ignored
    assert plan.errors == []
    student = Student.objects.get(student_no="G000001")
    assert student.id_number == ID
    assert student.guardian_phone == "13800000000"
    assert student.boarding is True
    categories = set(
        Identification.objects.filter(student=student).values_list("category", flat=True)
    )
    assert categories == {"left_behind", "poor"}
    assert "以下列无法识别，未导入：「备注」" in " ".join(plan.notes)


def test_every_grade_sheet_is_read_and_a_hidden_dictionary_and_a_summary_are_not(school):
    # Given a hidden data dictionary first, one sheet per grade, and a summary sheet last
    book = workbook(
        ("数据字典", [["代码", "含义"], ["1", "留守"]]),
        ("七年级", [HEADERS, roster_row(1), roster_row(2)]),
        ("八年级", [["八年级学生名册"], HEADERS, roster_row(3, 入学年份=2023, 班级="八年级(1)班")]),
        ("九年级", [HEADERS, roster_row(4, 入学年份=2022, 班级="九年级(1)班")]),
        ("统计", [["年级", "人数"], ["七年级", 2]]),
        hidden=("数据字典",),
    )

    # When it is imported
    plan = run(school, saved(book))

    # Then the three grade sheets are read, rows named by sheet
    assert plan.errors == []
    assert sorted(Student.objects.values_list("student_no", flat=True)) == [
        "G000001",
        "G000002",
        "G000003",
        "G000004",
    ]
    assert [str(change.row) for change in plan.changes] == [
        "七年级!2",
        "七年级!3",
        "八年级!3",
        "九年级!2",
    ]
    notes = " ".join(plan.notes)
    assert "未读取工作表「数据字典」：隐藏的工作表" in notes
    assert "未读取工作表「统计」：前 10 行中没有找到表头" in notes


def test_an_error_on_a_grade_sheet_names_the_sheet_and_nothing_is_saved(school):
    # Given a bad date on the second grade sheet
    book = workbook(
        ("七年级", [HEADERS, roster_row(1)]),
        ("八年级", [HEADERS, roster_row(2, 出生日期="去年")]),
    )

    # When it is imported
    plan = run(school, saved(book))

    # Then the error names the sheet, row and column, and nothing is saved
    assert [str(error) for error in plan.errors] == [
        "工作表「八年级」第 2 行「出生日期」："
        "日期格式不正确（如 2010-09-01、2010/9/1 或 2010年9月1日）"
    ]
    assert not Student.objects.exists()


def test_a_class_merged_over_its_students_is_given_to_each(school):
    # Given the 班级 column merged down over each class's rows
    rows = [HEADERS, roster_row(1), roster_row(2, 班级=None), roster_row(3, 班级="七年级(2)班")]
    rows.append(roster_row(4, 班级=None))
    book = workbook(("名册", rows))
    book["名册"].merge_cells("F2:F3")
    book["名册"].merge_cells("F4:F5")

    # When it is imported
    plan = run(school, saved(book))

    # Then each student has their class
    assert plan.errors == []
    classes = dict(Student.objects.values_list("student_no", "school_class__name"))
    assert classes == {
        "G000001": "七年级(1)班",
        "G000002": "七年级(1)班",
        "G000003": "七年级(2)班",
        "G000004": "七年级(2)班",
    }


def test_full_width_digits_letters_and_padded_names_are_normalised(school):
    # Given full-width keys and numbers, and a name padded with a full-width space
    full = str.maketrans("0123456789GX", "０１２３４５６７８９ＧＸ")
    row = roster_row(1, 姓名="张\u3000伟", 入学年份="２０２４", 身份证号=ID.translate(full))
    row[0] = "G000001".translate(full)
    book = workbook(("名册", [HEADERS, row]))

    # When it is imported
    plan = run(school, saved(book))

    # Then the student is stored with ordinary characters
    assert plan.errors == []
    student = Student.objects.get()
    assert (student.student_no, student.name, student.id_number) == ("G000001", "张伟", ID)
    assert student.cohort.entry_year == 2024


def test_rows_formatted_to_the_bottom_of_the_sheet_are_not_rows(school):
    # Given ten students, then cells with borders and fill but no value down many rows
    book = workbook(("名册", [HEADERS, *(roster_row(n) for n in range(1, 11))]))
    sheet = book["名册"]
    thin = Side(style="thin")
    for number in range(12, 3000):
        for column in range(1, 9):
            cell = sheet.cell(row=number, column=column)
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.fill = PatternFill("solid", fgColor="FFFFCC")

    # When it is imported
    plan = run(school, saved(book))

    # Then the ten students are read, and no empty row is an error
    assert plan.errors == []
    assert plan.count("new") == 10


@pytest.mark.parametrize(
    "value",
    [520102201209150012, 5.20102201209150e17, 52010220120915001],
    ids=["int", "float", "seventeen-digits"],
)
def test_an_id_number_typed_as_a_number_is_never_saved(school, value):
    # Given an ID number stored as a number (Excel keeps 15 digits of it)
    book = workbook(("名册", [HEADERS, roster_row(1, 身份证号=value)]))

    # When it is imported
    plan = run(school, saved(book))

    # Then it is refused with what to do, and nothing is saved
    assert len(plan.errors) == 1
    message = str(plan.errors[0])
    assert message.startswith("工作表「名册」第 2 行「身份证号」：是数字格式")
    assert "设为文本格式" in message
    assert not Student.objects.exists()


def test_a_student_no_typed_as_a_long_number_is_refused(school):
    book = workbook(("名册", [HEADERS, [5.20102201209150e17, *roster_row(1)[1:]]]))

    plan = run(school, saved(book))

    assert str(plan.errors[0]).startswith("工作表「名册」第 2 行「学籍号」：是数字格式")
    assert not Student.objects.exists()


@pytest.mark.parametrize("value", [2012, 2012.0, "2012", "２０１２"])
def test_a_bare_year_in_a_date_column_is_refused_not_read_as_1905(school, value):
    book = workbook(("名册", [HEADERS, roster_row(1, 出生日期=value)]))

    plan = run(school, saved(book))

    assert [str(error) for error in plan.errors] == [
        "工作表「名册」第 2 行「出生日期」：只填了年份（2012）：请填写完整的日期，如 2012-09-01"
    ]
    assert not Student.objects.exists()


def test_a_real_date_cell_and_an_excel_day_number_are_still_dates(school):
    book = workbook(
        (
            "名册",
            [
                HEADERS,
                roster_row(1, 出生日期=dt.datetime(2012, 9, 15)),  # noqa: DTZ001
                roster_row(2, 出生日期=41167),  # 2012-09-15 as a day number
            ],
        )
    )

    plan = run(school, saved(book))

    assert plan.errors == []
    assert set(Student.objects.values_list("birth_date", flat=True)) == {dt.date(2012, 9, 15)}


def test_formulas_without_results_are_named_with_what_to_do(school):
    # Given a file written by a program: a formula with no computed value
    book = workbook(("名册", [HEADERS, roster_row(1, 入学年份="=2020+4")]))

    # When / then
    with pytest.raises(FileRefused, match=r"公式没有计算结果（如 E2 格）.*打开文件并保存一次"):
        run(school, saved(book))
    assert not Student.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"<html><head><meta charset=utf-8></head><body><table>"
        b"<tr><td>\xe5\xad\xa6\xe7\xb1\x8d\xe5\x8f\xb7</td></tr></table></body></html>",
        b'\xef\xbb\xbf<table border="1"><tr><td>x</td></tr></table>',
        b"MIME-Version: 1.0\r\nContent-Type: multipart/related",
    ],
    ids=["html", "bare-table", "web-archive"],
)
def test_a_web_page_saved_as_xls_is_named_as_such(school, content):
    with pytest.raises(FileRefused, match=r"这个文件是网页（HTML）.*另存为"):
        run(school, content, name="学生名册.xls")


def test_no_header_in_the_first_ten_rows_names_the_closest_row_and_what_it_lacks(school):
    # Given a header that lacks 班级, below a title
    headers = [h for h in HEADERS if h != "班级"]
    book = workbook(("名册", [["学生名册"], headers, ["G1", "张三"]]))

    # When it is imported
    plan = run(school, saved(book))

    # Then the header row is named with the missing column
    assert [str(error) for error in plan.errors] == [
        "工作表「名册」第 2 行「班级」：缺少必填列（前 10 行中没有包含全部必填列的表头行）："
        "请加上这一列，或按模板改列名"
    ]


def test_a_header_below_row_ten_is_not_found(school):
    book = workbook(("名册", [*([["说明"]] * 10), HEADERS, roster_row(1)]))

    plan = run(school, saved(book))

    assert plan.errors and "缺少必填列" in str(plan.errors[0])
    assert not Student.objects.exists()


def test_only_a_hidden_sheet_with_the_roster_says_to_unhide_it(school):
    book = workbook(("名册", [HEADERS, roster_row(1)]), ("空白", [["x"]]), hidden=("名册",))

    plan = run(school, saved(book))

    assert "这个工作表是隐藏的" in str(plan.errors[0])
    assert "名册" in str(plan.errors[0])


def test_a_gbk_csv_with_a_title_line_is_read(school):
    # Given Excel's "CSV" (GBK) with a title line above the header
    lines = ["XX县第一中学学生名册", ",".join(HEADERS), ",".join(map(str, roster_row(1)))]
    data = "\r\n".join(lines).encode("gbk")

    plan = run(school, data, name="名册.csv")

    assert plan.errors == []
    assert Student.objects.get().name == "学生1"
