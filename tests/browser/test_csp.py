"""The Content-Security-Policy is enforced and nothing on the main pages breaks it: every
role's pages on a phone (390×844, zh-CN) load, submit and swap content with htmx without a
single violation. A violation is caught twice: by the browser's console message and by the
`securitypolicyviolation` events, which an init script records (Playwright's init scripts
are not subject to the page's policy)."""

import re

import pytest
from playwright.sync_api import ConsoleMessage, Error, Page, expect

from assessment import services
from students.models import Role
from tests import factories
from tests.browser.test_aid_journeys import assert_fits_the_phone, log_in

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}: ${e.sample}`);
});
"""

# The violation events are queued as tasks: a short wait lets every pending one arrive.
VIOLATIONS = "() => new Promise((done) => setTimeout(() => done(window.__csp || []), 50))"


class PolicyWatch:
    """Every CSP complaint of the pages a test visits, from the console and the events."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)
        page.on("pageerror", self._on_error)

    def _on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def _on_error(self, error: Error) -> None:
        self.errors.append(str(error))

    def assert_clean(self) -> None:
        """No violation and no script error on the page as it is now (and since the last
        check); the page still fits the phone."""
        events = self.page.evaluate(VIOLATIONS)
        assert events == [], f"{self.page.url}: {events}"
        assert self.console == [], f"{self.page.url}: {self.console}"
        assert self.errors == [], f"{self.page.url}: {self.errors}"
        assert_fits_the_phone(self.page)

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, url
        assert "script-src" in response.headers["content-security-policy"]
        self.assert_clean()

    def log_in(self, live_server, username: str) -> None:
        self.page.context.clear_cookies()
        log_in(self.page, live_server, username)
        expect(self.page.locator("h1")).to_be_visible()
        self.assert_clean()

    def assert_htmx_ready(self) -> None:
        # htmx runs, with the configuration that the policy needs.
        config = self.page.evaluate(
            "() => [typeof htmx, htmx.config.allowEval, htmx.config.includeIndicatorStyles]"
        )
        assert config == ["object", False, False]
        assert self.page.locator("style, [style]").count() == 0


def test_every_role_uses_its_main_pages_without_a_policy_violation(
    page: Page, live_server, school, semester
):
    # Given a school with a pairing, its assessment sheet and a questionnaire slip
    teacher = factories.make_user(school=school, user__username="T1", name="汤老师")
    office = factories.make_user(Role.OFFICE, school=school, user__username="olga", name="资助办甲")
    factories.make_user(Role.PRINCIPAL, school=school, user__username="paula", name="校长乙")
    factories.make_user(Role.COUNTY, county=school.county, user__username="county")
    first = factories.SchoolClassFactory(school=school, name="七(1)班")
    student = factories.StudentFactory(
        school=school, school_class=first, cohort=first.cohort, name="李小花"
    )
    pairing = factories.PairingFactory(
        school=school, teacher=teacher, student=student, start=semester.start
    )
    factories.StudentFactory(school=school, school_class=first, cohort=first.cohort, name="赵大山")
    services.sheets_compute(school=school, semester=semester, by=office)
    [(_, token)] = services.questionnaires_issue(school=school, semester=semester, by=office)
    watch = PolicyWatch(page)
    url = live_server.url

    # The login page and the public questionnaire, without an account
    watch.visit(f"{url}/accounts/login/")
    watch.visit(f"{url}/q/{token}/")
    expect(page.get_by_role("heading", name="结对帮扶问卷调查")).to_be_visible()

    # The teacher: her students, one student's page, the log form and a saved log
    watch.log_in(live_server, "T1")
    watch.assert_htmx_ready()
    watch.visit(f"{url}/me/")
    watch.visit(f"{url}/students/{student.pk}/")
    watch.visit(f"{url}/logs/new/?pairing={pairing.pk}")
    page.get_by_label("内容", exact=True).fill("聊了这周的学习。")
    page.get_by_role("button", name="保存记录").click()
    expect(page.get_by_role("status")).to_contain_text("已记录：谈心谈话 · 李小花")
    watch.assert_clean()

    # The aid office: the roster searched in place, the dashboard filtered in place, the
    # pairings, the ledgers, the assessment with a sheet and the ZIP's progress polling
    watch.log_in(live_server, "olga")
    watch.visit(f"{url}/students/")
    results = page.locator("#results")
    expect(results.get_by_text("赵大山")).to_be_visible()
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.get_by_role("searchbox").fill("李小")
    expect(results.get_by_text("赵大山")).to_have_count(0)
    expect(results.get_by_text("李小花").first).to_be_visible()
    watch.assert_clean()

    watch.visit(f"{url}/dashboard/")
    watch.assert_htmx_ready()
    marker = results.evaluate("el => { el.dataset.before = 'yes'; return el.dataset.before; }")
    assert marker == "yes"
    page.get_by_label("班级").select_option(label="七(1)班")
    expect(results.get_by_text("以下为筛选后的结果。")).to_be_visible()
    # The results are a new element put in by htmx, without a page load.
    assert results.get_attribute("data-before") is None
    assert "school_class=" in page.url
    watch.assert_htmx_ready()
    watch.assert_clean()
    # Back goes to the whole unfiltered page again: htmx keeps no copy of the pages (children's
    # data) in the browser's storage, it reloads them.
    assert page.evaluate("sessionStorage.getItem('htmx-history-cache')") is None
    page.go_back()
    expect(page).not_to_have_url(re.compile("school_class="))
    expect(results.get_by_text("以下为筛选后的结果。")).to_have_count(0)
    expect(page.locator("form.filters")).to_have_count(1)
    watch.assert_clean()

    watch.visit(f"{url}/pairings/")
    watch.visit(f"{url}/ledgers/")
    watch.visit(f"{url}/assessment/?semester={semester.pk}")
    page.get_by_role("link", name="汤老师").click()
    expect(page.get_by_role("heading", name="教师结对帮扶学期考核表")).to_be_visible()
    watch.assert_clean()
    watch.visit(f"{url}/assessment/?semester={semester.pk}")
    with page.expect_request(
        lambda r: "/assessment/exports/" in r.url and r.headers.get("hx-request") == "true",
        timeout=5_000,
    ):
        page.get_by_role("button", name="全部教师考核表（ZIP）").click()
    expect(page.get_by_role("heading", name="批量导出考核表")).to_be_visible()
    watch.assert_clean()

    # The principal's dashboard
    watch.log_in(live_server, "paula")
    watch.visit(f"{url}/dashboard/")
    expect(page.locator("#results svg.chart-narrow")).to_be_visible()
    watch.assert_clean()

    # The county: the roll-up and one school's summary
    watch.log_in(live_server, "county")
    watch.visit(f"{url}/county/")
    page.get_by_role("link", name=school.name).click()
    expect(page).to_have_url(re.compile(rf"/county/schools/{school.pk}/"))
    watch.assert_clean()
