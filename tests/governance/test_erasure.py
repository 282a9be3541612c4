"""Erasure of a student's records on a justified request (governance.retention.student_erase):
what goes, what stays, and that nothing of the child is left in any table."""

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone

from aidcase.audit import access_record
from aidcase.models import AccessLog
from assessment.models import Questionnaire, Score, Sheet, SheetExport
from assessment.services import sheet_approve, sheet_submit, sheets_compute
from governance import retention
from governance.models import Erasure
from governance.retention import (
    ERASED_LABEL,
    erasure_footprint,
    student_erase,
)
from pairing.models import Pairing
from students.models import Category, Identification, Role, Student
from tests import factories
from tests.governance.retention_world import (
    CLASSMATE,
    ID_NUMBER,
    NAME,
    REASON,
    REFERENCE,
    STUDENT_NO,
    jpeg,
    leave,
    raw_dump,
    row_counts,
    today,
    traces,
    write,
)
from visits.models import ActivityLog, Incident, IncidentType, Kind, Reminder, VisitPhoto
from visits.photos import photos_add

# Every test here writes under a MEDIA_ROOT of its own.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

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
