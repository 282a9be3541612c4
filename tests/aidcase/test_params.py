"""Reading a request's parameters (aidcase.params), and the malformed requests of issue 13
that answered 500: each now gets a 400, a 404 or the form's message. The route fuzzer
(test_route_fuzzer.py) tries every route this way; these name the cases seen."""

import datetime as dt
import uuid

import pytest
from django.http import Http404, QueryDict
from django.test import Client

from aidcase.params import (
    FIRST_DAY,
    LAST_DAY,
    BadParameter,
    query_choice,
    query_date,
    query_datetime,
    query_id,
    query_int,
    query_local_url,
    query_match,
    query_text,
)
from students.models import SEMESTER_CODE_RE, Role
from tests import factories
from tests.conftest import login
from tests.helpers import field_errors, text
from visits.models import Reminder

NON_NUMBERS = ["²", "٣", "１２", "1.5", "1e3", " 1", "0x1", "x" * 10_000, "\x00", "NaN"]


def qd(query: str) -> QueryDict:
    return QueryDict(query.encode())


def one(name: str, value: str) -> QueryDict:
    params = QueryDict(mutable=True)
    params[name] = value
    return params


# Reading


@pytest.mark.parametrize(
    ("query", "expected"), [("", None), ("n=", None), ("n=7", 7), ("n=-3", -3)]
)
def test_an_integer_is_read_or_absent(query, expected):
    assert query_int(qd(query), "n", minimum=-5, maximum=10) == expected


@pytest.mark.parametrize("value", [*NON_NUMBERS, "11", "-6", "9" * 25])
def test_anything_but_an_integer_in_range_is_a_bad_parameter(value):
    with pytest.raises(BadParameter):
        query_int(one("n", value), "n", minimum=-5, maximum=10)


def test_a_repeated_key_counts_by_its_last_value():
    assert query_int(qd("n=1&n=2"), "n", minimum=0, maximum=9) == 2
    with pytest.raises(BadParameter):
        query_int(qd("n=1&n=%C2%B2"), "n", minimum=0, maximum=9)


@pytest.mark.parametrize("value", [*NON_NUMBERS, "0", "-1", "1" + "0" * 18])
def test_a_junk_id_names_no_record(value):
    with pytest.raises(Http404):
        query_id(one("pk", value), "pk")


def test_an_id_of_18_digits_is_read():
    assert query_id(qd("pk=" + "9" * 18), "pk") == 10**18 - 1


def test_a_day_is_read_within_the_years_aidcase_deals_in():
    assert query_date(qd("d=2026-03-01"), "d") == dt.date(2026, 3, 1)
    assert query_date(qd(f"d={FIRST_DAY}"), "d") == FIRST_DAY
    assert query_date(qd(f"d={LAST_DAY}"), "d") == LAST_DAY
    assert query_date(qd("d="), "d") is None


@pytest.mark.parametrize(
    "value",
    ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01", "2026-02-30", "20260301",
     "2026-W09-1", "２０２６-03-01", "2026-03-01T00:00", *NON_NUMBERS],
)  # fmt: skip
def test_a_day_outside_them_or_not_a_day_is_a_bad_parameter(value):
    with pytest.raises(BadParameter):
        query_date(one("d", value), "d")


def test_a_moment_is_read_as_the_older_link_writes_it(settings):
    moment = dt.datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)
    assert query_datetime(one("t", moment.isoformat()), "t") == moment
    # without an offset: the current time zone's (Asia/Shanghai, UTC+8)
    naive = query_datetime(qd("t=2026-03-01T08:30:00"), "t")
    assert naive == dt.datetime(2026, 3, 1, 0, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "value", ["0001-01-01", "9999-12-31", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00",
              "2026-13-01T00:00", *NON_NUMBERS],
)  # fmt: skip
def test_a_moment_at_the_ends_of_the_calendar_is_a_bad_parameter(value):
    with pytest.raises(BadParameter):
        query_datetime(one("t", value), "t")


def test_a_choice_not_offered_is_the_default():
    assert query_choice(qd("tab=access"), "tab", ("access", "erasures"), "changes") == "access"
    assert query_choice(qd("tab=%C2%B2"), "tab", ("access", "erasures"), "changes") == "changes"
    assert query_choice(qd(""), "tab", ("access", "erasures"), "changes") == "changes"


def test_a_code_matches_in_ascii_or_is_a_bad_parameter():
    assert query_match(qd("s=2025-2026-1"), "s", SEMESTER_CODE_RE) == "2025-2026-1"
    assert query_match(qd("s="), "s", SEMESTER_CODE_RE) is None
    for junk in ["٢٠٢٥-٢٠٢٦-1", "2025-2026-1\n", "2025-2026-3", "\x00"]:
        with pytest.raises(BadParameter):
            query_match(one("s", junk), "s", SEMESTER_CODE_RE)


def test_text_loses_control_characters_and_is_cut():
    assert query_text(one("q", " 欧阳\x00晓岚\n "), "q") == "欧阳晓岚"
    assert query_text(qd("q=" + "x" * 500), "q", max_length=100) == "x" * 100
    assert query_text(qd(""), "q") == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [("/me/", "/me/"), ("/students/1/?tab=logs", "/students/1/?tab=logs"), ("student", None),
     ("²", None), ("//evil.example/", None), ("/\\evil.example/", None),
     ("https://evil.example/", None), ("/me/\x00", None), ("", None)],
)  # fmt: skip
def test_only_a_path_of_this_site_is_a_place_to_go_on_to(value, expected):
    assert query_local_url(one("next", value), "next") == expected


# The requests of issue 13 that answered 500


@pytest.fixture
def world(db):
    school = factories.SchoolFactory()
    semester = factories.SemesterFactory(school=school)
    office = factories.make_user(Role.OFFICE, school=school)
    teacher = factories.make_user(Role.TEACHER, school=school)
    pairing = factories.PairingFactory(school=school, teacher=teacher)
    county = factories.make_user(Role.COUNTY, county=school.county)
    return {"semester": semester, "office": office, "teacher": teacher, "pairing": pairing,
            "county": county}  # fmt: skip


def client_of(user) -> Client:
    client = login(user)
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("office", "/assessment/?semester=²", 404),
        ("office", "/calendar/?semester=²", 404),
        ("office", "/audit/?before=0001-01-01", 400),
        ("office", "/audit/?before=9999-12-31T23:59:59-01:00", 400),
        ("office", "/students/9999999999999999999999999/", 404),
        ("office", "/pairings/?q=%00", 200),
        ("county", "/county/?semester=%00", 400),
    ],
)
def test_a_malformed_parameter_is_a_400_or_a_404(world, role, url, status):
    response = client_of(world[role]).get(url)
    assert response.status_code == status
    if status == 400:
        assert "链接或表单中有无法识别的内容" in text(response)


def test_a_slip_for_a_pairing_named_with_a_superscript_digit_is_a_404(world):
    url = f"/assessment/semesters/{world['semester'].pk}/questionnaires/issue/"
    assert client_of(world["office"]).post(url, {"pairing": "²"}).status_code == 404


@pytest.mark.parametrize("kind", ["logs", "pairings", "aid", "changes"])
@pytest.mark.parametrize("role", ["office", "teacher"])
def test_a_ledger_of_far_days_gets_the_message_beside_the_dates(world, role, kind):
    response = client_of(world[role]).get(
        f"/ledgers/{kind}/", {"start": "9999-12-31", "end": "9999-12-31"}
    )
    assert response.status_code == 200
    assert "1900-01-01 至 2199-12-31" in field_errors(response, "start")


def test_a_logged_in_user_sent_to_the_login_page_itself_lands_home(world):
    response = client_of(world["teacher"]).get("/accounts/login/?next=/accounts/login/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_username_longer_than_the_column_is_refused_by_the_form(db):
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/login/", {"username": "x" * 10_000, "password": "x"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in text(response)
    assert response.context["form"].errors["username"]  # not the attempt axes would record


@pytest.mark.parametrize("junk", ["²", "student", "//evil.example/"])
def test_a_reminder_read_with_a_junk_next_goes_to_my_page(world, junk):
    reminder = Reminder.objects.create(
        user=world["teacher"], kind=Reminder.Kind.TEACHER_DIGEST, period=dt.date(2026, 3, 2),
        subject="帮扶提醒", body="谈心待完成", due=1, overdue=0, run=uuid.uuid4(),
    )  # fmt: skip
    response = client_of(world["teacher"]).post(f"/reminders/{reminder.pk}/read/", {"next": junk})
    assert response.status_code == 302
    assert response["Location"] == "/me/"


def test_a_forged_count_of_duty_rules_is_refused_without_building_thousands_of_forms(world):
    # given a POST claiming 10^25 rows (Django would build 2,000 forms, for many seconds)
    response = client_of(world["office"]).post(
        "/duty-rules/",
        {"form-TOTAL_FORMS": "9" * 25, "form-INITIAL_FORMS": "0", "form-MAX_NUM_FORMS": "1000"},
    )
    # then the page comes back with the error and at most 100 rows
    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.non_form_errors()
    assert formset.total_form_count() <= 100
