import io
from collections.abc import Sequence
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import Client
from django.utils import translation

from aidcase.spreadsheets import workbook_bytes
from imports.services import import_file
from students.models import Profile, Role, SchoolClass
from students.resources import TeachersSheet
from students.services import ONE_TIME_PASSWORD_ITERATIONS
from tests import factories

pytestmark = pytest.mark.django_db

HEADERS = ("工号", "姓名", "手机号", "任教学科", "是否班主任", "班级")


def xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    return workbook_bytes(title="教师名单", columns=TeachersSheet.columns, rows=rows)


def csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    lines = [",".join(headers)] + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def run(school, data: bytes, *, dry_run: bool = False, name: str = "x.xlsx"):
    return import_file(
        kind="teachers", file=io.BytesIO(data), name=name, school=school, dry_run=dry_run
    )


def errors_of(plan) -> list[str]:
    return [str(error) for error in plan.errors]


def teachers_of(school) -> int:
    return Profile.objects.filter(school=school, role=Role.TEACHER).count()


def test_new_teachers_get_accounts_with_one_time_passwords(school):
    # given a sheet of two teachers
    data = xlsx([("T001", "周老师", "13800000001", "数学", "否", ""), ("T002", "吴老师")])
    # when it is imported
    plan, result = run(school, data)
    # then both exist, must change their password, and can log in with the one returned
    assert plan.errors == []
    assert (result["new"], result["changed"]) == (2, 0)
    assert [(n, name) for n, name, _p in result["passwords"]] == [
        ("T001", "周老师"),
        ("T002", "吴老师"),
    ]
    profile = Profile.objects.get(user__username="T001")
    assert (profile.school, profile.role, profile.name, profile.phone, profile.subjects) == (
        school,
        Role.TEACHER,
        "周老师",
        "13800000001",
        "数学",
    )
    assert profile.must_change_password
    password = result["passwords"][0][2]
    client = Client()
    assert client.login(request=HttpRequest(), username="T001", password=password)
    assert client.get("/me/").url == "/accounts/password/"


def test_one_time_passwords_are_hashed_lightly_and_rehashed_at_first_login(school, settings):
    # given the production hasher
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    # when a teacher is imported
    _plan, result = run(school, xlsx([("T001", "周老师")]))
    user = User.objects.get(username="T001")
    # then the stored hash uses few rounds, until the first login brings it to the full count
    assert user.password.startswith(f"pbkdf2_sha256${ONE_TIME_PASSWORD_ITERATIONS}$")
    assert authenticate(HttpRequest(), username="T001", password=result["passwords"][0][2]) == user
    user.refresh_from_db()
    assert not user.password.startswith(f"pbkdf2_sha256${ONE_TIME_PASSWORD_ITERATIONS}$")


def test_the_same_file_twice_changes_nothing(school):
    # given a file imported once
    data = xlsx([("T001", "周老师", "13800000001", "数学"), ("T002", "吴老师")])
    run(school, data)
    password_hash = User.objects.get(username="T001").password
    # when it is imported again
    plan, result = run(school, data)
    # then every row is unchanged, no password is given out, and none changed
    assert [c.action for c in plan.changes] == ["unchanged", "unchanged"]
    assert result == {"new": 0, "changed": 0, "passwords": []}
    assert User.objects.get(username="T001").password == password_hash


def test_a_changed_row_updates_its_teacher(school):
    # given an imported teacher
    run(school, xlsx([("T001", "周老师", "13800000001", "数学")]))
    # when a file with a new phone and subjects comes in
    plan, result = run(school, xlsx([("T001", "周老师", "13900000009", "数学、物理")]))
    # then those columns are reported and saved, and the password is not changed
    assert [(c.action, c.fields) for c in plan.changes] == [("changed", ["手机号", "任教学科"])]
    assert result["changed"] == 1
    assert result["passwords"] == []
    profile = Profile.objects.get(user__username="T001")
    assert (profile.phone, profile.subjects) == ("13900000009", "数学、物理")


def test_staff_numbers_match_existing_accounts_regardless_of_case(school):
    factories.make_user(school=school, user__username="T001", name="周老师")
    plan, _result = run(school, xlsx([("t001", "周老师")]))
    assert [c.action for c in plan.changes] == ["unchanged"]
    assert not User.objects.filter(username="t001").exists()


def test_an_absent_column_leaves_its_field_alone(school):
    factories.make_user(school=school, user__username="T001", name="周老师", phone="13800000001")
    plan, _result = run(school, csv(("工号", "姓名"), [("T001", "周老师")]), name="x.csv")
    assert [c.action for c in plan.changes] == ["unchanged"]
    assert Profile.objects.get(user__username="T001").phone == "13800000001"


def test_a_homeroom_teacher_heads_the_named_class(school):
    # given a class of the school
    school_class = factories.SchoolClassFactory(school=school, name="七年级(1)班")
    # when a teacher is imported as its homeroom teacher
    plan, _result = run(school, xlsx([("T001", "周老师", "", "", "是", "七年级(1)班")]))
    # then the class is theirs
    assert plan.errors == []
    school_class.refresh_from_db()
    assert school_class.homeroom_teacher.username == "T001"


def test_a_homeroom_class_taken_over_from_another_teacher_is_a_change(school):
    previous = factories.make_user(school=school)
    school_class = factories.SchoolClassFactory(
        school=school, name="七年级(1)班", homeroom_teacher=previous
    )
    factories.make_user(school=school, user__username="T001", name="周老师")
    plan, _result = run(school, xlsx([("T001", "周老师", "", "", "是", "七年级(1)班")]))
    assert [(c.action, c.fields) for c in plan.changes] == [("changed", ["是否班主任", "班级"])]
    school_class.refresh_from_db()
    assert school_class.homeroom_teacher.username == "T001"


def test_no_for_homeroom_gives_up_the_class(school):
    teacher = factories.make_user(school=school, user__username="T001", name="周老师")
    school_class = factories.SchoolClassFactory(school=school, homeroom_teacher=teacher)
    plan, _result = run(school, xlsx([("T001", "周老师", "", "", "否", "")]))
    assert [(c.action, c.fields) for c in plan.changes] == [("changed", ["是否班主任"])]
    school_class.refresh_from_db()
    assert school_class.homeroom_teacher is None


def test_a_class_name_shared_by_two_cohorts_needs_its_cohort(school):
    # given two cohorts with a class of the same name
    factories.SchoolClassFactory(school=school, name="1班", cohort__entry_year=2023)
    younger = factories.SchoolClassFactory(school=school, name="1班", cohort__entry_year=2024)
    # when the name alone is used, it is refused; with the cohort it is found
    plan, _result = run(school, xlsx([("T001", "周老师", "", "", "是", "1班")]))
    assert errors_of(plan) == [
        "工作表「教师名单」第 2 行「班级」：本校有多个年级都有班级“1班”，请写明年级，如“2024级1班”"
    ]
    plan, _result = run(school, xlsx([("T001", "周老师", "", "", "是", "2024级1班")]))
    assert plan.errors == []
    younger.refresh_from_db()
    assert younger.homeroom_teacher.username == "T001"


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            ("T001", "周老师", "", "", "是", "九年级(9)班"),
            "工作表「教师名单」第 2 行「班级」：本校没有班级“九年级(9)班”",
        ),
        (
            ("T001", "周老师", "", "", "是", ""),
            "工作表「教师名单」第 2 行「班级」：班主任须填写所带班级",
        ),
        (
            ("T001", "周老师", "", "", "否", "七年级(1)班"),
            "工作表「教师名单」第 2 行「班级」：“是否班主任”为“否”时",
        ),
        (
            ("T001", "周老师", "", "", "也许", ""),
            "工作表「教师名单」第 2 行「是否班主任」：应填“是”或“否”",
        ),
        (("T 001", "周老师"), "工作表「教师名单」第 2 行「工号」：只能包含字母、数字"),
        (("T001", ""), "工作表「教师名单」第 2 行「姓名」：不能为空"),
    ],
)
def test_bad_cells_are_reported_with_row_and_column(school, row, error):
    factories.SchoolClassFactory(school=school, name="七年级(1)班")
    plan, result = run(school, xlsx([row]))
    assert errors_of(plan)[0].startswith(error)
    assert result is None
    assert teachers_of(school) == 0


def test_a_staff_number_of_another_school_or_the_county_is_refused(school, other_school):
    factories.make_user(school=other_school, user__username="T001")
    factories.make_user(Role.COUNTY, user__username="T002")
    User.objects.create_superuser(username="admin", password="x-long-password")
    plan, _result = run(school, xlsx([("T001", "周老师"), ("T002", "吴老师"), ("ADMIN", "郑老师")]))
    assert errors_of(plan) == [
        "工作表「教师名单」第 2 行「工号」：该工号已被其他学校使用",
        "工作表「教师名单」第 3 行「工号」：该工号已被其他学校使用",
        "工作表「教师名单」第 4 行「工号」：该工号已被其他学校使用",
    ]


def test_an_office_account_of_the_school_is_not_made_a_teacher(school):
    factories.make_user(Role.OFFICE, school=school, user__username="office-1")
    plan, _result = run(school, xlsx([("office-1", "周老师")]))
    assert errors_of(plan) == [
        "工作表「教师名单」第 2 行「工号」：该工号已是本校资助办或校长的账号，不能用作教师"
    ]


def test_every_error_is_listed_and_nothing_is_saved(school):
    # given one good row and three bad ones
    factories.SchoolClassFactory(school=school, name="七年级(1)班")
    rows = [
        ("T001", "周老师", "", "", "是", "七年级(1)班"),
        ("T001", "吴老师"),
        ("T003", "郑老师", "", "", "是", "七年级(1)班"),
        ("T004", "王老师", "", "", "是", "没有的班"),
    ]
    # when the file is imported
    plan, result = run(school, xlsx(rows))
    # then all problems are listed, in row order, and nobody was created
    assert errors_of(plan) == [
        "工作表「教师名单」第 3 行「工号」：与第 2 行重复",
        "工作表「教师名单」第 4 行「班级」：与第 2 行是同一个班级：一个班级只有一位班主任",
        "工作表「教师名单」第 5 行「班级」：本校没有班级“没有的班”，请先在班级管理或学生名册中建立",
    ]
    assert plan.changes == []
    assert result is None
    assert teachers_of(school) == 0
    assert SchoolClass.objects.get(school=school).homeroom_teacher is None


def test_a_dry_run_saves_nothing(school):
    plan, result = run(school, xlsx([("T001", "周老师")]), dry_run=True)
    assert [c.action for c in plan.changes] == ["new"]
    assert result is None
    assert not User.objects.filter(username="T001").exists()


def test_export_then_import_changes_nothing(school, other_school):
    # given teachers with and without classes, in two cohorts sharing a class name
    head = factories.make_user(school=school, name="周老师", phone="13800000001", subjects="数学")
    factories.make_user(school=school, name="吴老师")
    factories.make_user(Role.OFFICE, school=school)
    factories.make_user(school=other_school)
    factories.SchoolClassFactory(school=school, name="1班", cohort__entry_year=2023)
    factories.SchoolClassFactory(
        school=school, name="1班", cohort__entry_year=2024, homeroom_teacher=head
    )
    sheet = TeachersSheet()
    with translation.override("en"):  # cells stay in the sheet's language
        rows = list(sheet.export_rows(school=school))
    # when the export is imported again
    plan, result = run(school, xlsx(rows))
    # then it lists the school's two teachers, unchanged
    assert [row[0] for row in rows] == sorted(
        Profile.objects.filter(school=school, role=Role.TEACHER).values_list(
            "user__username", flat=True
        )
    )
    assert [row[4:] for row in rows if row[0] == head.username] == [["是", "2024级1班"]]
    assert plan.errors == []
    assert {c.action for c in plan.changes} == {"unchanged"}
    assert result["passwords"] == []


def test_a_plan_takes_as_many_queries_for_fifty_rows_as_for_five(school, django_assert_num_queries):
    # given a school with classes and some teachers already there
    for n in range(50):
        factories.SchoolClassFactory(school=school, name=f"{n}班")
    for n in range(0, 50, 2):
        factories.make_user(school=school, user__username=f"T{n:03d}", name=f"老师{n}")
    sheet = TeachersSheet()

    def rows(count: int) -> list[tuple[Any, ...]]:
        return [(f"T{n:03d}", f"老师{n}", "", "数学", "是", f"{n}班") for n in range(count)]

    def plan(count: int):
        from aidcase.spreadsheets import parse, read_table

        table = read_table(io.BytesIO(xlsx(rows(count))), sheet.columns, name="x.xlsx")
        return sheet.plan(parse(table, sheet.columns), school=school, semester=None, by=None)

    # when planning 5 rows and 50 rows, then the count is the same
    with django_assert_num_queries(3):
        small = plan(5)
    with django_assert_num_queries(3):
        large = plan(50)
    assert (small.count("new"), large.count("new")) == (2, 25)


def test_command_prints_the_one_time_passwords(school, tmp_path):
    path = tmp_path / "teachers.xlsx"
    path.write_bytes(xlsx([("T001", "周老师")]))
    out = io.StringIO()
    call_command("import_xlsx", "teachers", str(path), "--school", school.code, stdout=out)
    lines = out.getvalue().splitlines()
    assert "一次性密码（只显示这一次，首次登录时须修改）：" in lines
    staff_number, name, password = lines[-1].split("\t")
    assert (staff_number, name) == ("T001", "周老师")
    assert User.objects.get(username="T001").check_password(password)


def test_command_refuses_a_bad_file_and_saves_nothing(school, tmp_path):
    path = tmp_path / "teachers.xlsx"
    path.write_bytes(xlsx([("T001", "周老师"), ("T001", "吴老师")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="共 1 处错误"):
        call_command("import_xlsx", "teachers", str(path), "--school", school.code, stderr=err)
    assert "工作表「教师名单」第 3 行「工号」：与第 2 行重复" in err.getvalue()
    assert teachers_of(school) == 0
