"""How long AidCase keeps what it holds about children (governance.retention): graduated and
transferred students archived once their period is over, a student's leaving ending their
pairings, the erasure of a student who has left (every record, file, history row and the
name in stored sheets and reminders go; an Erasure with a reference stays), and the daily
run (`manage.py retention`) that prunes login records, reminders, export ZIPs, import
uploads and media files no record points to."""

import datetime as dt
import io
import json
import os
import re
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from axes.models import AccessLog as LoginLog
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models
from django.test import RequestFactory
from django.utils import timezone
from PIL import Image

from aidcase.audit import access_record
from aidcase.models import AccessLog
from assessment.models import Questionnaire, Score, Sheet, SheetExport
from assessment.services import sheet_approve, sheet_submit, sheets_compute
from assessment.tasks import KEEP_EXPORTS
from governance import retention
from governance.models import Erasure
from governance.retention import (
    ARCHIVE_REASON,
    ERASED_LABEL,
    archivable,
    erasure_footprint,
    retention_run,
    student_erase,
    students_archive,
)
from imports.views import TOKEN_SECONDS
from pairing.models import Pairing
from pairing.services import pairing_create
from students.models import Category, Identification, Role, Student
from students.selectors import ARCHIVED, student_search, students_visible_to
from students.services import student_save
from tests import factories
from tests.helpers import id_number
from visits.models import ActivityLog, Incident, IncidentType, Kind, Reminder, VisitPhoto
from visits.photos import photos_add

pytestmark = pytest.mark.django_db
# The daily run as cron starts it: outside any transaction, so each step's files go when
# its own transaction commits, before the next step looks.
transactional = pytest.mark.django_db(transaction=True)

NAME = "欧阳测试娃"
STUDENT_NO = "G520101201299990777"
ID_NUMBER = id_number("52010120120101123")  # born 2012-01-01, the factory's birth date
CLASSMATE = "杨晓东"
REASON = "监护人于2026年11月20日书面申请删除，申请书存档号12"
REFERENCE = re.compile(r"^SC\d{8}-[0-9A-F]{6}$")
OLD = time.time() - 3 * 24 * 3600  # an mtime well past every grace period


def today() -> dt.date:
    return timezone.localdate()


def days_ago(days: int) -> dt.date:
    return today() - dt.timedelta(days=days)


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def office(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


def write(path: Path, content: bytes = b"data", *, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (mtime, mtime) if mtime is not None else None)
    return path


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    return SimpleUploadedFile("家访.jpg", buffer.getvalue(), content_type="image/jpeg")


def table_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed
    ]


def row_counts() -> dict[str, int]:
    """How many rows every table of every app holds."""
    return {model._meta.label: model._base_manager.count() for model in table_models()}


def raw_dump() -> str:
    """Every value of every table, as a database dump would show them."""
    tables = {model._meta.db_table for model in table_models()}
    tables |= set(connection.introspection.table_names())
    values = []
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            values += [plain(v) for row in cursor.fetchall() for v in row]
    return "\n".join(values)


def plain(value: Any) -> str:
    if isinstance(value, memoryview | bytes):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def traces(value: str) -> list[str]:
    """The value as written, and as a JSON column may hold it (\\uXXXX escapes)."""
    return [value, json.dumps(value)[1:-1]]


def leave(student: Student, status: str = Student.Status.GRADUATED, *, by=None) -> Student:
    student.status = status
    return student_save(student=student, entry_year=student.cohort.entry_year, by=by)


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


# Erasure


@pytest.fixture
def rich(school, semester, office, media) -> dict[str, Any]:
    """A student with a record of every kind (two pairings with two teachers, logs, a home
    visit with a photo on disk, an incident, a score, a questionnaire, stored sheets, one of
    them approved, a reminder, an access-log entry, an export ZIP), who then graduates; and
    a classmate helped by the same teacher."""
    now = timezone.now()
    principal = factories.make_user(Role.PRINCIPAL, school=school)
    first_teacher = factories.make_user(Role.TEACHER, school=school, name="王老师")
    second_teacher = factories.make_user(Role.TEACHER, school=school, name="李老师")
    school_class = factories.SchoolClassFactory(school=school)
    student = factories.StudentFactory(
        school=school,
        cohort=school_class.cohort,
        school_class=school_class,
        name=NAME,
        student_no=STUDENT_NO,
        id_number=ID_NUMBER,
        guardian_name="欧阳奶奶",
        address="平寨镇欧阳家村3组",
    )
    classmate = factories.StudentFactory(
        school=school, cohort=school_class.cohort, school_class=school_class, name=CLASSMATE
    )
    for category in (Category.LEFT_BEHIND, Category.STRUGGLING):
        factories.IdentificationFactory(student=student, semester=semester, category=category)
    first = factories.PairingFactory(school=school, student=student, teacher=first_teacher)
    second = factories.PairingFactory(
        school=school,
        student=student,
        teacher=second_teacher,
        category=Category.STRUGGLING,
        subject="数学",
    )
    theirs = factories.PairingFactory(school=school, student=classmate, teacher=first_teacher)
    talk = ActivityLog.objects.create(
        pairing=first,
        author=first_teacher,
        kind=Kind.TALK,
        date=today(),
        content=f"与{NAME}谈心",
    )
    talk.content = f"与{NAME}谈学习和生活"
    talk.save()
    visit = ActivityLog.objects.create(
        pairing=second,
        author=second_teacher,
        kind=Kind.HOME_VISIT,
        date=today(),
        content="家访",
        visit_place="家中",
        family_situation=f"{NAME}与祖母同住",
    )
    (photo,) = photos_add(log=visit, uploads=[jpeg()], by=second_teacher)
    ActivityLog.objects.create(
        pairing=theirs, author=first_teacher, kind=Kind.TALK, date=today(), content="谈心"
    )
    Incident.objects.create(
        student=student,
        date=today(),
        type=IncidentType.SKIPPING,
        note=f"{NAME}下午缺课",
        recorded_by=first_teacher,
    )
    Score.objects.create(student=student, semester=semester, score=Decimal("87.50"))
    Questionnaire.objects.create(
        pairing=first,
        semester=semester,
        answered_at=now,
        source=Questionnaire.Source.PAPER,
        respondent=Questionnaire.Respondent.PARENT,
        q1=5,
        q2=4,
        q3=5,
        q4=3,
        q5=5,
        comment="感谢老师",
        entered_by=office,
    )
    sheets_compute(school=school, semester=semester, by=office)
    approved = Sheet.objects.get(teacher=second_teacher)
    sheet_submit(sheet=approved, by=office, comment="记录完整")
    sheet_approve(sheet=approved, by=principal, comment="同意")
    reminder = Reminder.objects.create(
        user=first_teacher,
        kind=Reminder.Kind.TEACHER_DIGEST,
        period=today(),
        subject=f"今日帮扶提醒：{NAME}",
        body=f"{NAME}：谈心谈话逾期\n{CLASSMATE}：谈心谈话待完成",
        overdue=1,
        due=1,
        run=uuid.uuid4(),
    )
    seen = access_record(user=office, action=AccessLog.Action.STUDENT_VIEW, student=student)
    export_file = write(media / "exports" / str(school.pk) / "sheets.zip")
    SheetExport.objects.create(
        school=school,
        semester=semester,
        requested_by=office,
        state=SheetExport.State.DONE,
        file=f"exports/{school.pk}/sheets.zip",
        finished_at=now,
    )
    leave(student, by=office)
    student.refresh_from_db()
    return {
        "student": student,
        "classmate": classmate,
        "pairings": [first, second],
        "theirs": theirs,
        "logs": [talk, visit],
        "photo": photo,
        "photo_file": Path(photo.image.path),
        "reminder": reminder,
        "seen": seen,
        "export_file": export_file,
    }


def sheet_points() -> dict[str, list[int]]:
    """The points of every line of every stored sheet and of its history rows."""
    points = {
        f"sheet {s.pk}": [x["points"] for x in s.content["pairings"]] for s in Sheet.objects.all()
    }
    for row in Sheet.history.model.objects.all():
        points[f"history {row.history_id}"] = [x["points"] for x in row.content["pairings"]]
    return points


def sheet_texts() -> list[str]:
    contents = list(Sheet.objects.values_list("content", flat=True))
    contents += list(Sheet.history.model.objects.values_list("content", flat=True))
    return [json.dumps(content, ensure_ascii=False) for content in contents]


def erase(rich, office, capture) -> Erasure:
    with capture(execute=True):
        return student_erase(student=rich["student"], by=office, reason=REASON)


def test_erasure_deletes_the_student_and_every_record_about_them(
    rich, office, django_capture_on_commit_callbacks
):
    student, pairings, logs = rich["student"], rich["pairings"], rich["logs"]
    pairing_ids = [p.pk for p in pairings]
    erase(rich, office, django_capture_on_commit_callbacks)
    assert [
        Student.objects.filter(pk=student.pk).count(),
        Identification.objects.filter(student_id=student.pk).count(),
        Pairing.objects.filter(pk__in=pairing_ids).count(),
        ActivityLog.objects.filter(pk__in=[log.pk for log in logs]).count(),
        VisitPhoto.objects.filter(pk=rich["photo"].pk).count(),
        Questionnaire.objects.filter(pairing_id__in=pairing_ids).count(),
        Incident.objects.filter(student_id=student.pk).count(),
        Score.objects.filter(student_id=student.pk).count(),
    ] == [0] * 8


def test_erasure_deletes_the_history_of_those_records(
    rich, office, django_capture_on_commit_callbacks
):
    student, pairings, logs = rich["student"], rich["pairings"], rich["logs"]
    pairing_ids, log_ids = [p.pk for p in pairings], [log.pk for log in logs]
    histories = [
        Student.history.model.objects.filter(id=student.pk),
        Identification.history.model.objects.filter(student_id=student.pk),
        Pairing.history.model.objects.filter(student_id=student.pk),
        ActivityLog.history.model.objects.filter(id__in=log_ids),
        VisitPhoto.history.model.objects.filter(log_id__in=log_ids),
        Questionnaire.history.model.objects.filter(pairing_id__in=pairing_ids),
        Incident.history.model.objects.filter(student_id=student.pk),
        Score.history.model.objects.filter(student_id=student.pk),
    ]
    assert [history.count() > 0 for history in histories] == [True] * 8
    erase(rich, office, django_capture_on_commit_callbacks)
    assert [history.count() for history in histories] == [0] * 8


def test_erasure_deletes_the_photo_file_once_committed(
    rich, office, django_capture_on_commit_callbacks
):
    photo_file = rich["photo_file"]
    assert photo_file.is_file()
    with django_capture_on_commit_callbacks() as callbacks:
        student_erase(student=rich["student"], by=office, reason=REASON)
    # not before the commit: a rollback would leave a record without its file
    assert photo_file.is_file()
    for callback in callbacks:
        callback()
    assert not photo_file.exists()


def test_erasure_anonymises_the_stored_sheets_and_keeps_their_points(
    rich, office, django_capture_on_commit_callbacks
):
    # given stored sheets (a draft, an approved one, their history) that name the student
    points = sheet_points()
    assert sum(NAME in text for text in sheet_texts()) >= 3
    # when the student is erased
    erase(rich, office, django_capture_on_commit_callbacks)
    # then no sheet nor history row names them, the points stay, the classmate stays named
    texts = sheet_texts()
    assert [NAME in text or STUDENT_NO in text for text in texts] == [False] * len(texts)
    assert sheet_points() == points
    lines = [line for s in Sheet.objects.all() for line in s.content["pairings"]]
    assert sorted((x["student_name"], x["student_no"] == "") for x in lines) == sorted(
        [
            (str(ERASED_LABEL), True),
            (str(ERASED_LABEL), True),
            (CLASSMATE, False),
        ]
    )
    assert [x["pairing"] for x in lines if x["student_name"] == str(ERASED_LABEL)] == [None, None]


def test_erasure_blots_the_name_out_of_reminders(rich, office, django_capture_on_commit_callbacks):
    erase(rich, office, django_capture_on_commit_callbacks)
    reminder = Reminder.objects.get(pk=rich["reminder"].pk)
    assert NAME not in reminder.body and NAME not in reminder.subject
    assert reminder.body == f"{ERASED_LABEL}：谈心谈话逾期\n{CLASSMATE}：谈心谈话待完成"


def test_erasure_keeps_the_access_log_without_the_student(
    rich, office, django_capture_on_commit_callbacks
):
    erase(rich, office, django_capture_on_commit_callbacks)
    entry = AccessLog.objects.get(pk=rich["seen"].pk)
    assert (entry.student, entry.user, entry.action) == (None, office, "student_view")


def test_erasure_deletes_the_schools_export_zips(
    rich, office, school, django_capture_on_commit_callbacks
):
    assert rich["export_file"].is_file()
    erase(rich, office, django_capture_on_commit_callbacks)
    assert SheetExport.objects.filter(school=school).count() == 0
    assert not rich["export_file"].exists()


def test_erasure_leaves_a_record_of_who_why_and_how_many(
    rich, office, school, django_capture_on_commit_callbacks
):
    # given what the confirmation page shows beforehand
    counts = erasure_footprint(student=rich["student"]).counts
    assert {k: v for k, v in counts.items() if k not in ("history", "sheets")} == {
        "identifications": 2,
        "pairings": 2,
        "logs": 2,
        "photos": 1,
        "incidents": 1,
        "scores": 1,
        "questionnaires": 1,
    }
    # when the office erases the student
    erasure = erase(rich, office, django_capture_on_commit_callbacks)
    # then one Erasure keeps who, which school, why and those counts, under a reference
    assert Erasure.objects.get() == erasure
    stored = Erasure.objects.get()
    assert (stored.user, stored.school, stored.reason) == (office, school, REASON)
    assert stored.user_label
    assert REFERENCE.match(stored.reference)
    assert stored.counts == counts


def test_after_erasure_no_table_holds_the_name_or_the_student_no(
    rich, office, django_capture_on_commit_callbacks
):
    masked = rich["student"].masked_id_number
    before = raw_dump()
    assert [NAME in before, STUDENT_NO in before, masked in before] == [True, True, True]
    erase(rich, office, django_capture_on_commit_callbacks)
    dump = raw_dump()
    found = [
        trace for value in (NAME, STUDENT_NO, masked) for trace in traces(value) if trace in dump
    ]
    assert found == []
    assert CLASSMATE in dump


def test_erasure_leaves_a_classmate_untouched(rich, office, django_capture_on_commit_callbacks):
    # given a classmate of the same school, helped by the same teacher
    classmate, theirs = rich["classmate"], rich["theirs"]
    kept = [
        Student.history.model.objects.filter(id=classmate.pk),
        Pairing.history.model.objects.filter(id=theirs.pk),
        ActivityLog.objects.filter(pairing=theirs),
        ActivityLog.history.model.objects.filter(pairing_id=theirs.pk),
    ]
    counts = [rows.count() for rows in kept]
    assert counts == [1, 1, 1, 1]
    erase(rich, office, django_capture_on_commit_callbacks)
    assert Student.objects.get(pk=classmate.pk).name == CLASSMATE
    assert Pairing.objects.get(pk=theirs.pk).end is None
    assert [rows.count() for rows in kept] == counts


def test_a_questionnaire_comment_naming_the_student_does_not_outlive_the_erasure(
    rich, office, school, semester, django_capture_on_commit_callbacks
):
    # given a parent's comment that names the child, in the sheet computed afterwards
    Questionnaire.objects.filter(pairing=rich["pairings"][0]).update(
        comment=f"感谢王老师对{NAME}的关心"
    )
    sheets_compute(school=school, semester=semester, by=office)
    # when the student is erased
    erase(rich, office, django_capture_on_commit_callbacks)
    # then no table holds the name
    dump = raw_dump()
    assert [trace for trace in traces(NAME) if trace in dump] == []


def test_an_admin_log_entry_does_not_outlive_the_erasure(
    rich, office, django_capture_on_commit_callbacks
):
    # given a superuser who once changed the student in the Django admin
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    request = RequestFactory().post("/admin/")
    request.user = superuser
    admin.site.get_model_admin(Student).log_change(request, rich["student"], "改了地址")
    # when the student is erased
    erase(rich, office, django_capture_on_commit_callbacks)
    # then no table holds the name or the student number
    dump = raw_dump()
    assert [t for value in (NAME, STUDENT_NO) for t in traces(value) if t in dump] == []


@pytest.mark.parametrize(
    ("status", "left_on"),
    [("enrolled", None), ("suspended", None), ("dropped_out", dt.date(2026, 1, 5))],
)
def test_a_student_who_has_not_left_for_good_cannot_be_erased(
    school, semester, office, status, left_on
):
    # given a student with a pairing and a log, not graduated nor transferred
    student = factories.StudentFactory(school=school, status=status, left_on=left_on)
    pairing = factories.PairingFactory(school=school, student=student)
    ActivityLog.objects.create(
        pairing=pairing, author=pairing.teacher, kind=Kind.TALK, date=today(), content="谈心"
    )
    counts = row_counts()
    # when the office tries to erase them
    with pytest.raises(ValidationError) as error:
        student_erase(student=student, by=office, reason=REASON)
    # then it is refused and nothing changed
    assert "只能删除已毕业或转出" in error.value.messages[0]
    assert row_counts() == counts


@pytest.mark.parametrize(
    "reason",
    [
        "家长申请",
        "   家长书面申请删除   ",
        f"监护人书面申请删除{NAME}的全部资料",
        f"监护人书面申请删除学籍号{STUDENT_NO}的资料",
        f"监护人书面申请删除学籍号{STUDENT_NO.lower()}的资料",
        f"监护人书面申请删除身份证号{ID_NUMBER}的资料",
    ],
    ids=["short", "short-once-trimmed", "name", "student-no", "student-no-lowercase", "id"],
)
def test_a_reason_too_short_or_naming_the_student_is_refused(rich, office, reason):
    counts = row_counts()
    with pytest.raises(ValidationError) as error:
        student_erase(student=rich["student"], by=office, reason=reason)
    assert list(error.value.message_dict) == ["reason"]
    assert row_counts() == counts
    assert rich["photo_file"].is_file()


def test_erasing_a_student_already_erased_is_refused_and_recorded_once(
    rich, office, django_capture_on_commit_callbacks
):
    # given a student erased by a request that came first (this one held the old record)
    erase(rich, office, django_capture_on_commit_callbacks)
    # when the second request is carried out
    with pytest.raises(ValidationError, match="该生的资料已被删除"):
        student_erase(student=rich["student"], by=office, reason=REASON)
    # then there is one erasure only
    assert Erasure.objects.count() == 1


def test_a_failure_midway_erases_nothing(
    rich, office, monkeypatch, django_capture_on_commit_callbacks
):
    # given a failure after the records were deleted, before the reminders are blotted
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(retention, "_reminders_blot", broken)
    counts, sheets, dump = row_counts(), sheet_texts(), raw_dump()
    # when the office erases the student
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        student_erase(student=rich["student"], by=office, reason=REASON)
    # then every row, sheet and file is as it was, and there is no Erasure
    assert row_counts() == counts
    assert sheet_texts() == sheets
    assert raw_dump() == dump
    assert not Erasure.objects.exists()
    assert rich["photo_file"].is_file()
    assert rich["export_file"].is_file()


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


def test_a_partial_zip_is_kept_while_an_export_is_running(school, semester, office, media):
    # given an old partial ZIP while an export is being built
    running = SheetExport.objects.create(
        school=school, semester=semester, requested_by=office, state=SheetExport.State.RUNNING
    )
    partial = write(media / "exports" / str(school.pk) / "building.part", mtime=OLD)
    # then the run leaves it alone
    assert steps()[5] == 0
    assert partial.is_file()
    # and once no export is running it is an orphan like any other
    SheetExport.objects.filter(pk=running.pk).update(state=SheetExport.State.FAILED)
    assert steps()[5] == 1
    assert not partial.exists()


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
