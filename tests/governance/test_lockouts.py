"""Lifting a lockout: the aid office's page of its own school's locked accounts
(governance.lockouts)."""

import pytest

from aidcase.models import AccessLog
from students.models import Role
from tests import factories
from tests.conftest import login
from tests.helpers import login_redirect, text
from tests.logins import ELSEWHERE, HERE, fail_ten_times, logs_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher(school):
    return factories.make_user(Role.TEACHER, school=school)


@pytest.fixture
def office(school):
    return factories.make_user(Role.OFFICE, school=school)


# Lifting a lockout


def test_office_sees_and_lifts_its_own_teachers_lockout(teacher, office):
    # given a locked teacher of the office's school
    fail_ten_times(teacher.username)
    client = login(office)
    # when the office opens the lockouts and unlocks the teacher
    page = text(client.get("/staff/lockouts/"))
    assert teacher.username in page
    assert HERE in page
    response = client.post(f"/staff/lockouts/{teacher.pk}/unlock/", follow=True)
    # then the teacher logs in from the locked address again
    assert response.redirect_chain == [("/staff/lockouts/", 302)]
    assert "已解锁" in text(response)
    assert "目前没有被锁定的账号。" in text(response)
    assert logs_in(teacher.username)
    # and the unlock is in the school's access log, naming who lifted it and for whom
    entry = AccessLog.objects.get(action=AccessLog.Action.UNLOCK)
    assert (entry.user, entry.school) == (office, office.profile.school)
    assert teacher.username in entry.what


# session, user, profile, school; the locked attempts, their accounts.
LOCKOUT_LIST_QUERIES = 6


@pytest.mark.parametrize("locked", [1, 4])
def test_lockout_list_query_count_does_not_grow(school, office, locked, django_assert_num_queries):
    # given `locked` locked teachers, one of them on two addresses
    teachers = [factories.make_user(Role.TEACHER, school=school) for _ in range(locked)]
    for teacher in teachers:
        fail_ten_times(teacher.username)
    fail_ten_times(teachers[0].username, ELSEWHERE)
    client = login(office)
    # when the office opens the page, then the number of queries is fixed
    with django_assert_num_queries(LOCKOUT_LIST_QUERIES):
        response = client.get("/staff/lockouts/")
    addresses = {lockout.user: lockout.addresses for lockout in response.context["lockouts"]}
    assert len(addresses) == locked
    assert sorted(addresses[teachers[0]]) == sorted([HERE, ELSEWHERE])


def test_the_staff_list_links_to_the_lockouts(office):
    assert 'href="/staff/lockouts/"' in text(login(office).get("/staff/"))


def test_office_of_another_school_sees_none_of_the_lockouts(teacher, other_school):
    # given a locked teacher and the office of another school
    fail_ten_times(teacher.username)
    outsider = login(factories.make_user(Role.OFFICE, school=other_school))
    # then the lockout is neither listed nor liftable there
    page = text(outsider.get("/staff/lockouts/"))
    assert teacher.username not in page
    assert HERE not in page
    assert outsider.post(f"/staff/lockouts/{teacher.pk}/unlock/").status_code == 404
    assert not logs_in(teacher.username)


def test_lockouts_of_unknown_usernames_are_not_listed(office):
    fail_ten_times("nobody-here")
    assert "nobody-here" not in text(login(office).get("/staff/lockouts/"))


def test_a_locked_principal_is_listed_but_left_to_the_administrator(school, office):
    # given a locked principal of the office's school
    principal = factories.make_user(Role.PRINCIPAL, school=school)
    fail_ten_times(principal.username)
    client = login(office)
    # then the office sees the lockout but cannot lift it
    page = text(client.get("/staff/lockouts/"))
    assert principal.username in page
    assert "请联系系统管理员解锁" in page
    assert client.post(f"/staff/lockouts/{principal.pk}/unlock/").status_code == 404
    assert not logs_in(principal.username)


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PRINCIPAL])
def test_teachers_and_principals_may_not_manage_lockouts(school, teacher, role):
    client = login(factories.make_user(role, school=school))
    assert client.get("/staff/lockouts/").status_code == 403
    assert client.post(f"/staff/lockouts/{teacher.pk}/unlock/").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client, teacher):
    assert client.get("/staff/lockouts/")["Location"] == login_redirect("/staff/lockouts/")
    path = f"/staff/lockouts/{teacher.pk}/unlock/"
    assert client.post(path)["Location"] == login_redirect(path)


def test_unlocking_takes_a_post(teacher, office):
    assert login(office).get(f"/staff/lockouts/{teacher.pk}/unlock/").status_code == 405
