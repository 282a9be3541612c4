from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from students.models import County, Profile, Role, School
from tests import factories

pytestmark = pytest.mark.django_db


def create_school(*args: str) -> str:
    out = StringIO()
    call_command("create_school", *args, stdout=out)
    return out.getvalue()


def test_creates_a_school_without_a_county():
    # when
    output = create_school("PZ01", "平寨镇中学")

    # then
    school = School.objects.get(code="PZ01")
    assert school.name == "平寨镇中学"
    assert school.county is None
    assert "已创建学校 PZ01：平寨镇中学" in output


def test_creates_the_county_named_with_the_school():
    # when
    output = create_school("PZ01", "平寨镇中学", "--county", "示范县")

    # then
    school = School.objects.get(code="PZ01")
    assert school.county is not None
    assert school.county.name == "示范县"
    assert "（示范县）" in output


def test_reuses_a_county_that_already_exists():
    # given
    county = County.objects.create(name="示范县")

    # when
    create_school("PZ01", "平寨镇中学", "--county", "示范县")
    create_school("GT01", "高屯镇中学", "--county", " 示范县 ")

    # then
    assert County.objects.count() == 1
    assert set(county.schools.values_list("code", flat=True)) == {"PZ01", "GT01"}


def test_trims_spaces_around_code_and_name():
    # when
    create_school(" PZ01 ", " 平寨镇中学 ")

    # then
    assert School.objects.filter(code="PZ01", name="平寨镇中学").exists()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("TAKEN", "另一所中学"), "学校代码“TAKEN”已被“原有中学”使用"),
        (("PZ 01", "平寨镇中学"), "学校代码“PZ 01”含有不允许的字符"),
        (("平寨", "平寨镇中学"), "只能使用字母、数字、下划线或连字符"),
        (("", "平寨镇中学"), "学校代码：此字段不能为空"),
        (("X" * 33, "平寨镇中学"), "学校代码：确保该变量包含不超过 32 字符"),
        (("PZ01", ""), "学校名称：此字段不能为空"),
        (("PZ01", "   "), "学校名称：此字段不能为空"),
        (("PZ01", "中" * 101), "学校名称：确保该变量包含不超过 100 字符"),
        (("PZ01", "平寨镇中学", "--county", "县" * 61), "县（区）：确保该变量包含不超过 60 字符"),
    ],
)
def test_bad_input_is_refused_with_a_chinese_message_and_nothing_is_written(args, problem):
    # given
    factories.SchoolFactory(code="TAKEN", name="原有中学", county=None)

    # when
    with pytest.raises(CommandError) as refused:
        create_school(*args)

    # then
    assert str(refused.value).startswith("未创建学校：")
    assert problem in str(refused.value)
    assert list(School.objects.values_list("code", flat=True)) == ["TAKEN"]
    assert not County.objects.exists()


def test_a_refused_school_does_not_leave_its_new_county_behind():
    # when
    with pytest.raises(CommandError):
        create_school("PZ 01", "平寨镇中学", "--county", "示范县")
    with pytest.raises(CommandError):
        create_school("PZ01", "", "--county", "示范县")

    # then
    assert not County.objects.exists()
    assert not School.objects.exists()


def passwords_in(output: str) -> dict[str, tuple[str, str]]:
    """The table the command prints: username → (role, one-time password)."""
    lines = output.splitlines()
    start = lines.index("账号\t角色\t一次性密码") + 1
    return {
        u: (role, password) for u, role, password in (line.split("\t") for line in lines[start:])
    }


def test_accounts_are_made_for_the_school_with_their_roles(client):
    # when
    output = create_school("PZ01", "平寨镇中学", "--county", "示范县", "--accounts")

    # then the two accounts belong to the school, with the roles their names say
    school = School.objects.get(code="PZ01")
    printed = passwords_in(output)
    assert {u: role for u, (role, _p) in printed.items()} == {
        "office-PZ01": "学校资助办",
        "principal-PZ01": "校长",
    }
    profiles = Profile.objects.filter(school=school).select_related("user").order_by("role")
    assert [(p.user.username, p.role, p.must_change_password) for p in profiles] == [
        ("office-PZ01", Role.OFFICE, True),
        ("principal-PZ01", Role.PRINCIPAL, True),
    ]


@pytest.mark.parametrize("username", ["office-PZ01", "principal-PZ01"])
def test_the_printed_password_logs_in_and_must_be_changed_first(client, username):
    # given
    printed = passwords_in(create_school("PZ01", "平寨镇中学", "--accounts"))

    # when the account logs in with the password printed once
    response = client.post(
        "/accounts/login/", {"username": username, "password": printed[username][1]}
    )

    # then it is logged in, and every page sends it to change its password
    assert response.status_code == 302
    assert client.get("/").url == reverse("password_change")


def test_without_accounts_no_account_is_made():
    # when
    output = create_school("PZ01", "平寨镇中学")

    # then
    assert not Profile.objects.exists()
    assert "一次性密码" not in output


def test_running_it_again_refuses_naming_the_school_and_writes_nothing():
    # given
    create_school("PZ01", "平寨镇中学", "--accounts")
    passwords = dict(get_user_model().objects.values_list("username", "password"))

    # when
    with pytest.raises(CommandError) as refused:
        create_school("PZ01", "平寨镇中学", "--county", "示范县", "--accounts")

    # then
    assert "学校代码“PZ01”已被“平寨镇中学”使用" in str(refused.value)
    assert dict(get_user_model().objects.values_list("username", "password")) == passwords
    assert not County.objects.exists()


def test_an_account_name_already_taken_refuses_and_writes_nothing():
    # given an account of another school already called office-PZ01
    factories.UserFactory(username="office-pz01")

    # when
    with pytest.raises(CommandError) as refused:
        create_school("PZ01", "平寨镇中学", "--county", "示范县", "--accounts")

    # then
    assert str(refused.value) == "未创建学校：账号 office-pz01 已存在"
    assert not School.objects.exists()
    assert not County.objects.exists()
    assert not Profile.objects.exists()


def test_a_code_too_long_for_the_account_names_is_refused():
    with pytest.raises(CommandError) as refused:
        create_school("X" * 23, "平寨镇中学", "--accounts")

    assert "学校代码最多 22 位才能建立账号" in str(refused.value)
    assert not School.objects.exists()
