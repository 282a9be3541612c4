"""The county administrator's journey on a phone (390×844, zh-CN): add a school with its two
accounts, download their one-time passwords once, reset the aid office's password and
deactivate the principal's account; then the same page on a 1366 px screen. And the county's
first day: its list of schools imported from the sheet LibreOffice saved as .xls, previewed,
confirmed, and the accounts' one-time passwords downloaded once."""

import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from students.models import Role, School
from tests import factories
from tests.browser.axe import check_everywhere
from tests.browser.test_aid_journeys import assert_fits_the_phone, log_in

pytestmark = pytest.mark.django_db(transaction=True)

FILES = Path(__file__).resolve().parent.parent / "data" / "spreadsheets"


def downloaded_rows(page: Page, button_name: str) -> list[tuple]:
    with page.expect_download() as info:
        page.get_by_role("button", name=button_name).click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "学校代码")
    return [row for row in rows[header + 1 :] if any(row)]


def test_county_admin_adds_a_school_and_manages_its_accounts_on_a_phone(page: Page, live_server):
    # Given the administrator of 青山县, which has no school yet
    county = factories.CountyFactory(name="青山县")
    factories.make_user(Role.COUNTY_ADMIN, county=county, name="周科长", user__username="qs-admin")

    # When they log in, they land on the county's roll-up, with 学校与账号 in the bottom bar
    log_in(page, live_server, "qs-admin")
    expect(page).to_have_url(re.compile(r"/county/$"))
    bar = page.locator("nav.bottom-nav")
    expect(bar.get_by_role("link")).to_have_text(["全县概况", "学校与账号"])
    bar.get_by_role("link", name="学校与账号").click()
    expect(page.locator("h1")).to_have_text("学校与账号")
    expect(page.locator(".empty")).to_contain_text("本县还没有学校")
    check_everywhere(page)

    # and add a school with the columns of the schools sheet
    page.get_by_role("link", name="添加学校", exact=True).click()
    check_everywhere(page)
    page.get_by_label("学校代码").fill("X101")
    page.get_by_label("学校名称").fill("青山镇中学")
    page.get_by_label("乡镇").fill("青山镇")
    page.get_by_label("学段").fill("初中")
    page.get_by_label("校长姓名").fill("刘校长")
    page.get_by_label("资助办负责人").fill("陈主任")
    assert_fits_the_phone(page)
    page.get_by_role("button", name="添加学校和账号").click()

    # Then the school is listed with its two accounts, waiting for their first login
    expect(page.get_by_role("status")).to_contain_text("已添加学校 X101 青山镇中学")
    school = page.locator("#school-X101")
    expect(school).to_contain_text("青山镇中学")
    expect(school.locator(".account")).to_have_count(2)
    expect(school.locator(".account", has_text="office-X101")).to_contain_text("一次性密码未修改")
    expect(page.locator(".pending-passwords")).to_contain_text("2 个账号的一次性密码待下载")
    check_everywhere(page)

    # When they download the passwords, both accounts are in the file and open with them
    rows = downloaded_rows(page, "下载一次性密码")
    assert [row[2] for row in rows] == ["office-X101", "principal-X101"]
    for row in rows:
        assert User.objects.get(username=row[2]).check_password(row[5])

    # and a second download, a while later (a tap within 3 s is taken for a double tap and
    # ignored by the page's script), is refused with what to do instead
    page.wait_for_timeout(3100)
    page.get_by_role("button", name="下载一次性密码").click()
    expect(page.get_by_role("status")).to_contain_text("一次性密码表已经下载过")
    expect(page.get_by_role("status")).to_contain_text("重置密码")
    expect(page.locator(".pending-passwords")).to_have_count(0)

    # When they reset the aid office's password, a new one waits for its one download
    office_hash = User.objects.get(username="office-X101").password
    office_row = page.locator("#school-X101 .account", has_text="office-X101")
    office_row.get_by_role("button", name=re.compile("^重置密码")).click()
    expect(page.get_by_role("status")).to_contain_text("已重置 office-X101 的密码")
    expect(page.locator(".pending-passwords")).to_contain_text("1 个账号的一次性密码待下载")
    [row] = downloaded_rows(page, "下载一次性密码")
    office = User.objects.get(username="office-X101")
    assert office.password != office_hash and office.check_password(row[5])

    # When they deactivate the principal's account, it is marked so and cannot log in
    principal = page.locator("#school-X101 .account", has_text="principal-X101")
    principal.get_by_role("button", name=re.compile("^停用")).click()
    expect(page.get_by_role("status")).to_contain_text("已停用 principal-X101（青山镇中学）")
    expect(principal).to_contain_text("已停用")
    expect(principal.get_by_role("button", name=re.compile("^重新启用"))).to_be_visible()
    assert not User.objects.get(username="principal-X101").is_active
    assert School.objects.get(code="X101").county == county
    assert_fits_the_phone(page)

    # On a 1366 px screen the header carries both pages and the list fits the width
    page.set_viewport_size({"width": 1366, "height": 900})
    header = page.locator("nav.nav-desktop")
    expect(header.get_by_role("link")).to_have_text(["全县概况", "学校与账号"])
    expect(header.get_by_role("link", name="学校与账号")).to_have_attribute("aria-current", "page")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"the page is {width}px wide on a 1366px screen"


def test_county_admin_imports_the_county_schools_sheet_on_a_phone(page: Page, live_server, media):
    # Given the administrator of 青溪县, which has no school yet
    county = factories.CountyFactory(name="青溪县")
    factories.make_user(Role.COUNTY_ADMIN, county=county, name="周科长", user__username="qx-admin")
    log_in(page, live_server, "qx-admin")
    page.locator("nav.bottom-nav").get_by_role("link", name="学校与账号").click()

    # The page offers the sheet's template and an upload of the formats schools have
    section = page.locator("#schools-import")
    expect(section.get_by_role("link", name="下载模板")).to_be_visible()
    with page.expect_download() as info:
        section.get_by_role("link", name="下载模板").click()
    assert info.value.suggested_filename == "schools-template.xlsx"
    accept = section.get_by_label("学校名单文件").get_attribute("accept") or ""
    assert {".xlsx", ".xls", ".ods", ".csv"} <= set(accept.split(","))
    assert_fits_the_phone(page)

    # When they upload the county's list, saved by LibreOffice as .xls with a title row
    section.get_by_label("学校名单文件").set_input_files(FILES / "schools.xls")
    section.get_by_role("button", name="上传并预览").click()

    # Then the preview lists seven new schools and nothing is saved yet
    expect(page.locator("h1")).to_have_text("导入预览：学校名单")
    expect(page.locator("#count-new b")).to_have_text("7")
    expect(page.locator("#import-changes tbody tr")).to_have_count(7)
    expect(page.locator("#import-changes")).to_contain_text("2152010101")
    assert not School.objects.exists()
    check_everywhere(page, posted=True)

    # When they confirm, the schools are listed, each with its two accounts
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("status")).to_contain_text("已导入学校名单：新增 7 所学校")
    expect(page.locator(".school-accounts > li")).to_have_count(7)
    first = page.locator("#school-2152010101")
    expect(first).to_contain_text("青溪县第一中学")
    expect(first.locator(".account")).to_have_count(2)
    expect(page.locator(".pending-passwords")).to_contain_text("14 个账号的一次性密码待下载")
    assert School.objects.filter(county=county).count() == 7
    assert_fits_the_phone(page)

    # and the passwords download once: every account opens with its own
    rows = downloaded_rows(page, "下载一次性密码")
    assert len(rows) == 14
    assert rows[0][:5] == (
        "2152010101",
        "青溪县第一中学",
        "office-2152010101",
        "学校资助办",
        "陈丽",
    )
    for row in rows:
        assert User.objects.get(username=row[2]).check_password(row[5])
    page.wait_for_timeout(3100)  # past the page's double-tap guard
    page.get_by_role("button", name="下载一次性密码").click()
    expect(page.get_by_role("status")).to_contain_text("一次性密码表已经下载过")
    expect(page.locator(".pending-passwords")).to_have_count(0)
