"""Home visits without signal (F12), on a phone in Chromium: a teacher opens /me/ once online,
then, offline, reads her students and logs a home visit with a photo and a talk; the records
wait in the phone's outbox and are sent by themselves, once each, when the phone is online
again; one the server refuses stays with its message; logout wipes what the phone kept. And an
outbox of 20 records (5 with photos) is sent in under 30 s on a village network."""

import datetime as dt
import re
import time
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Dialog, Page, expect
from playwright.sync_api import Error as PlaywrightError

from pairing.models import Pairing
from students.models import Category, Role
from tests import factories
from tests.browser import axe
from tests.browser.test_aid_journeys import PASSWORD, log_in
from tests.browser.test_nothing_lost import end_session_by_idling, fill_login
from tests.browser.test_village_network import KBPS, LATENCY_MS, camera_photo, village_network
from visits.models import ActivityLog, Incident, Kind, VisitPhoto

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["camera_photo"]  # the 4 MB camera photo fixture, used here too

SCREENS = "var/screenshots"
KEPT_PAGES = """async () => {
  if (!(await caches.has("aidcase-pages"))) return [];
  const kept = await (await caches.open("aidcase-pages")).keys();
  return kept.map((r) => { const u = new URL(r.url); return u.pathname + u.search; }).sort();
}"""
CACHES = "async () => (await caches.keys()).sort()"
DATABASES = "async () => (await indexedDB.databases()).map((d) => d.name)"
SENDING_SECONDS = 30.0


def until(check, *, seconds: float = 30.0) -> None:
    """Waits for something the page does by itself (the outbox sending) to reach the server."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def answering_yes(asked: list[str]) -> Callable[[Dialog], None]:
    """Says yes to the page's questions (confirm()), noting each."""

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    return answer


def answering_no(asked: list[str]) -> Callable[[Dialog], None]:
    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    return answer


def passes_axe_at_both_widths(page: Page) -> None:
    """The page as it is now (offline: it cannot be loaded again in the other language)
    passes axe and fits the screen at 390 and 1366 px; the phone's width is given back."""
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 844})
        assert axe.violations(page) == [], f"{page.url} at {width}px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    page.set_viewport_size({"width": 390, "height": 844})


def kept_for_offline(page: Page) -> None:
    """/me/ opened online: the service worker controls the page and the pages are kept."""
    expect(page.locator("body[data-offline-ready]")).to_have_count(1, timeout=30_000)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def go_offline(context: BrowserContext) -> None:
    context.set_offline(True)


@pytest.fixture
def teaching():
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    teacher = factories.make_user(Role.TEACHER, school=school, name="王老师")
    visited = factories.PairingFactory(
        school=school,
        teacher=teacher,
        student=factories.StudentFactory(school=school, name="李小花"),
        category=Category.POOR,
    )
    other_student = factories.StudentFactory(school=school, name="张小军")
    talked = factories.PairingFactory(school=school, teacher=teacher, student=other_student)
    # the same student helped in a second category: still the teacher's student once the
    # first pairing has ended
    factories.PairingFactory(
        school=school, teacher=teacher, student=other_student, category=Category.STRUGGLING
    )
    colleague = factories.PairingFactory(school=school)
    return {"teacher": teacher, "visited": visited, "talked": talked, "colleague": colleague}


def test_a_home_visit_and_a_talk_logged_offline_are_sent_once_when_back_online(
    page: Page, live_server, media, camera_photo, teaching
):
    teacher, visited, talked = teaching["teacher"], teaching["visited"], teaching["talked"]
    today = timezone.localdate()
    dialogs: list[str] = []
    page.on("dialog", answering_yes(dialogs))

    # Given the teacher opened /me/ once online: her own pages are kept on the phone
    log_in(page, live_server, teacher.username)
    expect(page).to_have_url(re.compile(r"/me/$"))
    kept_for_offline(page)
    students = sorted({visited.student_id, talked.student_id})
    pairings = Pairing.objects.filter(teacher=teacher).values_list("pk", flat=True)
    assert page.evaluate(KEPT_PAGES) == sorted(
        ["/me/"]
        + [f"/students/{pk}/" for pk in students]
        + [f"/logs/new/?pairing={pk}" for pk in pairings]
    )

    # When the phone loses its signal and she opens /me/ again
    go_offline(page.context)
    page.reload()
    # then the kept copy is shown, saying that it is offline and since when
    banner = page.locator(".offline-banner")
    expect(banner).to_contain_text("离线：显示的是")
    expect(page.locator("h1")).to_have_text("我的帮扶学生")
    passes_axe_at_both_widths(page)

    # When she opens her student and logs a home visit with a camera photo
    page.get_by_role("link", name="李小花").click()
    expect(page.locator("h1")).to_contain_text("李小花")
    expect(banner).to_be_visible()
    page.get_by_role("link", name="记录帮扶").first.click()
    expect(page.locator("h1")).to_contain_text("记录帮扶 · 李小花")
    expect(page.get_by_label("日期", exact=True)).to_have_value(today.isoformat())
    page.get_by_label("类型", exact=True).select_option(label="家访")
    page.get_by_label("家访地点", exact=True).fill("李家寨村二组家中")
    page.get_by_label("内容", exact=True).fill("与奶奶交流了孩子的饮食和作息。")
    page.locator("input[type=file][name=photos]").set_input_files(camera_photo)
    passes_axe_at_both_widths(page)
    page.screenshot(path=f"{SCREENS}/offline-form.png")
    page.get_by_role("button", name="保存记录").click()

    # then it waits in the outbox on /me/
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.locator(".offline-saved")).to_contain_text("记录已保存在手机上")
    outbox = page.locator("#outbox")
    expect(outbox.locator("h2")).to_have_text("1 条记录待上传")

    # When she logs a talk with the other student
    page.goto(f"{live_server.url}/logs/new/?pairing={talked.pk}&kind=talk&next=/me/")
    expect(page.locator("h1")).to_contain_text("张小军")
    expect(page.get_by_label("类型", exact=True)).to_have_value("talk")
    page.get_by_label("内容", exact=True).fill("聊了这周的学习和生活。")
    page.get_by_role("button", name="保存记录").click()

    # then both are listed, each readable
    expect(outbox.locator("h2")).to_have_text("2 条记录待上传")
    items = outbox.locator(".outbox-item")
    expect(items).to_have_count(2)
    visit = items.filter(has_text="李小花")
    expect(visit.locator("summary")).to_contain_text(f"李小花 · 家访 · {today.isoformat()}")
    visit.locator("summary").click()
    expect(visit).to_contain_text("李家寨村二组家中")
    expect(visit).to_contain_text("IMG_20261205_101500.jpg")
    passes_axe_at_both_widths(page)
    page.screenshot(path=f"{SCREENS}/offline-outbox.png", full_page=True)
    assert not ActivityLog.objects.exists()

    # Given the talk's pairing ended meanwhile
    Pairing.objects.filter(pk=talked.pk).update(
        end=today - dt.timedelta(days=1), end_reason=Pairing.EndReason.LEFT_CATEGORY
    )

    # When the phone is online again, the outbox is sent by itself
    page.context.set_offline(False)
    until(lambda: ActivityLog.objects.filter(pairing=visited).exists())

    # then the home visit is stored once, with its date, its photo and when it was written
    log = ActivityLog.objects.get(pairing=visited)
    assert (log.kind, log.date, log.author) == (Kind.HOME_VISIT, today, teacher)
    assert VisitPhoto.objects.filter(log=log).count() == 1
    [created] = log.history.filter(history_type="+")
    assert created.history_change_reason.startswith("离线记录于 ")
    # and the refused talk stays in the outbox with the server's message, where the page no
    # longer says that there is no network
    expect(page.locator(".offline-saved")).to_have_count(0)
    refused = page.locator("#outbox .outbox-item.refused")
    expect(refused).to_have_count(1, timeout=15_000)
    expect(refused).to_contain_text("张小军")
    expect(refused).to_contain_text("日期不在结对期间")
    expect(outbox.locator("h2")).to_have_text("1 条记录待上传")
    passes_axe_at_both_widths(page)
    page.screenshot(path=f"{SCREENS}/offline-refused.png", full_page=True)
    assert not ActivityLog.objects.filter(pairing=talked).exists()
    assert ActivityLog.objects.count() == 1

    # When she sends again, the refused record is refused again and nothing is stored twice
    outbox.get_by_role("button", name="立即上传").click()
    expect(refused).to_contain_text("日期不在结对期间")
    assert ActivityLog.objects.count() == 1

    # When she logs out, she is asked first, since a record is unsent
    page.locator("details.account summary").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert dialogs == ["有 1 条记录尚未上传，退出后将被删除。确定退出？"]
    # then the phone keeps nothing: no pages, no outbox
    # (the login page's script deletes the outbox's database; on a busy machine it takes a moment)
    until(lambda: "aidcase-offline" not in page.evaluate(DATABASES), seconds=15)
    assert page.evaluate(CACHES) == []
    expect(page.locator(".offline-kept")).to_have_count(0)


def test_twenty_records_with_five_photos_are_sent_within_30_s_at_400_kbps(
    page: Page, context: BrowserContext, live_server, media, camera_photo
):
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    teacher = factories.make_user(Role.TEACHER, school=school)
    pairings = [
        factories.PairingFactory(school=school, teacher=teacher, category=Category.POOR)
        for _ in range(4)
    ]
    log_in(page, live_server, teacher.username)
    kept_for_offline(page)

    # Given 20 records written offline, 5 of them home visits with a camera photo
    context.set_offline(True)
    for n in range(20):
        pairing = pairings[n % len(pairings)]
        page.goto(f"{live_server.url}/logs/new/?pairing={pairing.pk}")
        if n < 5:
            page.get_by_label("类型", exact=True).select_option(label="家访")
            page.get_by_label("家访地点", exact=True).fill(f"村组 {n}")
            page.locator("input[type=file][name=photos]").set_input_files(camera_photo)
        page.get_by_label("内容", exact=True).fill(f"第 {n + 1} 次帮扶记录。")
        page.get_by_role("button", name="保存记录").click()
        expect(page.locator("#outbox h2")).to_have_text(f"{n + 1} 条记录待上传")

    # When the phone is online again on a village network and /me/ is opened
    page.close()
    context.set_offline(False)
    phone = context.new_page()
    village_network(phone)
    started = time.monotonic()
    phone.goto(f"{live_server.url}/me/")
    until(lambda: ActivityLog.objects.count() == 20, seconds=60)
    seconds = time.monotonic() - started
    photos = VisitPhoto.objects.count()
    print(f"outbox of 20 records ({photos} photos) sent in {seconds:.1f} s at {KBPS} kbps")

    # then every record is stored once, within 30 s
    assert photos == 5
    assert ActivityLog.objects.filter(kind=Kind.HOME_VISIT).count() == 5
    assert seconds <= SENDING_SECONDS, f"{seconds:.1f} s at {KBPS} kbps, {LATENCY_MS} ms"
    expect(phone.locator("#outbox")).to_be_hidden(timeout=15_000)


def write_a_talk_offline(page: Page, live_server, pairing: Pairing, content: str) -> None:
    page.context.set_offline(True)
    page.goto(f"{live_server.url}/logs/new/?pairing={pairing.pk}&kind=talk")
    expect(page.locator(".offline-banner")).to_be_visible()
    page.get_by_label("内容", exact=True).fill(content)
    page.get_by_role("button", name="保存记录").click()
    expect(page.locator("#outbox .outbox-item")).to_have_count(1)


def unsent_when_the_session_ended(page: Page, live_server, teacher, pairing, content: str) -> None:
    """A talk written offline by the teacher, whose session ended while the phone had no
    signal; the phone is online again and says that she must log in."""
    log_in(page, live_server, teacher.username)
    kept_for_offline(page)
    write_a_talk_offline(page, live_server, pairing, content)
    end_session_by_idling(page, minutes=40)
    page.context.set_offline(False)
    expect(page.locator("#outbox .outbox-status")).to_contain_text("登录已过期")


def test_a_record_kept_through_an_ended_session_is_sent_after_logging_in_again(
    page: Page, live_server, teaching
):
    teacher, pairing = teaching["teacher"], teaching["visited"]
    # Given a talk written offline, and the session ended while the phone had no signal:
    # when the phone is online again, the record is not sent: she must log in first
    unsent_when_the_session_ended(page, live_server, teacher, pairing, "在村口遇到孩子，聊了作业。")
    assert not ActivityLog.objects.exists()
    # and the pages kept on the phone are gone; the record stays
    assert "aidcase-pages" not in page.evaluate(CACHES)
    expect(page.locator("#outbox .outbox-item")).to_have_count(1)

    # When she opens the login page, it says a record waits for her
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator(".offline-kept")).to_contain_text(
        "此手机上有 1 条记录尚未上传：用原账号登录后会自动上传。"
    )
    page.screenshot(path=f"{SCREENS}/offline-login-kept.png", full_page=True)
    fill_login(page, teacher.username)

    # then, logged in again, it is sent, once
    until(lambda: ActivityLog.objects.filter(pairing=pairing).exists())
    expect(page.locator("#outbox")).to_be_hidden()
    assert ActivityLog.objects.get().content == "在村口遇到孩子，聊了作业。"


@pytest.mark.parametrize("who", ["another teacher", "the aid office"])
def test_someone_else_logging_in_on_the_phone_wipes_what_it_kept(
    page: Page, live_server, teaching, who
):
    teacher, pairing = teaching["teacher"], teaching["visited"]
    unsent_when_the_session_ended(page, live_server, teacher, pairing, "聊了作业。")

    # When someone else logs in on the phone
    role = Role.TEACHER if who == "another teacher" else Role.OFFICE
    someone = factories.make_user(role, school=pairing.school)
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator(".offline-kept")).to_be_visible()
    fill_login(page, someone.username)
    expect(page.locator("h1")).to_be_visible()

    # then nothing of the first teacher's is left on it, and nothing was sent
    if role == Role.TEACHER:
        expect(page.locator("body[data-offline-ready]")).to_have_count(1, timeout=30_000)
        assert page.evaluate(KEPT_PAGES) == ["/me/"]
        expect(page.locator("#outbox")).to_be_hidden()
    else:
        page.wait_for_function(
            """async () => (await caches.keys()).length === 0
              && !(await indexedDB.databases()).some((d) => d.name === "aidcase-offline")
              && (await navigator.serviceWorker.getRegistrations()).length === 0"""
        )
        assert page.locator("link[rel=manifest]").count() == 0
    assert not ActivityLog.objects.exists()


def test_a_refused_record_is_corrected_and_sent(page: Page, live_server, teaching):
    teacher, talked = teaching["teacher"], teaching["talked"]
    today = timezone.localdate()
    log_in(page, live_server, teacher.username)
    kept_for_offline(page)
    write_a_talk_offline(page, live_server, talked, "聊了这周的学习和生活。")
    Pairing.objects.filter(pk=talked.pk).update(
        end=today - dt.timedelta(days=1), end_reason=Pairing.EndReason.LEFT_CATEGORY
    )
    page.context.set_offline(False)
    refused = page.locator("#outbox .outbox-item.refused")
    expect(refused).to_contain_text("日期不在结对期间")

    # When she opens it to correct it, the form holds what she wrote and the server's message
    refused.get_by_role("link", name="修改").click()
    expect(page.locator(".outbox-editing")).to_contain_text("日期不在结对期间")
    expect(page.get_by_label("内容", exact=True)).to_have_value("聊了这周的学习和生活。")
    page.screenshot(path=f"{SCREENS}/offline-correct.png", full_page=True)
    # and dates it on the pairing's last day
    yesterday = today - dt.timedelta(days=1)
    page.get_by_label("日期", exact=True).fill(yesterday.isoformat())
    page.get_by_role("button", name="保存记录").click()

    # then it is sent from /me/, once, with the corrected date
    until(lambda: ActivityLog.objects.filter(pairing=talked).exists())
    log = ActivityLog.objects.get()
    assert (log.date, log.content) == (yesterday, "聊了这周的学习和生活。")
    expect(page.locator("#outbox")).to_be_hidden()


def test_a_password_change_asks_and_then_wipes_the_unsent_records(
    page: Page, live_server, teaching
):
    teacher, pairing = teaching["teacher"], teaching["visited"]
    dialogs: list[str] = []
    page.on("dialog", answering_yes(dialogs))
    log_in(page, live_server, teacher.username)
    kept_for_offline(page)
    write_a_talk_offline(page, live_server, pairing, "聊了作业。")
    # Given the record refused (the pairing, the student's only one with her, ended)
    Pairing.objects.filter(pk=pairing.pk).update(
        end=timezone.localdate() - dt.timedelta(days=1),
        end_reason=Pairing.EndReason.TRANSFERRED,
    )
    page.context.set_offline(False)
    expect(page.locator("#outbox .outbox-item.refused")).to_contain_text(
        "该学生已不在您的帮扶名单中"
    )

    # When she changes her password
    page.goto(f"{live_server.url}/accounts/password/")
    expect(page.locator("body[data-offline-ready]")).to_have_count(1, timeout=30_000)
    page.locator("input[name=old_password]").fill(PASSWORD)
    page.locator("input[name=new_password1]").fill("village-school-2026")
    page.locator("input[name=new_password2]").fill("village-school-2026")
    page.get_by_role("button", name="保存新密码").click()

    # then she was asked, and what the phone kept is gone
    expect(page.get_by_role("status")).to_contain_text("密码已修改")
    assert dialogs == ["有 1 条记录尚未上传，修改密码后将被删除。确定继续？"]
    expect(page.locator("body[data-offline-ready]")).to_have_count(1, timeout=30_000)
    expect(page.locator("#outbox")).to_be_hidden()
    assert ActivityLog.objects.count() == 0


def test_every_form_still_works_without_javascript(browser, live_server, teaching):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="zh-CN"
    )
    page = context.new_page()
    teacher, pairing = teaching["teacher"], teaching["visited"]
    log_in(page, live_server, teacher.username)
    expect(page).to_have_url(re.compile(r"/me/$"))
    page.goto(f"{live_server.url}/logs/new/?pairing={pairing.pk}&kind=talk")
    page.get_by_label("内容", exact=True).fill("没有脚本也能记录。")
    page.get_by_role("button", name="保存记录").click()
    expect(page.get_by_role("status")).to_contain_text("已记录：谈心谈话")
    assert ActivityLog.objects.get().content == "没有脚本也能记录。"
    page.locator("details.account summary").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    context.close()


def test_a_record_whose_send_the_network_breaks_goes_to_the_outbox(
    page: Page, live_server, teaching
):
    teacher, pairing = teaching["teacher"], teaching["visited"]
    log_in(page, live_server, teacher.username)
    kept_for_offline(page)
    # Given a phone that says it is online, on a network that drops what it sends
    page.route(
        re.compile(r"/logs/new/"),
        lambda route: route.abort() if route.request.method == "POST" else route.continue_(),
    )
    page.goto(f"{live_server.url}/logs/new/?pairing={pairing.pk}&kind=talk")
    page.get_by_label("内容", exact=True).fill("信号时有时无。")
    page.get_by_role("button", name="保存记录").click()

    # then the record is kept in the outbox, not lost
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.locator("#outbox .outbox-item")).to_have_count(1)
    assert not ActivityLog.objects.exists()

    # When the network carries it again, it is sent, once
    page.unroute(re.compile(r"/logs/new/"))
    page.reload()
    until(lambda: ActivityLog.objects.filter(pairing=pairing).exists())
    assert ActivityLog.objects.get().content == "信号时有时无。"


def test_a_homeroom_teacher_records_an_incident_offline(page: Page, live_server):
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    teacher = factories.make_user(Role.TEACHER, school=school)
    school_class = factories.SchoolClassFactory(school=school, homeroom_teacher=teacher)
    student = factories.StudentFactory(
        school=school, name="赵小刚", school_class=school_class, cohort=school_class.cohort
    )
    factories.PairingFactory(school=school, teacher=teacher, student=student)
    log_in(page, live_server, teacher.username)
    kept_for_offline(page)
    assert f"/students/{student.pk}/incidents/new/" in page.evaluate(KEPT_PAGES)

    # When, offline, she records that the student skipped classes
    page.context.set_offline(True)
    page.goto(f"{live_server.url}/students/{student.pk}/")
    page.get_by_role("link", name="记录违纪事件").click()
    expect(page.locator(".offline-banner")).to_be_visible()
    page.get_by_label("类型", exact=True).select_option(label="逃课")
    page.get_by_label("说明", exact=True).fill("下午两节课未到。")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#outbox .outbox-item")).to_contain_text("赵小刚 · 逃课")

    # then it is stored once she is online
    page.context.set_offline(False)
    until(lambda: Incident.objects.filter(student=student).exists())
    incident = Incident.objects.get()
    assert (incident.type, incident.date) == ("skipping", timezone.localdate())
    assert incident.history.get().history_change_reason.startswith("离线记录于 ")


def test_the_logout_answer_alone_clears_the_phone(page: Page, live_server, teaching):
    # Given a phone that kept pages and a record, and a logout that the page's script does
    # not see (the form sent without its submit event)
    teacher, pairing = teaching["teacher"], teaching["visited"]
    log_in(page, live_server, teacher.username)
    kept_for_offline(page)
    write_a_talk_offline(page, live_server, pairing, "聊了作业。")
    page.context.set_offline(False)
    page.goto(f"{live_server.url}/students/{pairing.student_id}/")
    # (the record went as soon as a page loaded online; the outbox's database stays)
    until(lambda: ActivityLog.objects.exists())
    assert "aidcase-pages" in page.evaluate(CACHES)
    assert "aidcase-offline" in page.evaluate(DATABASES)
    page.evaluate("document.querySelector('form[data-logout]').submit()")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    # then Chromium honours Clear-Site-Data: nothing is left
    page.wait_for_function(
        """async () => (await caches.keys()).length === 0
          && !(await indexedDB.databases()).some((d) => d.name === "aidcase-offline")"""
    )


def test_a_record_in_the_outbox_is_deleted_only_when_confirmed(page: Page, live_server, teaching):
    teacher, pairing = teaching["teacher"], teaching["visited"]
    log_in(page, live_server, teacher.username)
    kept_for_offline(page)
    write_a_talk_offline(page, live_server, pairing, "写错了学生。")
    item = page.locator("#outbox .outbox-item")

    # When she taps delete and says no, it stays
    asked: list[str] = []
    page.once("dialog", answering_no(asked))
    item.get_by_role("button", name="删除").click()
    expect(item).to_have_count(1)
    # and when she says yes, it is gone, and nothing is sent once online
    page.once("dialog", answering_yes(asked))
    item.get_by_role("button", name="删除").click()
    expect(page.locator("#outbox")).to_be_hidden()
    assert asked == ["确定删除这条记录？删除后无法恢复。"] * 2
    page.context.set_offline(False)
    page.goto(f"{live_server.url}/me/")
    expect(page.locator("body[data-offline-ready]")).to_have_count(1, timeout=30_000)
    assert not ActivityLog.objects.exists()


AGE_KEPT_PAGES = """async (days) => {
  const cache = await caches.open("aidcase-pages");
  for (const request of await cache.keys()) {
    const kept = await cache.match(request);
    const headers = new Headers(kept.headers);
    headers.set("X-AidCase-Stored", String(Date.now() - days * 24 * 3600 * 1000));
    await cache.put(request, new Response(await kept.blob(), { status: 200, headers }));
  }
}"""


@pytest.mark.parametrize(("days", "shown"), [(6, True), (8, False)])
def test_a_kept_page_is_shown_offline_for_7_days_only(
    page: Page, live_server, teaching, days, shown
):
    teacher, pairing = teaching["teacher"], teaching["visited"]
    log_in(page, live_server, teacher.username)
    kept_for_offline(page)
    # Given pages kept `days` ago
    page.evaluate(AGE_KEPT_PAGES, days)
    page.context.set_offline(True)
    url = f"{live_server.url}/students/{pairing.student_id}/"
    if shown:
        page.goto(url)
        expect(page.locator(".offline-banner")).to_be_visible()
        expect(page.locator("h1")).to_contain_text("李小花")
    else:
        # then the copy is not shown, and it is deleted
        with pytest.raises(PlaywrightError):
            page.goto(url)
        page.context.set_offline(False)
        page.goto(f"{live_server.url}/accounts/password/")
        assert f"/students/{pairing.student_id}/" not in page.evaluate(KEPT_PAGES)
