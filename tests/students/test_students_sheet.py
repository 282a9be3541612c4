"""The students roster import (学生名册) through `import_file` and the `import_xlsx` command:
every problem listed with its row and column, nothing saved unless the whole file is right."""

import datetime as dt
import io
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from aidcase.spreadsheets import FileRefused, workbook_bytes
from imports.services import import_file
from students.models import Cohort, Identification, SchoolClass, Semester, Student
from students.resources import StudentsSheet
from tests import factories
from tests.helpers import MISSING_COLUMN, id_number, wrong_check_char

pytestmark = pytest.mark.django_db

HEADERS = [
    "学籍号",
    "姓名",
    "性别",
    "出生日期",
    "入学年份",
    "班级",
    "身份证号",
    "年级",
    "类别",
    "认定来源",
    "监护人",
    "监护人关系",
    "监护人电话",
    "家庭住址",
    "父母务工地",
    "是否寄宿",
]
ZHANG_ID = id_number("52010220100901123")  # born 2010-09-01


def student(number: int = 1, **cells: Any) -> dict[str, Any]:
    """A row of the roster: a valid student unless a cell says otherwise."""
    row: dict[str, Any] = {
        "学籍号": f"G5201022010{number:04d}",
        "姓名": f"张{number}",
        "性别": "女",
        "出生日期": "2010-09-01",
        "入学年份": 2024,
        "班级": "七年级(1)班",
        "身份证号": "",
        "年级": "七年级",
        "类别": "",
        "认定来源": "",
        "监护人": "张父",
        "监护人关系": "父亲",
        "监护人电话": "13800000000",
        "家庭住址": "平寨镇",
        "父母务工地": "浙江",
        "是否寄宿": "否",
    }
    row.update(cells)
    return row


def xlsx(*rows: dict[str, Any], headers: list[str] = HEADERS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([f"{h}*" if h in {"学籍号", "姓名"} else h for h in headers])
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(school, data: bytes, *, semester_code: str | None = None, dry_run: bool = False):
    return import_file(
        kind="students",
        file=io.BytesIO(data),
        name="名册.xlsx",
        school=school,
        semester_code=semester_code,
        dry_run=dry_run,
    )


def counts() -> dict[str, int]:
    models = (Student, SchoolClass, Cohort, Identification, Semester)
    return {model.__name__: model.objects.count() for model in models}


def errors_of(plan) -> list[str]:
    return [str(error) for error in plan.errors]


# A valid file


def test_imports_every_row_of_a_valid_file(school):
    # given
    data = xlsx(
        student(1, 身份证号=ZHANG_ID, 是否寄宿="是"),
        student(2, 性别="男", 出生日期="2011/3/5", 班级="七年级(2)班", 身份证号=""),
    )

    # when
    plan, result = run(school, data)

    # then
    assert plan.errors == []
    assert plan.summary == "新增 2 行，更新 0 行，未变 0 行"
    assert result == {"new": 2, "changed": 0, "identifications": 0}
    zhang = Student.objects.get(student_no="G52010220100001")
    assert zhang.school == school
    assert (zhang.name, zhang.gender, zhang.birth_date) == ("张1", "F", dt.date(2010, 9, 1))
    assert zhang.id_number == ZHANG_ID
    assert zhang.boarding is True
    assert (zhang.guardian_name, zhang.guardian_phone) == ("张父", "13800000000")
    assert zhang.cohort.entry_year == 2024
    assert zhang.school_class is not None
    assert zhang.school_class.name == "七年级(1)班"
    assert set(SchoolClass.objects.filter(school=school).values_list("name", flat=True)) == {
        "七年级(1)班",
        "七年级(2)班",
    }


DATE_CELL = dt.datetime(2010, 9, 1)  # noqa: DTZ001 — what openpyxl gives for a date cell


@pytest.mark.parametrize(
    "birth", ["2010-09-01", "2010/9/1", "2010年9月1日", "20100901", DATE_CELL, 40422]
)
def test_accepts_the_dates_schools_write(school, birth):
    # when
    plan, _result = run(school, xlsx(student(1, 出生日期=birth, 身份证号=ZHANG_ID)))

    # then
    assert plan.errors == []
    assert Student.objects.get().birth_date == dt.date(2010, 9, 1)


def test_reads_a_gbk_csv_from_excel_on_chinese_windows(school):
    # given
    lines = [",".join(HEADERS), ",".join(str(v) for v in student(1).values())]
    data = "\r\n".join(lines).encode("gbk")

    # when
    plan, _result = import_file(
        kind="students", file=io.BytesIO(data), name="名册.csv", school=school
    )

    # then
    assert plan.errors == []
    assert Student.objects.get().name == "张1"


# Every error, with its row and column, and nothing saved


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        pytest.param({"姓名": ""}, ["工作表「Sheet」第 2 行「姓名」：不能为空"], id="blank-name"),
        pytest.param(
            {"学籍号": None, "性别": " ", "班级": None},
            [
                "工作表「Sheet」第 2 行「学籍号」：不能为空",
                "工作表「Sheet」第 2 行「性别」：不能为空",
                "工作表「Sheet」第 2 行「班级」：不能为空",
            ],
            id="several-blank-cells",
        ),
        pytest.param(
            {"出生日期": "2010-13-01"},
            [
                "工作表「Sheet」"
                "第 2 行「出生日期」：日期格式不正确（如 2010-09-01、2010/9/1 或 2010年9月1日）"
            ],
            id="bad-date",
        ),
        pytest.param(
            {"出生日期": "2010年2月30日"},
            [
                "工作表「Sheet」"
                "第 2 行「出生日期」：日期格式不正确（如 2010-09-01、2010/9/1 或 2010年9月1日）"
            ],
            id="date-that-does-not-exist",
        ),
        pytest.param(
            {"身份证号": wrong_check_char(ZHANG_ID)},
            ["工作表「Sheet」第 2 行「身份证号」：身份证号校验位错误"],
            id="id-wrong-check-digit",
        ),
        pytest.param(
            {"出生日期": "2010-09-02", "身份证号": ZHANG_ID},
            [
                "工作表「Sheet」"
                "第 2 行「身份证号」：身份证号中的出生日期（2010-09-01）与出生日期不一致"
            ],
            id="id-birth-disagrees",
        ),
        pytest.param(
            {"类别": "留守、贫穷"},
            ["工作表「Sheet」第 2 行「类别」：无法识别的类别“贫穷”，可填：留守、贫困、学困、问题"],
            id="unknown-category",
        ),
        pytest.param(
            {"性别": "M"},
            ["工作表「Sheet」第 2 行「性别」：无法识别的性别“M”，可填：男、女"],
            id="unknown-gender",
        ),
        pytest.param(
            {"入学年份": 1985},
            ["工作表「Sheet」第 2 行「入学年份」：应在 1990 到 2100 之间"],
            id="entry-year-out-of-range",
        ),
        pytest.param(
            {"学籍号": 1.23456789012346e17},
            [
                "工作表「Sheet」"
                "第 2 行「学籍号」：是数字格式，Excel 只保留 15 位数字，号码可能已被改动："
                "请把这一列设为文本格式，再把号码重新输入（不要从数字格式的单元格复制）"
            ],
            id="student-no-as-excel-number",
        ),
    ],
)
def test_a_bad_row_is_listed_with_its_column_and_nothing_is_saved(school, cells, expected):
    # given
    before = counts()

    # when
    plan, result = run(school, xlsx(student(1, **cells)), semester_code="2025-2026-1")

    # then
    assert errors_of(plan) == expected
    assert plan.changes == []
    assert result is None
    assert counts() == before


def test_a_student_no_repeated_in_the_file_is_listed_on_each_repeat(school):
    # given
    data = xlsx(student(1), student(2), student(1, 姓名="张一"), student(1, 姓名="张壹"))

    # when
    plan, _result = run(school, data)

    # then
    assert errors_of(plan) == [
        "工作表「Sheet」第 4 行「学籍号」：与第 2 行重复",
        "工作表「Sheet」第 5 行「学籍号」：与第 2 行重复",
    ]
    assert counts()["Student"] == 0


def test_the_student_no_of_another_schools_student_is_refused(school, other_school):
    # given
    theirs = factories.StudentFactory(school=other_school, student_no="G52010220100001")

    # when
    plan, _result = run(school, xlsx(student(1)))

    # then
    assert errors_of(plan) == ["工作表「Sheet」第 2 行「学籍号」：该学籍号已属于其他学校的学生"]
    theirs.refresh_from_db()
    assert theirs.school == other_school
    assert Student.objects.filter(school=school).count() == 0


def test_a_missing_required_column_is_reported_on_row_1(school):
    # given
    headers = [h for h in HEADERS if h not in {"出生日期", "班级"}]

    # when
    plan, _result = run(school, xlsx(student(1), headers=headers))

    # then
    assert errors_of(plan) == [
        f"工作表「Sheet」第 1 行「出生日期」：{MISSING_COLUMN}",
        f"工作表「Sheet」第 1 行「班级」：{MISSING_COLUMN}",
    ]


def test_every_error_of_every_row_is_listed_at_once_in_row_order(school, other_school):
    # given
    factories.StudentFactory(school=other_school, student_no="G52010220100005")
    before = counts()
    data = xlsx(
        student(1, 姓名="", 出生日期="昨天"),
        student(2, 身份证号=wrong_check_char(ZHANG_ID)),
        student(3),
        student(3, 类别="特困", 是否寄宿="也许"),
        student(5),
        student(6, 出生日期="2010-09-02", 身份证号=ZHANG_ID),
    )

    # when
    plan, result = run(school, data, semester_code="2025-2026-1")

    # then
    assert errors_of(plan) == [
        "工作表「Sheet」第 2 行「姓名」：不能为空",
        "工作表「Sheet」"
        "第 2 行「出生日期」：日期格式不正确（如 2010-09-01、2010/9/1 或 2010年9月1日）",
        "工作表「Sheet」第 3 行「身份证号」：身份证号校验位错误",
        "工作表「Sheet」第 5 行「类别」：无法识别的类别“特困”，可填：留守、贫困、学困、问题",
        "工作表「Sheet」第 5 行「是否寄宿」：应填“是”或“否”",
        "工作表「Sheet」第 5 行「学籍号」：与第 4 行重复",
        "工作表「Sheet」第 6 行「学籍号」：该学籍号已属于其他学校的学生",
        "工作表「Sheet」第 7 行「身份证号」：身份证号中的出生日期（2010-09-01）与出生日期不一致",
    ]
    assert result is None
    assert counts() == before


def test_a_file_that_is_not_a_spreadsheet_is_refused_and_nothing_is_saved(school):
    # given
    before = counts()

    # when / then
    with pytest.raises(FileRefused, match="已加密"):
        import_file(
            kind="students",
            file=io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
            name="名册.xlsx",
            school=school,
            semester_code="2025-2026-1",
        )
    assert counts() == before


def test_a_file_with_too_many_rows_is_refused_and_nothing_is_saved(school):
    # given
    before = counts()
    data = (",".join(HEADERS) + "\n" + "G1\n" * 100_001).encode()

    # when / then
    with pytest.raises(FileRefused, match="10 万行"):
        import_file(
            kind="students",
            file=io.BytesIO(data),
            name="名册.csv",
            school=school,
            semester_code="2025-2026-1",
        )
    assert counts() == before


# Classes, semesters and categories


def test_a_dry_run_lists_the_class_and_semester_it_would_create_and_creates_nothing(school):
    # given: the school has no semester and no class yet
    before = counts()
    data = xlsx(student(1, 类别="留守"), student(2, 班级="七年级(2)班"))

    # when
    plan, result = run(school, data, dry_run=True)

    # then
    assert plan.errors == []
    assert plan.summary == "新增 2 行，更新 0 行，未变 0 行"
    assert plan.creates == [
        "班级：2024级 七年级(1)班",
        "班级：2024级 七年级(2)班",
        f"学期：{factories.current_code()}",
    ]
    assert result is None
    assert counts() == before


def test_a_dry_run_lists_the_semester_named_for_the_import_and_creates_nothing(school):
    # given
    before = counts()

    # when
    plan, _result = run(
        school, xlsx(student(1, 类别="留守")), semester_code="2024-2025-2", dry_run=True
    )

    # then
    assert "学期：2024-2025-2" in plan.creates
    assert counts() == before


def test_the_import_creates_the_classes_and_semester_the_dry_run_listed(school):
    # given
    data = xlsx(student(1, 类别="留守"), student(2, 班级="七年级(2)班"))

    # when
    run(school, data, semester_code="2024-2025-2")

    # then
    assert list(
        SchoolClass.objects.filter(school=school).values_list("cohort__entry_year", "name")
    ) == [(2024, "七年级(1)班"), (2024, "七年级(2)班")]
    semester = Semester.objects.get(school=school)
    assert (semester.code, semester.start, semester.end) == (
        "2024-2025-2",
        dt.date(2025, 2, 1),
        dt.date(2025, 7, 31),
    )


def test_categories_are_approved_identifications_for_the_semester_with_their_source(
    school, semester
):
    # given: the import names a semester other than the current one
    data = xlsx(
        student(1, 类别="留守、贫困", 认定来源="建档立卡"),
        student(2, 类别="学困"),
        student(3, 类别=""),
        student(4, 类别="问题学生，留守学生", 认定来源="民政低保"),
    )

    # when
    plan, result = run(school, data, semester_code="2024-2025-2")

    # then
    assert plan.errors == []
    assert result["identifications"] == 5
    identifications = Identification.objects.select_related("semester", "student")
    assert {i.semester.code for i in identifications} == {"2024-2025-2"}
    assert {i.state for i in identifications} == {Identification.State.APPROVED}
    assert all(i.approved_at is not None for i in identifications)
    assert sorted((i.student.student_no, i.category, i.source) for i in identifications) == [
        ("G52010220100001", "left_behind", "registered_poor"),
        ("G52010220100001", "poor", "registered_poor"),
        ("G52010220100002", "struggling", "school"),
        ("G52010220100004", "left_behind", "subsistence"),
        ("G52010220100004", "problem", "subsistence"),
    ]


def test_categories_without_a_named_semester_go_to_the_current_one(school, semester):
    # when
    run(school, xlsx(student(1, 类别="留守")))

    # then
    assert Identification.objects.get().semester == semester


# Importing again


def test_importing_the_same_file_again_changes_nothing(school):
    # given
    data = xlsx(
        student(1, 身份证号=ZHANG_ID, 类别="留守、贫困", 认定来源="建档立卡"),
        student(2, 类别="学困", 是否寄宿="是"),
        student(3),
    )
    run(school, data, semester_code="2025-2026-1")
    before = counts()
    updated = dict(Student.objects.values_list("student_no", "updated_at"))

    # when
    plan, result = run(school, data, semester_code="2025-2026-1")

    # then
    assert plan.errors == []
    assert plan.creates == []
    assert [change.action for change in plan.changes] == ["unchanged"] * 3
    assert result == {"new": 0, "changed": 0, "identifications": 0}
    assert counts() == before
    assert dict(Student.objects.values_list("student_no", "updated_at")) == updated


def test_a_changed_row_is_listed_with_its_changed_columns_and_updated(school):
    # given
    run(school, xlsx(student(1), student(2)))

    # when
    plan, _result = run(school, xlsx(student(1), student(2, 监护人电话="13900000000")))

    # then
    assert [(c.row, c.key, c.action, c.fields) for c in plan.changes] == [
        (2, "G52010220100001", "unchanged", []),
        (3, "G52010220100002", "changed", ["监护人电话"]),
    ]
    assert plan.summary == "新增 0 行，更新 1 行，未变 1 行"
    assert Student.objects.get(student_no="G52010220100002").guardian_phone == "13900000000"


def test_moving_a_student_to_another_class_is_a_change_of_class(school):
    # given
    run(school, xlsx(student(1)))

    # when
    plan, _result = run(school, xlsx(student(1, 班级="七年级(3)班")))

    # then
    assert plan.changes[0].fields == ["班级"]
    assert plan.creates == ["班级：2024级 七年级(3)班"]
    school_class = Student.objects.get().school_class
    assert school_class is not None
    assert school_class.name == "七年级(3)班"


def test_an_export_imported_again_changes_nothing(school):
    # given
    data = xlsx(
        student(1, 身份证号=ZHANG_ID, 类别="留守、贫困", 认定来源="建档立卡", 是否寄宿="是"),
        student(2, 性别="男", 出生日期="2011/3/5", 班级="七年级(2)班", 类别="学困"),
        student(3, 监护人="", 监护人电话=None, 家庭住址=""),
    )
    run(school, data, semester_code="2025-2026-1")
    semester = Semester.objects.get(school=school, code="2025-2026-1")
    sheet = StudentsSheet()
    students = Student.objects.filter(school=school).select_related("cohort", "school_class")
    exported = workbook_bytes(
        title=str(sheet.title),
        columns=sheet.columns,
        rows=sheet.export_rows(students=students, semester=semester),
        mark_required=False,
    )
    before = counts()

    # when
    plan, _result = run(school, exported, semester_code="2025-2026-1")

    # then
    assert plan.errors == []
    assert plan.summary == "新增 0 行，更新 0 行，未变 3 行"
    assert counts() == before


# Queries: the same number for 20 rows as for 200


def _school_with_students(school, n: int):
    run(school, xlsx(*(student(i, 班级=f"七年级({i % 3 + 1})班") for i in range(n))))


@pytest.mark.parametrize("n", [20, 200])
def test_a_dry_run_of_new_students_makes_the_same_queries_for_any_size(
    school, n, django_assert_num_queries
):
    # given
    data = xlsx(*(student(i, 类别="留守" if i % 2 else "") for i in range(n)))

    # when / then: reads only, the new semester is not made for a dry run
    with django_assert_num_queries(5):
        run(school, data, semester_code="2025-2026-1", dry_run=True)


@pytest.mark.parametrize("n", [20, 200])
def test_importing_new_students_makes_the_same_queries_for_any_size(
    school, n, django_assert_num_queries
):
    # given
    data = xlsx(*(student(i, 类别="留守" if i % 2 else "") for i in range(n)))

    # when / then: the reads before the write lock, then under it
    with django_assert_num_queries(35):
        run(school, data, semester_code="2025-2026-1")


@pytest.mark.parametrize("n", [20, 200])
def test_importing_known_students_again_makes_the_same_queries_for_any_size(
    school, n, django_assert_num_queries
):
    # given
    _school_with_students(school, n)
    data = xlsx(*(student(i, 班级=f"七年级({i % 3 + 1})班", 监护人电话="139") for i in range(n)))

    # when / then: 5 reads before the write lock, then under it
    with django_assert_num_queries(14):
        run(school, data)


# The command


@pytest.fixture
def roster(tmp_path) -> Path:
    path = tmp_path / "名册.xlsx"
    path.write_bytes(xlsx(student(1, 类别="留守"), student(2)))
    return path


def import_xlsx(*args: str, **options: Any) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_xlsx", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_a_file(school, roster):
    # when
    out, _err = import_xlsx("students", str(roster), school=school.code, semester="2025-2026-1")

    # then
    assert "新增 2 行，更新 0 行，未变 0 行" in out
    assert "导入完成" in out
    assert Student.objects.filter(school=school).count() == 2
    assert Identification.objects.get().semester.code == "2025-2026-1"


def test_the_command_checks_without_saving_on_a_dry_run(school, roster):
    # given
    before = counts()

    # when
    out, _err = import_xlsx(
        "students", str(roster), "--dry-run", school=school.code, semester="2025-2026-1"
    )

    # then
    assert "新增 2 行" in out
    assert "将新建 班级：2024级 七年级(1)班" in out
    assert "--dry-run：未导入" in out
    assert counts() == before


def test_the_command_lists_every_error_and_fails(school, tmp_path):
    # given
    path = tmp_path / "名册.xlsx"
    path.write_bytes(xlsx(student(1, 姓名=""), student(2, 出生日期="昨天")))

    # when
    with pytest.raises(CommandError) as failed:
        import_xlsx("students", str(path), school=school.code)

    # then
    assert failed.value.returncode == 1
    assert "共 2 处错误，未导入任何数据" in str(failed.value)
    assert counts()["Student"] == 0


def test_the_command_prints_the_errors_on_stderr(school, tmp_path):
    # given
    path = tmp_path / "名册.xlsx"
    path.write_bytes(xlsx(student(1, 姓名="")))
    err = StringIO()

    # when
    with pytest.raises(CommandError):
        call_command("import_xlsx", "students", str(path), school=school.code, stderr=err)

    # then
    assert "工作表「Sheet」第 2 行「姓名」：不能为空" in err.getvalue()


def test_the_command_writes_a_template(tmp_path):
    # given
    out_path = tmp_path / "模板.xlsx"

    # when
    out, _err = import_xlsx("students", "--template", str(out_path))

    # then
    assert str(out_path) in out
    workbook = openpyxl.load_workbook(out_path, read_only=True)
    assert workbook.sheetnames == ["学生名册", "填写说明"]
    header = next(workbook["学生名册"].iter_rows(values_only=True))
    assert header[:6] == ("学籍号*", "姓名*", "性别*", "出生日期*", "入学年份*", "班级*")
    assert "类别" in header


def test_a_template_imports_as_an_empty_roster(school, tmp_path):
    # given
    out_path = tmp_path / "模板.xlsx"
    import_xlsx("students", "--template", str(out_path))

    # when
    plan, _result = run(school, out_path.read_bytes())

    # then
    assert plan.errors == []
    assert plan.changes == []


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        pytest.param(("teachersx", "x.xlsx"), {"school": "S"}, "未知的类型", id="unknown-kind"),
        pytest.param(("students", "{roster}"), {"school": "NOPE"}, "NOPE 不存在", id="no-school"),
        pytest.param(("students", "{missing}"), {"school": "{school}"}, "无法打开", id="no-file"),
        pytest.param(("students",), {"school": "{school}"}, "请指定要导入的文件", id="no-path"),
        pytest.param(("students", "{roster}"), {}, "--school", id="school-not-given"),
        pytest.param(
            ("students", "{roster}"),
            {"school": "{school}", "semester": "2025-2027-1"},
            "学期代码",
            id="bad-semester",
        ),
        pytest.param(
            ("students", "{notxlsx}"), {"school": "{school}"}, "不是 Excel", id="not-a-sheet"
        ),
    ],
)
def test_the_command_fails_with_a_message_on_bad_input(
    school, roster, tmp_path, args, options, message
):
    # given
    notxlsx = tmp_path / "坏.xlsx"
    notxlsx.write_text("这不是表格")
    places = {
        "roster": str(roster),
        "missing": str(tmp_path / "没有.xlsx"),
        "notxlsx": str(notxlsx),
        "school": school.code,
    }
    before = counts()

    # when
    with pytest.raises(CommandError) as failed:
        import_xlsx(
            *(a.format(**places) for a in args),
            **{k: v.format(**places) for k, v in options.items()},
        )

    # then
    assert failed.value.returncode != 0
    assert message in str(failed.value)
    assert counts() == before
