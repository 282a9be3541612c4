"""Nothing a user typed is lost and nothing is stored twice, in Chromium on a 390 px phone:
a parent answers a slip without an account, a teacher saves a home visit after the session
timed out, and a form sent several times at once is stored once."""

import re
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import Page, expect

from aidcase.security import SESSION_SEEN_AT
from assessment.models import Questionnaire
from assessment.services import questionnaires_issue
from students.models import Role
from tests import factories
from tests.browser.axe import check_everywhere
from tests.browser.test_aid_journeys import PASSWORD, log_in
from visits.models import ActivityLog, Kind, VisitPhoto

pytestmark = pytest.mark.django_db(transaction=True)


def fill_login(page: Page, username: str) -> None:
    page.get_by_label("用户名（工号）").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


@pytest.fixture
def teaching():
    school = factories.SchoolFactory()
    semester = factories.SemesterFactory(school=school)
    teacher = factories.make_user(Role.TEACHER, school=school, name="王老师")
    office = factories.make_user(Role.OFFICE, school=school)
    pairing = factories.PairingFactory(
        school=school,
        teacher=teacher,
        student=factories.StudentFactory(school=school, name="李小花"),
    )
    return {"semester": semester, "teacher": teacher, "office": office, "pairing": pairing}


def test_a_parent_answers_a_slip_on_a_phone(browser, live_server, teaching):
    # Given a fresh slip, opened on a phone that has never seen the site (no cookie)
    ((questionnaire, token),) = questionnaires_issue(
        school=teaching["semester"].school,
        semester=teaching["semester"],
        by=teaching["office"],
        pairing=teaching["pairing"],
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    opened = page.goto(f"{live_server.url}/q/{token}/")
    # the link stays private: no Referer may carry the token to anyone
    assert opened is not None and opened.headers["referrer-policy"] == "no-referrer"
    expect(page.locator("h1")).to_have_text("结对帮扶问卷调查")
    check_everywhere(page)
    # When the parent answers every question and submits
    for fieldset in page.locator("fieldset.rating").all():
        fieldset.locator("label", has_text="5").first.click()
    page.locator("label.choice", has_text="家长").click()
    page.get_by_label("意见和建议").fill("老师常来家里，孩子开朗多了。")
    page.get_by_role("button", name="提交").click()
    # Then the thank-you page shows, sized for the phone, and the answer is stored once
    expect(page.locator("h1")).to_have_text("感谢您的反馈")
    check_everywhere(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert len(posts) == 1 and posts[0].headers.get("origin") == "null"
    questionnaire.refresh_from_db()
    assert questionnaire.answered_at is not None
    assert questionnaire.ratings == [5, 5, 5, 5, 5]
    assert questionnaire.comment == "老师常来家里，孩子开朗多了。"
    # and the spent link opens no form again
    page.go_back()
    expect(page.locator("h1")).to_contain_text("此问卷链接无效")
    assert Questionnaire.objects.filter(answered_at__isnull=False).count() == 1
    context.close()


def end_session_by_idling(page: Page, minutes: int) -> None:
    """Moves the browser's session's last request `minutes` into the past."""
    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=cookie["value"])
    session[SESSION_SEEN_AT] = int(time.time()) - minutes * 60
    session.save()


def test_a_home_visit_typed_past_the_timeout_is_saved_after_logging_in_again(
    page: Page, live_server, teaching, media, photo
):
    # Given a teacher writing up a home visit, with a photo, on her phone
    teacher, pairing = teaching["teacher"], teaching["pairing"]
    log_in(page, live_server, teacher.username)
    page.goto(f"{live_server.url}/logs/new/?pairing={pairing.pk}")
    page.get_by_label("类型", exact=True).select_option(label="家访")
    page.get_by_label("家访地点", exact=True).fill("李家寨村二组家中")
    note = "奶奶身体不好，孩子每天自己做饭。与奶奶商量了周末托管，孩子答应按时完成作业。"
    page.get_by_label("内容", exact=True).fill(note)
    page.locator("input[type=file][name=photos]").set_input_files(photo)
    # and 40 minutes pass without a request (the session's idle limit is 30)
    end_session_by_idling(page, minutes=40)
    # When she presses save, she is asked to log in again and told her note is kept
    page.get_by_role("button", name="保存记录").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("status")).to_contain_text("您刚才填写的内容已保留")
    assert not ActivityLog.objects.exists()
    # When she logs in again
    fill_login(page, teacher.username)
    # Then the visit is saved as she wrote it, with its photo, once
    expect(page.get_by_role("status")).to_contain_text("已记录：家访 · 李小花")
    log = ActivityLog.objects.get()
    assert (log.kind, log.content, log.visit_place) == (Kind.HOME_VISIT, note, "李家寨村二组家中")
    assert VisitPhoto.objects.filter(log=log).count() == 1
    # and nothing of the kept form is left behind
    assert not list((media / "pending-forms").glob("*"))


def test_typing_keeps_the_session_alive(page: Page, live_server, teaching, settings):
    # Given a teacher typing a long note into the log form
    settings.SESSION_IDLE_SECONDS = 30 * 60
    log_in(page, live_server, teaching["teacher"].username)
    page.goto(f"{live_server.url}/logs/new/?pairing={teaching['pairing'].pk}")
    page.clock.install()
    # When she types after more than the keep-alive interval
    page.clock.fast_forward("05:00")
    with page.expect_request(re.compile(r"/accounts/alive/$")) as alive:
        page.get_by_label("内容", exact=True).press_sequentially("孩子")
    # Then the page tells the server she is still there, and the session stays open
    assert alive.value.response().status == 204


def test_a_form_sent_four_times_at_once_is_stored_once(page: Page, live_server, teaching):
    # Given the talk form, filled in
    log_in(page, live_server, teaching["teacher"].username)
    page.goto(f"{live_server.url}/logs/new/?pairing={teaching['pairing'].pk}")
    page.get_by_label("内容", exact=True).fill("聊了这周的学习。")
    # When the browser sends it four times at the same moment (a retry on a weak network)
    statuses = page.evaluate(
        """async () => {
            const form = document.querySelector("form.log-form");
            const send = () => fetch(form.action || location.href,
                {method: "POST", body: new FormData(form), credentials: "same-origin"});
            const answers = await Promise.all([send(), send(), send(), send()]);
            return answers.map(a => [a.status, new URL(a.url).pathname]);
        }"""
    )
    # Then every answer is the saved page, and one log is stored
    assert statuses == [[200, "/me/"]] * 4
    assert ActivityLog.objects.count() == 1


def test_a_double_tap_on_save_stores_one_log(page: Page, live_server, teaching):
    log_in(page, live_server, teaching["teacher"].username)
    page.goto(f"{live_server.url}/logs/new/?pairing={teaching['pairing'].pk}")
    page.get_by_label("内容", exact=True).fill("聊了这周的学习。")
    page.get_by_role("button", name="保存记录").dblclick()
    expect(page.get_by_role("status")).to_contain_text("已记录：谈心谈话 · 李小花")
    assert ActivityLog.objects.count() == 1
