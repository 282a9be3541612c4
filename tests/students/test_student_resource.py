"""The students roster on django-import-export: StudentResource's dry run (the preview's
new / changed / unchanged and changed columns), its all-or-nothing real run with history, the
plan's queries, and the superuser's import and export in the admin."""

import io
from typing import Any

import pytest
import tablib

from aidcase.audit import IMPORT_REASON
from aidcase.spreadsheets import parse, read_table
from imports.services import import_file
from students.models import Cohort, Identification, SchoolClass, Student
from students.resources import StudentsSheet
from students.student_resource import StudentResource
from tests import admin_imports, factories
from tests.students.test_students_sheet import HEADERS, ZHANG_ID, student, xlsx

pytestmark = pytest.mark.django_db


def raw_dataset(*rows: dict[str, Any]) -> tablib.Dataset:
    """A dataset as the admin's formats read a file: the first row is the header."""
    data = tablib.Dataset(headers=HEADERS)
    for row in rows:
        data.append([row[h] for h in HEADERS])
    return data


def counts() -> dict[str, int]:
    models = (Student, SchoolClass, Cohort, Identification)
    return {model.__name__: model.objects.count() for model in models}


def test_the_dry_run_tells_new_changed_and_unchanged_rows_with_the_changed_columns(school):
    # given two students already imported
    import_file(kind="students", file=io.BytesIO(xlsx(student(1), student(2))), school=school)
    before = counts()
    resource = StudentResource(school=school)

    # when a file with one of them changed and a new one is dry-run
    result = resource.import_data(
        raw_dataset(
            student(1),
            student(2, 监护人电话="13900000000", 班级="七年级(2)班"),
            student(3),
        ),
        dry_run=True,
    )

    # then the library's row results say what each row would do, with the changed columns
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert [(row.import_type, row.changed_columns) for row in result.rows] == [
        ("skip", []),
        ("update", ["监护人电话", "班级"]),
        ("new", []),
    ]
    assert resource.creates == ["班级：2024级 七年级(2)班"]
    # and nothing is written, not even the new class
    assert counts() == before
    assert Student.objects.get(student_no="G52010220100002").guardian_phone == "13800000000"


def test_a_failed_row_saves_nothing(school, other_school):
    # given a student of another school
    factories.StudentFactory(school=other_school, student_no="G52010220100003")
    before = counts()

    # when a file with two good rows and that student is imported for real
    result = StudentResource(school=school).import_data(
        raw_dataset(student(1), student(2, 类别="留守"), student(3)),
        dry_run=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
    )

    # then the row is refused with its message, and no row is saved
    assert [row.import_type for row in result.rows] == ["new", "new", "invalid"]
    assert result.invalid_rows[0].error.messages == [
        "第 4 行「学籍号」：该学籍号已属于其他学校的学生"
    ]
    assert counts() == before


def test_history_names_the_import_and_who_made_it(school, semester):
    # given an aid-office account and a student imported by it
    office = factories.UserFactory()
    import_file(
        kind="students",
        file=io.BytesIO(xlsx(student(1), student(2))),
        school=school,
        by=office,
    )

    # when a file changes one of them and adds a category
    import_file(
        kind="students",
        file=io.BytesIO(xlsx(student(1), student(2, 姓名="张二", 类别="留守"))),
        school=school,
        by=office,
    )

    # then every write is in the history with the import's reason and the account
    changed = Student.objects.get(student_no="G52010220100002")
    assert [(h.history_type, h.name) for h in changed.history.order_by("history_id")] == [
        ("+", "张2"),
        ("~", "张二"),
    ]
    entries = [
        *Student.history.all(),
        *Identification.history.all(),
    ]
    assert len(entries) == 4
    assert {(e.history_change_reason, e.history_user_id) for e in entries} == {
        (IMPORT_REASON, office.pk)
    }
    assert Identification.objects.get().student == changed


def plan_of(school, data: bytes):
    sheet = StudentsSheet()
    rows = parse(read_table(io.BytesIO(data), sheet.columns, name="名册.xlsx"), sheet.columns)
    return sheet.plan(rows, school=school, semester=None, by=None)


@pytest.mark.parametrize("n", [5, 50])
def test_a_plan_makes_the_same_queries_for_any_size(school, semester, n, django_assert_num_queries):
    # given n students, half of them in a category
    rows = [student(i, 类别="留守" if i % 2 else "") for i in range(n)]
    import_file(kind="students", file=io.BytesIO(xlsx(*rows)), school=school)
    changed = [student(i, 类别="留守", 监护人电话="139") for i in range(n)]
    data = xlsx(*changed, student(n, 班级="七年级(9)班"))

    # when / then: the current semester, the school's students, those of other schools with a
    # 学籍号 of the file, cohorts, classes, the semester's identifications
    with django_assert_num_queries(6):
        plan = plan_of(school, data)
    assert plan.count("changed") == n
    assert plan.count("new") == 1


# The superuser's admin

ADMIN = "/admin/students/student/"


def csv_upload(*rows: dict[str, Any]) -> io.BytesIO:
    return admin_imports.csv_upload(raw_dataset(*rows), name="名册.csv")


def test_the_superuser_imports_students_into_the_school_chosen(client, school):
    # given a superuser
    superuser = admin_imports.log_in_superuser(client)

    # when the superuser uploads a roster for the school
    preview = admin_imports.preview(
        client, ADMIN, school=school, upload=csv_upload(student(1, 身份证号=ZHANG_ID), student(2))
    )

    # then the preview lists the two new rows and nothing is saved yet
    assert preview.status_code == 200
    result = preview.context["result"]
    assert [row.import_type for row in result.rows] == ["new", "new"]
    assert not Student.objects.exists()

    # and when the import is confirmed
    done = admin_imports.confirm(client, ADMIN, preview)

    # then the students are in that school, their history names the superuser
    assert done.status_code == 302
    assert sorted(Student.objects.filter(school=school).values_list("student_no", flat=True)) == [
        "G52010220100001",
        "G52010220100002",
    ]
    assert Student.objects.get(student_no="G52010220100001").id_number == ZHANG_ID
    assert {(h.history_change_reason, h.history_user_id) for h in Student.history.all()} == {
        (IMPORT_REASON, superuser.pk)
    }


def test_the_admin_preview_lists_the_rows_errors_and_offers_no_confirmation(client, school):
    # given
    admin_imports.log_in_superuser(client)

    # when the file has a bad gender and a repeated 学籍号
    preview = admin_imports.preview(
        client,
        ADMIN,
        school=school,
        upload=csv_upload(student(1, 性别="X"), student(2), student(2)),
    )

    # then each row's problems are shown in Chinese and there is nothing to confirm
    result = preview.context["result"]
    assert [row.error.messages for row in result.invalid_rows] == [
        ["第 2 行「性别」：无法识别的性别“X”，可填：男、女"],
        ["第 4 行「学籍号」：与第 3 行重复"],
    ]
    assert "confirm_form" not in preview.context
    assert not Student.objects.exists()


def test_the_superuser_exports_a_schools_roster_without_id_numbers(client, school):
    # given a student of the school, one of another
    import_file(
        kind="students", file=io.BytesIO(xlsx(student(1, 身份证号=ZHANG_ID))), school=school
    )
    factories.StudentFactory(name="别校学生")
    admin_imports.log_in_superuser(client)

    # when the superuser exports the school's roster as CSV
    header, *lines = admin_imports.export_lines(client, ADMIN, school=school)

    # then the roster has the sheet's headers, the school's student, and no ID number
    assert header.split(",")[:3] == ["学籍号", "姓名", "性别"]
    assert "身份证号" not in header
    assert len(lines) == 1
    assert lines[0].startswith("G52010220100001,张1,女,2010-09-01,2024,七年级(1)班")
    assert not any(ZHANG_ID in line for line in [header, *lines])
