"""The check the journeys run on every page they reach (axe.check_everywhere): it reads the
page at both widths in both languages, says where each problem is, gives the journey its page
back as it was, and checks each kind of page once."""

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import Page, expect

from assessment import reports
from assessment import services as assessment_services
from students.models import Role
from tests import factories
from tests.browser import axe
from tests.browser.test_aid_journeys import log_in

pytestmark = pytest.mark.django_db(transaction=True)

BREAK_THE_PAGE = """() => {
    const main = document.querySelector('main');
    main.append(Object.assign(document.createElement('img'), {src: '/static/img/favicon.svg'}));
    const wide = document.createElement('div');
    wide.textContent = '很宽的一行';
    wide.style.width = '2000px';
    main.append(wide);
}"""


@pytest.fixture
def office_on_the_students(page: Page, live_server) -> Page:
    school = factories.SchoolFactory(name="青山县第一中学")
    factories.SemesterFactory(school=school)
    factories.StudentFactory(school=school, name="李小花")
    log_in(page, live_server, factories.make_user(Role.OFFICE, school=school).username)
    page.goto(f"{live_server.url}/students/")
    return page


def test_each_problem_is_listed_with_its_rule_address_width_and_language(office_on_the_students):
    page = office_on_the_students
    # Given a page with an image without a text and a line wider than any screen
    page.evaluate(BREAK_THE_PAGE)
    # When it is checked as the answer to a form (not reloaded)
    with pytest.raises(AssertionError) as failed:
        axe.check_everywhere(page, posted=True, variant="broken on purpose")
    # Then both problems are named at both widths, with where they are
    report = str(failed.value)
    for width in (390, 1366):
        where = f"{page.url} at {width}px in zh-hans"
        assert f"{where}: image-alt" in report
        assert f"{where}: the page is " in report and "(it scrolls sideways)" in report
    assert '["main > img"]' in report or '["img"]' in report


def test_a_page_is_read_in_both_languages_and_given_back_as_it_was(
    office_on_the_students, monkeypatch
):
    page = office_on_the_students
    seen: list[tuple[int, str, str]] = []
    checked = axe._problems

    def recording(page: Page, width: int, language: str) -> list[str]:
        shown = page.evaluate("() => document.documentElement.lang")
        seen.append((page.evaluate("() => window.innerWidth"), language, shown))
        return checked(page, width, language)

    monkeypatch.setattr(axe, "_problems", recording)
    # When the student list is checked
    axe.check_everywhere(page, variant="both languages")
    # Then it was read at 390 and 1366 px in Chinese, then in English
    assert seen == [
        (390, "zh-hans", "zh-hans"),
        (1366, "zh-hans", "zh-hans"),
        (390, "en", "en"),
        (1366, "en", "en"),
    ]
    # and the journey has its page back: Chinese, no language chosen, the phone's width
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    names = [cookie["name"] for cookie in page.context.cookies()]
    assert settings.LANGUAGE_COOKIE_NAME not in names
    assert page.viewport_size == {"width": 390, "height": 844}
    # and the same kind of page is not read again in this run
    axe.check_everywhere(page, variant="both languages")
    assert len(seen) == 4


def test_a_journey_in_english_keeps_its_language(office_on_the_students):
    page = office_on_the_students
    cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": page.url}
    page.context.add_cookies([cookie])
    page.reload()
    axe.check_everywhere(page, variant="from english")
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.django_db
def test_the_printed_sheet_is_marked_with_the_language_it_is_printed_in(monkeypatch):
    # Given a computed sheet, printed by someone who reads the site in English
    school = factories.SchoolFactory()
    semester = factories.SemesterFactory(school=school)
    office = factories.make_user(Role.OFFICE, school=school, name="资助办甲")
    factories.PairingFactory(school=school, start=semester.start)
    [sheet] = assessment_services.sheets_compute(school=school, semester=semester, by=office)
    printed: list[str] = []

    def to_pdf(html: str) -> bytes:
        printed.append(html)
        return b"%PDF-"

    monkeypatch.setattr(reports, "html_to_pdf", to_pdf)
    with translation.override("en"):
        reports.sheet_pdf(sheet=sheet, exported_by="资助办甲")
    # Then the PDF's document says it is Chinese, the language it is printed in (for a screen
    # reader reading the file and for the fonts the converter chooses)
    assert '<html lang="zh-hans">' in printed[0]
