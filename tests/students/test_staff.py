import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.test import Client

from students.models import Profile, Role
from tests import factories
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(school):
    return factories.make_user(Role.OFFICE, school=school)


def test_office_creates_a_teacher_with_a_one_time_password(school, office):
    # When the office adds a teacher
    response = login(office).post(
        "/staff/new/",
        {"staff_number": "T2024001", "name": "周老师", "phone": "13800000000", "subjects": "数学"},
    )
    # Then the one-time password is shown once, and it logs in only to a forced change
    assert response.status_code == 200
    password = response.context["password"]
    assert password in response.content.decode()
    profile = Profile.objects.get(user__username="T2024001")
    assert (profile.school, profile.role, profile.must_change_password) == (school, "teacher", True)
    client = Client()
    assert client.login(request=HttpRequest(), username="T2024001", password=password)
    assert client.get("/me/").url == "/accounts/password/"


def test_forced_password_change_unlocks_the_account(school):
    teacher = factories.make_user(school=school, must_change_password=True)
    client = login(teacher)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "correct-horse-battery",
            "new_password1": "a-new-long-password-42",
            "new_password2": "a-new-long-password-42",
        },
    )
    assert response.status_code == 302
    assert client.get("/me/").status_code == 200
    assert not Profile.objects.get(user=teacher).must_change_password


@pytest.mark.parametrize(
    ("number", "message"),
    [("张三", "工号只能包含字母、数字"), ("taken", "工号 taken 已被使用"), ("TAKEN", "已被使用")],
)
def test_bad_staff_numbers_are_refused_beside_the_field(school, office, number, message):
    factories.UserFactory(username="taken")
    response = login(office).post("/staff/new/", {"staff_number": number, "name": "周老师"})
    assert message in response.context["form"].errors["staff_number"][0]
    assert not Profile.objects.filter(name="周老师").exists()


def test_reset_password_gives_a_new_one_time_password(school, office):
    teacher = factories.make_user(school=school)
    response = login(office).post(f"/staff/{teacher.profile.pk}/reset-password/")
    teacher.refresh_from_db()
    assert teacher.check_password(response.context["password"])
    assert Profile.objects.get(user=teacher).must_change_password


def test_a_teacher_with_open_pairings_cannot_be_deactivated(school, office):
    pairing = factories.PairingFactory(school=school)
    profile = pairing.teacher.profile
    response = login(office).post(f"/staff/{profile.pk}/active/", {"active": "0"}, follow=True)
    assert "还有进行中的结对" in response.content.decode()
    assert User.objects.get(pk=pairing.teacher.pk).is_active


def test_deactivated_teacher_can_no_longer_log_in(school, office):
    teacher = factories.make_user(school=school)
    login(office).post(f"/staff/{teacher.profile.pk}/active/", {"active": "0"})
    assert not Client().login(
        request=HttpRequest(), username=teacher.username, password="correct-horse-battery"
    )


def test_office_edits_a_teacher(school, office):
    teacher = factories.make_user(school=school, name="旧名")
    response = login(office).post(
        f"/staff/{teacher.profile.pk}/edit/", {"name": "新名", "phone": "139", "subjects": "语文"}
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=teacher).name == "新名"


@pytest.mark.parametrize("role", [Role.OFFICE, Role.PRINCIPAL])
def test_office_cannot_manage_office_or_principal_accounts(school, office, role):
    # The principal's password must not be resettable by the office (account takeover).
    other = factories.make_user(role, school=school)
    client = login(office)
    assert client.post(f"/staff/{other.profile.pk}/reset-password/").status_code == 404
    assert client.get(f"/staff/{other.profile.pk}/edit/").status_code == 404


def test_outsider_office_gets_404(school, other_school):
    teacher = factories.make_user(school=school)
    outsider = factories.make_user(Role.OFFICE, school=other_school)
    client = login(outsider)
    assert client.get(f"/staff/{teacher.profile.pk}/edit/").status_code == 404
    assert client.post(f"/staff/{teacher.profile.pk}/reset-password/").status_code == 404
    assert client.post(f"/staff/{teacher.profile.pk}/active/", {"active": "0"}).status_code == 404
    assert User.objects.get(pk=teacher.pk).is_active


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PRINCIPAL, Role.COUNTY])
@pytest.mark.parametrize("url", ["/staff/", "/staff/new/"])
def test_other_roles_are_refused(school, role, url):
    user = factories.make_user(role, school=school, county=school.county)
    assert login(user).get(url).status_code == 403


def test_anonymous_is_sent_to_login():
    response = Client().get("/staff/")
    assert response.url.startswith("/accounts/login/?next=/staff/")


def test_staff_list_shows_accounts_and_their_load(school, office, django_assert_num_queries):
    pairing = factories.PairingFactory(school=school)
    client = login(office)
    with django_assert_num_queries(5):
        response = client.get("/staff/")
    text = response.content.decode()
    assert pairing.teacher.profile.name in text
    assert "1 个进行中的结对" in text


@pytest.mark.parametrize(
    "url", ["/identifications/1/approve/", "/identifications/1/reject/", "/staff/1/active/"]
)
def test_anonymous_get_on_a_post_only_page_is_sent_to_login(url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
