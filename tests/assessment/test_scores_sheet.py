"""Importing and exporting scores (成绩表): DESIGN's headers, every problem listed with its
row and column, nothing saved on any error, idempotent by 学籍号 + 学期 + 科目."""

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from aidcase.spreadsheets import parse, read_table, workbook_bytes
from assessment.models import Score
from assessment.resources import ScoresSheet
from imports.services import import_file
from students.models import Semester
from tests import factories
from tests.helpers import MISSING_COLUMN

pytestmark = pytest.mark.django_db

SHEET = ScoresSheet()
LAST = "2025-2026-2"  # started before the suite's today (the factories' semester is the current)
NEW = "2024-2025-2"  # a semester the school does not have yet


def xlsx(*rows, columns=SHEET.columns) -> bytes:
    return workbook_bytes(title="成绩表", columns=columns, rows=rows)


def run(data: bytes, school, name: str = "x.xlsx", **options):
    return import_file(kind="scores", file=io.BytesIO(data), name=name, school=school, **options)


def errors_of(plan) -> list[str]:
    return [str(error) for error in plan.errors]


def stored(school) -> set[tuple[str, str, str, Decimal]]:
    return set(
        Score.objects.filter(semester__school=school).values_list(
            "student__student_no", "semester__code", "subject", "score"
        )
    )


@pytest.fixture
def last(school):
    return factories.SemesterFactory(school=school, code=LAST)


@pytest.fixture
def ming(school):
    return factories.StudentFactory(school=school, student_no="G001")


@pytest.fixture
def hong(school):
    return factories.StudentFactory(school=school, student_no="G002")


@pytest.fixture
def outsider(other_school):
    return factories.StudentFactory(school=other_school, student_no="X001")


# Importing


def test_scores_are_saved_with_the_total_under_a_blank_subject(school, last, ming, hong):
    # given a file with subject scores and totals, written blank or as 总分
    data = xlsx(
        ["G001", LAST, 85.5, "数学"],
        ["G001", LAST, 420, None],
        ["G002", LAST, "390.25", "总分"],
    )

    # when it is imported
    plan, _result = run(data, school)

    # then every row is new and saved, the totals under ""
    assert plan.errors == []
    assert [c.action for c in plan.changes] == ["new", "new", "new"]
    assert [c.key for c in plan.changes] == [
        f"G001 {LAST} 数学",
        f"G001 {LAST} 总分",
        f"G002 {LAST} 总分",
    ]
    assert stored(school) == {
        ("G001", LAST, "数学", Decimal("85.50")),
        ("G001", LAST, "", Decimal("420.00")),
        ("G002", LAST, "", Decimal("390.25")),
    }


def test_the_same_file_twice_changes_nothing_the_second_time(school, last, ming, hong):
    # given a file already imported
    data = xlsx(["G001", LAST, 85.5, "数学"], ["G002", LAST, 400, ""])
    run(data, school)
    before = list(Score.objects.values_list("pk", "updated_at"))

    # when it is imported again
    plan, _result = run(data, school)

    # then every row is unchanged and nothing was written
    assert [c.action for c in plan.changes] == ["unchanged", "unchanged"]
    assert plan.summary == "新增 0 行，更新 0 行，未变 2 行"
    assert list(Score.objects.values_list("pk", "updated_at")) == before


def test_a_different_score_updates_the_stored_one(school, last, ming, hong):
    # given stored scores
    kept = Score.objects.create(student=ming, semester=last, subject="", score=Decimal("400"))
    Score.objects.create(student=hong, semester=last, subject="", score=Decimal("300"))

    # when a file brings a new value for one and the same value for the other
    plan, result = run(xlsx(["G001", LAST, 410, "总分"], ["G002", LAST, "300.00", ""]), school)

    # then the first is changed in place, the second unchanged
    assert [(c.action, c.fields) for c in plan.changes] == [
        ("changed", ["成绩"]),
        ("unchanged", []),
    ]
    assert result == {"new": 0, "changed": 1, "semesters": 0}
    kept.refresh_from_db()
    assert kept.score == Decimal("410")
    assert Score.objects.count() == 2


def test_a_semester_the_school_lacks_is_listed_then_created_with_default_dates(school, ming):
    # given a file naming a semester the school does not have
    data = xlsx(["G001", NEW, 88, "语文"])

    # when it is checked, then imported
    preview, _nothing = run(data, school, dry_run=True)
    assert not Semester.objects.filter(code=NEW).exists()
    plan, result = run(data, school)

    # then the preview lists it, and the import creates it with DESIGN's default dates
    assert preview.creates == plan.creates == [f"学期：{NEW}"]
    assert result == {"new": 1, "changed": 0, "semesters": 1}
    created = Semester.objects.get(school=school, code=NEW)
    assert (created.start, created.end) == (dt.date(2025, 2, 1), dt.date(2025, 7, 31))
    assert stored(school) == {("G001", NEW, "语文", Decimal("88"))}


def test_the_semester_option_is_not_needed_each_row_names_its_own(school, last, ming):
    plan, _result = run(xlsx(["G001", LAST, 70]), school)

    assert plan.errors == []
    assert stored(school) == {("G001", LAST, "", Decimal("70"))}


@pytest.mark.parametrize(
    "cell", ["2025-2026-2", " 2025-2026-2 ", "2025—2026学年第二学期", "2025-2026学年第2学期"]
)
def test_a_semester_is_written_as_its_code_or_its_label(school, last, ming, cell):
    plan, _result = run(xlsx(["G001", cell, 70]), school)

    assert plan.errors == []
    assert stored(school) == {("G001", LAST, "", Decimal("70"))}


def test_a_dry_run_saves_nothing(school, last, ming):
    plan, result = run(xlsx(["G001", LAST, 70]), school, dry_run=True)

    assert [c.action for c in plan.changes] == ["new"]
    assert result is None
    assert not Score.objects.exists()


@pytest.mark.parametrize(
    ("encoding", "name"), [("utf-8-sig", "成绩.csv"), ("gbk", "成绩.csv"), ("utf-8", "")]
)
def test_csv_files_are_read_in_utf8_and_gbk(school, last, ming, encoding, name):
    # given a CSV file as Excel saves it (UTF-8 with BOM) or as older Chinese Windows does (GBK)
    data = f"学籍号,学期,成绩,科目\r\nG001,{LAST},91.5,数学\r\n".encode(encoding)

    # when it is imported
    plan, _result = run(data, school, name=name)

    # then it reads as the spreadsheet would
    assert plan.errors == []
    assert stored(school) == {("G001", LAST, "数学", Decimal("91.5"))}


# Problems


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["G001", LAST, "八十"], "工作表「成绩表」第 2 行「成绩」：应为数字"),
        (["G001", LAST, 1000.5], "工作表「成绩表」第 2 行「成绩」：应在 0 到 1000 之间"),
        (["G001", LAST, -1], "工作表「成绩表」第 2 行「成绩」：应在 0 到 1000 之间"),
        (["G001", LAST, "85.555"], "工作表「成绩表」第 2 行「成绩」：最多 2 位小数"),
        (["G001", LAST, None], "工作表「成绩表」第 2 行「成绩」：不能为空"),
        (
            ["G001", "2025-2027-1", 80],
            "工作表「成绩表」第 2 行「学期」：学期代码应形如 2025-2026-1",
        ),
        (["G001", "2025秋季", 80], "工作表「成绩表」第 2 行「学期」：学期代码应形如 2025-2026-1"),
        (
            ["G001", "2025-2026-3", 80],
            "工作表「成绩表」第 2 行「学期」：学期代码应形如 2025-2026-1",
        ),
        (["G001", "2099-2100-1", 80], "工作表「成绩表」第 2 行「学期」：该学期还没有开始"),
        (["G999", LAST, 80], "工作表「成绩表」第 2 行「学籍号」：本校学生名册中没有该学籍号"),
        (["X001", LAST, 80], "工作表「成绩表」第 2 行「学籍号」：本校学生名册中没有该学籍号"),
        (["G 001", LAST, 80], "工作表「成绩表」第 2 行「学籍号」：只能包含字母、数字"),
        ([None, LAST, 80], "工作表「成绩表」第 2 行「学籍号」：不能为空"),
        (
            ["G001", LAST, 80, "很长的科目名称" * 3],
            "工作表「成绩表」第 2 行「科目」：不能超过 20 个字",
        ),
    ],
)
def test_a_bad_cell_is_reported_with_its_row_and_column(
    school, last, ming, outsider, row, expected
):
    # given a file with one bad row
    # when it is imported
    plan, result = run(xlsx(row), school)

    # then the problem is named by row and Chinese column, and nothing is saved
    assert len(plan.errors) == 1
    assert errors_of(plan)[0].startswith(expected)
    assert result is None
    assert plan.changes == []
    assert not Score.objects.exists()


def test_a_key_repeated_in_the_file_is_reported_total_written_either_way(school, last, ming):
    # given the same student, semester and subject twice (the total once blank, once 总分)
    data = xlsx(
        ["G001", LAST, 80, "数学"],
        ["G001", LAST, 400, ""],
        ["G001", LAST, 81, "数学"],
        ["G001", LAST, 401, "总分"],
        ["G001", NEW, 82, "数学"],
    )

    # when it is imported
    plan, _result = run(data, school)

    # then the later rows are reported against the first ones
    assert errors_of(plan) == [
        "工作表「成绩表」第 4 行「科目」：与第 2 行重复",
        "工作表「成绩表」第 5 行「科目」：与第 3 行重复",
    ]
    assert not Score.objects.exists()


def test_every_problem_is_listed_at_once_and_nothing_is_saved(school, last, ming, outsider):
    # given good rows (one naming a new semester) and several bad ones
    data = xlsx(
        ["G001", NEW, 80, "数学"],
        ["X001", LAST, 1200, "数学"],
        ["G001", "2025", 80, ""],
        ["G001", NEW, 81, "数学"],
    )

    # when it is imported
    plan, result = run(data, school)

    # then every problem is listed in row order, and no score nor semester was saved
    assert errors_of(plan) == [
        "工作表「成绩表」第 3 行「成绩」：应在 0 到 1000 之间",
        "工作表「成绩表」第 3 行「学籍号」：本校学生名册中没有该学籍号，请先导入学生名册",
        "工作表「成绩表」"
        "第 4 行「学期」：学期代码应形如 2025-2026-1（学年，第1或第2学期），且两个年份相连",
        "工作表「成绩表」第 5 行「科目」：与第 2 行重复",
    ]
    assert result is None
    assert plan.creates == []
    assert not Score.objects.exists()
    assert not Semester.objects.filter(code=NEW).exists()


def test_a_missing_required_column_is_reported_on_row_1(school, last, ming):
    columns = [c for c in SHEET.columns if c.header != "成绩"]

    plan, _result = run(xlsx(["G001", LAST, "数学"], columns=columns), school)

    assert errors_of(plan) == [f"工作表「成绩表」第 1 行「成绩」：{MISSING_COLUMN}"]


# Exporting


def test_export_then_import_changes_nothing(school, last, ming, hong):
    # given scores with decimals, zero, the maximum and totals, in two semesters
    new = factories.SemesterFactory(school=school, code=NEW)
    for student, semester, subject, value in [
        (ming, last, "", "401.50"),
        (ming, last, "数学", "0"),
        (hong, last, "", "1000"),
        (hong, new, "英语", "99.05"),
    ]:
        Score.objects.create(student=student, semester=semester, subject=subject, score=value)

    # when they are exported and the file imported back
    data = xlsx(*SHEET.export_rows(school=school))
    plan, _result = run(data, school)

    # then nothing changes
    assert plan.errors == []
    assert [c.action for c in plan.changes] == ["unchanged"] * 4
    assert Score.objects.count() == 4


def test_export_is_scoped_to_the_school_and_semester(school, last, ming, outsider, other_school):
    # given scores at two schools and in two semesters
    Score.objects.create(student=ming, semester=last, subject="", score=400)
    Score.objects.create(
        student=ming, semester=factories.SemesterFactory(school=school, code=NEW), score=300
    )
    Score.objects.create(
        student=outsider,
        semester=factories.SemesterFactory(school=other_school, code=LAST),
        score=500,
    )

    # when the school exports one semester, then all of them
    one = list(SHEET.export_rows(school=school, semester=last))
    every = list(SHEET.export_rows(school=school))

    # then only the school's scores appear, the total written as 总分
    assert one == [["G001", LAST, Decimal("400.00"), "总分"]]
    assert [row[:2] for row in every] == [["G001", NEW], ["G001", LAST]]


# Speed


def _students(school, count):
    factories.CohortFactory(school=school, entry_year=2024)
    return [factories.StudentFactory(school=school, student_no=f"P{n:04d}") for n in range(count)]


@pytest.mark.parametrize("size", [5, 50])
def test_checking_a_file_takes_the_same_queries_for_5_or_50_rows(
    school, last, size, django_assert_num_queries
):
    # given stored scores for half of the rows and a file that also names a new semester
    students = _students(school, size)
    for student in students[::2]:
        Score.objects.create(student=student, semester=last, score=100)
    data = xlsx(
        *[[s.student_no, LAST, 100 + n % 2, ""] for n, s in enumerate(students)],
        [students[0].student_no, NEW, 90, ""],
    )
    parsed = parse(read_table(io.BytesIO(data), SHEET.columns, name="x.xlsx"), SHEET.columns)

    # when it is checked: students, semesters, stored scores
    with django_assert_num_queries(3):
        plan = SHEET.plan(parsed, school=school, semester=None, by=None)

    # then the plan covers every row
    assert len(plan.changes) == size + 1


@pytest.mark.parametrize("size", [5, 50])
def test_importing_takes_the_same_queries_for_5_or_50_rows(
    school, last, size, django_assert_num_queries
):
    # given half the scores stored already, with other values
    students = _students(school, size)
    for student in students[::2]:
        Score.objects.create(student=student, semester=last, score=1)
    data = xlsx(*[[s.student_no, LAST, 100, ""] for s in students])

    # when the file is imported: 3 reads before the write lock; then savepoint, the 3 reads
    # again, the upsert and its history in one real run, release
    with django_assert_num_queries(12):
        plan, _result = run(data, school)

    # then every score holds the file's value
    assert plan.errors == []
    assert set(Score.objects.values_list("score", flat=True)) == {Decimal("100")}
    assert Score.objects.count() == size


# The command


def test_the_command_imports_a_file(school, last, ming, tmp_path: Path):
    path = tmp_path / "成绩.xlsx"
    path.write_bytes(xlsx(["G001", LAST, 88, "数学"], ["G001", NEW, 77, ""]))
    out = io.StringIO()

    call_command("import_xlsx", "scores", str(path), school=school.code, stdout=out)

    assert "新增 2 行" in out.getvalue()
    assert f"学期：{NEW}" in out.getvalue()
    assert stored(school) == {
        ("G001", LAST, "数学", Decimal("88")),
        ("G001", NEW, "", Decimal("77")),
    }


def test_the_command_needs_no_account_and_history_names_the_command_line(
    school, last, ming, tmp_path: Path
):
    # given a school without any account
    path = tmp_path / "成绩.xlsx"
    path.write_bytes(xlsx(["G001", LAST, 88, "数学"]))

    # when its scores are imported from the command line
    call_command("import_xlsx", "scores", str(path), school=school.code, stdout=io.StringIO())

    # then they are saved, and their history names the command line
    assert list(Score.history.values_list("history_user", "history_change_reason")) == [
        (None, "导入表格（命令行）")
    ]


def test_the_command_lists_every_error_and_saves_nothing(school, last, ming, tmp_path: Path):
    path = tmp_path / "成绩.xlsx"
    path.write_bytes(xlsx(["G001", NEW, 88, "数学"], ["G404", LAST, 1001, ""]))
    err = io.StringIO()

    with pytest.raises(CommandError, match="共 2 处错误"):
        call_command("import_xlsx", "scores", str(path), school=school.code, stderr=err)

    assert "工作表「成绩表」第 3 行「学籍号」" in err.getvalue()
    assert "工作表「成绩表」第 3 行「成绩」" in err.getvalue()
    assert not Score.objects.exists()
    assert not Semester.objects.filter(code=NEW).exists()
