"""The pages of the retention rules (governance.retention): the aid office erasing a student who
has left, on a justified request, and the erasure kept in the audit without the child; archived
students kept out of the roster and away from teachers; the day a student left, set on the
student form; and no new pairing imported for a student who has left.

alice is the school's aid office, paula its principal, tom a teacher of the school, charlie
the aid office of another school (refused with 404: he must not learn that the record
exists)."""

import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from aidcase.spreadsheets import workbook_bytes
from governance.models import Erasure
from imports.services import import_file
from pairing.models import Pairing
from pairing.resources import PairingsSheet
from students.models import Category, Identification, Role, Student
from tests import factories
from tests.conftest import login
from tests.helpers import field_errors, messages_of, results, text, today
from tests.students.test_views import STUDENT_LIST_QUERIES
from visits.models import ActivityLog, Kind

pytestmark = pytest.mark.django_db

NAME = "王小明"
STUDENT_NO = "G5201999001"
LEFT_ON = dt.date(2025, 6, 30)
REASON = "监护人 2026-11-20 书面申请，附件存档号 12"


@pytest.fixture
def alice(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def paula(school):
    return factories.make_user(Role.PRINCIPAL, school=school, name="校长乙")


@pytest.fixture
def tom(school):
    return factories.make_user(Role.TEACHER, school=school, name="汤老师")


@pytest.fixture
def charlie(other_school):
    return factories.make_user(Role.OFFICE, school=other_school, name="外校丙")


@pytest.fixture
def leaver(school, semester):
    """A student who transferred out last summer, with an identification, an ended pairing
    and one talk logged in it."""
    student = factories.StudentFactory(
        school=school,
        name=NAME,
        student_no=STUDENT_NO,
        status=Student.Status.TRANSFERRED,
        left_on=LEFT_ON,
    )
    pairing = factories.PairingFactory(
        school=school,
        student=student,
        start=dt.date(2025, 3, 1),
        end=LEFT_ON,
        end_reason=Pairing.EndReason.TRANSFERRED,
    )
    ActivityLog.objects.create(
        pairing=pairing,
        author=pairing.teacher,
        kind=Kind.TALK,
        date=dt.date(2025, 4, 1),
        content="谈心",
    )
    return student


@pytest.fixture
def enrolled(school, semester):
    return factories.StudentFactory(school=school, name="李小红", student_no="G5201999002")


def erase_url(student) -> str:
    return f"/students/{student.pk}/erase/"


def erase_data(**overrides) -> dict[str, str]:
    return {"reason": REASON, "student_no": STUDENT_NO, **overrides}


def counts_shown(response) -> dict[str, str]:
    """The "what will be deleted" list of the erase page, as label → count."""
    facts = re.search(r'<dl class="facts">(.*?)</dl>', text(response), re.S)
    assert facts is not None, "the erase page lists no counts"
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", facts[1]))


def nothing_erased(student) -> bool:
    return (
        Student.objects.filter(pk=student.pk).exists()
        and Pairing.objects.filter(student=student).exists()
        and not Erasure.objects.exists()
    )


# Erasing a student who has left


def test_the_office_sees_what_will_be_deleted_before_erasing(alice, leaver):
    # when alice opens the erase page of a student who transferred out
    response = login(alice).get(erase_url(leaver))
    # then she sees the student, the count of each kind of record and the form
    page = text(response)
    assert response.status_code == 200
    assert f"{NAME} · {STUDENT_NO} · 转出" in page
    # (the history: the creation of the student, identification, pairing and log)
    assert counts_shown(response) == {
        "类别认定": "1",
        "结对": "1",
        "帮扶记录": "1",
        "家访照片": "0",
        "违纪记录": "0",
        "成绩": "0",
        "问卷": "0",
        "修改记录": "4",
        "考核表中的条目": "0",
    }
    assert 'name="reason"' in page
    assert 'name="student_no"' in page
    assert "永久删除该生的全部资料" in page


def test_the_office_erases_a_transferred_student(alice, leaver):
    # when alice gives the reason and types the student's 学籍号
    response = login(alice).post(erase_url(leaver), erase_data())
    # then the student and their records are gone and she is back on the roster, told the
    # reference of the erasure
    erasure = Erasure.objects.get()
    assert response.status_code == 302
    assert response["Location"] == "/students/"
    assert messages_of(response) == [
        f"该生的资料已全部删除，删除编号 {erasure.reference}，可在“审计 → 删除记录”中查看。"
    ]
    assert not Student.objects.filter(pk=leaver.pk).exists()
    assert not Pairing.objects.exists()
    assert not Identification.objects.exists()
    assert not ActivityLog.objects.exists()
    assert (erasure.user, erasure.school, erasure.reason) == (alice, leaver.school, REASON)


@pytest.mark.parametrize("reader", ["alice", "paula"])
def test_the_audit_lists_the_erasure_without_the_child(request, alice, leaver, reader):
    # given alice erased a student who transferred out
    login(alice).post(erase_url(leaver), erase_data())
    erasure = Erasure.objects.get()
    # when the office or the principal opens the erasures of the audit
    response = login(request.getfixturevalue(reader)).get("/audit/?view=erasures")
    # then the erasure is listed with its reference, reason, author and counts, and nothing
    # says who the child was
    page = text(response)
    assert response.status_code == 200
    assert erasure.reference in page
    assert REASON in page
    assert "资助办甲" in page
    assert "类别认定 1 · 结对 1 · 帮扶记录 1 · 修改记录 4" in page
    assert NAME not in page
    assert STUDENT_NO not in page


def test_the_access_log_says_a_viewed_student_was_erased(alice, leaver):
    # given alice opened the student's page, then erased the student
    client = login(alice)
    client.get(f"/students/{leaver.pk}/")
    client.post(erase_url(leaver), erase_data())
    # when she reads the access log
    page = text(client.get("/audit/?view=access&action=student_view"))
    # then the view is still there, saying the records were erased, without the child
    assert "查看学生档案" in page
    assert "（资料已删除）" in page
    assert NAME not in page


def test_the_audit_of_another_school_does_not_list_the_erasure(alice, charlie, leaver):
    login(alice).post(erase_url(leaver), erase_data())
    page = text(login(charlie).get("/audit/?view=erasures"))
    assert Erasure.objects.get().reference not in page
    assert "还没有删除过学生资料。" in page


def test_a_wrong_student_no_is_refused_beside_the_field(alice, leaver):
    # when alice types another student's 学籍号
    response = login(alice).post(erase_url(leaver), erase_data(student_no="G5201999002"))
    # then the page comes back with the error beside the field and nothing is deleted
    assert response.status_code == 400
    assert "学籍号不一致：请输入本页学生的学籍号" in field_errors(response, "student_no")
    assert nothing_erased(leaver)


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("监护人申请", "请写明删除依据（至少 10 个字）"),
        (f"{NAME}的监护人 2026-11-20 书面申请", "删除依据会一直保留，不能写学生的姓名"),
        (f"监护人 2026-11-20 书面申请删除 {STUDENT_NO}", "删除依据会一直保留，不能写学生的姓名"),
    ],
    ids=["too-short", "naming-the-student", "giving-the-student-no"],
)
def test_a_reason_too_short_or_naming_the_student_is_refused(alice, leaver, reason, error):
    # when alice gives a reason that says too little, or says who the child is
    response = login(alice).post(erase_url(leaver), erase_data(reason=reason))
    # then the page comes back with the error beside the reason and nothing is deleted
    assert response.status_code == 400
    assert error in field_errors(response, "reason")
    assert nothing_erased(leaver)


def test_an_enrolled_student_cannot_be_erased(alice, enrolled):
    client = login(alice)
    factories.PairingFactory(school=enrolled.school, student=enrolled)
    # when alice opens the erase page of a student still at school
    response = client.get(erase_url(enrolled))
    # then she is told why, without a form
    page = text(response)
    assert response.status_code == 200
    assert "只能删除已毕业或转出学生的资料；在读的学生请先修改学籍状态" in page
    assert 'name="reason"' not in page
    # and a POST of the form anyway deletes nothing
    data = erase_data(student_no=enrolled.student_no)
    response = client.post(erase_url(enrolled), data)
    assert response.status_code == 400
    assert "只能删除已毕业或转出学生的资料" in text(response)
    assert nothing_erased(enrolled)


@pytest.mark.parametrize("who", ["tom", "paula"])
def test_a_teacher_and_the_principal_may_not_erase(request, leaver, who):
    client = login(request.getfixturevalue(who))
    assert client.get(erase_url(leaver)).status_code == 403
    assert client.post(erase_url(leaver), erase_data()).status_code == 403
    assert nothing_erased(leaver)


def test_the_office_of_another_school_gets_not_found(charlie, leaver):
    client = login(charlie)
    assert client.get(erase_url(leaver)).status_code == 404
    assert client.post(erase_url(leaver), erase_data()).status_code == 404
    assert nothing_erased(leaver)


# The erase button on the student's page


@pytest.mark.parametrize("status", [Student.Status.TRANSFERRED, Student.Status.GRADUATED])
def test_the_office_sees_the_erase_button_for_a_student_who_left(alice, school, status):
    student = factories.StudentFactory(school=school, status=status, left_on=LEFT_ON)
    page = text(login(alice).get(f"/students/{student.pk}/"))
    assert "删除该生的全部资料" in page
    assert f'href="{erase_url(student)}"' in page


@pytest.mark.parametrize(
    ("status", "left_on"),
    [
        (Student.Status.ENROLLED, None),
        (Student.Status.SUSPENDED, None),
        (Student.Status.DROPPED_OUT, LEFT_ON),
    ],
)
def test_no_erase_button_for_a_student_who_has_not_left_for_good(alice, school, status, left_on):
    student = factories.StudentFactory(school=school, status=status, left_on=left_on)
    page = text(login(alice).get(f"/students/{student.pk}/"))
    assert "删除该生的全部资料" not in page
    assert erase_url(student) not in page


def test_no_erase_button_for_the_principal(paula, leaver):
    response = login(paula).get(f"/students/{leaver.pk}/")
    assert response.status_code == 200
    assert "删除该生的全部资料" not in text(response)
    assert erase_url(leaver) not in text(response)


def test_no_new_pairing_is_offered_for_a_student_who_left(alice, leaver, enrolled):
    client = login(alice)
    assert "安排结对" not in text(client.get(f"/students/{leaver.pk}/"))
    assert "安排结对" in text(client.get(f"/students/{enrolled.pk}/"))


# Archived students


def archived_student(school, **kwargs):
    return factories.StudentFactory(
        school=school,
        status=Student.Status.GRADUATED,
        left_on=LEFT_ON,
        archived_at=timezone.now(),
        **kwargs,
    )


def test_an_archived_student_is_listed_only_under_archived(alice, school, enrolled):
    # given an archived student beside one at school
    archived_student(school, name="张归档")
    client = login(alice)
    # then the roster shows only the one at school, a search by name finds nobody, and the
    # status 已归档 lists the archived student alone
    default = results(client.get("/students/"))
    assert "李小红" in default
    assert "张归档" not in default
    assert "张归档" not in results(client.get("/students/?q=张归档"))
    archived = results(client.get("/students/?status=archived"))
    assert "张归档" in archived
    assert "李小红" not in archived
    assert "张归档" in results(client.get("/students/?status=archived&q=张归档"))


@pytest.mark.parametrize("view", ["", "?status=archived"], ids=["default", "archived"])
def test_student_list_query_count_holds_with_archived_students(
    alice, school, semester, view, django_assert_num_queries
):
    # given students at school, paired, and as many archived students, also once paired
    school_class = factories.SchoolClassFactory(school=school)
    for _ in range(5):
        for pupil in (
            factories.StudentFactory(
                school=school, cohort=school_class.cohort, school_class=school_class
            ),
            archived_student(school, cohort=school_class.cohort, school_class=school_class),
        ):
            factories.PairingFactory(school=school, student=pupil)
    client = login(alice)
    # when either list is shown, then the query count is the roster's
    with django_assert_num_queries(STUDENT_LIST_QUERIES):
        response = client.get(f"/students/{view}")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 5


def test_the_homeroom_teacher_no_longer_sees_an_archived_student(tom, school):
    # given tom's class with a pupil at school and an archived one
    school_class = factories.SchoolClassFactory(school=school, homeroom_teacher=tom)
    pupil = factories.StudentFactory(
        school=school, cohort=school_class.cohort, school_class=school_class, name="李在读"
    )
    gone = archived_student(
        school, cohort=school_class.cohort, school_class=school_class, name="张归档"
    )
    client = login(tom)
    # then he opens his pupil's page but not the archived one's, nor finds them in the list
    assert client.get(f"/students/{pupil.pk}/").status_code == 200
    assert client.get(f"/students/{gone.pk}/").status_code == 404
    assert "张归档" not in text(client.get("/students/?status=archived"))


def test_an_archived_students_page_says_so(alice, school):
    student = archived_student(school)
    page = text(login(alice).get(f"/students/{student.pk}/"))
    assert "该生已离校满保存期限" in page
    assert "归档：不再出现在学生名单和教师的页面中" in page


def test_a_student_who_left_but_is_not_archived_has_no_banner(alice, leaver):
    assert "归档" not in text(login(alice).get(f"/students/{leaver.pk}/"))


# The day a student left, on the student form


def student_form_data(student, **overrides) -> dict[str, str]:
    data = {
        "student_no": student.student_no,
        "name": student.name,
        "gender": student.gender,
        "birth_date": student.birth_date.isoformat(),
        "id_number": "",
        "entry_year": str(student.cohort.entry_year),
        "school_class": "",
        "status": student.status,
        "left_on": "",
        "guardian_name": "",
        "guardian_relation": "",
        "guardian_phone": "",
        "address": "",
        "parents_workplace": "",
    }
    return {**data, **overrides}


@pytest.fixture
def paired(school, semester, enrolled):
    return factories.PairingFactory(school=school, student=enrolled, start=semester.start)


def test_a_transfer_with_its_day_ends_the_open_pairing(alice, enrolled, paired):
    client = login(alice)
    day = today()
    # when alice marks the student transferred out today
    data = student_form_data(enrolled, status="transferred", left_on=day.isoformat())
    response = client.post(f"/students/{enrolled.pk}/edit/", data)
    # then the day is saved and the open pairing ends on it, as a transfer
    assert response.status_code == 302
    enrolled.refresh_from_db()
    paired.refresh_from_db()
    assert (enrolled.status, enrolled.left_on) == ("transferred", day)
    assert (paired.end, paired.end_reason) == (day, Pairing.EndReason.TRANSFERRED)
    # and the student's page says when they left
    page = text(client.get(f"/students/{enrolled.pk}/"))
    assert f"转出 · {day:%Y-%m-%d} 离校" in page


def test_back_at_school_the_day_left_is_cleared(alice, school):
    # given a student who graduated, archived since
    student = archived_student(school, name="张返校")
    # when alice sets the status back to 在读 and leaves the day in the form as it was
    data = student_form_data(student, status="enrolled", left_on=LEFT_ON.isoformat())
    response = login(alice).post(f"/students/{student.pk}/edit/", data)
    # then the student is at school again, without a day left, out of the archive
    assert response.status_code == 302
    student.refresh_from_db()
    assert (student.status, student.left_on, student.archived_at) == ("enrolled", None, None)


def test_a_day_left_before_the_birth_date_is_refused(alice, enrolled, paired):
    # when alice gives a day before the student was born
    data = student_form_data(enrolled, status="transferred", left_on="2011-12-31")
    response = login(alice).post(f"/students/{enrolled.pk}/edit/", data)
    # then the error is beside the field and nothing changes
    assert response.status_code == 200
    assert "离校日期不能早于出生日期" in field_errors(response, "left_on")
    enrolled.refresh_from_db()
    paired.refresh_from_db()
    assert (enrolled.status, enrolled.left_on, paired.end) == ("enrolled", None, None)


# Importing pairings


def test_the_pairings_import_refuses_a_new_pairing_for_a_transferred_student(school, semester):
    # given a teacher and an identified student who has transferred out
    factories.make_user(Role.TEACHER, school=school, user__username="T001")
    student = factories.StudentFactory(
        school=school, student_no="G001", status=Student.Status.TRANSFERRED, left_on=LEFT_ON
    )
    factories.IdentificationFactory(
        student=student, semester=semester, category=Category.LEFT_BEHIND
    )
    data = workbook_bytes(
        title="结对名单",
        columns=PairingsSheet.columns,
        rows=[("T001", "G001", "留守", semester.start)],
    )
    # when a file pairs them
    plan, result = import_file(
        kind="pairings", file=io.BytesIO(data), name="x.xlsx", school=school, by=None
    )
    # then the row is refused on its 学籍号 and nothing is imported
    assert [str(error) for error in plan.errors] == [
        "工作表「结对名单」第 2 行「学籍号」：该学生已转出，不能新建结对"
    ]
    assert result is None
    assert not Pairing.objects.exists()
