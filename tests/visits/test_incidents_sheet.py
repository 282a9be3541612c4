"""Importing and exporting incidents (违纪事件表): DESIGN's headers and type names, every
problem listed with its row and column, nothing saved on any error, idempotent by
学籍号 + 日期 + 类型."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from aidcase.spreadsheets import parse, read_table, workbook_bytes
from imports.services import import_file
from students.models import Role
from tests import factories
from tests.helpers import MISSING_COLUMN, today
from visits.models import Incident, IncidentType
from visits.resources import IncidentsSheet

pytestmark = pytest.mark.django_db

SHEET = IncidentsSheet()
DAY = dt.date(2025, 9, 1)


def xlsx(*rows, columns=SHEET.columns) -> bytes:
    return workbook_bytes(title="违纪事件", columns=columns, rows=rows)


def run(data: bytes, school, name: str = "x.xlsx", **options):
    return import_file(kind="incidents", file=io.BytesIO(data), name=name, school=school, **options)


def errors_of(plan) -> list[str]:
    return [str(error) for error in plan.errors]


def stored(school) -> set[tuple[str, dt.date, str, str]]:
    return set(
        Incident.objects.filter(student__school=school).values_list(
            "student__student_no", "date", "type", "note"
        )
    )


@pytest.fixture
def alice(school):
    """The school's aid office."""
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


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


def test_incidents_are_saved_with_their_type_and_who_imported_them(school, alice, ming, hong):
    # given a file with DESIGN's type names
    data = xlsx(["G001", DAY, "逃课", "第三节课未到"], ["G002", DAY, "结伙打架", None])

    # when the aid office imports it
    plan, result = run(data, school, by=alice)

    # then the incidents are recorded by her
    assert plan.errors == []
    assert [c.key for c in plan.changes] == ["G001 2025-09-01 逃课", "G002 2025-09-01 结伙打架"]
    assert result == {"new": 2, "changed": 0}
    assert stored(school) == {
        ("G001", DAY, IncidentType.SKIPPING, "第三节课未到"),
        ("G002", DAY, IncidentType.GANG_FIGHT, ""),
    }
    assert set(Incident.objects.values_list("recorded_by", flat=True)) == {alice.pk}


@pytest.mark.parametrize(
    "cell",
    [
        "2025-09-01",
        "2025/9/1",
        "2025.9.1",
        "2025年9月1日",
        "20250901",
        DAY,
        dt.datetime(2025, 9, 1, 0, 0),  # noqa: DTZ001 — what openpyxl reads from a date cell
        45901,  # Excel's serial number of the day
    ],
)
def test_dates_are_read_as_schools_write_them(school, alice, ming, cell):
    plan, _result = run(xlsx(["G001", cell, "逃学"]), school, by=alice)

    assert plan.errors == []
    assert stored(school) == {("G001", DAY, IncidentType.TRUANCY, "")}


def test_the_same_file_twice_changes_nothing_the_second_time(school, alice, ming, hong):
    # given a file already imported
    data = xlsx(["G001", DAY, "逃学", "说明"], ["G002", DAY, "夜不归宿", ""])
    run(data, school, by=alice)

    # when it is imported again
    plan, result = run(data, school, by=alice)

    # then every row is unchanged
    assert [c.action for c in plan.changes] == ["unchanged", "unchanged"]
    assert result == {"new": 0, "changed": 0}
    assert Incident.objects.count() == 2


def test_a_different_note_updates_the_recorded_incident(school, alice, ming):
    # given an incident recorded on the page
    recorded = Incident.objects.create(
        student=ming, date=DAY, type=IncidentType.TRUANCY, note="旧说明", recorded_by=alice
    )

    # when a file brings the same incident with another note
    plan, result = run(xlsx(["G001", DAY, "逃学", "新说明"]), school, by=alice)

    # then the incident is updated, not recorded twice
    assert [(c.action, c.fields) for c in plan.changes] == [("changed", ["说明"])]
    assert result == {"new": 0, "changed": 1}
    recorded.refresh_from_db()
    assert recorded.note == "新说明"
    assert Incident.objects.count() == 1


def test_a_file_without_the_note_column_keeps_the_notes(school, alice, ming):
    Incident.objects.create(
        student=ming, date=DAY, type=IncidentType.TRUANCY, note="说明", recorded_by=alice
    )
    columns = [c for c in SHEET.columns if c.header != "说明"]

    plan, _result = run(xlsx(["G001", DAY, "逃学"], columns=columns), school, by=alice)

    assert [c.action for c in plan.changes] == ["unchanged"]
    assert stored(school) == {("G001", DAY, IncidentType.TRUANCY, "说明")}


def test_the_command_records_the_schools_aid_office_as_the_recorder(school, alice, ming):
    # given a principal account made before the aid office's, and a file without a user
    factories.make_user(Role.PRINCIPAL, school=school)
    later = factories.make_user(Role.OFFICE, school=school)

    # when it is imported without `by`
    plan, _result = run(xlsx(["G001", DAY, "逃学"]), school)

    # then the first aid office account is the recorder
    assert plan.errors == []
    assert Incident.objects.get().recorded_by == alice != later


def test_without_an_aid_office_account_nothing_can_be_imported(school, ming):
    plan, result = run(xlsx(["G001", DAY, "逃学"]), school)

    assert errors_of(plan) == ["第 1 行：学校还没有资助办账号，无法记录导入人"]
    assert result is None
    assert not Incident.objects.exists()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_csv_files_are_read_in_utf8_and_gbk(school, alice, ming, encoding):
    data = "学籍号,日期,类型,说明\r\nG001,2025/9/1,私自离校,翻墙外出\r\n".encode(encoding)

    plan, _result = run(data, school, name="违纪.csv", by=alice)

    assert plan.errors == []
    assert stored(school) == {("G001", DAY, IncidentType.LEAVING_SCHOOL, "翻墙外出")}


# Problems


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["G001", "2025-13-01", "逃学"], "工作表「违纪事件」第 2 行「日期」：日期格式不正确"),
        (["G001", "九月一日", "逃学"], "工作表「违纪事件」第 2 行「日期」：日期格式不正确"),
        (["G001", "2025年2月30日", "逃学"], "工作表「违纪事件」第 2 行「日期」：日期格式不正确"),
        (["G001", None, "逃学"], "工作表「违纪事件」第 2 行「日期」：不能为空"),
        (
            ["G001", DAY, "打架"],
            "工作表「违纪事件」第 2 行「类型」：无法识别的类型“打架”，可填：逃学、逃课",
        ),
        (["G001", DAY, "truancy"], "工作表「违纪事件」第 2 行「类型」：无法识别的类型“truancy”"),
        (["G001", DAY, None], "工作表「违纪事件」第 2 行「类型」：不能为空"),
        (["G999", DAY, "逃学"], "工作表「违纪事件」第 2 行「学籍号」：本校学生名册中没有该学籍号"),
        (["X001", DAY, "逃学"], "工作表「违纪事件」第 2 行「学籍号」：本校学生名册中没有该学籍号"),
        (
            ["G001", DAY, "逃学", "很" * 2001],
            "工作表「违纪事件」第 2 行「说明」：不能超过 2000 个字",
        ),
    ],
)
def test_a_bad_cell_is_reported_with_its_row_and_column(
    school, alice, ming, outsider, row, expected
):
    # given a file with one bad row
    # when it is imported
    plan, result = run(xlsx(row), school, by=alice)

    # then the problem is named by row and Chinese column, and nothing is saved
    assert len(plan.errors) == 1
    assert errors_of(plan)[0].startswith(expected)
    assert result is None
    assert not Incident.objects.exists()


def test_a_date_after_today_is_refused(school, alice, ming):
    plan, _result = run(
        xlsx(["G001", today(), "逃学"], ["G001", today() + dt.timedelta(days=1), "逃学"]),
        school,
        by=alice,
    )

    assert errors_of(plan) == ["工作表「违纪事件」第 3 行「日期」：日期不能晚于今天"]
    assert not Incident.objects.exists()


def test_every_problem_is_listed_at_once_and_nothing_is_saved(school, alice, ming, outsider):
    # given a good row, a repeated one and several bad ones
    data = xlsx(
        ["G001", DAY, "逃学", "一"],
        ["X001", "2025-02-30", "逃学"],
        ["G001", "2025年9月1日", "逃学", "二"],
        ["G001", DAY, "早恋"],
    )

    # when it is imported
    plan, result = run(data, school, by=alice)

    # then every problem is listed in row order, and nothing was saved
    assert errors_of(plan) == [
        "工作表「违纪事件」"
        "第 3 行「日期」：日期格式不正确（如 2010-09-01、2010/9/1 或 2010年9月1日）",
        "工作表「违纪事件」第 3 行「学籍号」：本校学生名册中没有该学籍号，请先导入学生名册",
        "工作表「违纪事件」第 4 行「类型」：与第 2 行重复",
        "工作表「违纪事件」第 5 行「类型」：无法识别的类型“早恋”，可填："
        "逃学、逃课、弃学、辍学、私自离校、夜不归宿、离家出走、结伙打架、欺诈弱小、严重违纪",
    ]
    assert result is None
    assert plan.changes == []
    assert not Incident.objects.exists()


def test_a_missing_required_column_is_reported_on_row_1(school, alice, ming):
    columns = [c for c in SHEET.columns if c.header != "类型"]

    plan, _result = run(xlsx(["G001", DAY], columns=columns), school, by=alice)

    assert errors_of(plan) == [f"工作表「违纪事件」第 1 行「类型」：{MISSING_COLUMN}"]


# Exporting


def test_export_then_import_changes_nothing(school, alice, ming, hong):
    # given incidents, two of them with the same student, day and type (the page allows it)
    for student, day, type_, note in [
        (ming, DAY, IncidentType.TRUANCY, "第一次"),
        (ming, DAY, IncidentType.TRUANCY, "同一天又一次"),
        (ming, DAY, IncidentType.NIGHT_OUT, ""),
        (hong, dt.date(2025, 3, 2), IncidentType.BULLYING, "欺负同学"),
    ]:
        Incident.objects.create(student=student, date=day, type=type_, note=note, recorded_by=alice)

    # when they are exported and the file imported back
    rows = list(SHEET.export_rows(school=school))
    plan, _result = run(xlsx(*rows), school, by=alice)

    # then the export has one row per student, day and type, and nothing changes
    assert rows == [
        ["G002", dt.date(2025, 3, 2), "欺诈弱小", "欺负同学"],
        ["G001", DAY, "夜不归宿", ""],
        ["G001", DAY, "逃学", "第一次"],
    ]
    assert plan.errors == []
    assert [c.action for c in plan.changes] == ["unchanged"] * 3
    assert Incident.objects.count() == 4


def test_export_is_scoped_to_the_school_and_semester(school, alice, ming, outsider):
    # given incidents at two schools, in and out of a semester
    semester = factories.SemesterFactory(school=school, code="2025-2026-1")
    for student, day in [(ming, DAY), (ming, dt.date(2025, 3, 2)), (outsider, DAY)]:
        Incident.objects.create(
            student=student, date=day, type=IncidentType.TRUANCY, recorded_by=alice
        )

    # when the school exports a semester, then everything
    one = list(SHEET.export_rows(school=school, semester=semester))
    every = list(SHEET.export_rows(school=school))

    # then only its own incidents appear
    assert one == [["G001", DAY, "逃学", ""]]
    assert [row[:2] for row in every] == [["G001", dt.date(2025, 3, 2)], ["G001", DAY]]


# Speed


def _students(school, count):
    factories.CohortFactory(school=school, entry_year=2024)
    return [factories.StudentFactory(school=school, student_no=f"P{n:04d}") for n in range(count)]


@pytest.mark.parametrize("size", [5, 50])
def test_checking_a_file_takes_the_same_queries_for_5_or_50_rows(
    school, alice, size, django_assert_num_queries
):
    # given recorded incidents for half of the rows
    students = _students(school, size)
    for student in students[::2]:
        Incident.objects.create(
            student=student, date=DAY, type=IncidentType.TRUANCY, recorded_by=alice
        )
    data = xlsx(*[[s.student_no, DAY, "逃学", f"说明{n % 3}"] for n, s in enumerate(students)])
    parsed = parse(read_table(io.BytesIO(data), SHEET.columns, name="x.xlsx"), SHEET.columns)

    # when it is checked by the command: students, recorded incidents, the aid office account
    with django_assert_num_queries(3):
        plan = SHEET.plan(parsed, school=school, semester=None, by=None)

    # then the plan covers every row
    assert plan.errors == []
    assert len(plan.changes) == size


@pytest.mark.parametrize("size", [5, 50])
def test_importing_takes_the_same_queries_for_5_or_50_rows(
    school, alice, size, django_assert_num_queries
):
    # given recorded incidents, with other notes, for half of the rows
    students = _students(school, size)
    for student in students[::2]:
        Incident.objects.create(
            student=student, date=DAY, type=IncidentType.TRUANCY, recorded_by=alice
        )
    data = xlsx(*[[s.student_no, DAY, "逃学", "新"] for s in students])

    # when it is imported: 2 reads before the write lock; then savepoint, the 2 reads again,
    # update, insert, the history of the updated and the inserted rows in one real run,
    # release
    with django_assert_num_queries(10):
        plan, _result = run(data, school, by=alice)

    # then every incident carries the file's note
    assert plan.errors == []
    assert set(Incident.objects.values_list("note", flat=True)) == {"新"}
    assert Incident.objects.count() == size


# The command


def test_the_command_imports_a_file(school, alice, ming, tmp_path: Path):
    path = tmp_path / "违纪.xlsx"
    path.write_bytes(xlsx(["G001", DAY, "辍学", ""]))
    out = io.StringIO()

    call_command("import_xlsx", "incidents", str(path), school=school.code, stdout=out)

    assert "新增 1 行" in out.getvalue()
    assert Incident.objects.get().recorded_by == alice


def test_the_commands_import_is_named_in_history_as_made_by_the_command_line(
    school, alice, ming, hong
):
    # given an incident imported on the upload page, by the aid office
    run(xlsx(["G001", DAY, "逃学"]), school, by=alice)

    # when another is imported from the command line (no user)
    run(xlsx(["G002", DAY, "逃学"]), school)

    # then the history says who made each
    assert sorted(
        Incident.history.values_list("student__student_no", "history_user", "history_change_reason")
    ) == [("G001", alice.pk, "导入表格"), ("G002", None, "导入表格（命令行）")]


def test_the_command_lists_every_error_and_saves_nothing(school, alice, ming, tmp_path: Path):
    path = tmp_path / "违纪.xlsx"
    path.write_bytes(xlsx(["G001", DAY, "逃学"], ["G404", "昨天", "逃学"]))
    err = io.StringIO()

    with pytest.raises(CommandError, match="共 2 处错误"):
        call_command("import_xlsx", "incidents", str(path), school=school.code, stderr=err)

    assert "工作表「违纪事件」第 3 行「日期」" in err.getvalue()
    assert "工作表「违纪事件」第 3 行「学籍号」" in err.getvalue()
    assert not Incident.objects.exists()
