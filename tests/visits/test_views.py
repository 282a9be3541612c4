"""Views of the visits app: the teacher's home (/me/), logging aid, a log's page, editing and
withdrawing it (incidents and the student's page: test_student_page.py; the people and records
are fixtures in conftest.py).

alice is paired with 王小明 (留守); bob is a colleague who helps the same student (贫困,
多帮一); carol teaches at the same school with no relation to the student; homeroom is the
head teacher of the student's class; charlie is the aid office of another school. Outsiders
get 404: a record's existence is not leaked.

Dates are relative to today: the pairings start on the current semester's first day (the
factories' default), and a test that needs a particular week to be a teaching week of the
pairing skips, saying why, when today's calendar does not give it one."""

import datetime as dt
import io
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from pairing.models import Pairing
from students.models import Category, Role
from tests import factories
from tests.conftest import login
from tests.helpers import field_errors, form_errors, login_redirect, messages_of, text, today
from tests.visits.records import (
    LB_LETTER,
    LB_TALK,
    NOT_YOURS,
    STATUS_WORDS,
    TOO_OLD,
    age,
    make_log,
    me_duty,
    monday_of,
    require_semester_running,
    require_teaching_week,
)
from visits.duties import DEFAULT_RULES
from visits.duty_store import duty_status_rebuild
from visits.models import ActivityLog, Kind, Reminder, VisitPhoto
from visits.photos import MAX_BYTES

pytestmark = pytest.mark.django_db


# Anonymous and county viewers


NEW_URLS = [
    "/me/",
    "/logs/new/",
    "/logs/1/",
    "/logs/1/edit/",
    "/logs/1/withdraw/",
    "/students/1/",
    "/students/1/incidents/new/",
    "/pairings/1/plan/",
]


@pytest.mark.parametrize("url", NEW_URLS)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == login_redirect(url)


@pytest.mark.parametrize("url", NEW_URLS)
def test_county_viewer_is_refused(url):
    assert login(factories.make_user(Role.COUNTY)).get(url).status_code == 403


# /me/


@pytest.fixture
def my_students(school, semester, alice, pairing):
    """alice's two active pairings (王小明 留守, 李小红 贫困), an ended and a future one, and a
    colleague's pairing."""
    factories.PairingFactory(
        school=school,
        student=factories.StudentFactory(school=school, name="李小红"),
        teacher=alice,
        category=Category.POOR,
    )
    factories.PairingFactory(
        school=school,
        student=factories.StudentFactory(school=school, name="已结束生"),
        teacher=alice,
        start=today() - dt.timedelta(days=60),
        end=today() - dt.timedelta(days=1),
        end_reason=Pairing.EndReason.GRADUATED,
    )
    factories.PairingFactory(
        school=school,
        student=factories.StudentFactory(school=school, name="未开始生"),
        teacher=alice,
        start=today() + dt.timedelta(days=1),
    )
    factories.PairingFactory(
        school=school, student=factories.StudentFactory(school=school, name="别人的学生")
    )
    return alice


def test_me_shows_each_active_pairings_student_with_its_duties(my_students, semester):
    require_semester_running(semester)
    # when alice opens her home
    response = login(my_students).get("/me/")
    page = text(response)
    # then each student she helps now is there, with every duty of the category in words
    assert response.status_code == 200
    assert "王小明" in page
    assert "李小红" in page
    titles = [str(r.title) for r in DEFAULT_RULES if r.category in ("left_behind", "poor")]
    assert [title for title in titles if title not in page] == []
    words = re.findall(r'class="badge[^"]*">([^<]+)</span>\s*<span class="duty-title"', page)
    assert len(words) == 7
    assert set(words) <= STATUS_WORDS
    assert "待完成" in words


def test_me_shows_the_semester_duty_as_due(my_students, pairing, semester):
    require_semester_running(semester)
    response = login(my_students).get("/me/")
    assert me_duty(response, pairing, Kind.LETTER)[:2] == ("待完成", LB_LETTER)


def test_me_hides_ended_future_and_colleagues_pairings(my_students):
    page = text(login(my_students).get("/me/"))
    assert "已结束生" not in page
    assert "未开始生" not in page
    assert "别人的学生" not in page


@pytest.mark.parametrize(
    ("talks", "withdrawn", "status"),
    [
        ([], False, "逾期"),
        (["last week"], False, "待完成"),
        (["last week"], True, "逾期"),
        (["today"], False, "已完成"),
        (["today"], True, "逾期"),
        (["last week", "today"], False, "已完成"),
    ],
)
def test_me_weekly_talk_status_follows_the_logs(alice, pairing, semester, talks, withdrawn, status):
    # given a pairing whose last and current weeks are teaching weeks, and talks logged
    # last Sunday and/or today (withdrawn or not)
    require_teaching_week(semester, pairing, weeks_ago=1)
    require_teaching_week(semester, pairing, weeks_ago=0)
    days = {"last week": monday_of(today()) - dt.timedelta(days=1), "today": today()}
    for talk_day in talks:
        make_log(
            pairing,
            date=days[talk_day],
            withdrawn_at=timezone.now() if withdrawn else None,
            withdrawn_reason="记错了" if withdrawn else "",
        )
    # when alice opens her home
    response = login(alice).get("/me/")
    # then the weekly talk shows the status in words
    assert me_duty(response, pairing, Kind.TALK)[:2] == (status, LB_TALK)


def test_me_says_since_when_a_talk_is_overdue(alice, pairing, semester):
    # given no talk last week
    require_teaching_week(semester, pairing, weeks_ago=1)
    monday = monday_of(today())
    # when alice opens her home, then the talk is overdue since this Monday
    response = login(alice).get("/me/")
    assert me_duty(response, pairing, Kind.TALK) == ("逾期", LB_TALK, f"{monday:%-m/%-d} 起逾期")


def test_logging_a_talk_from_me_takes_one_form_and_marks_the_duty_done(alice, pairing, semester):
    # given alice's weekly talk is owed this week and not yet done
    require_teaching_week(semester, pairing, weeks_ago=0)
    client = login(alice)
    assert me_duty(client.get("/me/"), pairing, Kind.TALK)[0] != "已完成"
    # when she follows the duty's link, and saves the one form it opens
    form = client.get(f"/logs/new/?pairing={pairing.pk}&kind=talk&next=/me/")
    assert form.status_code == 200
    response = client.post(
        "/logs/new/",
        {
            "pairing": pairing.pk,
            "kind": Kind.TALK,
            "date": today().isoformat(),
            "channel": "in_person",
            "content": "聊了本周的学习和生活",
            "next": "/me/",
        },
    )
    # then she is back on /me/, told what was saved, and the talk is done
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    assert messages_of(response) == ["已记录：谈心谈话 · 王小明"]
    assert me_duty(client.get("/me/"), pairing, Kind.TALK)[:2] == ("已完成", LB_TALK)
    log = ActivityLog.objects.get()
    assert (log.pairing, log.author, log.date) == (pairing, alice, today())


def test_me_without_pairings_says_who_arranges_them(alice):
    page = text(login(alice).get("/me/"))
    assert "您目前没有进行中的结对。" in page
    assert "资助办" in page


# 11 for the students and their duties, 1 for the unread reminders.
ME_QUERIES = 12


@pytest.mark.parametrize("size", [2, 16])
def test_me_query_count_does_not_grow_with_pairings(
    school, semester, alice, size, django_assert_num_queries
):
    # given `size` students of a class paired with alice, each with a talk logged, and as
    # many unread reminders
    school_class = factories.SchoolClassFactory(school=school)
    for n in range(size):
        pupil = factories.StudentFactory(
            school=school, cohort=school_class.cohort, school_class=school_class
        )
        make_log(factories.PairingFactory(school=school, student=pupil, teacher=alice))
        Reminder.objects.create(
            user=alice,
            kind=Reminder.Kind.TEACHER_DIGEST,
            period=today() - dt.timedelta(days=n),
            subject=f"提醒{n}",
            body="",
            due=1,
            run=uuid.uuid4(),
        )
    client = login(alice)
    # and their duty status stored, as the first read or the task worker stores it
    duty_status_rebuild(schools=[school])
    # when alice opens her home, then the number of queries is fixed
    with django_assert_num_queries(ME_QUERIES):
        response = client.get("/me/")
    assert len(response.context["students"]) == size


# Logging aid


def test_log_form_is_prefilled_from_the_duty_link(alice, pairing):
    response = login(alice).get(f"/logs/new/?pairing={pairing.pk}&kind=home_visit&next=/me/")
    page = text(response)
    assert response.status_code == 200
    assert response.context["form"]["kind"].value() == Kind.HOME_VISIT
    assert response.context["form"]["date"].value() == today()
    assert '<option value="home_visit" selected>' in page
    assert f'value="{today().isoformat()}"' in page
    assert f'name="pairing" value="{pairing.pk}"' in page
    assert 'name="next" value="/me/"' in page


def test_log_form_falls_back_to_a_talk_for_an_unknown_kind(alice, pairing):
    response = login(alice).get(f"/logs/new/?pairing={pairing.pk}&kind=party")
    assert response.context["form"]["kind"].value() == Kind.TALK


def talk(pairing: Pairing, **changes) -> dict[str, Any]:
    return {
        "pairing": pairing.pk,
        "kind": Kind.TALK,
        "date": today().isoformat(),
        "channel": "in_person",
        "content": "聊了本周的学习和生活",
        **changes,
    }


@pytest.mark.parametrize(
    "who", ["bob", "carol", "homeroom", "principal", "charlie", "other_teacher"]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_logging_under_someone_elses_pairing_gets_404(request, pairing, bobs_pairing, who, method):
    # given a user who is not alice (bob helps the same student under his own pairing)
    user = request.getfixturevalue(who)
    client = login(user)
    # when they open or post the form for alice's pairing
    response = (
        client.get(f"/logs/new/?pairing={pairing.pk}")
        if method == "get"
        else client.post("/logs/new/", talk(pairing))
    )
    # then it does not exist for them, and nothing is saved
    assert response.status_code == 404
    assert not ActivityLog.objects.exists()


@pytest.mark.parametrize("pairing_id", ["", "abc", "-1", "999999", "9" * 30])
def test_logging_without_a_real_pairing_gets_404(alice, pairing, pairing_id):
    assert login(alice).get(f"/logs/new/?pairing={pairing_id}").status_code == 404


def test_teacher_cannot_log_under_an_ended_pairing_of_a_student_no_longer_helped(school, alice):
    ended = factories.PairingFactory(
        school=school,
        teacher=alice,
        start=today() - dt.timedelta(days=60),
        end=today() - dt.timedelta(days=10),
        end_reason=Pairing.EndReason.GRADUATED,
    )
    response = login(alice).post("/logs/new/", talk(ended, date=ended.start.isoformat()))
    assert response.status_code == 404
    assert not ActivityLog.objects.exists()


def test_office_of_the_school_logs_under_a_teachers_pairing(office, pairing):
    # when the aid office completes the record for alice's pairing
    response = login(office).post("/logs/new/", talk(pairing))
    # then it is saved with the office as its author
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    log = ActivityLog.objects.get()
    assert (log.pairing, log.author) == (pairing, office)


def test_material_aid_with_items_and_amount_is_saved(alice, pairing):
    response = login(alice).post(
        "/logs/new/",
        talk(pairing, kind=Kind.MATERIAL_AID, aid_items="书包一个、校服一套", aid_amount="120.50"),
    )
    assert response.status_code == 302
    log = ActivityLog.objects.get()
    assert (log.aid_items, str(log.aid_amount)) == ("书包一个、校服一套", "120.50")


def tomorrow(pairing: Pairing) -> dict[str, str]:
    return {"date": (today() + dt.timedelta(days=1)).isoformat()}


def before_start(pairing: Pairing) -> dict[str, str]:
    return {"date": (pairing.start - dt.timedelta(days=1)).isoformat()}


def aid(items: str = "书包", amount: str = "50") -> Callable[[Pairing], dict[str, str]]:
    return lambda pairing: {"kind": Kind.MATERIAL_AID, "aid_items": items, "aid_amount": amount}


def of_kind(kind: str) -> Callable[[Pairing], dict[str, str]]:
    return lambda pairing: {"kind": kind}


BAD_INPUT = [
    # (what, changes to a valid talk, field, message shown beside it)
    ("a date in the future", tomorrow, "date", "日期不能晚于今天"),
    ("a date before the pairing", before_start, "date", "日期不在结对期间"),
    ("a negative amount", aid(amount="-5"), "aid_amount", "确保该值大于或等于0。"),
    ("an absurd amount", aid(amount="100000.01"), "aid_amount", "确保该值小于或等于100000。"),
    ("material aid without items", aid(items=""), "aid_items", "物质资助须填写资助物品"),
    ("a home visit without a place", of_kind(Kind.HOME_VISIT), "visit_place", "家访须填写地点"),
    (
        "exam guidance without the exam",
        of_kind(Kind.EXAM_GUIDANCE),
        "exam_name",
        "考试指导须填写考试名称",
    ),
    ("no content", lambda pairing: {"content": ""}, "content", "这个字段是必填项。"),
]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_log_input_is_explained_beside_the_field_and_kept(
    alice, pairing, changes, field, message
):
    # given a log form filled in with one bad value
    data = talk(pairing, follow_up="下周再约", **changes(pairing))
    # when alice saves it
    response = login(alice).post("/logs/new/", data)
    # then the form comes back with a Chinese message beside the field, as typed
    assert response.status_code == 200
    assert message in field_errors(response, field)
    form = response.context["form"]
    typed = {name: value for name, value in data.items() if name in form.fields}
    assert {name: str(form[name].value()) for name in typed} == typed
    assert "下周再约" in text(response)
    assert f'<option value="{data["kind"]}" selected>' in text(response)
    assert not ActivityLog.objects.exists()


def jpeg(name: str = "家里.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), "orange").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def home_visit(pairing: Pairing, **changes) -> dict[str, Any]:
    return talk(
        pairing,
        kind=Kind.HOME_VISIT,
        visit_place="村委会旁的家中",
        family_situation="奶奶一人照看",
        content="了解了家庭情况",
        **changes,
    )


def test_home_visit_with_a_photo_is_saved_and_shown_on_the_timeline(alice, pairing, media):
    client = login(alice)
    response = client.post("/logs/new/", home_visit(pairing, photos=[jpeg()]))
    assert response.status_code == 302
    log = ActivityLog.objects.get()
    assert (log.kind, log.visit_place) == (Kind.HOME_VISIT, "村委会旁的家中")
    assert log.photos.count() == 1
    page = text(client.get(f"/students/{pairing.student_id}/"))
    assert "📷 1" in page
    detail = text(client.get(f"/logs/{log.pk}/"))
    assert f"/photos/{log.photos.get().pk}/" in detail


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("作业.pdf", b"%PDF-1.4 not a photo", content_type="image/jpeg"),
            "“作业.pdf”不是 JPEG、PNG 或 WebP 图片",
        ),
        (
            SimpleUploadedFile("大.jpg", b"\xff" * (MAX_BYTES + 1), content_type="image/jpeg"),
            "照片“大.jpg”超过 10 MB",
        ),
    ],
    ids=["not an image", "too big"],
)
def test_bad_photo_is_explained_beside_the_field_and_nothing_is_saved(
    alice, pairing, media, upload, message
):
    response = login(alice).post("/logs/new/", home_visit(pairing, photos=[upload]))
    assert response.status_code == 200
    assert message in field_errors(response, "photos")
    assert "村委会旁的家中" in text(response)
    assert "奶奶一人照看" in text(response)
    assert not ActivityLog.objects.exists()
    assert not VisitPhoto.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_pairing_id_with_a_superscript_digit_gets_404(alice, pairing, method):
    # "²".isdigit() is true, but int("²") fails: a 404, never a 500
    client = login(alice)
    client.raise_request_exception = False
    response = (
        client.get("/logs/new/?pairing=²")
        if method == "get"
        else client.post("/logs/new/", {**talk(pairing), "pairing": "²"})
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("https://evil.example/", "/me/"),
        ("//evil.example/", "/me/"),
        ("", "/me/"),
        ("/students/{student}/", "/students/{student}/"),
    ],
)
def test_after_saving_the_teacher_goes_to_a_safe_next_page(alice, pairing, next_url, lands_on):
    student = pairing.student_id
    response = login(alice).post("/logs/new/", talk(pairing, next=next_url.format(student=student)))
    assert response.status_code == 302
    assert response["Location"] == lands_on.format(student=student)


def test_unsafe_next_is_not_put_into_the_form(alice, pairing):
    page = text(login(alice).get(f"/logs/new/?pairing={pairing.pk}&next=https://evil.example/"))
    assert "evil.example" not in page


# A log's page, editing and withdrawing


@pytest.mark.parametrize("who", ["alice", "bob", "office", "principal"])
def test_log_page_is_shown_to_whoever_may_see_the_student(
    request, log, bobs_pairing, homeroom, who
):
    # given bob helps the same student (多帮一)
    response = login(request.getfixturevalue(who)).get(f"/logs/{log.pk}/")
    assert response.status_code == 200
    assert "聊了期中考试的准备" in text(response)
    assert "爱丽丝老师" in text(response)


def test_homeroom_teacher_sees_logs_of_the_class(homeroom, log):
    assert login(homeroom).get(f"/logs/{log.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("who", "shown"),
    [("alice", True), ("office", True), ("bob", False), ("principal", False)],
)
def test_edit_and_withdraw_are_offered_to_the_author_and_the_office(
    request, log, bobs_pairing, who, shown
):
    page = text(login(request.getfixturevalue(who)).get(f"/logs/{log.pk}/"))
    assert (f"/logs/{log.pk}/edit/" in page) is shown
    assert (f"/logs/{log.pk}/withdraw/" in page) is shown


@pytest.mark.parametrize("who", ["carol", "charlie", "other_teacher"])
@pytest.mark.parametrize("action", ["", "edit/", "withdraw/"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_for_a_log(request, log, who, action, method):
    client = login(request.getfixturevalue(who))
    url = f"/logs/{log.pk}/{action}"
    response = client.get(url) if method == "get" else client.post(url, {"reason": "不该我看"})
    assert response.status_code == 404
    log.refresh_from_db()
    assert log.withdrawn_at is None


@pytest.mark.parametrize("pk", ["999999", "9" * 25])
@pytest.mark.parametrize(
    "url",
    [
        "/logs/{pk}/",
        "/logs/{pk}/edit/",
        "/logs/{pk}/withdraw/",
        "/students/{pk}/",
        "/students/{pk}/incidents/new/",
        "/pairings/{pk}/plan/",
    ],
)
def test_unknown_ids_get_404(office, url, pk):
    # ids beyond the database's integer range included: a 404, never a 500
    assert login(office).get(url.format(pk=pk)).status_code == 404


def edit_data(log: ActivityLog, **changes) -> dict[str, Any]:
    return {
        "kind": log.kind,
        "date": log.date.isoformat(),
        "channel": log.channel,
        "content": log.content,
        **changes,
    }


def test_author_edits_a_log_within_7_days(alice, log):
    client = login(alice)
    assert client.get(f"/logs/{log.pk}/edit/").status_code == 200
    response = client.post(f"/logs/{log.pk}/edit/", edit_data(log, content="补充：谈了假期安排"))
    assert response.status_code == 302
    assert response["Location"] == f"/logs/{log.pk}/"
    assert messages_of(response) == ["记录已更新"]
    log.refresh_from_db()
    assert log.content == "补充：谈了假期安排"


def test_edit_form_shows_the_log_as_it_is(alice, log):
    response = login(alice).get(f"/logs/{log.pk}/edit/")
    assert "聊了期中考试的准备" in text(response)
    assert 'name="pairing"' not in text(response)


def test_edit_with_bad_input_keeps_the_record_and_explains(alice, log):
    future = (today() + dt.timedelta(days=1)).isoformat()
    response = login(alice).post(
        f"/logs/{log.pk}/edit/", edit_data(log, date=future, content="新内容")
    )
    assert response.status_code == 200
    assert "日期不能晚于今天" in field_errors(response, "date")
    assert "新内容" in text(response)
    log.refresh_from_db()
    assert (log.date, log.content) == (today(), "聊了期中考试的准备")


def test_author_withdraws_a_log_with_a_reason_and_the_record_is_kept(alice, log):
    # when alice withdraws her log, saying why
    client = login(alice)
    assert "撤回原因" in text(client.get(f"/logs/{log.pk}/withdraw/"))
    response = client.post(f"/logs/{log.pk}/withdraw/", {"reason": "记错了学生"})
    # then the log stays, marked withdrawn with the reason, and no longer editable by her
    assert response.status_code == 302
    assert response["Location"] == f"/logs/{log.pk}/"
    assert messages_of(response) == ["记录已撤回，原记录仍保留"]
    log.refresh_from_db()
    assert log.withdrawn_at is not None
    assert log.withdrawn_reason == "记错了学生"
    page = text(client.get(f"/logs/{log.pk}/"))
    assert "记错了学生" in page
    assert "此记录不计入帮扶措施完成情况" in page
    assert f"/logs/{log.pk}/edit/" not in page


@pytest.mark.parametrize("reason", ["", "   "])
def test_withdrawing_needs_a_reason(alice, log, reason):
    response = login(alice).post(f"/logs/{log.pk}/withdraw/", {"reason": reason})
    assert response.status_code == 200
    assert "这个字段是必填项。" in field_errors(response, "reason")
    log.refresh_from_db()
    assert log.withdrawn_at is None


def test_withdrawn_log_no_longer_counts_towards_the_duty(alice, pairing, semester, log):
    # given alice's talk this week marks the weekly talk done
    require_teaching_week(semester, pairing, weeks_ago=0)
    client = login(alice)
    assert me_duty(client.get("/me/"), pairing, Kind.TALK)[0] == "已完成"
    # when she withdraws it
    client.post(f"/logs/{log.pk}/withdraw/", {"reason": "记错了日期"})
    # then the duty is open again, and the log is still on the student's timeline
    assert me_duty(client.get("/me/"), pairing, Kind.TALK)[0] != "已完成"
    timeline = text(client.get(f"/students/{pairing.student_id}/"))
    assert "已撤回" in timeline


def test_withdrawing_twice_is_refused(office, log):
    client = login(office)
    client.post(f"/logs/{log.pk}/withdraw/", {"reason": "重复记录"})
    response = client.post(f"/logs/{log.pk}/withdraw/", {"reason": "再撤一次"})
    assert response.status_code == 200
    assert "该记录已撤回" in form_errors(response)
    log.refresh_from_db()
    assert log.withdrawn_reason == "重复记录"


def test_after_7_days_the_author_is_sent_to_the_read_only_page(alice, log):
    # given alice's log was written 8 days ago
    age(log, days=8)
    client = login(alice)
    # when she opens the edit form, then she is sent to the log's page and told why
    response = client.get(f"/logs/{log.pk}/edit/")
    assert response.status_code == 302
    assert response["Location"] == f"/logs/{log.pk}/"
    assert messages_of(response) == [TOO_OLD]
    page = text(client.get(f"/logs/{log.pk}/"))
    assert f"/logs/{log.pk}/edit/" not in page
    assert f"/logs/{log.pk}/withdraw/" not in page


def test_after_7_days_the_authors_changes_are_refused(alice, log):
    age(log, days=8)
    client = login(alice)
    edit = client.post(f"/logs/{log.pk}/edit/", edit_data(log, content="改过的内容"))
    withdraw = client.post(f"/logs/{log.pk}/withdraw/", {"reason": "想撤回"})
    assert edit.status_code == 302
    assert withdraw["Location"] == f"/logs/{log.pk}/"
    assert messages_of(withdraw)[-1] == TOO_OLD
    log.refresh_from_db()
    assert (log.content, log.withdrawn_at) == ("聊了期中考试的准备", None)


def test_just_under_7_days_the_author_may_still_edit(alice, log):
    age(log, days=6)
    response = login(alice).post(f"/logs/{log.pk}/edit/", edit_data(log, content="还来得及"))
    assert response.status_code == 302
    log.refresh_from_db()
    assert log.content == "还来得及"


def test_after_7_days_the_office_corrects_and_withdraws(office, log):
    age(log, days=30)
    client = login(office)
    assert f"/logs/{log.pk}/edit/" in text(client.get(f"/logs/{log.pk}/"))
    edit = client.post(f"/logs/{log.pk}/edit/", edit_data(log, content="资助办更正"))
    withdraw = client.post(f"/logs/{log.pk}/withdraw/", {"reason": "重复记录"})
    assert (edit.status_code, withdraw.status_code) == (302, 302)
    log.refresh_from_db()
    assert log.content == "资助办更正"
    assert log.withdrawn_reason == "重复记录"
    assert log.author.profile.name == "爱丽丝老师"


@pytest.mark.parametrize("who", ["bob", "principal", "homeroom"])
def test_others_who_see_the_log_cannot_change_it(request, log, bobs_pairing, who):
    # given a fresh log of alice's, seen by bob (who helps the same student), the principal
    # and the homeroom teacher
    client = login(request.getfixturevalue(who))
    # when they try to edit or withdraw it
    edit_form = client.get(f"/logs/{log.pk}/edit/")
    edit = client.post(f"/logs/{log.pk}/edit/", edit_data(log, content="别人改的"))
    withdraw = client.post(f"/logs/{log.pk}/withdraw/", {"reason": "别人撤的"})
    # then they are sent back to the read-only page and nothing changes
    assert edit_form.status_code == 302
    assert edit_form["Location"] == f"/logs/{log.pk}/"
    assert edit.status_code == 302
    assert withdraw.status_code == 302
    assert withdraw["Location"] == f"/logs/{log.pk}/"
    log.refresh_from_db()
    assert (log.content, log.withdrawn_at) == ("聊了期中考试的准备", None)


@pytest.mark.parametrize("who", ["bob", "principal", "homeroom"])
def test_others_are_told_only_the_author_or_the_office_may_change_a_log(
    request, log, bobs_pairing, who
):
    # given a fresh log of alice's: what stops others is not its age
    client = login(request.getfixturevalue(who))
    edit = client.get(f"/logs/{log.pk}/edit/")
    withdraw = client.post(f"/logs/{log.pk}/withdraw/", {"reason": "别人撤的"})
    assert messages_of(edit) == [NOT_YOURS]
    assert withdraw.url == f"/logs/{log.pk}/"
    assert messages_of(withdraw)[-1] == NOT_YOURS
    assert client.get(f"/logs/{log.pk}/withdraw/").url == f"/logs/{log.pk}/"


def test_author_cannot_edit_a_withdrawn_log(alice, log):
    client = login(alice)
    client.post(f"/logs/{log.pk}/withdraw/", {"reason": "记错了"})
    response = client.get(f"/logs/{log.pk}/edit/")
    assert response.status_code == 302
    assert "该记录已撤回" in messages_of(response)
