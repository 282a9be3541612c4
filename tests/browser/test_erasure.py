"""The aid office erases a student who transferred out, on a guardian's request, on a phone
(390×844, zh-CN): from the student's page to the confirmation, back on the roster with the
reference of the erasure, which the audit then lists."""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from governance.models import Erasure
from pairing.models import Pairing
from students.models import Role, Student
from tests import factories
from tests.browser.axe import check_everywhere
from tests.browser.test_aid_journeys import assert_fits_the_phone, log_in
from visits.models import ActivityLog, Kind

pytestmark = pytest.mark.django_db(transaction=True)

REASON = "监护人 2026-11-20 书面申请，附件存档号 12"


def test_the_office_erases_a_transferred_student_on_a_phone(page: Page, live_server):
    # Given a student who transferred out last summer, with a pairing and a talk logged
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    factories.make_user(Role.OFFICE, school=school, user__username="office1", name="资助办甲")
    student = factories.StudentFactory(
        school=school,
        name="李小花",
        student_no="G5201999001",
        status=Student.Status.TRANSFERRED,
        left_on=dt.date(2025, 6, 30),
    )
    pairing = factories.PairingFactory(
        school=school,
        student=student,
        start=dt.date(2025, 3, 1),
        end=dt.date(2025, 6, 30),
        end_reason=Pairing.EndReason.TRANSFERRED,
    )
    ActivityLog.objects.create(
        pairing=pairing, author=pairing.teacher, kind=Kind.TALK, date=dt.date(2025, 4, 1)
    )

    # When the office logs in on her phone and opens the student's page from the roster
    log_in(page, live_server, "office1")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="学生").click()
    page.get_by_role("link", name=re.compile("李小花")).click()
    expect(page.locator("h1")).to_contain_text("李小花")

    # and taps the erase button: the page says what will go, and fits the phone
    page.get_by_role("link", name="删除该生的全部资料").click()
    expect(page).to_have_url(re.compile(rf"/students/{student.pk}/erase/$"))
    expect(page.locator("h1")).to_have_text("删除学生资料")
    expect(page.locator("dl.facts")).to_contain_text("帮扶记录")
    check_everywhere(page)

    # When she gives the reason and the 学籍号 and confirms
    page.get_by_label("删除依据").fill(REASON)
    page.get_by_label("输入该生的学籍号以确认").fill("G5201999001")
    assert_fits_the_phone(page)
    page.get_by_role("button", name="永久删除该生的全部资料").click()

    # then she is on the roster, told the reference, and the student is gone
    expect(page).to_have_url(re.compile(r"/students/$"))
    reference = Erasure.objects.get().reference
    expect(page.get_by_role("status")).to_contain_text(
        f"该生的资料已全部删除，删除编号 {reference}"
    )
    expect(page.get_by_role("link", name=re.compile("李小花"))).to_have_count(0)

    # When she opens 审计 from the bottom bar's 更多 menu, then its erasures
    bar = page.get_by_role("navigation", name="主导航")
    expect(bar.get_by_role("link", name="审计")).to_be_hidden()
    bar.get_by_text("更多").click()
    bar.get_by_role("link", name="审计").click()
    page.get_by_role("link", name="删除记录").click()

    # then the erasure is listed under its reference with the reason, without the child
    expect(page).to_have_url(re.compile(r"/audit/\?view=erasures$"))
    entry = page.locator(".list li", has_text=reference)
    expect(entry).to_contain_text(REASON)
    expect(entry).to_contain_text("资助办甲")
    expect(page.locator("main")).not_to_contain_text("李小花")
    check_everywhere(page)
