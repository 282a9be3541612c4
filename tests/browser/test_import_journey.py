"""The aid office imports the school's own registers in Chromium at 390 px: a roster saved by
LibreOffice as .xls with a title above the header, then a roster per grade as .ods with a hidden
sheet first; the preview says how each was read, and a numeric ID number is refused by row."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from students.models import Role, Student
from tests import factories
from tests.browser.axe import check_everywhere
from tests.browser.test_aid_journeys import PASSWORD, log_in

pytestmark = pytest.mark.django_db(transaction=True)

FILES = Path(__file__).resolve().parent.parent / "data" / "spreadsheets"


@pytest.fixture
def office():
    school = factories.SchoolFactory(code="2152010101", name="青溪县第一中学")
    user = factories.make_user(Role.OFFICE, school=school)
    user.set_password(PASSWORD)
    user.save()
    return user


def upload(page: Page, live_server, name: str) -> None:
    page.goto(f"{live_server.url}/imports/students/")
    page.get_by_label("表格文件").set_input_files(FILES / name)
    page.get_by_role("button", name="上传并预览").click()


def test_the_office_imports_registers_as_libreoffice_saves_them(page: Page, live_server, office):
    # Given the office on its phone
    log_in(page, live_server, office.username)

    # The file picker offers the formats schools have
    page.goto(f"{live_server.url}/imports/students/")
    accept = page.get_by_label("表格文件").get_attribute("accept") or ""
    assert {".xlsx", ".xls", ".ods", ".csv"} <= set(accept.split(","))
    check_everywhere(page)

    # When it uploads the .xls roster with a title and notes above the header
    upload(page, live_server, "title-notes.xls")

    # Then the preview says the header was found on row 4 and lists ten new students
    expect(page.get_by_role("heading", name="如何读取了这个表格")).to_be_visible()
    expect(page.locator("#reading-notes")).to_contain_text("表头在第 4 行，上面的 3 行")
    expect(page.locator("#count-new b")).to_have_text("10")
    check_everywhere(page, posted=True)
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("main")).to_contain_text("导入完成")
    check_everywhere(page, posted=True)
    assert Student.objects.count() == 10

    # When it uploads the grades workbook saved as .ods (hidden data dictionary first)
    upload(page, live_server, "grades.ods")

    # Then the three grade sheets are read and the others named
    notes = page.locator("#reading-notes")
    expect(notes).to_contain_text("未读取工作表「数据字典」：隐藏的工作表")
    expect(notes).to_contain_text("未读取工作表「统计」")
    expect(page.locator("#count-new b")).to_have_text("18")
    expect(page.locator("table")).to_contain_text("八年级!3")
    check_everywhere(page, posted=True, variant="several sheets")
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("main")).to_contain_text("导入完成")
    assert Student.objects.count() == 28

    # When it uploads a roster whose ID numbers were typed as numbers
    upload(page, live_server, "numeric-ids.xls")

    # Then each row is refused, saying to format the column as text, and nothing is saved
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("是数字格式")
    expect(errors.locator("tbody tr")).to_have_count(10)
    check_everywhere(page, posted=True, variant="refused rows")
    assert Student.objects.count() == 28

    # When it uploads a web page saved as .xls
    upload(page, live_server, "webpage.xls")

    # Then the page says what the file is and what to do
    expect(page.locator("main")).to_contain_text("这个文件是网页（HTML）")
    check_everywhere(page, posted=True, variant="refused file")
