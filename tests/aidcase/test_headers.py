"""Response headers: the Content-Security-Policy with a fresh nonce per response that the
page's scripts carry, the headers of private pages, HTTPS-only cookies and HSTS with the
production settings, and a scan of the templates so that no inline script, event handler,
style attribute or javascript: URL comes back."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from assessment.services import questionnaires_issue
from dashboards.charts import Bar, bar_chart
from students.models import Role
from tests import factories
from tests.aidcase.test_settings import PRODUCTION_HOST, production_settings
from tests.conftest import login
from tests.helpers import template_files

pytestmark = pytest.mark.django_db

# PDFs are drawn by WeasyPrint, not a browser: their inline <style> is not under the policy.
PDF_TEMPLATES = "assessment/pdf/"

# What the policy refuses (or what htmx could only do with eval), each with the reason.
INLINE_CODE = {
    "a <script> without the request's nonce": re.compile(
        r"<script\b(?![^<>]*\bnonce=)[^<>]*>", re.IGNORECASE
    ),
    "an inline event handler (on…=)": re.compile(r"<[a-z][^<>]*?\son[a-z]+\s*=", re.IGNORECASE),
    "a style attribute": re.compile(r"<[a-z][^<>]*?\sstyle\s*=", re.IGNORECASE),
    "a <style> element": re.compile(r"<style\b", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "hx-on / hx-vars (htmx eval)": re.compile(r"\s(?:data-)?hx-(?:on\b|vars\b)", re.IGNORECASE),
    "js: values (htmx eval)": re.compile(r"hx-vals\s*=\s*['\"]\s*js:", re.IGNORECASE),
    "an hx-trigger filter (htmx eval)": re.compile(r"hx-trigger\s*=\s*\"[^\"]*\[", re.IGNORECASE),
}


def inline_code(html: str) -> list[str]:
    return [
        f"{reason}: {match.group(0)[:80]!r}"
        for reason, pattern in INLINE_CODE.items()
        for match in pattern.finditer(html)
    ]


def policy(response) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def script_nonces(response) -> set[str]:
    html = response.content.decode()
    tags = re.findall(r"<script\b[^>]*>", html)
    assert tags, "the page has no script"
    nonces = {re.search(r'\bnonce="([^"]+)"', tag) for tag in tags}
    assert None not in nonces, tags
    return {match.group(1) for match in nonces if match}


def assert_nonce_matches(response) -> str:
    [nonce] = script_nonces(response)
    assert f"'nonce-{nonce}'" in policy(response)["script-src"]
    return nonce


# The policy


def test_the_policy_allows_nothing_inline_and_nothing_from_elsewhere(client):
    directives = policy(client.get("/accounts/login/"))
    for name in ("default-src", "script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[name]
        assert "'unsafe-eval'" not in directives[name]
        assert all(v.startswith("'") for v in directives[name]), directives[name]  # no hosts
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]


def test_the_login_page_scripts_carry_a_fresh_nonce_per_response(client):
    # when the login page is loaded twice
    first, second = client.get("/accounts/login/"), client.get("/accounts/login/")
    # then each response's scripts carry the nonce of its own policy, never the same twice
    assert first.status_code == second.status_code == 200
    assert assert_nonce_matches(first) != assert_nonce_matches(second)
    assert inline_code(first.content.decode()) == []


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.TEACHER, "/me/"),
        (Role.TEACHER, "/students/"),
        (Role.OFFICE, "/dashboard/"),
        (Role.OFFICE, "/students/"),
        (Role.OFFICE, "/assessment/"),
        (Role.PRINCIPAL, "/dashboard/"),
        (Role.COUNTY, "/county/"),
    ],
)
def test_private_pages_carry_the_policy_nonce_and_private_headers(school, semester, role, path):
    # given a user of the role, logged in
    if role == Role.COUNTY:
        user = factories.make_user(role, county=school.county)
    else:
        user = factories.make_user(role, school=school)
    client = login(user)
    # when they open the page twice
    first, second = client.get(path), client.get(path)
    # then the scripts carry each response's own nonce and nothing inline is left
    assert first.status_code == 200
    assert assert_nonce_matches(first) != assert_nonce_matches(second)
    assert inline_code(first.content.decode()) == []
    # and the page is neither stored, framed, sniffed nor referred elsewhere
    assert "no-store" in first["Cache-Control"]
    assert first["X-Frame-Options"] == "DENY"
    assert first["X-Content-Type-Options"] == "nosniff"
    assert first["Referrer-Policy"] == "same-origin"
    assert first["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize(("path", "status"), [("/no-such-page/", 404), ("/dashboard/", 403)])
def test_error_pages_carry_the_nonce_too(school, path, status):
    response = login(factories.make_user(Role.TEACHER, school=school)).get(path)
    assert response.status_code == status
    assert_nonce_matches(response)
    assert inline_code(response.content.decode()) == []


def test_the_dashboard_chart_and_the_questionnaire_slips_are_drawn_without_inline_style(
    school, semester
):
    # The SVG drawn in Python (the chart here, the QR codes on the slips) uses presentation
    # attributes, never style.
    chart = bar_chart(key="k", title="图", bars=[Bar(label="9/1", value=3, title="9月1日")])
    assert inline_code(chart) == []
    # and the pages that carry them hold nothing inline either
    office = factories.make_user(Role.OFFICE, school=school)
    factories.PairingFactory(school=school, start=semester.start)
    client = login(office)
    dashboard = client.get("/dashboard/")
    assert b'<svg class="chart chart-wide"' in dashboard.content
    slips = client.post(reverse("questionnaire_issue", args=[semester.pk]))
    assert slips.status_code == 200
    assert b'class="qr"' in slips.content
    for response in (dashboard, slips):
        assert inline_code(response.content.decode()) == []


def test_the_public_questionnaire_is_under_the_policy_without_any_script(school, semester):
    # given a slip issued for a pairing
    office = factories.make_user(Role.OFFICE, school=school)
    factories.PairingFactory(school=school, start=semester.start)
    [(_, token)] = questionnaires_issue(school=school, semester=semester, by=office)
    # when the link is opened without an account
    response = Client().get(reverse("questionnaire_answer", args=[token]))
    # then the page has the policy and nothing to run
    assert response.status_code == 200
    assert policy(response)["script-src"] == ["'self'"]
    assert b"<script" not in response.content
    assert inline_code(response.content.decode()) == []
    assert response["X-Frame-Options"] == "DENY"


# Production


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    return production_settings(tmp_path_factory.mktemp("production"))


@pytest.fixture
def production_site(settings, production):
    """The security settings of the production environment README documents, from a fresh
    process started with it."""
    for name, value in production.items():
        if name != "DEBUG":
            setattr(settings, name, value)


def test_production_sends_hsts_and_only_https_cookies(production_site, school):
    user = factories.make_user(Role.TEACHER, school=school, user__username="T1")
    client = Client(HTTP_HOST=PRODUCTION_HOST)
    # a plain HTTP request is sent to HTTPS
    plain = client.get("/accounts/login/")
    assert plain.status_code == 301
    assert plain["Location"] == f"https://{PRODUCTION_HOST}/accounts/login/"
    # over HTTPS, every response asks the browser to keep to HTTPS for a year
    page = client.get("/accounts/login/", secure=True)
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert page.cookies["csrftoken"]["secure"]
    # and signing in sets a session cookie that never travels over plain HTTP nor to scripts
    signed_in = client.post(
        "/accounts/login/",
        {"username": user.username, "password": "correct-horse-battery"},
        secure=True,
    )
    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    assert "no-store" in client.get("/me/", secure=True)["Cache-Control"]


# Templates


def test_no_template_has_inline_code():
    # Every page a browser gets is under the policy: scripts are files carrying the nonce,
    # styles live in static/css, and htmx runs without eval.
    found = {
        name: problems
        for name, path in template_files().items()
        if not name.startswith(PDF_TEMPLATES)
        if (problems := inline_code(path.read_text()))
    }
    scanned = set(template_files())
    assert {"base.html", "dashboard.html", "ledgers/home.html", "aidcase/audit.html"} <= scanned
    assert {"imports/home.html", "visits/me.html", "students/student_list.html"} <= scanned
    assert found == {}


@pytest.mark.parametrize(
    "html",
    [
        '<script src="/static/x.js"></script>',
        "<script>alert(1)</script>",
        '<button type="button" onclick="print()">',
        '<a\n  href="#" onClick = "go()">',
        '<div class="x" style="color: red">',
        "<style>p { color: red }</style>",
        '<a href="javascript:void(0)">',
        '<form hx-on::after-request="this.reset()">',
        "<div hx-vals='js:{a: 1}'>",
        "<input hx-trigger=\"keyup[key=='Enter']\">",
    ],
)
def test_the_scan_finds_inline_code(html):
    assert inline_code(html)


def test_the_scan_lets_safe_markup_pass():
    html = (
        '<script src="/static/x.js" defer nonce="{{ csp_nonce }}"></script>'
        '<form hx-get="/d/" hx-trigger="change" hx-swap="outerHTML" class="onward">'
        '<p class="styled">online: on=1</p><rect fill="#1d6b57" stroke-width="1"/>'
    )
    assert inline_code(html) == []
