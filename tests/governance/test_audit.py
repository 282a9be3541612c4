"""The audit trail: every create, update and delete of the tracked records is kept with who,
when and what changed (django-simple-history), bulk imports included; opening a student's
record, an export, a PDF or a download leaves an access-log entry; the office and the
principal read both, and nobody can change them."""

import io
from decimal import Decimal

import pytest
from django.contrib import admin
from django.utils import timezone

from aidcase.audit import IMPORT_REASON
from aidcase.models import AccessLog
from assessment.models import AssessmentRule, Score, Sheet
from assessment.services import sheets_compute
from imports.services import import_file
from pairing.models import Pairing
from students.models import Identification, Role, Student
from tests import factories
from tests.conftest import login
from tests.helpers import id_number, text
from tests.students.test_students_sheet import student as roster_row
from tests.students.test_students_sheet import xlsx
from visits.models import ActivityLog, DutyRule, Incident, IncidentType, Kind

pytestmark = pytest.mark.django_db

ID_NUMBER = id_number("52010120120101123")


@pytest.fixture
def office(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def principal(school):
    return factories.make_user(Role.PRINCIPAL, school=school, name="校长乙")


@pytest.fixture
def pairing(school, semester):
    student = factories.StudentFactory(
        school=school, name="王小明", id_number=ID_NUMBER, student_no="S2024001"
    )
    return factories.PairingFactory(school=school, student=student)


# Every tracked kind: how to make one, and one field to change.
def _student(pairing):
    return factories.StudentFactory(school=pairing.school), "guardian_phone", "13900000000"


def _identification(pairing):
    return (
        factories.IdentificationFactory(
            student=pairing.student, semester=pairing.school.semesters.first(), category="poor"
        ),
        "note",
        "家访后确认",
    )


def _pairing(pairing):
    return factories.PairingFactory(school=pairing.school), "goals", "提高数学成绩"


def _log(pairing):
    log = ActivityLog.objects.create(
        pairing=pairing, author=pairing.teacher, kind=Kind.TALK, date=pairing.start, content="谈心"
    )
    return log, "content", "谈心，情绪好转"


def _incident(pairing):
    incident = Incident.objects.create(
        student=pairing.student,
        date=pairing.start,
        type=IncidentType.TRUANCY,
        recorded_by=pairing.teacher,
    )
    return incident, "note", "已家访"


def _score(pairing):
    semester = pairing.school.semesters.first()
    score = Score.objects.create(student=pairing.student, semester=semester, score=Decimal(90))
    return score, "score", Decimal("95.5")


def _duty_rule(pairing):
    rule = DutyRule.objects.create(
        school=pairing.school, category="left_behind", kind=Kind.TALK, period="week", count=1
    )
    return rule, "count", 2


def _assessment_rule(pairing):
    rule = AssessmentRule.objects.create(
        school=pairing.school, category="left_behind", points=2, threshold=Decimal("1.10")
    )
    return rule, "points", 3


def _sheet(pairing):
    sheet = Sheet.objects.create(
        school=pairing.school,
        semester=pairing.school.semesters.first(),
        teacher=pairing.teacher,
        content={},
        computed_at=timezone.now(),
    )
    return sheet, "office_comment", "材料齐全"


MAKERS = [
    _student,
    _identification,
    _pairing,
    _log,
    _incident,
    _score,
    _duty_rule,
    _assessment_rule,
    _sheet,
]


@pytest.mark.parametrize("make", MAKERS, ids=[m.__name__.strip("_") for m in MAKERS])
def test_create_update_and_delete_are_each_kept(pairing, make):
    # given a record made, changed and deleted
    record, attr, value = make(pairing)
    setattr(record, attr, value)
    record.save()
    pk = record.pk
    record.delete()
    # then its history holds the three, in order, with the change in the second
    rows = list(type(record).history.filter(id=pk).order_by("history_date", "history_id"))
    assert [r.history_type for r in rows] == ["+", "~", "-"]
    assert getattr(rows[1], attr) == value
    assert getattr(rows[0], attr) != value


def test_a_change_through_a_page_names_the_user(office, pairing):
    # when the office edits the student's guardian phone on the edit page
    student = pairing.student
    data = {
        "student_no": student.student_no,
        "name": student.name,
        "gender": student.gender,
        "birth_date": student.birth_date.isoformat(),
        "id_number": "",
        "entry_year": str(student.cohort.entry_year),
        "school_class": "",
        "status": "enrolled",
        "guardian_phone": "13911112222",
    }
    assert login(office).post(f"/students/{student.pk}/edit/", data).status_code == 302
    # then the history entry names her
    latest = student.history.latest()
    assert (latest.history_type, latest.history_user, latest.guardian_phone) == (
        "~",
        office,
        "13911112222",
    )


def test_a_withdrawn_log_and_an_ended_pairing_are_kept(office, pairing):
    client = login(office)
    log = ActivityLog.objects.create(
        pairing=pairing, author=pairing.teacher, kind=Kind.TALK, date=pairing.start, content="谈心"
    )
    client.post(f"/logs/{log.pk}/withdraw/", {"reason": "记错了学生"})
    client.post(
        f"/pairings/{pairing.pk}/end/",
        {"end": timezone.localdate().isoformat(), "reason": "transferred"},
    )
    assert log.history.latest().withdrawn_at is not None
    assert log.history.latest().history_user == office
    pairing.refresh_from_db()
    assert pairing.history.latest().end == pairing.end is not None


def test_a_rejected_identification_keeps_its_deletion(office, pairing):
    identification = factories.IdentificationFactory(
        student=pairing.student,
        semester=pairing.school.semesters.first(),
        category="poor",
        state=Identification.State.PROPOSED,
    )
    login(office).post(f"/identifications/{identification.pk}/reject/")
    assert not Identification.objects.filter(pk=identification.pk).exists()
    deleted = Identification.history.get(id=identification.pk, history_type="-")
    assert deleted.history_user == office


def test_an_import_keeps_each_rows_history_with_the_importer(school, office):
    # given a roster of two students, imported, then imported again with one change
    first = xlsx(roster_row(1), roster_row(2))
    import_file(kind="students", file=io.BytesIO(first), school=school, by=office)
    again = xlsx(roster_row(1), roster_row(2, 监护人="张母"))
    import_file(kind="students", file=io.BytesIO(again), school=school, by=office)
    # then each student was created once in the history, and only the changed one updated,
    # each entry naming the importer and the import
    rows = Student.history.order_by("history_id")
    assert [(r.history_type, r.name) for r in rows] == [("+", "张1"), ("+", "张2"), ("~", "张2")]
    assert {(r.history_user, r.history_change_reason) for r in rows} == {(office, IMPORT_REASON)}
    assert rows.last().guardian_name == "张母"


# The access log


def test_opening_a_students_page_is_logged(office, pairing):
    login(office).get(f"/students/{pairing.student.pk}/")
    entry = AccessLog.objects.get()
    assert (entry.action, entry.user, entry.student, entry.school) == (
        AccessLog.Action.STUDENT_VIEW,
        office,
        pairing.student,
        pairing.school,
    )
    assert entry.user_label == f"资助办甲（{office.username}）"


def test_a_refused_page_leaves_no_entry(school, pairing, other_school):
    outsider = factories.make_user(Role.OFFICE, school=other_school)
    assert login(outsider).get(f"/students/{pairing.student.pk}/").status_code == 404
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/ledgers/pairings/", AccessLog.Action.EXPORT),
        # The roster keeps whole ID numbers for its round trip: a reveal (test_id_number_exports)
        ("/imports/students/export.xlsx", AccessLog.Action.ID_EXPORT),
    ],
)
def test_exports_are_logged_with_their_file_name(office, pairing, path, action):
    response = login(office).get(path)
    assert response.status_code == 200
    entry = AccessLog.objects.get()
    assert (entry.action, entry.user, entry.school) == (action, office, pairing.school)
    assert entry.what.endswith(".xlsx")


def test_a_sheet_pdf_download_is_logged(office, pairing):
    (sheet,) = sheets_compute(
        school=pairing.school, semester=pairing.school.semesters.first(), by=office
    )
    response = login(office).get(f"/assessment/sheets/{sheet.pk}/pdf/")
    assert response.status_code == 200
    entry = AccessLog.objects.get(action=AccessLog.Action.PDF)
    assert entry.user == office and entry.what.endswith(".pdf")


# Reading the trail


def test_the_office_and_the_principal_read_a_students_history(office, principal, pairing):
    student = pairing.student
    student.guardian_phone = "13900001111"
    student.save()
    for reader in (office, principal):
        page = text(login(reader).get(f"/students/{student.pk}/history/"))
        assert "监护人电话" in page and "13900001111" in page
        assert "结对" in page  # the pairing's creation
        assert ID_NUMBER not in page and student.masked_id_number in page
    assert AccessLog.objects.filter(action=AccessLog.Action.HISTORY_VIEW).count() == 2


def test_a_teacher_cannot_read_the_history(pairing):
    response = login(pairing.teacher).get(f"/students/{pairing.student.pk}/history/")
    assert response.status_code == 403


def test_another_schools_office_gets_404_for_the_history(pairing, other_school):
    outsider = factories.make_user(Role.OFFICE, school=other_school)
    assert login(outsider).get(f"/students/{pairing.student.pk}/history/").status_code == 404


def test_the_audit_page_lists_the_schools_changes_only(office, pairing, other_school):
    factories.StudentFactory(school=other_school, name="外校学生")
    pairing.student.address = "平寨镇二组"
    pairing.student.save()
    page = text(login(office).get("/audit/"))
    assert "平寨镇二组" in page
    assert "外校学生" not in page
    # and narrowed to one kind
    page = text(login(office).get("/audit/", {"kind": "pairing"}))
    assert "平寨镇二组" not in page


def test_the_audit_page_lists_the_schools_access_log(office, pairing, other_school):
    login(office).get(f"/students/{pairing.student.pk}/")
    outsider = factories.make_user(Role.OFFICE, school=other_school, name="外校人员")
    factories.StudentFactory(school=other_school)
    login(outsider).get("/ledgers/pairings/")
    page = text(login(office).get("/audit/", {"view": "access"}))
    assert "查看学生档案" in page and "王小明" in page
    assert "外校人员" not in page


@pytest.mark.parametrize("role", [Role.TEACHER, Role.COUNTY])
def test_other_roles_cannot_open_the_audit_page(school, role):
    user = factories.make_user(role, school=school if role == Role.TEACHER else None)
    assert login(user).get("/audit/").status_code == 403


@pytest.mark.parametrize("size", [2, 12])
def test_the_audit_page_takes_the_same_queries_for_more_changes(
    office, pairing, size, django_assert_num_queries
):
    for n in range(size):
        student = factories.StudentFactory(school=pairing.school)
        student.address = f"地址{n}"
        student.save()
    client = login(office)
    # session, user, profile, school; one query per kind of record (16), the people named,
    # the rows before the shown changes, the schools, cohorts and classes named
    with django_assert_num_queries(26):
        assert client.get("/audit/").status_code == 200


def test_nobody_can_edit_the_trail_in_the_admin():
    registered = set(admin.site._registry)
    assert AccessLog not in registered
    assert not [m for m in registered if m.__name__.startswith("Historical")]
    assert Pairing in admin.site._registry  # the live records stay, their edits recorded
