"""The server's side of a teacher's phone without signal (F12): the late window of a record
sent days after it was written, a record sent twice from the outbox stored once, the pages a
phone may keep (only the teacher's own), the worker and the manifest with their headers, the
audit trail's note on an offline record, and the logout that clears the phone.

People as in test_views.py: alice helps 王小明 (her pairing), bob helps the same student,
carol has no relation to him, homeroom is his class's head teacher."""

import datetime as dt
import json
import re
import time
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from aidcase.security import SESSION_LOGIN_AT, SESSION_SEEN_AT
from pairing.models import Pairing
from students.models import Category, Role
from tests import factories
from tests.conftest import login
from tests.helpers import field_errors, login_redirect, text, today
from visits.models import ActivityLog, Incident
from visits.offline_views import owner_stamp

LATE = "只能补录"


def talk(pairing: Pairing, **changes: Any) -> dict[str, Any]:
    return {
        "pairing": pairing.pk,
        "kind": "talk",
        "date": today().isoformat(),
        "channel": "in_person",
        "content": "在村里家中聊了学习",
        **changes,
    }


def days_ago(n: int) -> str:
    return (today() - dt.timedelta(days=n)).isoformat()


@pytest.fixture
def long_pairing(school, semester, student, alice):
    """alice's pairing with 王小明, begun long enough ago for any late date to fall in it."""
    return factories.PairingFactory(
        school=school, student=student, teacher=alice, start=today() - dt.timedelta(days=60)
    )


# The late window --------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "stored"), [(13, True), (14, True), (15, False)])
def test_a_log_is_accepted_up_to_14_days_after_its_date(alice, long_pairing, days, stored):
    response = login(alice).post("/logs/new/", talk(long_pairing, date=days_ago(days)))
    assert ActivityLog.objects.exists() is stored
    if not stored:
        # refused beside the date, naming the limit and the first day still accepted
        assert response.status_code == 200
        errors = field_errors(response, "date")
        assert f"只能补录 14 天内的记录（{days_ago(14)} 及以后）" in errors


@pytest.mark.parametrize(("days", "stored"), [(3, True), (4, False)])
def test_the_late_window_is_a_setting(settings, alice, long_pairing, days, stored):
    settings.LATE_DAYS = 3
    login(alice).post("/logs/new/", talk(long_pairing, date=days_ago(days)))
    assert ActivityLog.objects.exists() is stored


@pytest.mark.parametrize(("days", "stored"), [(14, True), (15, False)])
def test_an_incident_is_accepted_up_to_14_days_after_its_date(homeroom, student, days, stored):
    response = login(homeroom).post(
        f"/students/{student.pk}/incidents/new/", {"date": days_ago(days), "type": "truancy"}
    )
    assert Incident.objects.exists() is stored
    if not stored:
        assert LATE in field_errors(response, "date")


def test_the_aid_office_adds_older_records(office, long_pairing):
    login(office).post("/logs/new/", talk(long_pairing, date=days_ago(40)))
    assert ActivityLog.objects.get().date == today() - dt.timedelta(days=40)


def test_a_date_outside_the_pairing_is_told_as_that(alice, pairing):
    # given a date both before the pairing and too late
    response = login(alice).post(
        "/logs/new/", talk(pairing, date=(pairing.start - dt.timedelta(days=1)).isoformat())
    )
    assert "日期不在结对期间" in field_errors(response, "date")
    assert LATE not in field_errors(response, "date")


def test_seeded_and_imported_logs_are_not_bound_by_the_window(long_pairing, alice):
    # the rule is the forms': a record written by code with an old date is kept
    log = ActivityLog(
        pairing=long_pairing, author=alice, kind="talk", date=today() - dt.timedelta(days=50)
    )
    log.content = "旧记录"
    log.full_clean()


# A record from the outbox --------------------------------------------------------------------


def outbox_record(pairing: Pairing, key: str, written: dt.datetime) -> dict[str, Any]:
    return talk(pairing, _form_key=key, offline_written_at=written.isoformat())


def test_an_outbox_record_sent_twice_is_stored_once(alice, pairing):
    client = login(alice)
    written = timezone.now() - dt.timedelta(hours=3)
    record = outbox_record(pairing, "a" * 32, written)
    first = client.post(f"/logs/new/?pairing={pairing.pk}", record)
    # the answer was lost on the way: the phone sends it again with the same key
    second = client.post(f"/logs/new/?pairing={pairing.pk}", record)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert ActivityLog.objects.count() == 1


def test_the_audit_trail_notes_when_an_offline_record_was_written(alice, pairing):
    written = timezone.now() - dt.timedelta(hours=3)
    login(alice).post("/logs/new/", outbox_record(pairing, "b" * 32, written))
    [entry] = ActivityLog.objects.get().history.all()
    # the entry's own time is when it arrived; its reason says when it was written
    assert entry.history_change_reason == (
        f"离线记录于 {timezone.localtime(written):%Y-%m-%d %H:%M}"
    )
    assert timezone.now() - entry.history_date < dt.timedelta(minutes=1)


def test_the_audit_trail_notes_an_offline_incident(homeroom, student):
    written = timezone.now() - dt.timedelta(days=1)
    login(homeroom).post(
        f"/students/{student.pk}/incidents/new/",
        {"date": today().isoformat(), "type": "truancy", "offline_written_at": written.isoformat()},
    )
    [entry] = Incident.objects.get().history.all()
    assert entry.history_change_reason.startswith("离线记录于 ")


@pytest.mark.parametrize(
    "written",
    [
        "",
        "yesterday",
        "2026-01-01T10:00:00",  # no time zone
        (timezone.now() + dt.timedelta(days=1)).isoformat(),  # the future
        (timezone.now() - dt.timedelta(days=30)).isoformat(),  # before the late window
    ],
)
def test_a_form_without_a_believable_writing_time_has_no_note(alice, pairing, written):
    login(alice).post("/logs/new/", talk(pairing, offline_written_at=written))
    [entry] = ActivityLog.objects.get().history.all()
    assert not entry.history_change_reason


# The pages a phone keeps ---------------------------------------------------------------------


def test_a_teacher_keeps_only_her_own_students_pages(
    alice, pairing, bobs_pairing, school, semester
):
    # given alice's second student, and a student of bob's alone
    mine = factories.PairingFactory(school=school, teacher=alice, category=Category.POOR)
    factories.PairingFactory(school=school, teacher=bobs_pairing.teacher)
    ended = factories.PairingFactory(
        school=school,
        teacher=alice,
        start=today() - dt.timedelta(days=60),
        end=today() - dt.timedelta(days=1),
        end_reason=Pairing.EndReason.GRADUATED,
    )
    response = login(alice).get("/me/offline.json")
    assert response.status_code == 200
    data = response.json()
    assert sorted(data["pages"]) == sorted(
        [
            "/me/",
            f"/students/{pairing.student_id}/",
            f"/logs/new/?pairing={pairing.pk}",
            f"/students/{mine.student_id}/",
            f"/logs/new/?pairing={mine.pk}",
        ]
    )
    assert f"/logs/new/?pairing={ended.pk}" not in data["pages"]
    assert data["owner"] == owner_stamp(alice)
    assert re.fullmatch(r"[A-Za-z0-9]{32,64}", data["csrf"])


def test_a_homeroom_teacher_keeps_the_incident_form_of_her_class(school, semester, student):
    homeroom_teacher = student.school_class.homeroom_teacher
    factories.PairingFactory(school=school, teacher=homeroom_teacher, student=student)
    pages = login(homeroom_teacher).get("/me/offline.json").json()["pages"]
    assert f"/students/{student.pk}/incidents/new/" in pages


def test_the_incident_form_is_not_kept_for_a_student_of_another_class(alice, pairing):
    pages = login(alice).get("/me/offline.json").json()["pages"]
    assert f"/students/{pairing.student_id}/incidents/new/" not in pages


@pytest.mark.parametrize("role", [Role.OFFICE, Role.PRINCIPAL])
def test_the_school_leaders_keep_nothing(school, role):
    user = factories.make_user(role, school=school)
    assert login(user).get("/me/offline.json").status_code == 403


@pytest.mark.parametrize("role", [Role.COUNTY, Role.COUNTY_ADMIN])
def test_the_county_keeps_nothing(db, role):
    user = factories.make_user(role)
    assert login(user).get("/me/offline.json").status_code == 403


def test_nobody_logged_in_keeps_nothing(db):
    response = Client().get("/me/offline.json")
    assert response.status_code == 302
    assert response["Location"] == login_redirect("/me/offline.json")


def test_the_owner_stamp_changes_with_the_password(alice):
    before = owner_stamp(alice)
    alice.set_password("another-horse-battery")
    alice.save()
    assert owner_stamp(alice) != before
    assert owner_stamp(alice).startswith(f"{alice.pk}-")


# The worker, the manifest and the page's part ------------------------------------------------


def test_the_service_worker_is_served_at_the_root_with_its_files(db):
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    body = text(response)
    assert '"/static/css/aidcase.css' in body
    assert '"/static/js/offline.js' in body
    assert "{{" not in body and "{%" not in body
    # the policy stays strict, and lets the worker and the manifest come from the app
    policy = response["Content-Security-Policy"]
    assert re.search(r"script-src 'self'( 'nonce-[^']+')?;", policy)
    assert "worker-src 'self'" in policy
    assert "manifest-src 'self'" in policy
    assert "unsafe" not in policy


def test_the_service_worker_of_a_logged_in_teacher_is_not_kept_by_the_browser(alice):
    response = login(alice).get("/sw.js")
    assert "no-cache" in response["Cache-Control"]


def test_the_manifest_names_the_app_and_its_icons(db):
    response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert (data["start_url"], data["scope"], data["display"]) == ("/me/", "/", "standalone")
    assert data["theme_color"] == "#1d6b57"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"any", "192x192", "512x512"} <= sizes
    assert all(icon["src"].startswith("/static/img/app-icon") for icon in data["icons"])


def test_a_teachers_pages_link_the_manifest_and_name_their_owner(alice, pairing):
    body = text(login(alice).get("/me/"))
    assert '<link rel="manifest" href="/manifest.webmanifest">' in body
    assert f'data-offline-owner="{owner_stamp(alice)}"' in body
    assert 'data-offline="teacher"' in body
    assert 'id="offline-words"' in body


def test_the_words_the_phone_shows_are_in_the_page_s_language(alice, pairing):
    # Given a teacher reading in English
    client = login(alice)
    client.cookies["django_language"] = "en"
    # When /me/ carries the words the offline script shows
    body = text(client.get("/me/"))
    block = re.search(
        r'<script id="offline-words" type="application/json"[^>]*>(.*?)</script>', body
    )
    assert block is not None
    words = json.loads(block[1])
    # Then every one of them (both forms of the counted ones) is English
    flat = [w for v in words.values() for w in (v.values() if isinstance(v, dict) else [v])]
    assert len(flat) == 26
    assert [w for w in flat if re.search(r"[\u3000-\u9fff\uff00-\uffef]", w)] == []
    assert words["pending"] == {
        "one": "{n} record waiting to be sent",
        "other": "{n} records waiting to be sent",
    }


@pytest.mark.parametrize("role", [Role.OFFICE, Role.PRINCIPAL])
def test_other_roles_pages_do_not(school, role):
    user = factories.make_user(role, school=school)
    body = text(login(user).get("/dashboard/"))
    assert "manifest" not in body
    assert 'data-offline="other"' in body
    assert "data-offline-owner" not in body
    assert "offline-words" not in body


def test_the_login_page_says_nobody_is_logged_in(db):
    body = text(Client().get("/accounts/login/"))
    assert 'data-offline="none"' in body
    assert "manifest" not in body


def test_a_kept_form_is_marked_for_the_outbox(alice, pairing, homeroom, student):
    log_form = text(login(alice).get(f"/logs/new/?pairing={pairing.pk}"))
    assert 'data-offline-form="log"' in log_form
    assert 'data-offline-student="王小明"' in log_form
    incident_form = text(login(homeroom).get(f"/students/{student.pk}/incidents/new/"))
    assert 'data-offline-form="incident"' in incident_form


def test_editing_a_log_is_not_an_outbox_form(alice, pairing):
    login(alice).post("/logs/new/", talk(pairing))
    log = ActivityLog.objects.get()
    assert "data-offline-form" not in text(login(alice).get(f"/logs/{log.pk}/edit/"))


def test_logout_tells_the_browser_to_clear_what_it_kept(alice):
    response = login(alice).post("/accounts/logout/")
    assert response["Clear-Site-Data"] == '"cache", "storage"'


# What the phone tells apart: stored, or met the login page -----------------------------------


def test_a_stored_outbox_record_is_answered_with_the_empty_sent_page(alice, pairing):
    client = login(alice)
    record = talk(pairing, _form_key="c" * 32, next="/me/offline/sent/")
    first = client.post(f"/logs/new/?pairing={pairing.pk}", record)
    assert first["Location"] == "/me/offline/sent/"
    # the same record again (its answer was lost) gets the same answer
    assert client.post(f"/logs/new/?pairing={pairing.pk}", record)["Location"] == (
        "/me/offline/sent/"
    )
    sent = client.get("/me/offline/sent/")
    assert (sent.status_code, sent.content) == (204, b"")
    # a record kept through a re-login is sent as a page: its answer is her home
    page = client.get("/me/offline/sent/", headers={"Sec-Fetch-Mode": "navigate"})
    assert (page.status_code, page["Location"]) == (302, "/me/")
    assert ActivityLog.objects.count() == 1


def test_a_stored_outbox_incident_is_answered_with_the_sent_page_too(homeroom, student):
    response = login(homeroom).post(
        f"/students/{student.pk}/incidents/new/",
        {"date": today().isoformat(), "type": "truancy", "next": "/me/offline/sent/"},
    )
    assert response["Location"] == "/me/offline/sent/"


def test_an_incident_form_without_next_still_leads_to_the_student(homeroom, student):
    response = login(homeroom).post(
        f"/students/{student.pk}/incidents/new/", {"date": today().isoformat(), "type": "truancy"}
    )
    assert response["Location"] == f"/students/{student.pk}/"


def test_a_record_sent_after_the_session_ended_meets_the_login_page(alice, pairing):
    client = login(alice)
    session = client.session
    session[SESSION_SEEN_AT] = int(time.time()) - 40 * 60
    session[SESSION_LOGIN_AT] = int(time.time()) - 60 * 60
    session.save()
    response = client.post(
        f"/logs/new/?pairing={pairing.pk}", talk(pairing, next="/me/offline/sent/")
    )
    # then the phone sees the login page, not the sent page, and keeps the record
    assert response["Location"].startswith("/accounts/login/")
    assert not ActivityLog.objects.exists()
