"""Views of the aidcase app: homes per role, sign-in, password, caching headers and the
language switch (the dashboard and the county roll-up: tests/dashboards/test_views.py).

alice is allowed, bob is a colleague whose role does not allow the page, charlie belongs to
another school or county."""

import re

import pytest

from students.models import Profile, Role
from tests import factories
from tests.conftest import login
from tests.helpers import field_errors, login_redirect, text

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # what UserFactory sets
NEW_PASSWORD = "lantern-river-9431"


# Homes


@pytest.mark.parametrize(
    ("role", "home"),
    [(Role.TEACHER, "/me/"), (Role.OFFICE, "/dashboard/"), (Role.PRINCIPAL, "/dashboard/")],
)
def test_home_sends_each_school_role_to_its_home(school, role, home):
    # given a school user
    client = login(factories.make_user(role, school=school))
    # when they open the site
    response = client.get("/")
    # then they land on their role's home
    assert response.status_code == 302
    assert response["Location"] == home


def test_home_sends_county_viewer_to_county_page():
    response = login(factories.make_user(Role.COUNTY)).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/county/"


def test_home_sends_anonymous_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == login_redirect("/")


def test_user_without_role_sees_no_role_page():
    # given an account nobody has given a school or a role yet
    user = factories.UserFactory()
    # when they open the site
    response = login(user).get("/")
    # then they are told, in Chinese, to ask for a role
    assert response.status_code == 403
    assert "您的账号尚未分配角色" in text(response)


def test_staff_without_role_is_sent_to_admin():
    user = factories.UserFactory(is_staff=True)
    response = login(user).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.mark.parametrize("path", ["/me/", "/students/", "/dashboard/", "/county/"])
def test_user_without_role_is_refused_every_role_page(path):
    response = login(factories.UserFactory()).get(path)
    assert response.status_code == 403


# Sign in and out


def test_login_page_is_in_chinese(client):
    response = client.get("/accounts/login/")
    page = text(response)
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in page
    assert "结对帮扶 · 登录" in page
    assert "用户名（工号）" in page


def test_login_with_right_password_goes_to_the_role_home(client, school):
    # given a teacher with a password
    teacher = factories.make_user(Role.TEACHER, school=school)
    # when they sign in
    response = client.post(
        "/accounts/login/", {"username": teacher.username, "password": PASSWORD}, follow=True
    )
    # then they end on their home page, signed in
    assert response.redirect_chain == [("/", 302), ("/me/", 302)]
    assert response.status_code == 200
    assert response.wsgi_request.user == teacher


def test_login_follows_next(client, school):
    office = factories.make_user(Role.OFFICE, school=school)
    response = client.post(
        "/accounts/login/?next=/students/",
        {"username": office.username, "password": PASSWORD, "next": "/students/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/students/"


def test_login_with_wrong_password_shows_chinese_error(client, school):
    teacher = factories.make_user(Role.TEACHER, school=school)
    response = client.post(
        "/accounts/login/", {"username": teacher.username, "password": "not-the-password"}
    )
    assert response.status_code == 200
    assert "用户名或密码不正确，请重新输入。" in text(response)
    assert not response.wsgi_request.user.is_authenticated


def test_login_page_sends_signed_in_user_home(school):
    client = login(factories.make_user(Role.TEACHER, school=school))
    response = client.get("/accounts/login/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_logout_ends_the_session(school):
    # given a signed-in teacher
    client = login(factories.make_user(Role.TEACHER, school=school))
    # when they sign out
    response = client.post("/accounts/logout/")
    # then they are on the login page and their pages need a new sign-in
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/me/")["Location"] == login_redirect("/me/")


# Password


def test_password_change_page_renders_without_the_first_login_notice(school):
    response = login(factories.make_user(Role.TEACHER, school=school)).get("/accounts/password/")
    assert response.status_code == 200
    assert "修改密码" in text(response)
    assert "首次登录" not in text(response)


def test_password_change_sends_anonymous_to_login(client):
    response = client.get("/accounts/password/")
    assert response["Location"] == login_redirect("/accounts/password/")


def test_password_change_saves_and_keeps_user_signed_in(school):
    # given a signed-in teacher
    teacher = factories.make_user(Role.TEACHER, school=school)
    client = login(teacher)
    # when they change their password
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    # then the new password works and the session is still valid
    assert response.status_code == 302
    assert response["Location"] == "/"
    teacher.refresh_from_db()
    assert teacher.check_password(NEW_PASSWORD)
    assert client.get("/me/").status_code == 200


def test_password_change_with_wrong_old_password_keeps_the_old_one(school):
    teacher = factories.make_user(Role.TEACHER, school=school)
    response = login(teacher).post(
        "/accounts/password/",
        {"old_password": "wrong-one", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert field_errors(response, "old_password")
    teacher.refresh_from_db()
    assert teacher.check_password(PASSWORD)


@pytest.fixture
def forced(school):
    """A teacher whose one-time password must be replaced on first login."""
    return factories.make_user(Role.TEACHER, school=school, must_change_password=True)


@pytest.mark.parametrize("path", ["/", "/me/", "/students/"])
def test_forced_user_is_sent_to_password_change_from_every_page(forced, path):
    response = login(forced).get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/"


def test_forced_user_is_told_why(forced):
    response = login(forced).get("/accounts/password/")
    assert response.status_code == 200
    assert "这是首次登录或密码已被重置，请先设置您自己的密码。" in text(response)


def test_forced_user_sign_in_leads_to_password_change(client, forced):
    response = client.post(
        "/accounts/login/", {"username": forced.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1] == ("/accounts/password/", 302)
    assert "首次登录" in text(response)


def test_forced_password_change_clears_the_flag(forced):
    # given a teacher who must change their password
    client = login(forced)
    # when they set their own
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    # then they are free to use the site
    assert response.status_code == 302
    assert not Profile.objects.get(user=forced).must_change_password
    assert client.get("/me/").status_code == 200


def test_forced_user_may_still_log_out(forced):
    response = login(forced).post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


# Caching


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.TEACHER, "/me/"),
        (Role.TEACHER, "/students/"),
        (Role.OFFICE, "/dashboard/"),
        (Role.OFFICE, "/accounts/password/"),
        (Role.TEACHER, "/dashboard/"),  # a refusal is private too
    ],
)
def test_authenticated_pages_are_never_stored(school, semester, role, path):
    response = login(factories.make_user(role, school=school)).get(path)
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_county_page_is_never_stored():
    response = login(factories.make_user(Role.COUNTY)).get("/county/")
    assert "no-store" in response["Cache-Control"]


# Language


def test_set_language_switches_pages_to_english(client, school):
    # given the login page in Chinese
    # when English is picked with the switch on the login page
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    # then the next page is served in English (strings may still be Chinese)
    assert response.status_code == 302
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert '<html lang="en">' in text(page)
    assert 'name="language" value="zh-hans"' in text(page)


def test_accept_language_english_renders_login_page(client):
    response = client.get("/accounts/login/", headers={"accept-language": "en"})
    assert response.status_code == 200
    assert '<html lang="en">' in text(response)


@pytest.mark.parametrize(("role", "path"), [(Role.OFFICE, "/dashboard/"), (Role.TEACHER, "/me/")])
def test_accept_language_english_renders_signed_in_pages(school, semester, role, path):
    response = login(factories.make_user(role, school=school)).get(
        path, headers={"accept-language": "en"}
    )
    assert response.status_code == 200
    assert '<html lang="en">' in text(response)


def test_unsupported_language_falls_back_to_chinese(client):
    response = client.get("/accounts/login/", headers={"accept-language": "fr"})
    assert '<html lang="zh-hans">' in text(response)


# The phone's bottom bar


def bottom_bar(response) -> tuple[list[str], list[str]]:
    """The bar's own links and the links of its 更多 menu, by label."""
    html = response.content.decode()
    bar = html[html.index('<nav class="bottom-nav"') :]
    bar = bar[: bar.index("</nav>")]
    more = bar[bar.index("<details") :] if "<details" in bar else ""
    own = bar[: len(bar) - len(more)]
    label = r'<a href="[^"]+"(?: aria-current="page")?>(?:<svg.*?</svg>)?([^<]+)</a>'
    return re.findall(label, own), re.findall(label, more)


def test_the_offices_bottom_bar_keeps_four_and_puts_the_rest_under_more(school):
    # given the aid office, whose menu has fourteen pages
    office = factories.make_user(Role.OFFICE, school=school)
    # when any page is opened
    own, more = bottom_bar(login(office).get("/students/"))
    # then four are in the bar and every other one, 审计 among them, under 更多
    assert own == ["概况", "学生", "结对", "认定"]
    assert more[0] == "考核"
    assert "审计" in more
    assert len(own) + len(more) == 14


def test_a_teachers_bottom_bar_has_no_more_menu(school):
    # given a teacher, whose menu fits the bar
    teacher = factories.make_user(Role.TEACHER, school=school)
    # then every page of it is in the bar itself
    own, more = bottom_bar(login(teacher).get("/me/"))
    assert own == ["我的学生", "学生", "我的考核", "台账"]
    assert more == []


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "请选择"), ("en", "Please choose")])
def test_a_select_s_empty_choice_is_in_the_page_s_language(school, semester, language, label):
    # Django 6.1's own "- Select an option -" is neither Chinese nor translated
    office = login(factories.make_user(Role.OFFICE, school=school))
    page = text(office.get("/students/new/", headers={"accept-language": language}))
    assert f'<option value="" selected>{label}</option>' in page
    assert "Select an option" not in page
