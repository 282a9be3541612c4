"""How long AidCase keeps what it holds about children (governance.retention): graduated and
transferred students archived once their period is over, a student's leaving ending their
pairings, the erasure of a student who has left (every record, file, history row and the
name in stored sheets and reminders go; an Erasure with a reference stays), and the daily
run (`manage.py retention`) that prunes login records, reminders, export ZIPs, import
uploads and media files no record points to."""

import datetime as dt
import io
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from axes.models import AccessLog as LoginLog
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from assessment.models import SheetExport
from assessment.tasks import KEEP_EXPORTS
from governance.retention import (
    ARCHIVE_REASON,
    archivable,
    retention_run,
    students_archive,
)
from imports.views import TOKEN_SECONDS
from pairing.models import Pairing
from pairing.services import pairing_create
from students.models import Category, Role, Student
from students.selectors import ARCHIVED, student_search, students_visible_to
from students.services import student_save
from tests import factories
from tests.governance.retention_world import (
    OLD,
    days_ago,
    jpeg,
    leave,
    row_counts,
    today,
    transactional,
    write,
)
from visits.models import ActivityLog, Kind, Reminder
from visits.photos import photos_add

# Every test here writes under a MEDIA_ROOT of its own.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

# Archiving


def test_leavers_are_archived_once_gone_for_the_period(school, settings):
    # given students who left exactly the period ago, one who left a day later, and students
    # who did not leave for good (dropped out long ago, enrolled, suspended)
    period = settings.ARCHIVE_AFTER_DAYS
    graduated = factories.StudentFactory(
        school=school, status=Student.Status.GRADUATED, left_on=days_ago(period)
    )
    transferred = factories.StudentFactory(
        school=school, status=Student.Status.TRANSFERRED, left_on=days_ago(period)
    )
    recent = factories.StudentFactory(
        school=school, status=Student.Status.GRADUATED, left_on=days_ago(period - 1)
    )
    dropped = factories.StudentFactory(
        school=school, status=Student.Status.DROPPED_OUT, left_on=days_ago(3 * period)
    )
    enrolled = factories.StudentFactory(school=school)
    suspended = factories.StudentFactory(school=school, status=Student.Status.SUSPENDED)
    # when the run archives as of today
    archived = students_archive(on=today())
    # then exactly the two who left the period ago are archived
    assert archived == 2
    assert set(Student.objects.filter(archived_at__isnull=False)) == {graduated, transferred}
    assert [
        Student.objects.get(pk=s.pk).is_archived for s in (recent, dropped, enrolled, suspended)
    ] == [False, False, False, False]


def test_archiving_as_of_a_later_day_takes_the_next_leaver(school):
    recent = factories.StudentFactory(
        school=school, status=Student.Status.GRADUATED, left_on=days_ago(364)
    )
    assert list(archivable(on=today())) == []
    assert list(archivable(on=today() + dt.timedelta(days=1))) == [recent]


def test_archiving_twice_archives_nobody_twice(school):
    # given a student archived by a first run
    student = factories.StudentFactory(
        school=school, status=Student.Status.TRANSFERRED, left_on=days_ago(400)
    )
    assert students_archive(on=today()) == 1
    first = Student.objects.get(pk=student.pk).archived_at
    history = student.history.count()
    # when the run comes again
    again = students_archive(on=today())
    # then nobody is archived, the time and the history stay as they were
    assert again == 0
    assert Student.objects.get(pk=student.pk).archived_at == first
    assert student.history.count() == history


def test_a_dry_run_counts_without_archiving(school):
    student = factories.StudentFactory(
        school=school, status=Student.Status.GRADUATED, left_on=days_ago(400)
    )
    history = student.history.count()
    assert students_archive(on=today(), dry_run=True) == 1
    assert Student.objects.get(pk=student.pk).archived_at is None
    assert student.history.count() == history
    assert students_archive(on=today(), dry_run=True) == 1


def test_each_archiving_is_kept_in_the_students_history(school):
    # given two students due for the archive
    students = [
        factories.StudentFactory(
            school=school, status=Student.Status.GRADUATED, left_on=days_ago(500)
        )
        for _ in range(2)
    ]
    # when the run archives them
    students_archive(on=today())
    # then each has a history row of the change, by nobody, with the reason
    latest = [s.history.order_by("-history_id").first() for s in students]
    assert [(h.history_type, h.history_user, h.history_change_reason) for h in latest] == [
        ("~", None, "离校满保存期限，自动归档"),
        ("~", None, "离校满保存期限，自动归档"),
    ]
    assert ARCHIVE_REASON == "离校满保存期限，自动归档"
    assert [h.archived_at is not None for h in latest] == [True, True]


def test_the_period_follows_the_setting(school, settings):
    # given students who left 30 and 29 days ago
    month = factories.StudentFactory(
        school=school, status=Student.Status.GRADUATED, left_on=days_ago(30)
    )
    factories.StudentFactory(school=school, status=Student.Status.GRADUATED, left_on=days_ago(29))
    # then the default period (a year) archives neither
    assert settings.ARCHIVE_AFTER_DAYS == 365
    assert archivable(on=today()).count() == 0
    # and a period of 30 days archives the first only
    settings.ARCHIVE_AFTER_DAYS = 30
    assert list(archivable(on=today())) == [month]
    assert students_archive(on=today()) == 1
    assert Student.objects.get(pk=month.pk).is_archived


def test_an_archived_student_is_hidden_from_their_homeroom_teacher_but_not_the_office(
    school, office
):
    # given a homeroom class with an archived graduate and a graduate not archived yet
    homeroom = factories.make_user(Role.TEACHER, school=school)
    school_class = factories.SchoolClassFactory(school=school, homeroom_teacher=homeroom)
    archived = factories.StudentFactory(
        school=school,
        cohort=school_class.cohort,
        school_class=school_class,
        status=Student.Status.GRADUATED,
        left_on=days_ago(400),
    )
    recent = factories.StudentFactory(
        school=school,
        cohort=school_class.cohort,
        school_class=school_class,
        status=Student.Status.GRADUATED,
        left_on=days_ago(10),
    )
    students_archive(on=today())
    # then the homeroom teacher sees only the one not archived, the office both
    assert set(students_visible_to(user=homeroom)) == {recent}
    assert set(students_visible_to(user=office)) == {archived, recent}


def test_searches_leave_archived_students_out_unless_asked_for(school, office):
    archived = factories.StudentFactory(
        school=school, status=Student.Status.GRADUATED, left_on=days_ago(400)
    )
    graduated = factories.StudentFactory(
        school=school, status=Student.Status.GRADUATED, left_on=days_ago(10)
    )
    enrolled = factories.StudentFactory(school=school)
    students_archive(on=today())
    visible = students_visible_to(user=office)
    assert set(student_search(students=visible, status="")) == {graduated, enrolled}
    assert set(student_search(students=visible, status=Student.Status.GRADUATED)) == {graduated}
    assert list(student_search(students=visible, status=ARCHIVED)) == [archived]


# A student's leaving


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Student.Status.TRANSFERRED, Pairing.EndReason.TRANSFERRED),
        (Student.Status.GRADUATED, Pairing.EndReason.GRADUATED),
    ],
)
def test_leaving_for_good_ends_the_open_pairings_on_the_day(
    school, semester, office, status, reason
):
    # given a student with two open pairings and one already ended
    student = factories.StudentFactory(school=school)
    first = factories.PairingFactory(school=school, student=student)
    second = factories.PairingFactory(school=school, student=student, category=Category.POOR)
    ended = factories.PairingFactory(
        school=school,
        student=student,
        category=Category.STRUGGLING,
        end=semester.start,
        end_reason=Pairing.EndReason.LEFT_CATEGORY,
    )
    # when the office records that the student left, without a day
    leave(student, status, by=office)
    # then the day is today and the open pairings end that day for that reason
    assert Student.objects.get(pk=student.pk).left_on == today()
    rows = [Pairing.objects.get(pk=p.pk) for p in (first, second, ended)]
    assert [(p.end, p.end_reason) for p in rows] == [
        (today(), reason),
        (today(), reason),
        (semester.start, Pairing.EndReason.LEFT_CATEGORY),
    ]


def test_a_student_leaving_through_the_admin_gets_the_day_and_their_pairings_end(
    school, semester, client
):
    # given an open pairing, and the system administrator in the Django admin
    pairing = factories.PairingFactory(school=school)
    student = pairing.student
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    # when the administrator sets the student to 毕业 without a day
    response = client.post(
        f"/admin/students/student/{student.pk}/change/",
        {
            "school": school.pk,
            "student_no": student.student_no,
            "name": student.name,
            "gender": student.gender,
            "birth_date": student.birth_date.isoformat(),
            "cohort": student.cohort_id,
            "status": Student.Status.GRADUATED,
            "left_on": "",
        },
    )
    # then the student is saved with today as the day and the pairing ends on it
    assert response.status_code == 302, response.content.decode()[:2000]
    student.refresh_from_db()
    pairing.refresh_from_db()
    assert (student.status, student.left_on) == (Student.Status.GRADUATED, today())
    assert (pairing.end, pairing.end_reason) == (today(), Pairing.EndReason.GRADUATED)


def test_dropping_out_sets_the_day_but_keeps_the_pairings(school, semester, office):
    student = factories.StudentFactory(school=school)
    pairing = factories.PairingFactory(school=school, student=student)
    leave(student, Student.Status.DROPPED_OUT, by=office)
    assert Student.objects.get(pk=student.pk).left_on == today()
    pairing.refresh_from_db()
    assert (pairing.end, pairing.end_reason) == (None, "")


def test_coming_back_clears_the_leaving_day_and_the_archive(school, office):
    # given an archived graduate
    student = factories.StudentFactory(
        school=school, status=Student.Status.GRADUATED, left_on=days_ago(400)
    )
    students_archive(on=today())
    student.refresh_from_db()
    assert student.is_archived
    # when the office sets them back to enrolled
    leave(student, Student.Status.ENROLLED, by=office)
    # then they have no leaving day and are out of the archive
    stored = Student.objects.get(pk=student.pk)
    assert (stored.status, stored.left_on, stored.archived_at) == ("enrolled", None, None)


def test_a_leaving_day_before_a_pairing_started_is_refused_and_nothing_changes(
    school, semester, office
):
    # given a student paired since last term and again since this term started
    student = factories.StudentFactory(school=school)
    earlier = factories.PairingFactory(
        school=school,
        student=student,
        category=Category.POOR,
        start=semester.start - dt.timedelta(days=180),
    )
    later = factories.PairingFactory(school=school, student=student)
    history = Pairing.history.count()
    # when the office records a transfer on a day between the two starts
    student.status = Student.Status.TRANSFERRED
    student.left_on = semester.start - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        student_save(student=student, entry_year=student.cohort.entry_year, by=office)
    # then it is refused on the day, and neither the student nor a pairing changed
    assert "left_on" in error.value.message_dict
    assert semester.start.isoformat() in error.value.message_dict["left_on"][0]
    stored = Student.objects.get(pk=student.pk)
    assert (stored.status, stored.left_on) == ("enrolled", None)
    assert [Pairing.objects.get(pk=p.pk).end for p in (earlier, later)] == [None, None]
    assert Pairing.history.count() == history


def test_a_graduated_student_gets_no_new_pairing(school, semester, office):
    # given two students identified this semester, one of whom has graduated
    graduate = factories.StudentFactory(school=school)
    classmate = factories.StudentFactory(school=school)
    for student in (graduate, classmate):
        factories.IdentificationFactory(student=student, semester=semester)
    leave(graduate, by=office)
    teacher = factories.make_user(Role.TEACHER, school=school)
    pair = {"school": school, "teacher": teacher, "category": Category.LEFT_BEHIND}
    # then the classmate can be paired, the graduate cannot
    pairing_create(**pair, student=classmate, start=semester.start, by=office)
    with pytest.raises(ValidationError) as error:
        pairing_create(**pair, student=graduate, start=semester.start, by=office)
    assert "已毕业，不能新建结对" in error.value.message_dict["student"][0]
    assert list(Pairing.objects.values_list("student", flat=True)) == [classmate.pk]


# The daily run


def login_records(username: str, *, days: int) -> None:
    """One record of each kind axes keeps (successful login, failure, attempt), `days` old."""
    common = {
        "user_agent": "Mozilla/5.0",
        "ip_address": "10.0.0.7",
        "username": username,
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
    }
    made = [
        LoginLog.objects.create(**common),
        AccessFailureLog.objects.create(**common, locked_out=False),
        AccessAttempt.objects.create(**common, get_data="", post_data="", failures_since_start=1),
    ]
    # attempt_time is auto_now_add: the age is set afterwards
    for record in made:
        type(record).objects.filter(pk=record.pk).update(
            attempt_time=timezone.now() - dt.timedelta(days=days)
        )


def reminder(user, *, days: int, name: str = "提醒") -> Reminder:
    made = Reminder.objects.create(
        user=user,
        kind=Reminder.Kind.TEACHER_DIGEST,
        period=days_ago(days),
        subject=name,
        body=f"{name}：谈心谈话逾期",
        overdue=1,
        run=uuid.uuid4(),
    )
    Reminder.objects.filter(pk=made.pk).update(created_at=timezone.now() - dt.timedelta(days=days))
    return made


def export(school, office, media: Path, *, age: dt.timedelta, name: str) -> SheetExport:
    write(media / "exports" / str(school.pk) / name)
    made = SheetExport.objects.create(
        school=school,
        semester=factories.SemesterFactory(school=school),
        requested_by=office,
        state=SheetExport.State.DONE,
        file=f"exports/{school.pk}/{name}",
    )
    SheetExport.objects.filter(pk=made.pk).update(created_at=timezone.now() - age)
    return made


def steps(on: dt.date | None = None, *, dry_run: bool = False) -> list[int]:
    return [step.count for step in retention_run(on=on or today(), dry_run=dry_run)]


def test_login_records_past_their_period_are_deleted(settings, office):
    # given login records of each kind a day past the period, and a day short of it
    assert settings.LOGIN_RECORD_DAYS == 180
    login_records("old", days=181)
    login_records("new", days=179)
    # when the daily run comes
    counts = steps()
    # then the three old ones are deleted, the new ones kept
    assert counts[1] == 3
    assert [
        sorted(model.objects.values_list("username", flat=True))
        for model in (LoginLog, AccessFailureLog, AccessAttempt)
    ] == [["new"], ["new"], ["new"]]


def test_the_login_record_period_follows_the_setting(settings):
    settings.LOGIN_RECORD_DAYS = 10
    login_records("eleven", days=11)
    login_records("nine", days=9)
    assert steps()[1] == 3
    assert list(LoginLog.objects.values_list("username", flat=True)) == ["nine"]


def test_reminders_past_their_period_are_deleted(settings, school):
    assert settings.REMINDER_DAYS == 180
    teacher = factories.make_user(Role.TEACHER, school=school)
    reminder(teacher, days=181, name="旧提醒")
    kept = reminder(teacher, days=179, name="新提醒")
    assert steps()[2] == 1
    assert list(Reminder.objects.all()) == [kept]


def test_expired_exports_are_deleted_with_their_zip(
    school, office, media, django_capture_on_commit_callbacks
):
    # given an export older than it is kept, and a fresh one
    old = export(school, office, media, age=KEEP_EXPORTS + dt.timedelta(hours=1), name="old.zip")
    fresh = export(school, office, media, age=dt.timedelta(hours=1), name="fresh.zip")
    # when the daily run comes
    with django_capture_on_commit_callbacks(execute=True):
        counts = steps()
    # then the old one and its file are gone, the fresh one stays
    assert counts[3] == 1
    assert list(SheetExport.objects.all()) == [fresh]
    assert not (media / old.file).exists()
    assert (media / fresh.file).is_file()


def test_import_files_past_their_token_are_deleted(media):
    old = write(media / "imports" / "old-token.xlsx", mtime=time.time() - TOKEN_SECONDS - 60)
    young = write(media / "imports" / "young-token.xlsx", mtime=time.time() - TOKEN_SECONDS + 60)
    assert steps()[4] == 1
    assert (old.exists(), young.exists()) == (False, True)


def test_photo_files_no_record_points_to_are_deleted_after_a_day(school, semester, media):
    # given an old photo a record points to, an old file none does and a fresh one none does
    pairing = factories.PairingFactory(school=school)
    log = ActivityLog.objects.create(
        pairing=pairing,
        author=pairing.teacher,
        kind=Kind.HOME_VISIT,
        date=today(),
        content="家访",
        visit_place="家中",
    )
    (photo,) = photos_add(log=log, uploads=[jpeg()], by=pairing.teacher)
    referenced = Path(photo.image.path)
    os.utime(referenced, (OLD, OLD))
    orphan = write(media / "photos" / "2026" / "01" / "orphan.jpg", mtime=OLD)
    fresh = write(media / "photos" / "2026" / "11" / "uploading.jpg")
    # when the daily run comes
    assert steps()[5] == 1
    # then only the old orphan is gone
    assert (referenced.exists(), orphan.exists(), fresh.exists()) == (True, False, True)


def test_export_files_no_record_points_to_are_deleted_once_old(school, office, media):
    referenced = export(school, office, media, age=dt.timedelta(hours=1), name="kept.zip")
    os.utime(media / referenced.file, (OLD, OLD))
    orphan = write(media / "exports" / "1" / "gone.zip", mtime=OLD)
    young = write(media / "exports" / "1" / "young.zip")
    assert steps()[5] == 1
    assert ((media / referenced.file).exists(), orphan.exists(), young.exists()) == (
        True,
        False,
        True,
    )


def test_files_elsewhere_under_media_are_never_touched(media):
    others = [
        write(media / "other" / "old.txt", mtime=OLD),
        write(media / "stray.jpg", mtime=OLD),
        write(media / "static" / "photos" / "old.jpg", mtime=OLD),
    ]
    assert steps() == [0, 0, 0, 0, 0, 0, 0]
    assert [path.is_file() for path in others] == [True, True, True]


@pytest.fixture
def everything(school, office, media) -> dict[str, Any]:
    """One thing for each step of the daily run to do, and one it must leave alone."""
    teacher = factories.make_user(Role.TEACHER, school=school)
    factories.StudentFactory(school=school, status=Student.Status.GRADUATED, left_on=days_ago(400))
    factories.StudentFactory(school=school, status=Student.Status.GRADUATED, left_on=days_ago(10))
    login_records("old", days=200)
    login_records("new", days=1)
    reminder(teacher, days=200)
    reminder(teacher, days=1)
    old = export(school, office, media, age=dt.timedelta(days=2), name="old.zip")
    os.utime(media / old.file, (OLD, OLD))
    export(school, office, media, age=dt.timedelta(hours=1), name="fresh.zip")
    write(media / "imports" / "old-token.xlsx", mtime=OLD)
    write(media / "imports" / "new-token.xlsx")
    write(media / "photos" / "2026" / "01" / "orphan.jpg", mtime=OLD)
    write(media / "exports" / "9" / "orphan.zip", mtime=OLD)
    write(media / "photos" / "2026" / "11" / "fresh.jpg")
    return {"other": write(media / "other" / "old.txt", mtime=OLD)}


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue().splitlines()


@transactional
def test_the_command_names_each_step_with_its_count_and_a_second_run_finds_nothing(
    everything, school, media
):
    # when the daily run comes
    first = run()
    # then each step says, in Chinese, how many it archived or deleted
    assert first == [
        "归档离校满 365 天的毕业、转出学生：1",
        "删除 180 天前的登录记录：3",
        "删除 180 天前的提醒：1",
        "删除过期的考核表压缩包：1",
        "删除过期未确认的导入文件：1",
        "删除没有记录指向的照片和压缩包文件：2",
        "删除一天前的表单提交记录和无人取回的暂存表单：0",
        f"{today()} 的保存期限处理已完成。",
    ]
    assert files_under(media) == [
        f"exports/{school.pk}/fresh.zip",
        "imports/new-token.xlsx",
        "other/old.txt",
        "photos/2026/11/fresh.jpg",
    ]
    # and a second run on the same day finds nothing to do
    second = run()
    assert [line.rsplit("：", 1)[1] for line in second[:7]] == ["0"] * 7
    assert everything["other"].is_file()


@transactional
def test_a_dry_run_counts_and_changes_nothing(everything, media):
    counts, files = row_counts(), files_under(media)
    archived = Student.objects.filter(archived_at__isnull=False).count()
    lines = run("--dry-run")
    assert [line.rsplit("：", 1)[1] for line in lines[:7]] == ["1", "3", "1", "1", "1", "2", "0"]
    assert "试运行" in lines[7]
    assert row_counts() == counts
    assert files_under(media) == files
    assert Student.objects.filter(archived_at__isnull=False).count() == archived


def test_the_command_archives_as_of_the_given_day(school):
    student = factories.StudentFactory(
        school=school, status=Student.Status.GRADUATED, left_on=days_ago(400)
    )
    earlier = (today() - dt.timedelta(days=40)).isoformat()
    assert run("--date", earlier)[0] == "归档离校满 365 天的毕业、转出学生：0"
    assert Student.objects.get(pk=student.pk).archived_at is None
    lines = run("--date", today().isoformat())
    assert lines[0] == "归档离校满 365 天的毕业、转出学生：1"
    assert lines[-1] == f"{today()} 的保存期限处理已完成。"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2025-13-01", "日期 2025-13-01 无效，应为 YYYY-MM-DD"),
        ("20250901", "日期 20250901 无效，应为 YYYY-MM-DD"),
    ],
    ids=["no-such-month", "no-dashes"],
)
def test_a_date_that_is_not_a_day_is_refused(school, value, message):
    student = factories.StudentFactory(
        school=school, status=Student.Status.GRADUATED, left_on=days_ago(400)
    )
    with pytest.raises(CommandError, match=message):
        run("--date", value)
    assert Student.objects.get(pk=student.pk).archived_at is None


def test_a_day_to_come_is_refused(school):
    # a run for tomorrow would archive tomorrow's leavers today
    student = factories.StudentFactory(
        school=school, status=Student.Status.GRADUATED, left_on=days_ago(365) + dt.timedelta(1)
    )
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(CommandError, match="日期不能晚于今天"):
        run("--date", tomorrow)
    assert Student.objects.get(pk=student.pk).archived_at is None
