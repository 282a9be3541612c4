"""Layout in a real browser: the header at every width a school uses (390 px phones, 768 px
tablets, 1366 px office laptops, 1920 px screens), in Chinese and English, for every role (one
line, nothing off the screen, the account menu with password, language and log out within
reach); targets of 44 px; wide tables that show they scroll."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from students.models import Role
from tests import factories
from tests.browser import axe
from tests.browser.test_journeys import log_in

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (390, 768, 1366, 1920)
LANGUAGES = ("zh-hans", "en")
HOMES = {
    Role.TEACHER: "/me/",
    Role.OFFICE: "/dashboard/",
    Role.PRINCIPAL: "/dashboard/",
    Role.COUNTY: "/county/",
    Role.COUNTY_ADMIN: "/county/schools/",
}
# Where `make`-free runs may keep the screenshots to look at (not needed by the test).
SHOTS = os.environ.get("AIDCASE_SCREENSHOTS")


def user_of(role: str):
    """A user of the role, at a school with a semester, an identified student and a pairing
    (the county's roles: in its county)."""
    school = factories.SchoolFactory(name="青山县第一中学")
    semester = factories.SemesterFactory(school=school)
    factories.IdentificationFactory(student__school=school, semester=semester)
    pairing = factories.PairingFactory(school=school)
    if role == Role.TEACHER:
        return pairing.teacher
    return factories.make_user(role, school=school, county=school.county, name="欧阳晓明")


def header_problems(page: Page, width: int) -> list[str]:
    """What is wrong with the page's header at this width, as the browser lays it out."""
    return page.evaluate(
        """(width) => {
        const problems = [];
        const page = document.documentElement.scrollWidth;
        if (page > width) problems.push(`the page is ${page}px wide`);
        const bar = document.querySelector('.topbar-inner').getBoundingClientRect();
        if (bar.height > 64) problems.push(`the header is ${bar.height}px high (wrapped)`);
        const targets = document.querySelectorAll(
            '.topbar a, .topbar summary, .bottom-nav a, .bottom-nav summary');
        for (const el of targets) {
            const box = el.getBoundingClientRect();
            if (box.width === 0 || el.closest('.menu-panel')) continue;  // hidden here
            const name = el.textContent.trim().slice(0, 20);
            if (box.right > width + 0.5 || box.left < -0.5)
                problems.push(`${name} is off the screen`);
            if (box.height < 44 && !el.classList.contains('brand'))
                problems.push(`${name} is ${box.height}px high`);
            if (box.height > 60 && el.closest('.topbar')) problems.push(`${name} wraps`);
        }
        return problems;
    }""",
        width,
    )


def open_account_menu(page: Page, width: int) -> None:
    page.locator(".account > summary").click()
    panel = page.locator(".account .menu-panel")
    expect(panel).to_be_visible()
    for target in panel.locator("a, button").all():
        box = target.bounding_box()
        assert box is not None
        assert box["height"] >= 44, f"{target.text_content()} is {box['height']}px high"
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, target.text_content()


@pytest.mark.parametrize("role", list(HOMES), ids=str)
def test_the_header_fits_every_width_in_both_languages(page, live_server, role):
    log_in(page, live_server, user_of(role).username)
    for language in LANGUAGES:
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server.url}{HOMES[role]}")
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert header_problems(page, width) == [], (language, width)
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{SHOTS}/{role}-{language}-{width}.png", full_page=True)
            open_account_menu(page, width)


def test_the_language_is_switched_after_login_from_the_account_menu(page, live_server):
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    office = factories.make_user(Role.OFFICE, school=school)
    log_in(page, live_server, office.username)
    page.goto(f"{live_server.url}/students/")
    page.locator(".account > summary").click()
    page.get_by_role("button", name="English").click()
    # The same page again, in English, and the choice is kept
    expect(page).to_have_url(f"{live_server.url}/students/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator(".account > summary").click()
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")


def test_the_office_reaches_every_page_from_the_grouped_menu_on_a_laptop(page, live_server):
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    office = factories.make_user(Role.OFFICE, school=school)
    page.set_viewport_size({"width": 1366, "height": 800})
    log_in(page, live_server, office.username)
    nav = page.get_by_role("navigation", name="主导航").first
    nav.locator("summary", has_text="学校设置").click()
    nav.get_by_role("link", name="校历").click()
    expect(page).to_have_url(f"{live_server.url}/calendar/")
    # The group of the page one is on is marked, and a tap elsewhere closes an open menu
    expect(nav.locator("summary.current")).to_have_text("学校设置")
    nav.locator("summary", has_text="数据").click()
    expect(nav.get_by_role("link", name="审计")).to_be_visible()
    page.mouse.click(1300, 700)  # a tap on the page, away from the menu
    expect(nav.get_by_role("link", name="审计")).to_be_hidden()
    page.keyboard.press("Escape")
    # Every page of the office's menu is in it once
    links = nav.locator("a").evaluate_all("(links) => links.map((a) => a.pathname)")
    assert len(links) == len(set(links)) == 14


SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    'main .button, main button, main summary, main select, th > a, td.num > a,'
    + ' main input:not([type=hidden]):not([type=checkbox]):not([type=radio])'))
    .filter((el) => el.getBoundingClientRect().width > 0)
    .map((el) => [el, el.getBoundingClientRect()])
    .filter(([el, box]) => box.height < 44 || box.width < 24)
    .map(([el, box]) => `${el.tagName} ${el.textContent.trim().slice(0, 12)}`
        + ` ${Math.round(box.width)}x${Math.round(box.height)}`)"""


@pytest.mark.parametrize("width", [390, 1366])
def test_counts_sort_links_and_buttons_are_44_px_targets(page, live_server, width):
    # A school with an unpaired identified student (its count links to the list) and the
    # county's table of schools with its sort links
    school = factories.SchoolFactory()
    semester = factories.SemesterFactory(school=school)
    factories.IdentificationFactory(student__school=school, semester=semester)
    factories.PairingFactory(school=school)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, factories.make_user(Role.OFFICE, school=school).username)
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("td.num > a").first).to_be_visible()
    assert page.evaluate(SMALL_TARGETS) == []
    page.context.clear_cookies()
    county = factories.make_user(Role.COUNTY, county=school.county)
    log_in(page, live_server, county.username)
    page.goto(f"{live_server.url}/county/")
    expect(page.locator("th > a").first).to_be_visible()
    assert page.evaluate(SMALL_TARGETS) == []


def test_a_wide_table_on_a_phone_shows_it_scrolls_and_takes_the_keyboard(page, live_server):
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    county = factories.make_user(Role.COUNTY, county=school.county)
    log_in(page, live_server, county.username)
    page.goto(f"{live_server.url}/county/")
    wrap = page.locator(".table-wrap").first
    # The county's 13 columns do not fit 390 px: the table is a named, focusable region
    expect(wrap).to_have_class("table-wrap scrolls")
    expect(wrap).to_have_attribute("tabindex", "0")
    expect(wrap).to_have_attribute("role", "region")
    expect(wrap).to_have_attribute("aria-label", re.compile("可左右滑动"))
    expect(page.locator(".scroll-hint").first).to_be_visible()
    # and the keyboard scrolls it
    wrap.focus()
    page.keyboard.press("ArrowRight")
    # (polled from here: a wait_for_function string is an eval, which the page's CSP refuses)
    scrolled = "() => document.querySelector('.table-wrap').scrollLeft"
    for _ in range(50):
        if page.evaluate(scrolled) > 0:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(scrolled) > 0
    # A table that fits is left alone: no hint, nothing more to focus
    page.set_viewport_size({"width": 1920, "height": 800})
    page.goto(f"{live_server.url}/county/schools/{school.pk}/")
    fits = page.locator(".table-wrap").first
    expect(fits).to_have_class("table-wrap")
    expect(fits).not_to_have_attribute("tabindex", "0")
    expect(page.locator(".scroll-hint")).to_have_count(0)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_county_table_fits_a_laptop_without_scrolling(page, live_server, language):
    # Given a county viewer on a 1366 px laptop
    school = factories.SchoolFactory(name="青山县第一中学")
    factories.SemesterFactory(school=school)
    county = factories.make_user(Role.COUNTY, county=school.county)
    log_in(page, live_server, county.username)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 1366, "height": 768})
    # When the county page opens
    page.goto(f"{live_server.url}/county/")
    # Then all 13 columns show at once: the page takes the laptop's width for them
    wrap = page.locator(".table-wrap").first
    expect(wrap).to_have_class("table-wrap")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "the table scrolls"
    expect(page.locator(".scroll-hint")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


@pytest.mark.parametrize("role", list(HOMES), ids=str)
def test_home_pages_pass_axe_at_both_widths_in_both_languages(page, live_server, role):
    log_in(page, live_server, user_of(role).username)
    found: dict[tuple[str | int, ...], list[str]] = {}
    for language in LANGUAGES:
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        for width in (390, 1366):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server.url}{HOMES[role]}")
            if problems := axe.violations(page):
                found[(language, width)] = problems
            # and with the account menu open
            page.locator(".account > summary").click()
            if problems := axe.violations(page):
                found[(language, width, "menu")] = problems
    assert found == {}


def test_the_weekly_chart_reads_on_a_phone_and_on_a_laptop(page, live_server):
    school = factories.SchoolFactory()
    semester = factories.SemesterFactory(school=school)
    factories.PairingFactory(school=school, start=semester.start)
    log_in(page, live_server, factories.make_user(Role.OFFICE, school=school).username)
    smallest = """(selector) => Math.min(...Array.from(
        document.querySelectorAll(selector + ' text')).filter((t) => t.textContent.trim())
        .map((t) => t.getBoundingClientRect().height))"""
    for width, shown, hidden in ((390, "narrow", "wide"), (1366, "wide", "narrow")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/dashboard/")
        expect(page.locator(f"svg.chart-{shown}")).to_be_visible()
        expect(page.locator(f"svg.chart-{hidden}")).to_be_hidden()
        # its axis and week labels are as tall as small text, not the 6 px of a squeezed drawing
        assert page.evaluate(smallest, f"svg.chart-{shown}") >= 10, width


def test_a_refused_form_says_at_its_top_what_to_change_and_takes_the_focus(page, live_server):
    school = factories.SchoolFactory()
    factories.SemesterFactory(school=school)
    log_in(page, live_server, factories.make_user(Role.OFFICE, school=school).username)
    page.goto(f"{live_server.url}/students/new/")
    page.get_by_label("姓名").fill("李小花")
    page.get_by_role("button", name="保存").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert summary.bounding_box()["y"] < 844  # on the first screen, not far below
    # each item leads to its field, and what was typed is still there
    summary.get_by_role("link", name=re.compile("学籍号")).click()
    expect(page.get_by_label("学籍号")).to_be_focused()
    expect(page.get_by_label("姓名")).to_have_value("李小花")
    assert axe.violations(page) == []
