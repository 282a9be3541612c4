"""The import service (`imports.services.import_file`): the file is read and checked outside
any transaction, since on SQLite a transaction holds the one write lock from its start, and
the rows are checked once more under the lock before they are written."""

import io

import pytest
from django.db import connection

from imports import services as imports
from students.models import Identification, Semester, Student
from students.resources import StudentsSheet
from tests import factories

HEADER = "学籍号,姓名,性别,出生日期,入学年份,班级,类别"


def roster(*numbers: str) -> io.BytesIO:
    lines = [HEADER, *(f"{n},学生{n},女,2012-01-01,2024,七年级(1)班,留守" for n in numbers)]
    return io.BytesIO("\n".join(lines).encode())


@pytest.fixture
def watched(monkeypatch):
    """Notes whether a transaction was open while the file's rows were read and while each
    plan was made."""
    seen: dict[str, list[bool]] = {"rows": [], "plans": []}
    read_table = imports.read_table

    def rows_watched(table):
        for row in table:
            seen["rows"].append(connection.in_atomic_block)
            yield row

    def read_watched(file, columns, *, name=""):
        table = read_table(file, columns, name=name)
        for part in table.parts:
            part.rows = rows_watched(part.rows)
        return table

    plan = StudentsSheet.plan

    def plan_watched(self, parsed, **kwargs):
        seen["plans"].append(connection.in_atomic_block)
        return plan(self, parsed, **kwargs)

    monkeypatch.setattr(imports, "read_table", read_watched)
    monkeypatch.setattr(StudentsSheet, "plan", plan_watched)
    return seen


@pytest.mark.django_db(transaction=True)
def test_the_file_is_read_and_checked_outside_the_transaction_that_writes(watched):
    # given a school
    school = factories.SchoolFactory()

    # when a roster is imported for a semester the school does not have yet
    plan, result = imports.import_file(
        kind="students", file=roster("G1", "G2"), school=school, semester_code="2025-2026-1"
    )

    # then every row was read without a transaction, the rows were checked once before it
    # and once inside it, and the semester was made inside it with the students
    assert watched["rows"] == [False, False]
    assert watched["plans"] == [False, True]
    assert plan.errors == []
    assert result == {"new": 2, "changed": 0, "identifications": 2}
    assert Identification.objects.filter(semester__code="2025-2026-1").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_and_a_file_imported_again_take_no_transaction_to_check(watched):
    # given a school whose roster was imported
    school = factories.SchoolFactory()
    imports.import_file(kind="students", file=roster("G1"), school=school)
    watched["plans"].clear()

    # when a new file is checked and the same file is imported again
    imports.import_file(kind="students", file=roster("G2"), school=school, dry_run=True)
    plan, _result = imports.import_file(kind="students", file=roster("G1"), school=school)

    # then neither was checked inside a transaction, and nothing changed
    assert watched["plans"] == [False, False]
    assert plan.summary == "新增 0 行，更新 0 行，未变 1 行"
    assert list(Student.objects.values_list("student_no", flat=True)) == ["G1"]


@pytest.mark.django_db
def test_a_dry_run_does_not_make_the_semester_it_names(school):
    # when a roster is checked for a semester the school does not have
    plan, result = imports.import_file(
        kind="students", file=roster("G1"), school=school, semester_code="2025-2026-1", dry_run=True
    )

    # then the preview says it would be made, and nothing is
    assert plan.creates[0] == "学期：2025-2026-1"
    assert result is None
    assert not Semester.objects.filter(school=school).exists()


@pytest.mark.django_db
def test_what_changed_after_the_check_is_found_under_the_lock_and_nothing_is_saved(
    monkeypatch, school, other_school
):
    # given another school's import that saves G2 right after this file was checked
    plan = StudentsSheet.plan
    calls: list[bool] = []

    def plan_then_another_import(self, parsed, **kwargs):
        made = plan(self, parsed, **kwargs)
        if not calls:
            factories.StudentFactory(school=other_school, student_no="G2")
        calls.append(True)
        return made

    monkeypatch.setattr(StudentsSheet, "plan", plan_then_another_import)

    # when the file is imported
    checked, result = imports.import_file(
        kind="students", file=roster("G1", "G2"), school=school, semester_code="2025-2026-1"
    )

    # then the check under the lock refuses the row, and nothing of the file is saved
    assert [str(error) for error in checked.errors] == [
        "第 3 行「学籍号」：该学籍号已属于其他学校的学生"
    ]
    assert result is None
    assert not Student.objects.filter(school=school).exists()
    assert not Semester.objects.filter(school=school).exists()
