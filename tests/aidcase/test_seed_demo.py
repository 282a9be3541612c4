import datetime as dt
import re
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client

from aidcase.demo import GRADES, demo_seed
from pairing.models import Pairing, category_identified
from students import idcard
from students.models import (
    Category,
    Identification,
    Profile,
    Role,
    School,
    SchoolClass,
    Semester,
    Student,
)
from students.selectors import category_coverage, previous_semester_code, semester_code_for, today
from tests import factories

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "demo-password-for-tests"


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_output():
    return seed_demo("--students-per-school", "60", "--seed", "11", "--password", PASSWORD)


def rows_written() -> dict[str, int]:
    return {
        "schools": School.objects.count(),
        "users": User.objects.count(),
        "students": Student.objects.count(),
        "identifications": Identification.objects.count(),
        "pairings": Pairing.objects.count(),
    }


def student_facts() -> list[tuple]:
    return list(
        Student.objects.order_by("pk").values_list("name", "student_no", "birth_date", "address")
    )


def pairing_facts() -> list[tuple]:
    return list(
        Pairing.objects.order_by("pk").values_list(
            "teacher__username", "student__student_no", "category", "subject", "start", "end"
        )
    )


def test_creates_the_contract_accounts_with_the_given_password(demo_output):
    # then
    client = Client()
    for username in ("county", "principal-DEMO1", "office-DEMO1", "DEMO1T001"):
        assert client.login(username=username, password=PASSWORD), username
    roles = dict(Profile.objects.values_list("user__username", "role"))
    assert roles["county"] == Role.COUNTY
    assert roles["principal-DEMO1"] == Role.PRINCIPAL
    assert roles["office-DEMO1"] == Role.OFFICE
    teachers = [u for u, role in roles.items() if role == Role.TEACHER]
    assert len(teachers) >= SchoolClass.objects.count() + 2
    assert all(re.fullmatch(r"DEMO1T\d{3}", username) for username in teachers)


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("DEMO1T001", "/me/"),
        ("principal-DEMO1", "/dashboard/"),
        ("office-DEMO1", "/dashboard/"),
        ("county", "/county/"),
    ],
)
def test_each_demo_account_is_sent_to_its_role_home(demo_output, username, home):
    # given
    client = Client()
    client.login(username=username, password=PASSWORD)

    # when
    response = client.get("/")

    # then
    assert response.status_code == 302
    assert response["Location"] == home


def test_prints_the_accounts_the_seed_and_the_password(demo_output):
    # then
    assert "随机种子 11" in demo_output
    for heading in ("角色", "用户名", "姓名", "学校"):
        assert heading in demo_output
    for username in ("county", "principal-DEMO1", "office-DEMO1", "DEMO1T001"):
        assert username in demo_output
    assert f"所有账号的密码：{PASSWORD}" in demo_output


def test_without_a_password_or_seed_prints_the_random_ones_used():
    # when
    output = seed_demo("--students-per-school", "10")

    # then
    printed = re.search(r"所有账号的密码：(\S+)", output)
    assert printed is not None
    password = printed[1]
    assert len(password) >= 14
    assert re.search(r"随机种子 \d+", output)
    assert Client().login(username="principal-DEMO1", password=password)


def test_all_schools_belong_to_one_county_viewed_by_the_county_account():
    # when
    seed_demo(
        "--schools", "2", "--students-per-school", "20", "--seed", "5", "--password", PASSWORD
    )

    # then
    county = Profile.objects.get(user__username="county").county
    assert county is not None
    assert set(county.schools.values_list("code", flat=True)) == {"DEMO1", "DEMO2"}
    assert User.objects.filter(username__in=["principal-DEMO2", "office-DEMO2"]).count() == 2
    numbers = list(Student.objects.values_list("id_number", flat=True))
    assert len(numbers) == 40
    assert len(set(numbers)) == 40


def test_creates_the_current_and_the_previous_semester(demo_output):
    # then
    current = semester_code_for(today())
    codes = set(Semester.objects.filter(school__code="DEMO1").values_list("code", flat=True))
    assert codes == {current, previous_semester_code(current)}


def test_identifies_all_four_categories_in_both_semesters(demo_output):
    # given
    current = semester_code_for(today())

    # then
    assert not Identification.objects.exclude(state=Identification.State.APPROVED).exists()
    now = set(
        Identification.objects.filter(semester__code=current).values_list("category", flat=True)
    )
    assert now == set(Category.values)
    before = Identification.objects.filter(semester__code=previous_semester_code(current))
    assert before.exists()


def test_some_students_are_in_several_categories(demo_output):
    # then
    per_student = Counter(
        Identification.objects.filter(semester__code=semester_code_for(today())).values_list(
            "student", flat=True
        )
    )
    assert max(per_student.values()) >= 2


def test_a_teacher_helps_several_students_and_a_student_has_two_helpers(demo_output):
    # given
    open_pairings = Pairing.objects.filter(end__isnull=True)

    # then
    students_per_teacher = Counter(
        teacher for teacher, _student in set(open_pairings.values_list("teacher", "student"))
    )
    assert max(students_per_teacher.values()) >= 2
    helpers_per_student = Counter(
        student for _teacher, student in set(open_pairings.values_list("teacher", "student"))
    )
    assert max(helpers_per_student.values()) >= 2


def test_every_pairing_keeps_the_pairing_rules(demo_output):
    # then
    pairings = Pairing.objects.select_related("teacher__profile", "student", "school")
    assert pairings.exists()
    for pairing in pairings:
        pairing.full_clean()
        assert category_identified(
            student=pairing.student, category=pairing.category, on=pairing.start
        ), pairing
        assert pairing.teacher.profile.role == Role.TEACHER
        assert pairing.start <= today()
        assert pairing.goals
        assert pairing.measures
    assert Pairing.objects.filter(category=Category.STRUGGLING).exclude(subject="").exists()


def test_some_pairings_of_last_semester_ended_with_a_reason(demo_output):
    # then
    ended = Pairing.objects.filter(end__isnull=False)
    assert ended.filter(end_reason=Pairing.EndReason.LEFT_CATEGORY).exists()
    assert not ended.filter(end_reason="").exists()


def test_some_identified_students_are_still_without_a_helper(demo_output):
    # given
    school = School.objects.get(code="DEMO1")
    semester = Semester.objects.get(school=school, code=semester_code_for(today()))

    # when
    coverage = category_coverage(school=school, semester=semester)

    # then
    unpaired = sum(row["unpaired"] for row in coverage)
    identified = sum(row["identified"] for row in coverage)
    assert 0 < unpaired < identified / 5


def test_students_have_valid_id_numbers_matching_their_birth_dates(demo_output):
    # then
    students = Student.objects.select_related("cohort", "school_class")
    assert students.count() == 60
    for student in students:
        assert idcard.problems(student.id_number, birth=student.birth_date) == []
        assert student.id_number.startswith("52")
        # The 学籍号 is shown unmasked, so it must not carry the ID number.
        assert student.id_number not in student.student_no
        assert student.student_no.startswith(f"{student.school.code}{student.cohort.entry_year}")
        student.full_clean()


def test_students_are_12_to_15_years_old(demo_output):
    # then
    day = today()
    for birth in Student.objects.values_list("birth_date", flat=True):
        age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
        assert 12 <= age <= 15


def test_classes_are_named_for_their_grade_and_led_by_a_teacher_of_the_school(demo_output):
    # given
    first_year = int(semester_code_for(today())[:4])

    # then
    classes = SchoolClass.objects.select_related("cohort", "homeroom_teacher__profile")
    assert len(classes) >= 3
    for school_class in classes:
        assert school_class.name.startswith(GRADES[first_year - school_class.cohort.entry_year])
        school_class.full_clean()
    assert {c.cohort.entry_year for c in classes} == {first_year, first_year - 1, first_year - 2}


def test_the_same_seed_gives_the_same_data():
    # given
    runs = []
    for _run in range(2):
        with transaction.atomic():
            seed_demo("--students-per-school", "30", "--seed", "42", "--password", PASSWORD)
            runs.append((student_facts(), pairing_facts()))
            transaction.set_rollback(True)

    # then
    assert runs[0] == runs[1]
    assert len(runs[0][0]) == 30


def test_another_seed_gives_other_students():
    # given
    names = []
    for seed in ("1", "2"):
        with transaction.atomic():
            seed_demo("--students-per-school", "30", "--seed", seed, "--password", PASSWORD)
            names.append([name for name, *_rest in student_facts()])
            transaction.set_rollback(True)

    # then
    assert names[0] != names[1]


@pytest.mark.parametrize(
    "day",
    [dt.date(2025, 9, 1), dt.date(2026, 1, 20), dt.date(2026, 4, 15), dt.date(2026, 8, 20)],
    ids=["first-day-of-term-1", "end-of-term-1", "term-2", "summer-holiday"],
)
def test_data_keeps_the_rules_whatever_the_day(day):
    # when
    demo_seed(schools=1, students_per_school=40, seed=3, password=PASSWORD, on=day)

    # then
    current = semester_code_for(day)
    assert set(Semester.objects.values_list("code", flat=True)) == {
        current,
        previous_semester_code(current),
    }
    assert set(
        Identification.objects.filter(semester__code=current).values_list("category", flat=True)
    ) == set(Category.values)
    for birth in Student.objects.values_list("birth_date", flat=True):
        age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
        assert 12 <= age <= 15
    for pairing in Pairing.objects.select_related("teacher__profile", "student"):
        pairing.full_clean()
        assert pairing.start <= day
        assert category_identified(
            student=pairing.student, category=pairing.category, on=pairing.start
        )


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("--schools", "0"), "学校数量应在 1 到 50 之间"),
        (("--schools", "51"), "学校数量应在 1 到 50 之间"),
        (("--students-per-school", "5"), "每校学生人数应在 10 到 5000 之间"),
        (("--students-per-school", "5001"), "每校学生人数应在 10 到 5000 之间"),
        (("--password", ""), "密码不能为空"),
        (("--password", "   "), "密码不能为空"),
        (("--schools", "两"), "不是整数"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_is_written(args, problem):
    # when
    with pytest.raises(CommandError, match=problem):
        seed_demo("--students-per-school", "10", "--password", PASSWORD, *args)

    # then
    assert set(rows_written().values()) == {0}


def test_a_second_run_is_refused_and_writes_nothing(demo_output):
    # given
    before = rows_written()

    # when
    with pytest.raises(CommandError, match="演示数据已存在"):
        seed_demo("--schools", "2", "--students-per-school", "10", "--password", PASSWORD)

    # then
    assert rows_written() == before


@pytest.mark.parametrize(
    "existing",
    [
        lambda: factories.SchoolFactory(code="DEMO1"),
        lambda: factories.UserFactory(username="county"),
        lambda: factories.UserFactory(username="DEMO1T007"),
    ],
    ids=["school-code", "county-username", "teacher-username"],
)
def test_refuses_when_a_demo_code_or_username_is_taken(existing):
    # given
    existing()
    before = rows_written()

    # when
    with pytest.raises(CommandError, match="演示数据已存在"):
        seed_demo("--students-per-school", "10", "--password", PASSWORD)

    # then
    assert rows_written() == before
