"""Views of the pairing app: the teacher's home (/me/), the pairing list, pairing a student
and ending a pairing.

alice is allowed (the teacher whose pairings they are, or the aid office that arranges
them), bob is a colleague at the same school who is refused, charlie belongs to another
school (refused with 404)."""

import datetime as dt

import pytest
from django.urls import reverse

from pairing.models import Pairing
from students.models import Category, Identification, Role
from tests import factories
from tests.conftest import login
from tests.helpers import (
    field_errors,
    form_errors,
    login_redirect,
    messages_of,
    text,
    today,
    yesterday,
)
from visits.duty_store import duty_status_rebuild

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def helper(school):
    return factories.make_user(Role.TEACHER, school=school, name="帮扶老师")


@pytest.fixture
def charlie(other_school):
    return factories.make_user(Role.OFFICE, school=other_school, name="外校丙")


@pytest.fixture
def student(school, semester):
    """A student identified (approved) as left-behind this semester."""
    student = factories.StudentFactory(school=school, name="王小明")
    factories.IdentificationFactory(student=student, semester=semester)
    return student


@pytest.fixture
def pairing(school, student, helper):
    """An open pairing that started two months ago."""
    return factories.PairingFactory(
        school=school, student=student, teacher=helper, start=today() - dt.timedelta(days=60)
    )


# /me/


@pytest.fixture
def my_pairings(school, semester, helper, other_school):
    """The helper's two active pairings (one student in two categories counts once), one
    more student, an ended and a future pairing, and a colleague's pairing."""
    student = factories.StudentFactory(school=school, name="王小明")
    factories.PairingFactory(
        school=school,
        student=student,
        teacher=helper,
        goals="每周谈心一次",
        measures="电话联系在外务工的父母",
    )
    factories.PairingFactory(
        school=school,
        student=student,
        teacher=helper,
        category=Category.STRUGGLING,
        subject="数学",
    )
    factories.PairingFactory(
        school=school,
        student=factories.StudentFactory(school=school, name="李小红"),
        teacher=helper,
    )
    factories.PairingFactory(
        school=school,
        student=factories.StudentFactory(school=school, name="已结束生"),
        teacher=helper,
        start=today() - dt.timedelta(days=60),
        end=yesterday(),
        end_reason="graduated",
    )
    factories.PairingFactory(
        school=school,
        student=factories.StudentFactory(school=school, name="未开始生"),
        teacher=helper,
        start=today() + dt.timedelta(days=1),
    )
    factories.PairingFactory(
        school=school, student=factories.StudentFactory(school=school, name="别人的学生")
    )
    return helper


def test_me_shows_the_teachers_active_pairings_with_their_plans(my_pairings):
    # when the helper opens their home
    response = login(my_pairings).get("/me/")
    page = text(response)
    # then each active pairing is there with student, category and plan
    assert response.status_code == 200
    assert "王小明" in page
    assert "李小红" in page
    assert "留守学生" in page
    assert "学习困难学生" in page
    assert "数学" in page
    assert "每周谈心一次" in page
    assert "电话联系在外务工的父母" in page
    assert "共 2 名学生" in page


def test_me_hides_ended_future_and_colleagues_pairings(my_pairings):
    page = text(login(my_pairings).get("/me/"))
    assert "已结束生" not in page
    assert "未开始生" not in page
    assert "别人的学生" not in page


def test_me_asks_for_a_plan_when_none_is_written(school, semester, helper):
    factories.PairingFactory(school=school, teacher=helper)
    assert "尚未填写帮扶计划" in text(login(helper).get("/me/"))


def test_me_without_pairings_says_who_arranges_them(helper):
    page = text(login(helper).get("/me/"))
    assert "您目前没有进行中的结对。" in page
    assert "资助办" in page


@pytest.mark.parametrize("role", [Role.OFFICE, Role.PRINCIPAL])
def test_managers_who_help_students_see_their_own_pairings(school, semester, role):
    alice = factories.make_user(role, school=school)
    factories.PairingFactory(
        school=school, teacher=alice, student=factories.StudentFactory(school=school, name="赵一")
    )
    response = login(alice).get("/me/")
    assert response.status_code == 200
    assert "赵一" in text(response)


def test_me_refuses_county_viewer():
    assert login(factories.make_user(Role.COUNTY)).get("/me/").status_code == 403


def test_me_sends_anonymous_to_login(client):
    assert client.get("/me/")["Location"] == login_redirect("/me/")


# Session, user, profile, school, pairings, then the duties: semester, school year,
# holiday weeks, exams, rules and the stored duty status — each once, however many pairings.
ME_QUERIES = 12  # the unread reminders are one more


@pytest.mark.parametrize("size", [3, 24])
def test_me_query_count_does_not_grow_with_pairings(
    school, semester, helper, size, django_assert_num_queries
):
    # given `size` students in a class, each paired with the helper
    school_class = factories.SchoolClassFactory(school=school)
    for _ in range(size):
        pupil = factories.StudentFactory(
            school=school, cohort=school_class.cohort, school_class=school_class
        )
        factories.PairingFactory(school=school, student=pupil, teacher=helper, goals="目标")
    client = login(helper)
    # and their duty status stored, as the first read or the task worker stores it
    duty_status_rebuild(schools=[school])
    # when the helper opens their home, then the query count is fixed
    with django_assert_num_queries(ME_QUERIES):
        response = client.get("/me/")
    assert len(response.context["students"]) == size


# Pairing list


@pytest.fixture
def listed(school, semester, other_school):
    """An open and an ended pairing at the school, one at another school."""
    factories.PairingFactory(
        school=school, student=factories.StudentFactory(school=school, name="在帮生")
    )
    factories.PairingFactory(
        school=school,
        student=factories.StudentFactory(school=school, name="结束生"),
        start=today() - dt.timedelta(days=60),
        end=yesterday(),
        end_reason="transferred",
    )
    factories.PairingFactory(
        school=other_school, student=factories.StudentFactory(school=other_school, name="外校生")
    )
    return school


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("", {"在帮生"}, {"结束生", "外校生"}),
        ("?state=ended", {"结束生"}, {"在帮生", "外校生"}),
        ("?state=all", {"在帮生", "结束生"}, {"外校生"}),
        ("?state=all&q=结束", {"结束生"}, {"在帮生", "外校生"}),
        ("?state=all&category=poor", set(), {"在帮生", "结束生", "外校生"}),
    ],
)
@pytest.mark.parametrize("role", [Role.OFFICE, Role.PRINCIPAL])
def test_pairing_list_shows_own_school_by_state(listed, role, query, shown, hidden):
    # given pairings at alice's school and another one
    alice = factories.make_user(role, school=listed)
    # when a manager lists them
    response = login(alice).get(f"/pairings/{query}")
    page = text(response)
    # then only her school's pairings in that state are listed
    assert response.status_code == 200
    for name in shown:
        assert name in page
    for name in hidden:
        assert name not in page


def test_pairing_list_refuses_teachers(school, helper):
    assert login(helper).get("/pairings/").status_code == 403


def test_pairing_list_refuses_county_viewer():
    assert login(factories.make_user(Role.COUNTY)).get("/pairings/").status_code == 403


def test_pairing_list_sends_anonymous_to_login(client):
    assert client.get("/pairings/")["Location"] == login_redirect("/pairings/")


# Who may pair and end


def pair_url(student):
    return reverse("pairing_create", args=[student.pk])


def end_url(pairing):
    return reverse("pairing_end", args=[pairing.pk])


def test_office_opens_pairing_form_with_todays_date(office, student):
    response = login(office).get(pair_url(student))
    assert response.status_code == 200
    assert f'value="{today().isoformat()}"' in text(response)


def test_office_opens_end_form(office, pairing):
    response = login(office).get(end_url(pairing))
    assert response.status_code == 200
    assert "王小明" in text(response)


@pytest.mark.parametrize("role", [Role.PRINCIPAL, Role.TEACHER])
def test_colleague_without_office_role_gets_403(school, student, pairing, role):
    bob = factories.make_user(role, school=school)
    client = login(bob)
    assert client.get(pair_url(student)).status_code == 403
    assert client.get(end_url(pairing)).status_code == 403


def test_helper_cannot_end_their_own_pairing(helper, pairing):
    response = login(helper).post(end_url(pairing), {"end": today(), "reason": "other"})
    assert response.status_code == 403
    pairing.refresh_from_db()
    assert pairing.end is None


@pytest.mark.parametrize("page", [pair_url, end_url])
def test_anonymous_is_sent_to_login(client, student, pairing, page):
    path = page(pairing) if page is end_url else page(student)
    assert client.get(path)["Location"] == login_redirect(path)


def test_outsider_gets_404(charlie, student, pairing):
    client = login(charlie)
    assert client.get(pair_url(student)).status_code == 404
    assert client.get(end_url(pairing)).status_code == 404


def test_outsider_cannot_pair_a_foreign_student(charlie, other_school, student):
    foreign_teacher = factories.make_user(Role.TEACHER, school=other_school)
    response = login(charlie).post(
        pair_url(student),
        {"teacher": foreign_teacher.pk, "category": "left_behind", "start": today()},
    )
    assert response.status_code == 404
    assert not Pairing.objects.exists()


def test_outsider_cannot_end_a_foreign_pairing(charlie, pairing):
    response = login(charlie).post(end_url(pairing), {"end": today(), "reason": "other"})
    assert response.status_code == 404
    pairing.refresh_from_db()
    assert pairing.end is None


# Pairing a student


def pairing_data(teacher, **overrides):
    data = {
        "teacher": teacher.pk,
        "category": "left_behind",
        "start": today().isoformat(),
        "subject": "",
        "goals": "建立信任，每周谈心",
        "measures": "每月与家长通话",
    }
    return {**data, **overrides}


def test_office_pairs_a_teacher_with_an_identified_student(office, helper, student):
    # when the office pairs the helper with the student
    response = login(office).post(pair_url(student), pairing_data(helper))
    # then the pairing exists with its plan and the office is back on the student page
    assert response.status_code == 302
    assert response["Location"] == f"/students/{student.pk}/"
    pairing = Pairing.objects.get(student=student)
    assert (pairing.teacher, pairing.category, pairing.start) == (helper, "left_behind", today())
    assert pairing.goals == "建立信任，每周谈心"
    assert pairing.created_by == office
    assert "已结对：帮扶老师 帮扶 王小明（留守学生）" in messages_of(response)


def test_new_pairing_shows_on_the_helpers_home(office, helper, student):
    login(office).post(pair_url(student), pairing_data(helper))
    assert "王小明" in text(login(helper).get("/me/"))


def test_category_not_identified_is_refused_beside_the_category(office, helper, student):
    # given the student is identified left-behind only
    # when the office pairs them as a poor student
    response = login(office).post(pair_url(student), pairing_data(helper, category="poor"))
    # then the category is refused in Chinese and nothing is saved
    assert response.status_code == 200
    assert "未被认定为“家庭经济困难学生”" in field_errors(response, "category")
    assert "建立信任，每周谈心</textarea>" in text(response)
    assert not Pairing.objects.exists()


def test_proposed_identification_is_not_enough_to_pair(office, helper, school, semester):
    pending = factories.StudentFactory(school=school)
    factories.IdentificationFactory(
        student=pending,
        semester=semester,
        category=Category.POOR,
        state=Identification.State.PROPOSED,
        approved_at=None,
    )
    response = login(office).post(pair_url(pending), pairing_data(helper, category="poor"))
    assert "请先完成类别认定" in field_errors(response, "category")
    assert not Pairing.objects.exists()


def test_duplicate_open_pairing_is_refused(office, helper, pairing, student):
    response = login(office).post(pair_url(student), pairing_data(helper))
    assert response.status_code == 200
    assert "该教师与该学生在此类别下已有进行中的结对" in form_errors(response)
    assert Pairing.objects.count() == 1


def test_subject_on_a_non_struggling_pairing_is_refused(office, helper, student):
    response = login(office).post(pair_url(student), pairing_data(helper, subject="数学"))
    assert response.status_code == 200
    assert "只有学习困难学生的结对可以填写学科" in field_errors(response, "subject")
    assert not Pairing.objects.exists()


def test_struggling_pairing_names_its_subject(office, helper, student, semester):
    factories.IdentificationFactory(
        student=student, semester=semester, category=Category.STRUGGLING
    )
    response = login(office).post(
        pair_url(student), pairing_data(helper, category="struggling", subject="数学")
    )
    assert response.status_code == 302
    assert Pairing.objects.get(student=student).subject == "数学"


def test_teacher_of_another_school_is_not_a_choice(office, charlie, student):
    response = login(office).post(pair_url(student), pairing_data(charlie))
    assert "选择一个有效的选项" in field_errors(response, "teacher")
    assert "外校丙" not in text(response)
    assert not Pairing.objects.exists()


# Ending a pairing


def test_end_before_start_is_refused_and_the_pairing_stays_open(office, pairing):
    day_before = pairing.start - dt.timedelta(days=1)
    response = login(office).post(end_url(pairing), {"end": day_before, "reason": "graduated"})
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in field_errors(response, "end")
    pairing.refresh_from_db()
    assert pairing.end is None
    assert pairing.end_reason == ""


def test_office_ends_a_pairing_and_it_moves_to_the_ended_list(office, pairing, student):
    client = login(office)
    # when the office ends the pairing as of yesterday
    response = client.post(end_url(pairing), {"end": yesterday(), "reason": "graduated"})
    # then it is ended with its reason, and the student page lists it under 已结束的结对
    assert response.status_code == 302
    assert response["Location"] == f"/students/{student.pk}/"
    assert "结对已结束" in messages_of(response)
    pairing.refresh_from_db()
    assert (pairing.end, pairing.end_reason) == (yesterday(), "graduated")
    page = text(client.get(f"/students/{student.pk}/"))
    ended = page[page.index("已结束的结对") :]
    assert "帮扶老师" in ended
    assert "毕业" in ended
    assert "该学生目前没有帮扶教师。" in page


def test_ended_pairing_leaves_the_helpers_home_and_access(office, helper, pairing, student):
    login(office).post(end_url(pairing), {"end": yesterday(), "reason": "transferred"})
    client = login(helper)
    assert "王小明" not in text(client.get("/me/"))
    assert client.get(f"/students/{student.pk}/").status_code == 404


def test_ending_twice_is_refused(office, school, student, helper):
    ended = factories.PairingFactory(
        school=school,
        student=student,
        teacher=helper,
        start=today() - dt.timedelta(days=60),
        end=yesterday(),
        end_reason="other",
    )
    response = login(office).post(end_url(ended), {"end": today(), "reason": "graduated"})
    assert response.status_code == 200
    assert "该结对已于" in form_errors(response)
    ended.refresh_from_db()
    assert (ended.end, ended.end_reason) == (yesterday(), "other")


def test_pairing_ended_today_offers_no_second_end(office, pairing, student):
    # given the office ends a pairing today, the form's default end date
    client = login(office)
    client.post(end_url(pairing), {"end": today(), "reason": "graduated"})
    # when the student page is shown, then it no longer offers to end that pairing
    page = text(client.get(f"/students/{student.pk}/"))
    assert end_url(pairing) not in page
