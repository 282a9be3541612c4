"""Reminders: the daily digest of each teacher's due and overdue duties, the principals' weekly
summary, `manage.py send_reminders`, and the reminders on /me/.

The days are fixed: the school runs the autumn semester 2025-2026-1 (1 Sep 2025 – 31 Jan
2026), the pairings start on its first day, and the reminders are sent on Monday 3 November
2025 (and the Tuesday after). With no log, a left-behind pairing then has its weekly talk
overdue since 11/3 (last week missed), its monthly call overdue since 11/1 (October missed),
and the semester's letter and the year's festival due; a poor pairing has its monthly talk
overdue and its semester's material aid and home visit due.

alice (e-mail known) helps 王小明 (留守); bob (e-mail known) helps 李小红 (贫困); carol has no
e-mail; the principal reads the weekly summary."""

import datetime as dt
import io
import re
import smtplib
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import CommandError, call_command

from pairing.models import Pairing
from students.models import Category, Role, School
from tests import factories
from tests.conftest import login
from tests.helpers import id_number, login_redirect, text
from visits.duty_store import duty_status_rebuild
from visits.models import ActivityLog, Kind, Reminder
from visits.reminders import ReminderRun, reminders_send
from visits.selectors import reminders_unread

pytestmark = pytest.mark.django_db

AUTUMN = "2025-2026-1"
START = dt.date(2025, 9, 1)
MONDAY = dt.date(2025, 11, 3)
TUESDAY = dt.date(2025, 11, 4)
NEXT_MONDAY = dt.date(2025, 11, 10)
SUMMER = dt.date(2026, 8, 10)
ID_NUMBER = id_number("52010120120101123")
STUDENT_NO = "G520101201201019999"


# People and records


@pytest.fixture
def autumn(school):
    return factories.SemesterFactory(school=school, code=AUTUMN)


def teacher(school: School, name: str, email: str = "") -> User:
    return factories.make_user(Role.TEACHER, school=school, name=name, user__email=email)


def pair(school: School, helper: User, name: str, **fields: Any) -> Pairing:
    student = factories.StudentFactory(
        school=school, name=name, id_number=fields.pop("id_number", "")
    )
    fields.setdefault("start", START)
    pairing: Pairing = factories.PairingFactory(
        school=school, student=student, teacher=helper, **fields
    )
    return pairing


def log(pairing: Pairing, kind: str, day: dt.date) -> ActivityLog:
    return ActivityLog.objects.create(
        pairing=pairing, author=pairing.teacher, kind=kind, date=day, content="已完成"
    )


@pytest.fixture
def alice(school, autumn):
    return teacher(school, "爱丽丝老师", "alice@example.cn")


@pytest.fixture
def bob(school, autumn):
    return teacher(school, "鲍勃老师", "bob@example.cn")


@pytest.fixture
def carol(school, autumn):
    return teacher(school, "卡罗尔老师")


@pytest.fixture
def principal(school, autumn):
    return factories.make_user(
        Role.PRINCIPAL, school=school, name="王校长", user__email="head@example.cn"
    )


@pytest.fixture
def alices_pairing(school, alice):
    return pair(school, alice, "王小明", id_number=ID_NUMBER)


@pytest.fixture
def bobs_pairing(school, bob):
    return pair(school, bob, "李小红", category=Category.POOR)


def send(*args: str) -> str:
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def digest_of(user: User) -> Reminder:
    return Reminder.objects.get(user=user, kind=Reminder.Kind.TEACHER_DIGEST)


# The daily digest


def test_running_twice_on_one_day_sends_one_digest(alices_pairing, bobs_pairing, alice, bob):
    # when the reminders of Monday are sent twice
    first = send("--date", MONDAY.isoformat())
    second = send("--date", MONDAY.isoformat())
    # then each teacher has one digest and one e-mail, and the second run only skipped
    assert sorted(Reminder.objects.values_list("user__username", "period")) == sorted(
        [(alice.username, MONDAY), (bob.username, MONDAY)]
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.cn", "bob@example.cn"]
    assert "新建站内提醒 2 条，发送邮件 2 封，已发送过而跳过 0 条" in first
    assert "新建站内提醒 0 条，发送邮件 0 封，已发送过而跳过 2 条" in second
    assert Reminder.objects.filter(emailed_at__isnull=True).count() == 0


def test_the_next_day_brings_a_new_digest(alices_pairing, alice):
    reminders_send(on=MONDAY)
    run = reminders_send(on=TUESDAY)
    assert run == ReminderRun(created=1, emailed=1, skipped=0)
    assert list(Reminder.objects.filter(user=alice).values_list("period", flat=True)) == [
        TUESDAY,
        MONDAY,
    ]


def test_a_digest_made_by_another_run_is_not_mailed_again(alices_pairing, alice):
    # given a run that made alice's digest of the day (it may still be sending it)
    Reminder.objects.create(
        user=alice,
        kind=Reminder.Kind.TEACHER_DIGEST,
        period=MONDAY,
        subject="s",
        body="b",
        due=1,
        run="00000000-0000-0000-0000-000000000001",
    )
    # when another run reaches her, then it leaves her digest to that run
    assert reminders_send(on=MONDAY) == ReminderRun(created=0, emailed=0, skipped=1)
    assert mail.outbox == []


def test_teacher_with_nothing_due_or_overdue_gets_nothing(school, alice, alices_pairing):
    # given alice has done everything owed on Monday: this week's talk, this month's call,
    # the semester's letter and the year's festival (and last week's talk, October's call)
    for kind, day in [
        (Kind.TALK, MONDAY - dt.timedelta(days=1)),
        (Kind.TALK, MONDAY),
        (Kind.PARENT_CONTACT, dt.date(2025, 10, 15)),
        (Kind.PARENT_CONTACT, MONDAY),
        (Kind.LETTER, dt.date(2025, 10, 1)),
        (Kind.FESTIVAL, dt.date(2025, 10, 1)),
    ]:
        log(alices_pairing, kind, day)
    # when the reminders are sent, then she gets none
    assert reminders_send(on=MONDAY) == ReminderRun(created=0, emailed=0, skipped=0)
    assert not Reminder.objects.exists()
    assert mail.outbox == []


def test_teacher_without_email_gets_the_in_app_digest_only(school, carol):
    pair(school, carol, "赵小刚")
    run = reminders_send(on=MONDAY)
    assert (run.created, run.emailed) == (1, 0)
    assert digest_of(carol).emailed_at is None
    assert mail.outbox == []


def test_ended_pairings_and_deactivated_accounts_get_nothing(school, alice, bob, carol):
    # given alice's only pairing ended last week, and bob's account was switched off
    pair(school, alice, "已结束生", end=MONDAY - dt.timedelta(days=7), end_reason="graduated")
    pair(school, bob, "李小红", category=Category.POOR)
    User.objects.filter(pk=bob.pk).update(is_active=False)
    pair(school, carol, "赵小刚")
    # when the reminders are sent, then only carol has one
    reminders_send(on=MONDAY)
    assert list(Reminder.objects.values_list("user", flat=True)) == [carol.pk]


def test_school_option_leaves_other_schools_untouched(school, alices_pairing, alice):
    # given a teacher of another school with duties overdue too
    other = factories.SchoolFactory(code="OTHER")
    factories.SemesterFactory(school=other, code=AUTUMN)
    outsider = teacher(other, "外校老师", "out@example.cn")
    pair(other, outsider, "外校生")
    # when the reminders are sent for alice's school only
    output = send("--date", MONDAY.isoformat(), "--school", school.code)
    # then nobody of the other school has one
    assert list(Reminder.objects.values_list("user", flat=True)) == [alice.pk]
    assert [m.to for m in mail.outbox] == [["alice@example.cn"]]
    assert "新建站内提醒 1 条" in output


def test_no_reminders_between_semesters(alices_pairing):
    assert reminders_send(on=SUMMER) == ReminderRun(created=0, emailed=0, skipped=0)


def test_digest_names_students_and_duties_in_words_never_an_id_number(
    school, alice, alices_pairing
):
    # given alice also helps a poor student, whose one duty she has done this month
    other = pair(school, alice, "李小红", category=Category.POOR)
    log(other, Kind.MATERIAL_AID, dt.date(2025, 10, 20))
    # when the reminders are sent
    reminders_send(on=MONDAY)
    digest = digest_of(alice)
    body = digest.body
    # then the digest lists each student and each duty due or overdue, with its status word
    assert body.startswith("爱丽丝老师，您好：")
    assert "截至 2025年11月3日，您结对帮扶的学生中有逾期 3 项、待完成 3 项：" in body
    assert (
        "王小明（留守学生）\n· 逾期：谈心交流（学习、生活、假期活动、交友）（11/3 起逾期）" in body
    )
    assert "· 逾期：与家长通话，汇报情况，学生与家长交流（11/1 起逾期）" in body
    assert "· 待完成：指导学生给父母写一封信（1/31 前完成）" in body
    assert (
        "李小红（家庭经济困难学生）\n· 逾期：交流生活、学习情况，征询帮扶意见（11/1 起逾期）"
        in body
    )
    assert "衣物、学习用品或资金资助" not in body  # done: not listed
    assert (digest.overdue, digest.due) == (3, 3)
    assert digest.subject == "11月3日 帮扶提醒：逾期 3 项，待完成 3 项"
    # and no ID number or student number, in the reminder or the e-mail
    student = alices_pairing.student
    (message,) = mail.outbox
    for sent in (body, digest.subject, message.body, message.subject):
        assert ID_NUMBER not in sent
        assert student.student_no not in sent
    assert (message.subject, message.body) == (digest.subject, body)


# The principals' weekly summary


def test_principal_gets_one_summary_a_week(alices_pairing, bobs_pairing, principal):
    # when the reminders are sent on Monday and on Tuesday
    reminders_send(on=MONDAY)
    reminders_send(on=TUESDAY)
    # then the principal has one summary, for the week of Monday, e-mailed once
    (summary,) = Reminder.objects.filter(user=principal)
    assert (summary.kind, summary.period) == (Reminder.Kind.PRINCIPAL_WEEKLY, MONDAY)
    assert [m.to for m in mail.outbox if m.to == ["head@example.cn"]] == [["head@example.cn"]]
    # and a new week brings a new one
    reminders_send(on=NEXT_MONDAY)
    assert Reminder.objects.filter(user=principal).count() == 2


def test_first_run_of_a_week_makes_the_summary_even_after_monday(alices_pairing, principal):
    reminders_send(on=TUESDAY)
    assert Reminder.objects.get(user=principal).period == MONDAY


def test_summary_counts_overdue_by_category_and_names_the_teachers_most_behind(
    school, alices_pairing, bobs_pairing, principal
):
    # given carol, whose account is off, behind with a problem student (4 overdue)
    carol = teacher(school, "卡罗尔老师")
    pair(school, carol, "赵小刚", category=Category.PROBLEM)
    User.objects.filter(pk=carol.pk).update(is_active=False)
    # when the reminders are sent
    reminders_send(on=MONDAY)
    summary = Reminder.objects.get(user=principal)
    # then the summary gives the school's counts, by category, and the teachers most behind
    assert (summary.overdue, summary.due) == (7, 4)
    assert summary.subject == "11月3日 起一周帮扶汇总：逾期 7 项，待完成 4 项"
    assert summary.body.startswith("王校长，您好：")
    assert "全校进行中的结对 3 个、帮扶教师 3 名，共有逾期 7 项、待完成 4 项。" in summary.body
    categories = (
        "· 留守学生：2 项\n· 家庭经济困难学生：1 项\n· 学习困难学生：0 项\n· 问题学生：4 项"
    )
    assert categories in summary.body
    teachers = (
        "逾期最多的教师：\n· 卡罗尔老师：逾期 4 项\n· 爱丽丝老师：逾期 2 项\n· 鲍勃老师：逾期 1 项"
    )
    assert teachers in summary.body
    assert "赵小刚" not in summary.body


def test_deactivated_principal_gets_no_summary(alices_pairing, principal):
    User.objects.filter(pk=principal.pk).update(is_active=False)
    reminders_send(on=MONDAY)
    assert not Reminder.objects.filter(user=principal).exists()


REMINDER_QUERIES = 13


@pytest.mark.parametrize("size", [2, 16])
def test_query_count_does_not_grow_with_teachers(
    school, autumn, principal, size, django_assert_num_queries
):
    # given `size` teachers with an e-mail address, each behind with a student
    for n in range(size):
        pair(school, teacher(school, f"教师{n}", f"t{n}@example.cn"), f"学生{n}")
    # and their duty status stored, as the first read or the task worker stores it
    duty_status_rebuild(schools=[school], on=MONDAY)
    # when the reminders are sent, then the number of queries is fixed
    with django_assert_num_queries(REMINDER_QUERIES):
        run = reminders_send(on=MONDAY, school=school)
    assert run == ReminderRun(created=size + 1, emailed=size + 1, skipped=0)


# E-mail refused


def test_refused_email_leaves_the_reminder_in_app(monkeypatch, alices_pairing, alice):
    # given a mail server that refuses the message (the test backend stands in for it)
    def refuse(backend: Any, messages: Any) -> int:
        raise smtplib.SMTPRecipientsRefused({})

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)
    run = reminders_send(on=MONDAY)
    assert run == ReminderRun(created=1, emailed=0, skipped=0, failed=1)
    assert digest_of(alice).emailed_at is None
    # and a second run does not try again: the digest was made
    assert reminders_send(on=MONDAY) == ReminderRun(created=0, emailed=0, skipped=1)


# Bad input


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--date", "2025-11-31"], "日期 2025-11-31 无效，应为 YYYY-MM-DD，例如 2025-09-01"),
        (["--date", "20251103"], "日期 20251103 无效，应为 YYYY-MM-DD，例如 2025-09-01"),
        (["--date", "明天"], "日期 明天 无效，应为 YYYY-MM-DD，例如 2025-09-01"),
        (["--date", "2999-01-01"], "日期不能晚于今天"),
        (["--school", "NOPE"], "学校代码 NOPE 不存在"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(alices_pairing, args, error):
    with pytest.raises(CommandError, match=f"^{re.escape(error)}$"):
        send(*args)
    assert not Reminder.objects.exists()
    assert mail.outbox == []


# /me/ and marking read


@pytest.fixture
def alices_digest(alices_pairing, alice) -> Reminder:
    reminders_send(on=MONDAY)
    return digest_of(alice)


def test_me_shows_unread_reminders_and_the_weekly_count(alice, alices_digest):
    response = login(alice).get("/me/")
    page = text(response)
    assert alices_digest.subject in page
    assert f'action="/reminders/{alices_digest.pk}/read/"' in page
    counts = {k: response.context[k] for k in ("due", "due_this_week", "overdue")}
    line = "待完成 {due} 项（本周到期 {due_this_week} 项）· 逾期 {overdue} 项".format(**counts)
    assert line in page
    # the badges above it say the same
    if counts["due"]:
        assert "待完成 {due} 项".format(**counts) in page.split("notice-summary")[0]


def test_me_lists_at_most_three_reminders_latest_first(school, alice, alices_pairing):
    for day in range(3, 8):
        reminders_send(on=dt.date(2025, 11, day))
    page = text(login(alice).get("/me/"))
    shown = re.findall(r"(\d+月\d+日) 帮扶提醒", page)
    assert shown == ["11月7日", "11月6日", "11月5日"]


def test_me_count_line_is_there_without_reminders(alice):
    page = text(login(alice).get("/me/"))
    assert "待完成 0 项（本周到期 0 项）· 逾期 0 项" in page


def test_owner_marks_a_reminder_read(alice, alices_digest):
    client = login(alice)
    response = client.post(f"/reminders/{alices_digest.pk}/read/", {"next": "/me/"})
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    alices_digest.refresh_from_db()
    assert alices_digest.read_at is not None
    assert alices_digest.subject not in text(client.get("/me/"))


def test_reading_twice_keeps_the_first_time(alice, alices_digest):
    client = login(alice)
    client.post(f"/reminders/{alices_digest.pk}/read/")
    alices_digest.refresh_from_db()
    first = alices_digest.read_at
    client.post(f"/reminders/{alices_digest.pk}/read/")
    alices_digest.refresh_from_db()
    assert alices_digest.read_at == first


def test_another_users_reminder_is_404(school, alices_digest, bob, principal):
    for other in (bob, principal):
        response = login(other).post(f"/reminders/{alices_digest.pk}/read/")
        assert response.status_code == 404
    alices_digest.refresh_from_db()
    assert alices_digest.read_at is None


def test_anonymous_is_sent_to_login(client, alices_digest):
    url = f"/reminders/{alices_digest.pk}/read/"
    response = client.post(url)
    assert (response.status_code, response["Location"]) == (302, login_redirect(url))


def test_marking_read_takes_a_post(alice, alices_digest):
    assert login(alice).get(f"/reminders/{alices_digest.pk}/read/").status_code == 405


def test_unread_selector_gives_the_principal_their_summary(alices_pairing, principal):
    reminders_send(on=MONDAY)
    (summary,) = reminders_unread(user=principal)
    assert summary.kind == Reminder.Kind.PRINCIPAL_WEEKLY
