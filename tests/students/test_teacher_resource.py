"""The teachers list on django-import-export: TeacherResource's dry run (the preview's new /
changed / unchanged and changed columns), its all-or-nothing real run with history, the plan's
queries, and no admin import (one-time passwords are handed out by the sheet's import only)."""

import io
from typing import Any

import pytest
import tablib
from django.contrib import admin
from django.contrib.auth.models import User
from import_export.admin import ImportMixin

from aidcase.audit import IMPORT_REASON
from aidcase.spreadsheets import parse, read_table
from imports.services import import_file
from students.models import Profile, Role, SchoolClass
from students.resources import TeachersSheet
from students.teacher_resource import TeacherResource
from tests import factories
from tests.students.test_teachers_sheet import HEADERS, xlsx

pytestmark = pytest.mark.django_db


def raw_dataset(*rows: tuple[Any, ...]) -> tablib.Dataset:
    """A dataset as the library's formats read a file: the first row is the header."""
    data = tablib.Dataset(headers=HEADERS)
    for row in rows:
        data.append([*row, *[""] * (len(HEADERS) - len(row))])
    return data


def counts() -> dict[str, Any]:
    return {
        "users": User.objects.count(),
        "profiles": Profile.objects.count(),
        "history": Profile.history.count(),
        "heads": sorted(SchoolClass.objects.values_list("name", "homeroom_teacher__username")),
    }


def test_the_dry_run_tells_new_changed_and_unchanged_rows_with_the_changed_columns(school):
    # given two teachers, one of them heading a class, and a class without one
    zhou = factories.make_user(school=school, user__username="T001", name="周老师", phone="1")
    factories.make_user(school=school, user__username="T002", name="吴老师")
    factories.SchoolClassFactory(school=school, name="七年级(1)班", homeroom_teacher=zhou)
    factories.SchoolClassFactory(school=school, name="七年级(2)班")
    before = counts()
    resource = TeacherResource(school=school)

    # when a file keeps one, changes the other's phone and class, and adds a teacher, dry-run
    result = resource.import_data(
        raw_dataset(
            ("T001", "周老师", "1", "", "是", "七年级(1)班"),
            ("t002", "吴老师", "139", "", "是", "七年级(2)班"),
            ("T003", "郑老师"),
        ),
        dry_run=True,
    )

    # then the library's row results say what each row would do, with the changed columns
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert [(row.import_type, row.changed_columns) for row in result.rows] == [
        ("skip", []),
        ("update", ["手机号", "是否班主任", "班级"]),
        ("new", []),
    ]
    assert resource.creates == []
    # and nothing is written, and the stored teacher is as it was
    assert counts() == before
    assert Profile.objects.get(user__username="T002").phone == ""
    assert resource.existing["t002"].phone == ""


def test_a_failed_row_saves_nothing(school, other_school):
    # given a class, and a 工号 of another school
    factories.SchoolClassFactory(school=school, name="七年级(1)班")
    factories.make_user(school=other_school, user__username="T003")
    before = counts()

    # when a file with two good rows and that 工号 is imported for real
    result = TeacherResource(school=school).import_data(
        raw_dataset(
            ("T001", "周老师", "", "", "是", "七年级(1)班"),
            ("T002", "吴老师"),
            ("T003", "郑老师"),
        ),
        dry_run=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
    )

    # then the row is refused with its message, and no account, profile or class is saved
    assert [row.import_type for row in result.rows] == ["new", "new", "invalid"]
    assert result.invalid_rows[0].error.messages == ["第 4 行「工号」：该工号已被其他学校使用"]
    assert counts() == before


def test_history_names_the_import_and_who_made_it(school):
    # given an aid-office account, a class, and two teachers imported by it
    office = factories.make_user(Role.OFFICE, school=school)
    factories.SchoolClassFactory(school=school, name="七年级(1)班")
    first = xlsx([("T001", "周老师"), ("T002", "吴老师")])
    import_file(kind="teachers", file=io.BytesIO(first), school=school, by=office)

    # when a file renames one and makes the other a homeroom teacher
    second = xlsx([("T001", "周二"), ("T002", "吴老师", "", "", "是", "七年级(1)班")])
    plan, result = import_file(kind="teachers", file=io.BytesIO(second), school=school, by=office)

    # then both rows changed, but only the renamed profile has a new history row
    assert result == {"new": 0, "changed": 2, "passwords": []}
    assert [(c.key, c.fields) for c in plan.changes] == [
        ("T001", ["姓名"]),
        ("T002", ["是否班主任", "班级"]),
    ]
    entries = Profile.history.filter(school=school, role=Role.TEACHER).order_by("history_id")
    assert [(e.history_type, e.user.username, e.name) for e in entries] == [
        ("+", "T001", "周老师"),
        ("+", "T002", "吴老师"),
        ("~", "T001", "周二"),
    ]
    assert {(e.history_change_reason, e.history_user_id) for e in entries} == {
        (IMPORT_REASON, office.pk)
    }
    assert SchoolClass.objects.get().homeroom_teacher.username == "T002"


def plan_of(school, data: bytes):
    sheet = TeachersSheet()
    rows = parse(read_table(io.BytesIO(data), sheet.columns, name="教师.xlsx"), sheet.columns)
    return sheet.plan(rows, school=school, semester=None, by=None)


@pytest.mark.parametrize("n", [5, 50])
def test_a_plan_and_its_run_make_the_same_queries_for_any_size(
    school, n, django_assert_num_queries
):
    # given n teachers, each heading a class, and as many classes without one
    for i in range(n):
        teacher = factories.make_user(school=school, user__username=f"T{i:03d}", name=f"老师{i}")
        factories.SchoolClassFactory(school=school, name=f"{i}班", homeroom_teacher=teacher)
        factories.SchoolClassFactory(school=school, name=f"{i}新班")
    # a file where every teacher changes phone and class, and one is new
    rows = [(f"T{i:03d}", f"老师{i}", "139", "", "是", f"{i}新班") for i in range(n)]
    data = xlsx([*rows, ("T999", "新老师")])

    # when / then: the school's profiles, the accounts of new 工号, the school's classes
    with django_assert_num_queries(3):
        plan = plan_of(school, data)
    assert (plan.count("changed"), plan.count("new")) == (n, 1)
    # and the run, in its savepoint: the account, the profile and its history, the updates and
    # their history, the classes moved
    with django_assert_num_queries(8):
        result = plan.apply()
    assert (result["new"], result["changed"], len(result["passwords"])) == (1, n, 1)


def test_the_admin_offers_no_import_of_teachers():
    # Accounts with one-time passwords are made only by the sheet's import, which prints them.
    assert not isinstance(admin.site._registry[Profile], ImportMixin)
