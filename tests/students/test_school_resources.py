"""Importing a county's list of schools (学校名单, `import_xlsx schools FILE --county NAME`):
each new school with its aid-office and principal accounts, idempotent by 学校代码, all or
nothing with every problem listed by row and column."""

from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from aidcase.spreadsheets import workbook_bytes
from students.models import County, Profile, Role, School
from students.school_resources import SchoolsSheet
from tests import factories

pytestmark = pytest.mark.django_db

SHEET = SchoolsSheet()


def sheet_file(tmp_path: Path, *rows, columns=SHEET.columns) -> Path:
    path = tmp_path / "学校名单.xlsx"
    path.write_bytes(workbook_bytes(title="学校名单", columns=columns, rows=rows))
    return path


def import_schools(path: Path, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_xlsx", "schools", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot() -> tuple[list, list, list]:
    return (
        list(County.objects.values_list("name", flat=True)),
        list(School.objects.values_list("code", "name", "town", "stage", "county__name")),
        list(get_user_model().objects.order_by("username").values_list("username", "password")),
    )


THREE = (
    ("PZ01", "平寨镇中学", "平寨镇", "初中", "王校长", "李老师"),
    ("GT01", "高屯镇中学", "高屯镇", "初中", "", ""),
    ("XC02", "新城小学", "", "小学", "赵校长", "钱老师"),
)


def test_makes_the_county_its_schools_and_their_accounts(tmp_path):
    # when
    out, _err = import_schools(sheet_file(tmp_path, *THREE), "--county", "示范县")

    # then
    county = County.objects.get(name="示范县")
    assert list(county.schools.order_by("code").values_list("code", "name", "town", "stage")) == [
        ("GT01", "高屯镇中学", "高屯镇", "初中"),
        ("PZ01", "平寨镇中学", "平寨镇", "初中"),
        ("XC02", "新城小学", "", "小学"),
    ]
    profiles = {
        p.user.username: (p.school.code, p.role, p.name, p.must_change_password)
        for p in Profile.objects.select_related("user", "school")
    }
    assert profiles["office-PZ01"] == ("PZ01", Role.OFFICE, "李老师", True)
    assert profiles["principal-PZ01"] == ("PZ01", Role.PRINCIPAL, "王校长", True)
    assert profiles["office-GT01"] == ("GT01", Role.OFFICE, "学校资助办", True)
    assert len(profiles) == 6
    # and each one-time password is printed once, and is the account's password
    table = out.splitlines()[out.splitlines().index("账号\t角色\t一次性密码") + 1 :]
    printed = {line.split("\t")[0]: line.split("\t")[2] for line in table}
    assert set(printed) == set(profiles)
    user = get_user_model().objects.get(username="principal-XC02")
    assert user.check_password(printed["principal-XC02"])
    assert "新增 3 行" in out


def test_importing_the_same_file_again_changes_nothing(tmp_path):
    # given
    path = sheet_file(tmp_path, *THREE)
    import_schools(path, "--county", "示范县")
    before = snapshot()

    # when
    out, _err = import_schools(path, "--county", "示范县")

    # then
    assert snapshot() == before
    assert "未变 3 行" in out
    assert "一次性密码" not in out


def test_existing_schools_of_the_county_get_their_new_name_town_and_stage(tmp_path):
    # given
    import_schools(sheet_file(tmp_path, *THREE), "--county", "示范县")
    users = snapshot()[2]

    # when
    out, _err = import_schools(
        sheet_file(tmp_path, ("PZ01", "平寨镇第一中学", "平寨镇", "九年一贯制", "", "")),
        "--county",
        "示范县",
    )

    # then
    assert School.objects.filter(code="PZ01", name="平寨镇第一中学", stage="九年一贯制").exists()
    assert snapshot()[2] == users
    assert "更新 1 行" in out


def test_every_problem_is_listed_by_row_and_column_and_nothing_is_saved(tmp_path):
    # given a school of another county, and an account name already taken
    factories.SchoolFactory(
        code="OTHER1", name="邻县中学", county=County.objects.create(name="邻县")
    )
    factories.UserFactory(username="office-TAKEN")
    before = snapshot()
    path = sheet_file(
        tmp_path,
        ("PZ01", "平寨镇中学", "", "", "", ""),
        ("OTHER1", "邻县中学", "", "", "", ""),
        ("TAKEN", "某中学", "", "", "", ""),
        ("PZ 01", "", "", "", "", ""),
        ("pz01", "平寨镇中学", "", "", "", ""),
        ("X" * 23, "长代码中学", "", "", "", ""),
    )

    # when
    with pytest.raises(CommandError) as refused:
        import_schools(path, "--county", "示范县")

    # then
    assert str(refused.value) == "共 6 处错误，未导入任何数据。"
    assert snapshot() == before


def test_the_errors_name_rows_and_columns_in_chinese(tmp_path):
    factories.SchoolFactory(
        code="OTHER1", name="邻县中学", county=County.objects.create(name="邻县")
    )
    factories.SchoolFactory(code="LONE1", name="无县中学", county=None)
    factories.UserFactory(username="office-TAKEN")
    path = sheet_file(
        tmp_path,
        ("OTHER1", "邻县中学", "", "", "", ""),
        ("TAKEN", "某中学", "", "", "", ""),
        ("PZ01", "", "", "", "", ""),
        ("pz01", "平寨镇中学", "", "", "", ""),
        ("LONE1", "无县中学", "", "", "", ""),
        ("X" * 23, "长代码中学", "", "", "", ""),
    )
    err = StringIO()

    with pytest.raises(CommandError):
        call_command(
            "import_xlsx", "schools", str(path), "--county", "示范县", stdout=StringIO(), stderr=err
        )

    assert err.getvalue().splitlines() == [
        "工作表「学校名单」第 2 行「学校代码」：该学校代码已被其他县（区）的学校使用，请核对代码",
        "工作表「学校名单」第 3 行「学校代码」：账号 office-TAKEN 已存在",
        "工作表「学校名单」第 4 行「学校名称」：不能为空",
        "工作表「学校名单」第 5 行「学校代码」：与第 4 行重复",
        "工作表「学校名单」第 6 行「学校代码」：该学校代码已被未归属县（区）的学校使用，请核对代码",
        "工作表「学校名单」"
        "第 7 行「学校代码」：学校代码最多 22 位才能建立账号（principal-学校代码 不能超过 32 位）",
    ]


def test_a_dry_run_checks_and_saves_nothing(tmp_path):
    out, _err = import_schools(sheet_file(tmp_path, *THREE), "--county", "示范县", "--dry-run")

    assert "检查通过（--dry-run：未导入）。" in out
    assert "将新建 县（区）：示范县" in out
    assert snapshot() == ([], [], [])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "请用 --county 指定县（区）名称"),
        (("--county", "  "), "请用 --county 指定县（区）名称"),
        (
            ("--county", "示范县", "--school", "PZ01"),
            "导入学校名单时不能使用 --school 或 --semester，请用 --county 指定县（区）名称",
        ),
    ],
)
def test_the_county_is_required_and_a_school_refused(tmp_path, args, message):
    with pytest.raises(CommandError) as refused:
        import_schools(sheet_file(tmp_path, *THREE), *args)

    assert str(refused.value) == message
    assert snapshot() == ([], [], [])


def test_other_kinds_refuse_a_county(tmp_path):
    school = factories.SchoolFactory()

    with pytest.raises(CommandError) as refused:
        call_command(
            "import_xlsx",
            "incidents",
            str(tmp_path / "x.xlsx"),
            "--school",
            school.code,
            "--county",
            "示范县",
        )

    assert "--county 只用于导入学校名单（schools）" in str(refused.value)


def test_the_template_has_the_sheets_headers(tmp_path):
    out = tmp_path / "学校名单模板.xlsx"

    call_command("import_xlsx", "schools", "--template", str(out), stdout=StringIO())

    headers = [cell.value for cell in next(openpyxl.load_workbook(out).worksheets[0].iter_rows())]
    assert headers == ["学校代码*", "学校名称*", "乡镇", "学段", "校长姓名", "资助办负责人"]


def test_the_upload_pages_do_not_offer_the_schools_kind(client):
    # given a school's aid office
    office = factories.make_user(Role.OFFICE)
    client.force_login(office)

    # when it opens the import page
    response = client.get("/imports/")
    page = response.content.decode()

    # then the county's list of schools is not among the kinds, nor has a page
    assert response.status_code == 200
    assert "违纪事件" in page
    assert "学校名单" not in page
    assert client.get("/imports/schools/").status_code == 404
