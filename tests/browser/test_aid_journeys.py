"""The teacher's journey on a phone (390×844, zh-CN): log in, log this week's talk from the
duty on /me/, then a home visit with a photo, and see both done on /me/ and the student's
page."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pairing.models import Pairing
from students.models import Role
from tests import factories
from visits.models import ActivityLog, Kind

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"
PHONE_HEIGHT = 844
LB_TALK = "谈心交流（学习、生活、假期活动、交友）"


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名（工号）").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def assert_fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide on a 390px phone"


def require_this_week_owed(semester, pairing: Pairing) -> None:
    """Skips unless this week is owed a talk: four of its days in the semester and pairing."""
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    first, last = max(semester.start, pairing.start), semester.end
    days = sum(1 for n in range(7) if first <= monday + dt.timedelta(days=n) <= last)
    if days < 4:
        pytest.skip(f"the week of {monday} is not a teaching week of the pairing ({days} days)")


# Whether the element is what a tap on its centre reaches (not under the bottom bar).
UNCOVERED = """el => {
  const r = el.getBoundingClientRect();
  return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === el;
}"""


def selected_text(page: Page, label: str) -> str:
    return page.get_by_label(label, exact=True).evaluate("s => s.options[s.selectedIndex].text")


def test_teacher_logs_a_talk_and_a_home_visit_with_a_photo_on_a_phone(
    page: Page, live_server, media, photo
):
    # Given a teacher paired since the semester began with a left-behind student
    school = factories.SchoolFactory()
    semester = factories.SemesterFactory(school=school)
    teacher = factories.make_user(Role.TEACHER, school=school, name="王老师")
    pairing = factories.PairingFactory(
        school=school,
        teacher=teacher,
        student=factories.StudentFactory(school=school, name="李小花"),
    )
    require_this_week_owed(semester, pairing)
    today = timezone.localdate()

    # When she logs in on her phone, she lands on her students, with the talk not done yet
    log_in(page, live_server, teacher.username)
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.locator("h1")).to_have_text("我的帮扶学生")
    talk_duty = page.locator(".duties a", has_text=LB_TALK)
    expect(talk_duty.locator(".badge")).not_to_have_text("已完成")
    assert_fits_the_phone(page)

    # and taps the talk duty: the form opens as a talk dated today
    talk_duty.click()
    expect(page.locator("h1")).to_contain_text("记录帮扶 · 李小花")
    assert selected_text(page, "类型") == "谈心谈话"
    expect(page.get_by_label("日期", exact=True)).to_have_value(today.isoformat())
    expect(page.locator("fieldset.kind-home_visit")).to_be_hidden()
    page.get_by_label("内容", exact=True).fill("聊了这周的学习，她数学进步了，周末想给妈妈打电话。")
    assert_fits_the_phone(page)

    # then the whole talk form fits in one screen
    page.evaluate("window.scrollTo(0, 0)")
    save = page.get_by_role("button", name="保存记录")
    box = save.bounding_box()
    assert box is not None
    bottom = box["y"] + box["height"]
    assert bottom <= PHONE_HEIGHT, f"the save button ends at {bottom}px on an 844px screen"
    assert save.evaluate(UNCOVERED), "the save button is under the bottom bar"

    # When she saves, she is back on /me/ and the talk is done
    save.click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("status")).to_contain_text("已记录：谈心谈话 · 李小花")
    expect(page.locator(".duties a", has_text=LB_TALK).locator(".badge")).to_have_text("已完成")

    # When she logs a home visit with a photo
    page.get_by_role("link", name="记录其他帮扶").click()
    expect(page.locator("fieldset.kind-home_visit")).to_be_hidden()
    page.get_by_label("类型", exact=True).select_option(label="家访")
    expect(page.locator("fieldset.kind-home_visit")).to_be_visible()
    page.get_by_label("家访地点", exact=True).fill("李家寨村二组家中")
    page.get_by_label("内容", exact=True).fill("与奶奶交流了孩子的饮食和作息。")
    page.locator("input[type=file][name=photos]").set_input_files(photo)
    assert_fits_the_phone(page)
    page.get_by_role("button", name="保存记录").click()
    expect(page.get_by_role("status")).to_contain_text("已记录：家访 · 李小花")

    # then the student's page shows the home visit, with its photo, on the timeline
    page.get_by_role("link", name="李小花").click()
    visit = page.locator(".timeline li", has_text="家访").first
    expect(visit).to_contain_text("与奶奶交流了孩子的饮食和作息")
    expect(visit).to_contain_text("📷 1")
    expect(page.locator(".timeline li", has_text="谈心谈话")).to_contain_text("数学进步了")
    expect(page.locator(".duty", has_text=LB_TALK).locator(".badge")).to_have_text("已完成")
    assert_fits_the_phone(page)

    # and the log's page shows the photo itself
    visit.get_by_role("link").click()
    image = page.get_by_role("img", name="家访照片 1")
    expect(image).to_be_visible()
    # decode() waits for the (lazily loaded) photo and fails when it cannot be shown
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 1200
    assert_fits_the_phone(page)
    visit_log = ActivityLog.objects.get(kind=Kind.HOME_VISIT)
    assert visit_log.visit_place == "李家寨村二组家中"
    assert visit_log.photos.count() == 1
