"""The county administrator (县教育局管理员): the page 学校与账号 (/county/schools/) of their
county's schools and accounts, the one-time passwords offered once, the command that makes
the account, and what the role may not open (every route: tests/aidcase/test_access_matrix.py).
"""

import io
import json

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import Client

from aidcase.audit import DEACTIVATE_REASON, PASSWORD_RESET_REASON, REACTIVATE_REASON
from aidcase.models import AccessLog
from governance.passwords import SESSION_KEY
from students.models import County, Profile, Role, School
from students.services import school_accounts_create
from tests import factories
from tests.conftest import login

pytestmark = pytest.mark.django_db

QUERIES = 6
NEW_SCHOOL = {
    "code": "X101",
    "name": "青山镇中学",
    "town": "青山镇",
    "stage": "初中",
    "principal_name": "刘校长",
    "office_name": "陈主任",
}


@pytest.fixture
def county():
    return factories.CountyFactory(name="青山县")


@pytest.fixture
def admin(county):
    return factories.make_user(Role.COUNTY_ADMIN, county=county, name="青山县管理员")


@pytest.fixture
def client(admin) -> Client:
    return login(admin)


@pytest.fixture
def school(county):
    """A school of the county with its two accounts, as the schools sheet makes them."""
    school = factories.SchoolFactory(code="Q001", name="青山一小", county=county, town="青山镇")
    school_accounts_create(school=school, office_name="王主任", principal_name="赵校长", by=None)
    return school


def account(username: str) -> Profile:
    return Profile.objects.select_related("user").get(user__username=username)


def passwords_of(response) -> list[tuple]:
    """The rows of a downloaded password workbook below its header row."""
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "学校代码")
    return [row for row in rows[header + 1 :] if any(row)]


def logs_in(username: str, password: str) -> bool:
    return Client().login(request=HttpRequest(), username=username, password=password)


# The page


def test_home_and_navigation_lead_to_the_county_and_the_schools(client):
    # When the administrator opens the site
    response = client.get("/")
    # Then they land on the county's roll-up, with 学校与账号 beside it in the header
    assert response["Location"] == "/county/"
    page = client.get("/county/")
    assert page.status_code == 200
    labels = [str(item["label"]) for item in page.context["nav_items"]]
    assert labels == ["全县概况", "学校与账号"]


def test_the_page_lists_the_county_schools_with_their_accounts(client, school, county):
    # Given a school of another county
    factories.SchoolFactory(code="Z009", name="别县中学")
    office = account(f"office-{school.code}")
    office.user.is_active = False
    office.user.save()
    # When the administrator opens the page
    response = client.get("/county/schools/")
    # Then it shows their schools, each with its two accounts and their state, and no other
    text = response.content.decode()
    assert response.status_code == 200
    assert [s.code for s in response.context["schools"]] == ["Q001"]
    for shown in ("青山一小", "Q001", "青山镇", "office-Q001", "principal-Q001", "赵校长"):
        assert shown in text
    assert "已停用" in text and "一次性密码未修改" in text and "从未登录" in text
    assert "别县中学" not in text


def test_the_list_is_searched_by_code_name_or_town(client, school, county):
    factories.SchoolFactory(code="Q002", name="河口中学", county=county, town="河口乡")
    for query, codes in (("河口", ["Q002"]), ("q001", ["Q001"]), ("青山镇", ["Q001"])):
        response = client.get("/county/schools/", {"q": query})
        assert [s.code for s in response.context["schools"]] == codes, query


def test_the_list_takes_the_same_queries_for_few_and_many_schools(
    client, county, django_assert_num_queries
):
    # The session, the user, the profile, its county, the schools, and their accounts with
    # their users: as many for six schools as for one
    for size in (1, 6):
        while School.objects.filter(county=county).count() < size:
            school_accounts_create(school=factories.SchoolFactory(county=county), by=None)
        with django_assert_num_queries(QUERIES):
            assert client.get("/county/schools/").status_code == 200


# Adding a school


def test_adding_a_school_creates_it_with_its_two_accounts(client, county, admin):
    # When the administrator adds a school
    response = client.post("/county/schools/new/", NEW_SCHOOL)
    # Then the school is the county's, with the sheet's fields, and its two accounts must
    # change their one-time password at first login
    assert response.status_code == 302
    assert response["Location"] == "/county/schools/"
    school = School.objects.get(code="X101")
    assert (school.county, school.name, school.town, school.stage) == (
        county,
        "青山镇中学",
        "青山镇",
        "初中",
    )
    office, principal = account("office-X101"), account("principal-X101")
    assert (office.role, office.school, office.name) == (Role.OFFICE, school, "陈主任")
    assert (principal.role, principal.school, principal.name) == (
        Role.PRINCIPAL,
        school,
        "刘校长",
    )
    assert office.must_change_password and principal.must_change_password
    # and the page says so, offering the passwords for download
    page = client.get(response["Location"])
    text = page.content.decode()
    assert "已添加学校 X101 青山镇中学" in text
    assert page.context["waiting"] == ["office-X101", "principal-X101"]
    assert "下载一次性密码" in text


def test_adding_a_school_is_recorded_in_the_history_with_who_did_it(client, admin):
    client.post("/county/schools/new/", NEW_SCHOOL)
    school = School.objects.get(code="X101")
    assert school.history.get().history_user == admin
    for username in ("office-X101", "principal-X101"):
        assert account(username).history.get().history_type == "+"


def test_a_full_width_code_is_read_as_ascii(client):
    client.post("/county/schools/new/", {**NEW_SCHOOL, "code": "Ｘ１０２"})
    assert School.objects.filter(code="X102").exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": "Q001"}, "code", "本县已有学校代码 Q001：青山一小"),
        ({"code": "q001"}, "code", "本县已有学校代码 Q001"),
        ({"code": "Z009"}, "code", "学校代码 Z009 已被其他县（区）的学校使用，请核对代码"),
        ({"code": "X 1"}, "code", "学校代码只能包含字母、数字、下划线或连字符"),
        ({"code": "X" * 23}, "code", "学校代码最多 22 位"),
        ({"code": ""}, "code", "请填写学校代码"),
        ({"name": "  "}, "name", "请填写学校名称"),
        ({"code": "TAKEN"}, "code", "账号 office-taken 已存在"),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_saves_nothing(
    client, school, change, field, message
):
    # Given a school of another county and an account a new school's would clash with
    factories.SchoolFactory(code="Z009", name="别县中学")
    factories.UserFactory(username="office-taken")
    schools, users = School.objects.count(), User.objects.count()
    # When the administrator sends the form with one bad value
    response = client.post("/county/schools/new/", {**NEW_SCHOOL, **change})
    # Then the form comes back with the message beside the field and what was typed
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    text = response.content.decode()
    assert "青山镇" in text and "陈主任" in text
    assert "别县中学" not in text  # another county's school is not named
    assert (School.objects.count(), User.objects.count()) == (schools, users)
    assert SESSION_KEY not in client.session


# Resetting and (de)activating an account


def test_resetting_a_password_gives_a_new_one_time_password(client, school, admin):
    office = account("office-Q001")
    old_hash = office.user.password
    office_client = login(office.user)
    Profile.objects.filter(pk=office.pk).update(must_change_password=False)
    # When the administrator resets the aid office's password
    response = client.post(f"/county/accounts/{office.pk}/reset/")
    # Then the old password is gone, the account must change the new one at first login,
    # its open sessions end, and the history names the reset and who did it
    assert response.status_code == 302
    office.refresh_from_db()
    office.user.refresh_from_db()
    assert office.user.password != old_hash
    assert office.must_change_password
    assert office_client.get("/dashboard/").status_code == 302  # sent to log in
    latest = office.history.first()
    assert (latest.history_change_reason, latest.history_user) == (PASSWORD_RESET_REASON, admin)
    page = client.get("/county/schools/")
    assert "已重置 office-Q001 的密码" in page.content.decode()
    assert page.context["waiting"] == ["office-Q001"]


def test_deactivating_and_reactivating_an_account(client, school, admin):
    principal = account("principal-Q001")
    principal_client = login(principal.user)
    # When the administrator deactivates the principal's account
    response = client.post(f"/county/accounts/{principal.pk}/active/", {"active": "0"})
    # Then it cannot log in, its sessions end, and the history names the change
    assert response.status_code == 302
    principal.user.refresh_from_db()
    assert not principal.user.is_active
    assert principal_client.get("/dashboard/").status_code == 302
    assert principal.history.first().history_change_reason == DEACTIVATE_REASON
    assert principal.history.first().history_user == admin
    assert "已停用 principal-Q001（青山一小）" in client.get("/county/schools/").content.decode()
    # When they reactivate it, it logs in again
    client.post(f"/county/accounts/{principal.pk}/active/", {"active": "1"})
    principal.user.refresh_from_db()
    assert principal.user.is_active
    assert principal.history.first().history_change_reason == REACTIVATE_REASON
    assert "已重新启用 principal-Q001" in client.get("/county/schools/").content.decode()


def test_an_account_with_open_pairings_is_not_deactivated(client, school):
    principal = account("principal-Q001")
    factories.PairingFactory(school=school, teacher=principal.user)
    client.post(f"/county/accounts/{principal.pk}/active/", {"active": "0"})
    principal.user.refresh_from_db()
    assert principal.user.is_active
    assert "请先结束或移交这些结对" in client.get("/county/schools/").content.decode()


@pytest.mark.parametrize("action", ["reset", "active"])
def test_another_county_admin_gets_404_and_changes_nothing(school, action):
    # Given the administrator of another county
    other = login(factories.make_user(Role.COUNTY_ADMIN, county=factories.CountyFactory()))
    office = account("office-Q001")
    before = (office.user.password, office.user.is_active)
    # When they try to reset or deactivate an account of this county
    response = other.post(f"/county/accounts/{office.pk}/{action}/", {"active": "0"})
    # Then it does not exist for them
    assert response.status_code == 404
    office.user.refresh_from_db()
    assert (office.user.password, office.user.is_active) == before
    assert "Q001" not in other.get("/county/schools/").content.decode()


def test_a_teacher_account_is_not_the_county_admins_to_manage(client, school):
    teacher = factories.make_user(Role.TEACHER, school=school)
    response = client.post(f"/county/accounts/{teacher.profile.pk}/reset/")
    assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.COUNTY, Role.OFFICE, Role.PRINCIPAL, Role.TEACHER])
def test_other_roles_are_refused_the_page_and_its_actions(school, role):
    if role == Role.COUNTY:
        user = factories.make_user(role, county=school.county)
    else:
        user = factories.make_user(role, school=school)
    office = account("office-Q001")
    other = login(user)
    assert other.get("/county/schools/").status_code == 403
    assert other.post("/county/schools/new/", NEW_SCHOOL).status_code == 403
    assert other.post(f"/county/accounts/{office.pk}/reset/").status_code == 403
    assert other.post("/county/schools/passwords/").status_code == 403
    assert not School.objects.filter(code="X101").exists()


# The one-time passwords, once


def test_the_passwords_download_once_and_log_in(client, admin):
    # Given a school just added
    client.post("/county/schools/new/", NEW_SCHOOL)
    # When the administrator downloads the passwords
    response = client.post("/county/schools/passwords/")
    # Then the workbook holds both accounts with passwords that log in
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = passwords_of(response)
    assert [row[:5] for row in rows] == [
        ("X101", "青山镇中学", "office-X101", "学校资助办", "陈主任"),
        ("X101", "青山镇中学", "principal-X101", "校长", "刘校长"),
    ]
    for row in rows:
        assert logs_in(row[2], row[5])
    # and the download is in the access log, without a password
    entry = AccessLog.objects.get(user=admin)
    assert entry.action == AccessLog.Action.DOWNLOAD
    assert all(row[5] not in entry.what for row in rows)
    # When they try again, the passwords are gone and the page says what to do
    again = client.post("/county/schools/passwords/", follow=True)
    assert again.redirect_chain == [("/county/schools/", 302)]
    text = again.content.decode()
    assert "一次性密码表已经下载过" in text and "重置密码" in text
    assert again.context["waiting"] == []


def test_the_passwords_are_sealed_in_the_session_and_never_in_the_database(client, admin):
    client.post("/county/schools/new/", NEW_SCHOOL)
    password = passwords_of(client.post("/county/schools/passwords/"))[0][5]
    client.post("/county/schools/new/", {**NEW_SCHOOL, "code": "X102"})
    # The stored session, the history and the access log never hold a password in clear
    stored = client.session[SESSION_KEY]
    assert stored["usernames"] == ["office-X102", "principal-X102"]
    dumped = json.dumps(
        [
            stored,
            list(Profile.history.values_list("history_change_reason", flat=True)),
            list(AccessLog.objects.values_list("what", flat=True)),
        ],
        ensure_ascii=False,
    )
    assert password not in dumped
    rows = passwords_of(client.post("/county/schools/passwords/"))
    assert all(row[5] not in dumped for row in rows)


def test_a_second_reset_replaces_the_first_password_waiting(client, school):
    office = account("office-Q001")
    client.post(f"/county/accounts/{office.pk}/reset/")
    client.post(f"/county/accounts/{office.pk}/reset/")
    [row] = passwords_of(client.post("/county/schools/passwords/"))
    assert row[2] == "office-Q001"
    assert logs_in("office-Q001", row[5])


def test_the_passwords_are_gone_after_logging_out(client, admin):
    client.post("/county/schools/new/", NEW_SCHOOL)
    client.post("/accounts/logout/")
    client.force_login(admin)
    response = client.post("/county/schools/passwords/", follow=True)
    assert "一次性密码表已经下载过" in response.content.decode()


def test_another_users_session_entry_opens_nothing(client, admin, county):
    client.post("/county/schools/new/", NEW_SCHOOL)
    session = client.session
    entry = session[SESSION_KEY]
    other = factories.make_user(Role.COUNTY_ADMIN, county=county)
    other_client = login(other)
    other_session = other_client.session
    other_session[SESSION_KEY] = {**entry, "user": other.pk}
    other_session.save()
    response = other_client.post("/county/schools/passwords/", follow=True)
    assert "一次性密码表已经下载过" in response.content.decode()


# A child's record is never the county administrator's


@pytest.mark.parametrize(
    "path",
    ["/students/", "/students/{student}/", "/me/", "/dashboard/", "/pairings/", "/ledgers/"],
)
def test_no_child_record_opens_for_the_county_admin(client, school, path):
    student = factories.StudentFactory(school=school, name="李小花")
    response = client.get(path.format(student=student.pk))
    assert response.status_code in (403, 404)
    assert "李小花" not in response.content.decode()


# The command


def test_create_county_admin_prints_a_one_time_password_once(capsys):
    call_command("create_county_admin", "qs-admin", "--county", "青山县", "--name", "周科长")
    out = capsys.readouterr().out
    profile = account("qs-admin")
    assert (profile.role, profile.county.name, profile.school, profile.name) == (
        Role.COUNTY_ADMIN,
        "青山县",
        None,
        "周科长",
    )
    assert profile.must_change_password
    assert "已新建县（区）：青山县" in out
    password = out.strip().splitlines()[-1].split("\t")[-1]
    assert logs_in("qs-admin", password)


def test_create_county_admin_uses_an_existing_county(county):
    call_command("create_county_admin", "qs-admin", "--county", county.name, stdout=io.StringIO())
    assert account("qs-admin").county == county
    assert County.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["QS-ADMIN", "--county", "青山县"], "账号 qs-admin 已存在"),
        (["qs admin", "--county", "青山县"], "用户名只能包含字母、数字"),
        (["qs-admin2", "--county", "县" * 61], "县（区）"),
    ],
)
def test_create_county_admin_refuses_bad_input_and_writes_nothing(county, args, message):
    factories.UserFactory(username="qs-admin")
    users, counties = User.objects.count(), County.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("create_county_admin", *args, stdout=io.StringIO())
    assert (User.objects.count(), County.objects.count()) == (users, counties)
