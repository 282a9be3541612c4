"""The principal's end of semester on a phone (390×844, zh-CN): open a teacher's sheet,
approve it, download its PDF, then build the ZIP of every teacher's sheet with the task
worker running and download it when the progress bar is done."""

import io
import re
import threading
import zipfile

import pytest
from django_tasks_db.management.commands.db_worker import Worker
from playwright.sync_api import Page, expect

from assessment import services
from assessment.models import Sheet, SheetExport
from students.models import Category, Role
from tests import factories
from tests.assessment.test_assess import pair
from tests.assessment.test_assess import setting as setting
from tests.browser.axe import check_everywhere
from tests.browser.test_aid_journeys import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker():
    """`manage.py db_worker`'s loop, in a thread of this process (the live server's
    database is the test database)."""
    loop = Worker(
        queue_names=["default"],
        interval=0.2,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="browser-test",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    yield loop
    loop.running = False
    thread.join(timeout=10)


def test_the_principal_approves_and_downloads_the_sheets(
    page: Page, live_server, school, setting, worker, media
):
    s1, s2, s3 = setting["students"]
    tom = factories.make_user(school=school, user__username="T9", name="汤老师")
    tina = factories.make_user(school=school, user__username="T8", name="蒂老师")
    factories.make_user(Role.PRINCIPAL, school=school, user__username="paula", name="校长乙")
    office = factories.make_user(Role.OFFICE, school=school, name="资助办甲")
    pair(school, s1, Category.LEFT_BEHIND, teacher=tom)
    pair(school, s2, Category.STRUGGLING, teacher=tom)
    pair(school, s3, Category.POOR, teacher=tina)
    semester = setting["now"]
    services.sheets_compute(school=school, semester=semester, by=office)
    services.sheet_submit(sheet=Sheet.objects.get(teacher=tom), by=office, comment="记录齐全")

    log_in(page, live_server, "paula")
    check_everywhere(page)
    page.locator("nav.bottom-nav").get_by_role("link", name="考核").click()
    expect(page.locator("h1")).to_have_text("结对帮扶学期考核")
    check_everywhere(page)
    page.get_by_label("学期").select_option(label=semester.label)
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(rf"semester={semester.pk}"))
    check_everywhere(page)
    page.get_by_role("link", name="汤老师").click()
    expect(page.get_by_role("heading", name="教师结对帮扶学期考核表")).to_be_visible()
    check_everywhere(page)
    page.get_by_label("意见").first.fill("同意")
    page.get_by_role("button", name="审批通过并锁定").click()
    expect(page.get_by_text("已审批，考核表已锁定")).to_be_visible()
    assert Sheet.objects.get(teacher=tom).state == "approved"

    with page.expect_download() as pdf:
        page.get_by_role("link", name="下载 PDF").click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    with open(pdf.value.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"
    check_everywhere(page)

    page.get_by_role("link", name="返回列表").click()
    page.get_by_role("button", name="全部教师考核表（ZIP）").click()
    expect(page.get_by_role("heading", name="批量导出考核表")).to_be_visible()
    download_link = page.get_by_role("link", name="下载 ZIP")
    expect(download_link).to_be_visible(timeout=60_000)
    check_everywhere(page)
    with page.expect_download() as archive:
        download_link.click()
    with open(archive.value.path(), "rb") as file:
        names = zipfile.ZipFile(io.BytesIO(file.read())).namelist()
    assert len(names) == 2 and all(name.endswith(".pdf") for name in names)
    export = SheetExport.objects.get(school=school, semester=semester)
    assert (export.state, export.requested_by.username) == ("done", "paula")
