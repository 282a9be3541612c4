"""The principal narrows the dashboard to one class on a phone (390×844, zh-CN): the
results change in place (htmx), the weekly chart is drawn and the lists follow."""

import pytest
from playwright.sync_api import Page, expect

from students.models import Category, Role
from tests import factories
from tests.browser.axe import check_everywhere
from tests.browser.test_aid_journeys import log_in
from visits.models import ActivityLog, Kind

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_principal_filters_the_dashboard_by_class(page: Page, live_server, school, semester):
    first = factories.SchoolClassFactory(school=school, name="七(1)班")
    second = factories.SchoolClassFactory(school=school, name="七(2)班", cohort=first.cohort)
    tom = factories.make_user(school=school, user__username="T1", name="汤老师")
    tina = factories.make_user(school=school, user__username="T2", name="蒂老师")
    factories.make_user(Role.PRINCIPAL, school=school, user__username="paula", name="校长乙")
    for teacher, school_class, category in (
        (tom, first, Category.LEFT_BEHIND),
        (tina, second, Category.POOR),
    ):
        student = factories.StudentFactory(
            school=school, school_class=school_class, cohort=first.cohort
        )
        pairing = factories.PairingFactory(
            school=school, student=student, teacher=teacher, category=category,
            start=semester.start,
        )  # fmt: skip
        ActivityLog.objects.create(
            pairing=pairing, author=teacher, kind=Kind.TALK, date=semester.start, content="谈心"
        )

    log_in(page, live_server, "paula")
    page.goto(f"{live_server.url}/dashboard/")
    results = page.locator("#results")
    expect(results.locator("svg.chart-narrow")).to_be_visible()
    expect(results.get_by_text("蒂老师").first).to_be_attached()
    check_everywhere(page)

    page.get_by_label("班级").select_option(label="七(1)班")
    expect(results.get_by_text("以下为筛选后的结果。")).to_be_visible()
    expect(results.get_by_text("蒂老师")).to_have_count(0)
    expect(results.get_by_text("汤老师").first).to_be_attached()
    expect(results.locator("svg.chart-narrow")).to_be_visible()
    assert "school_class=" in page.url  # the filtered view can be bookmarked
    check_everywhere(page)
