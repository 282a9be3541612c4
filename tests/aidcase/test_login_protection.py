"""Login protection: lockout after failed logins, lifting it, session timeouts and the end of
the sessions of deactivated or reset accounts."""

import datetime as dt
import logging
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory

from aidcase.security import (
    SESSION_LOGIN_AT,
    SESSION_SEEN_AT,
    client_ip_behind_proxy,
)
from students.models import Role
from tests import factories
from tests.conftest import login
from tests.helpers import login_redirect, text
from tests.logins import ELSEWHERE, HERE, PASSWORD, attempt, fail_ten_times, logs_in

pytestmark = pytest.mark.django_db

LOCKED = "登录失败次数过多，该账号在此设备上已锁定 30 分钟。"


@pytest.fixture
def teacher(school):
    return factories.make_user(Role.TEACHER, school=school)


@pytest.fixture
def office(school):
    return factories.make_user(Role.OFFICE, school=school)


# Lockout


def test_ten_failures_lock_the_username_on_that_address(teacher):
    # given ten failed logins of a username from one address
    fail_ten_times(teacher.username)
    # when the right password is tried from there
    client = Client()
    response = attempt(client, teacher.username, PASSWORD)
    # then the login is refused with the Chinese lockout page, and nobody is logged in
    assert response.status_code == 429
    assert LOCKED in text(response)
    assert "联系学校德育处" in text(response)
    assert not response.wsgi_request.user.is_authenticated
    assert client.get("/me/")["Location"] == login_redirect("/me/")


def test_nine_failures_do_not_lock(teacher):
    client = Client()
    for _ in range(9):
        attempt(client, teacher.username, "not-the-password")
    assert logs_in(teacher.username)


def test_the_lock_holds_only_for_that_username_and_address(school, teacher):
    # given a username locked on one address
    colleague = factories.make_user(Role.TEACHER, school=school)
    fail_ten_times(teacher.username)
    # then the same username logs in from another address, and another username from there
    assert logs_in(teacher.username, ELSEWHERE)
    assert logs_in(colleague.username, HERE)


@pytest.mark.parametrize(("minutes", "locked"), [(29, True), (31, False)])
def test_the_lock_lifts_after_thirty_minutes(teacher, minutes, locked):
    # given a lockout that began `minutes` ago
    fail_ten_times(teacher.username)
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(tz=dt.UTC) - dt.timedelta(minutes=minutes)
    )
    # then the right password works only once the 30 minutes are over
    assert logs_in(teacher.username) is not locked


def test_failed_logins_leave_no_username_or_address_in_the_logs(teacher, caplog):
    # when a username is locked out
    with caplog.at_level(logging.INFO):
        fail_ten_times(teacher.username)
    # then axes did log it, without the username or the address
    assert any(record.name.startswith("axes") for record in caplog.records)
    assert teacher.username not in caplog.text
    assert HERE not in caplog.text
    # and the lockout state keeps both
    assert AccessAttempt.objects.get().ip_address == HERE


def test_behind_the_proxy_each_client_address_counts_on_its_own(settings, teacher):
    # given the app behind nginx, which every request comes from
    settings.AXES_CLIENT_IP_CALLABLE = "aidcase.security.client_ip_behind_proxy"
    proxied = {"REMOTE_ADDR": "127.0.0.1"}
    client = Client()
    for _ in range(10):
        client.post(
            "/accounts/login/",
            {"username": teacher.username, "password": "not-the-password"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.1, {HERE}",
            **proxied,
        )
    # when the same username logs in from another client through the same proxy
    response = Client().post(
        "/accounts/login/",
        {"username": teacher.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR=ELSEWHERE,
        **proxied,
    )
    # then only the address the proxy saw was locked
    assert response.status_code == 302
    assert AccessAttempt.objects.get().ip_address == HERE


@pytest.mark.parametrize(
    ("forwarded", "address"),
    [
        ("", "127.0.0.1"),
        (HERE, HERE),
        # What the client sent comes first; the proxy appends the address it saw.
        (f"192.0.2.1, {HERE}", HERE),
        ("not-an-address", "127.0.0.1"),
    ],
)
def test_client_address_behind_the_proxy_is_the_last_forwarded_one(forwarded, address):
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="127.0.0.1")
    assert client_ip_behind_proxy(request) == address


# Session timeouts


def set_times(client: Client, *, login_ago: int, seen_ago: int) -> None:
    now = int(time.time())
    session = client.session
    session[SESSION_LOGIN_AT] = now - login_ago
    session[SESSION_SEEN_AT] = now - seen_ago
    session.save()


MINUTE = 60
HOUR = 60 * MINUTE


def test_logging_in_stamps_the_session(teacher):
    client = Client()
    attempt(client, teacher.username, PASSWORD)
    stamped = client.session[SESSION_LOGIN_AT]
    assert stamped == client.session[SESSION_SEEN_AT]
    assert abs(stamped - time.time()) < MINUTE


def test_idle_for_31_minutes_logs_out_with_a_message(teacher):
    # given a session last used 31 minutes ago
    client = login(teacher)
    set_times(client, login_ago=40 * MINUTE, seen_ago=31 * MINUTE)
    old_key = client.session.session_key
    # when the next request comes
    response = client.get("/me/")
    # then the user is logged out and sent to login, which says why
    assert response["Location"] == login_redirect("/me/")
    assert not Session.objects.filter(session_key=old_key).exists()
    page = text(client.get(response["Location"]))
    assert "长时间未操作，已自动退出，请重新登录。" in page
    assert client.get("/me/")["Location"] == login_redirect("/me/")


def test_idle_for_29_minutes_carries_on(teacher):
    client = login(teacher)
    set_times(client, login_ago=40 * MINUTE, seen_ago=29 * MINUTE)
    assert client.get("/me/").status_code == 200
    # and the request counts as activity
    assert time.time() - client.session[SESSION_SEEN_AT] < MINUTE


def test_a_request_within_the_minute_does_not_save_the_session(teacher):
    client = login(teacher)
    set_times(client, login_ago=10 * MINUTE, seen_ago=30)
    seen = client.session[SESSION_SEEN_AT]
    assert client.get("/me/").status_code == 200
    assert client.session[SESSION_SEEN_AT] == seen


def test_eight_hours_after_login_even_a_busy_user_is_logged_out(teacher):
    # given a login 8 hours and 1 minute ago and a request a few seconds ago
    client = login(teacher)
    set_times(client, login_ago=8 * HOUR + MINUTE, seen_ago=10)
    # then the next request logs out
    response = client.get("/me/", follow=True)
    assert response.redirect_chain[0] == (login_redirect("/me/"), 302)
    assert "登录已超过 8 小时，请重新登录。" in text(response)
    assert not response.wsgi_request.user.is_authenticated


def test_a_timed_out_htmx_request_is_redirected_by_htmx(teacher):
    client = login(teacher)
    set_times(client, login_ago=HOUR, seen_ago=HOUR)
    response = client.get("/students/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/"


def test_a_timed_out_post_goes_to_login_without_coming_back(teacher):
    client = login(teacher)
    set_times(client, login_ago=HOUR, seen_ago=HOUR)
    assert client.post("/accounts/password/", {})["Location"] == "/accounts/login/"


@pytest.mark.parametrize(
    ("path", "status"), [("/accounts/login/", 200), ("/q/no-such-token/", 404)]
)
def test_public_pages_open_after_a_timeout(teacher, path, status):
    # given a timed-out session
    client = login(teacher)
    set_times(client, login_ago=HOUR, seen_ago=HOUR)
    # then the login page and a questionnaire link still open, to a logged-out visitor
    response = client.get(path)
    assert response.status_code == status
    assert not response.wsgi_request.user.is_authenticated


def test_the_login_page_says_why_after_a_timeout(teacher):
    client = login(teacher)
    set_times(client, login_ago=HOUR, seen_ago=HOUR)
    assert "长时间未操作，已自动退出，请重新登录。" in text(client.get("/accounts/login/"))


# Ending the sessions of an account


def test_an_inactive_account_is_refused_even_with_a_live_session(teacher):
    # given a teacher logged in through the login form, and an account deactivated behind
    # the services' back (the session stays in the database)
    client = Client()
    attempt(client, teacher.username, PASSWORD)
    type(teacher).objects.filter(pk=teacher.pk).update(is_active=False)
    # then the session no longer logs anyone in
    assert client.get("/me/")["Location"] == login_redirect("/me/")


def test_deactivating_an_account_ends_its_sessions(teacher, office):
    # given a teacher logged in on two devices
    phone, desk = login(teacher), login(teacher)
    keys = [phone.session.session_key, desk.session.session_key]
    office_client = login(office)
    # when the office deactivates the account
    office_client.post(f"/staff/{teacher.profile.pk}/active/", {"active": "0"})
    # then both sessions are gone from the database and the next request goes to login
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert phone.get("/me/")["Location"] == login_redirect("/me/")
    # and the office is still logged in
    assert office_client.get("/staff/").status_code == 200


def test_a_password_reset_by_the_office_ends_the_sessions(teacher, office):
    # given a logged-in teacher
    client = login(teacher)
    key = client.session.session_key
    # when the office resets the password
    login(office).post(f"/staff/{teacher.profile.pk}/reset-password/")
    # then the session is gone
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/me/")["Location"] == login_redirect("/me/")


# Passwords


@pytest.mark.parametrize(("new", "changed"), [("Qz7!mPw2#", False), ("Qz7!mPw2#k", True)])
def test_a_new_password_needs_ten_characters(teacher, new, changed):
    client = login(teacher)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    teacher.refresh_from_db()
    assert teacher.check_password(new) is changed
    if not changed:
        assert "10" in text(response)
