"""Views of the students app: roster, student records, category identification, semesters
and classes.

alice is the school's aid office (she may do everything here), bob is a colleague at the
same school whose role or pairing does not allow the page, charlie is the aid office of
another school (refused with 404: he must not learn that the record exists)."""

import datetime as dt

import pytest
from django.urls import reverse

from students.models import Identification, Role, SchoolClass, Semester, Student
from tests import factories
from tests.conftest import login
from tests.helpers import (
    field_errors,
    id_number,
    login_redirect,
    messages_of,
    results,
    text,
    today,
    wrong_check_char,
    yesterday,
)

pytestmark = pytest.mark.django_db

ID_NUMBER = id_number("52010120120101123")  # born 2012-01-01, the factory's birth date


@pytest.fixture
def alice(school):
    return factories.make_user(Role.OFFICE, school=school, name="资助办甲")


@pytest.fixture
def bob(school):
    """A teacher of alice's school who helps nobody and has no class."""
    return factories.make_user(Role.TEACHER, school=school, name="同事乙")


@pytest.fixture
def principal(school):
    return factories.make_user(Role.PRINCIPAL, school=school)


@pytest.fixture
def charlie(other_school):
    return factories.make_user(Role.OFFICE, school=other_school, name="外校丙")


@pytest.fixture
def student(school, semester):
    return factories.StudentFactory(school=school, name="王小明", id_number=ID_NUMBER)


@pytest.fixture
def school_class(school):
    return factories.SchoolClassFactory(school=school, name="七(1)班")


@pytest.fixture
def proposal(student, semester, alice):
    return factories.IdentificationFactory(
        student=student,
        semester=semester,
        state=Identification.State.PROPOSED,
        approved_at=None,
        proposed_by=alice,
    )


# Pages by URL name, with the fixture whose pk goes into the URL (None: no pk).
Page = tuple[str, str | None]
LIST_PAGES: list[Page] = [
    ("student_list", None),
    ("student_create", None),
    ("identification_list", None),
    ("semester_list", None),
    ("class_list", None),
]
OBJECT_PAGES: list[Page] = [
    ("student_detail", "student"),
    ("student_edit", "student"),
    ("identification_create", "student"),
    ("semester_edit", "semester"),
    ("class_edit", "school_class"),
]
OFFICE_ONLY_PAGES = [
    p for p in LIST_PAGES + OBJECT_PAGES if p[0] not in ("student_list", "student_detail")
]
REVIEW_ACTIONS = ["identification_approve", "identification_reject"]


def url(request, name, fixture):
    if fixture is None:
        return reverse(name)
    return reverse(name, args=[request.getfixturevalue(fixture).pk])


# Who may open what


@pytest.mark.parametrize(("name", "fixture"), LIST_PAGES + OBJECT_PAGES)
def test_anonymous_is_sent_to_login(client, request, name, fixture):
    path = url(request, name, fixture)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == login_redirect(path)


@pytest.mark.parametrize("name", REVIEW_ACTIONS)
def test_anonymous_review_is_sent_to_login(client, proposal, name):
    path = reverse(name, args=[proposal.pk])
    response = client.post(path)
    assert response["Location"] == login_redirect(path)
    assert Identification.objects.filter(pk=proposal.pk, state="proposed").exists()


@pytest.mark.parametrize(("name", "fixture"), LIST_PAGES + OBJECT_PAGES)
def test_office_opens_every_page(request, alice, name, fixture):
    assert login(alice).get(url(request, name, fixture)).status_code == 200


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PRINCIPAL])
@pytest.mark.parametrize(("name", "fixture"), OFFICE_ONLY_PAGES)
def test_colleague_without_office_role_gets_403(request, school, role, name, fixture):
    bob = factories.make_user(role, school=school)
    assert login(bob).get(url(request, name, fixture)).status_code == 403


@pytest.mark.parametrize("name", REVIEW_ACTIONS)
@pytest.mark.parametrize("role", [Role.TEACHER, Role.PRINCIPAL])
def test_colleague_without_office_role_cannot_review(school, proposal, role, name):
    bob = factories.make_user(role, school=school)
    response = login(bob).post(reverse(name, args=[proposal.pk]))
    assert response.status_code == 403
    assert Identification.objects.filter(pk=proposal.pk, state="proposed").exists()


@pytest.mark.parametrize(
    ("name", "fixture"), [("student_list", None), ("student_detail", "student")]
)
def test_county_viewer_gets_403_on_student_records(request, name, fixture):
    viewer = factories.make_user(Role.COUNTY)
    assert login(viewer).get(url(request, name, fixture)).status_code == 403


@pytest.mark.parametrize(("name", "fixture"), OBJECT_PAGES)
def test_outsider_gets_404(request, charlie, name, fixture):
    # given a record of alice's school
    path = url(request, name, fixture)
    # when charlie, the aid office of another school, opens it
    response = login(charlie).get(path)
    # then it does not exist for him
    assert response.status_code == 404
    assert "王小明" not in text(response)


@pytest.mark.parametrize("name", REVIEW_ACTIONS)
def test_outsider_cannot_review_and_the_proposal_stays(charlie, proposal, name):
    response = login(charlie).post(reverse(name, args=[proposal.pk]))
    assert response.status_code == 404
    assert Identification.objects.filter(pk=proposal.pk, state="proposed").exists()


@pytest.mark.parametrize("role", [Role.OFFICE, Role.PRINCIPAL, Role.TEACHER])
def test_outsider_of_any_role_gets_404_on_student_detail(other_school, student, role):
    charlie = factories.make_user(role, school=other_school)
    assert login(charlie).get(f"/students/{student.pk}/").status_code == 404


def test_missing_and_foreign_students_look_the_same(charlie, student):
    # existence is not leaked: a foreign student answers like one that does not exist
    client = login(charlie)
    assert client.get(f"/students/{student.pk}/").status_code == 404
    assert client.get("/students/999999/").status_code == 404


# Student detail: which teacher sees which student


def test_principal_sees_every_student_of_the_school(principal, student):
    assert login(principal).get(f"/students/{student.pk}/").status_code == 200


def test_colleague_not_paired_gets_404(bob, student):
    # given bob, a teacher of the school, neither helping the student nor their class teacher
    # when he opens the student, then it does not exist for him
    assert login(bob).get(f"/students/{student.pk}/").status_code == 404


def test_paired_teacher_sees_the_student(school, student):
    pairing = factories.PairingFactory(school=school, student=student)
    response = login(pairing.teacher).get(f"/students/{student.pk}/")
    assert response.status_code == 200
    assert "王小明" in text(response)


def test_homeroom_teacher_sees_students_of_their_class(school, bob):
    # given bob is the homeroom teacher of a class
    school_class = factories.SchoolClassFactory(school=school, homeroom_teacher=bob)
    pupil = factories.StudentFactory(
        school=school, cohort=school_class.cohort, school_class=school_class
    )
    # then he sees the students of that class
    assert login(bob).get(f"/students/{pupil.pk}/").status_code == 200


def test_ended_pairing_no_longer_gives_access(school, student):
    # given a pairing that ended yesterday
    pairing = factories.PairingFactory(
        school=school,
        student=student,
        start=today() - dt.timedelta(days=60),
        end=yesterday(),
        end_reason="other",
    )
    # then the former helper no longer sees the student
    assert login(pairing.teacher).get(f"/students/{student.pk}/").status_code == 404


def test_helper_sees_the_id_number_masked(school, student):
    pairing = factories.PairingFactory(school=school, student=student)
    page = text(login(pairing.teacher).get(f"/students/{student.pk}/"))
    assert "5201**********" + ID_NUMBER[-4:] in page
    assert ID_NUMBER not in page


def test_principal_sees_the_id_number_masked(principal, student):
    page = text(login(principal).get(f"/students/{student.pk}/"))
    assert "5201**********" + ID_NUMBER[-4:] in page
    assert ID_NUMBER not in page


def test_office_sees_the_id_number_masked_with_a_button_to_reveal_it(alice, student):
    page = text(login(alice).get(f"/students/{student.pk}/"))
    assert ID_NUMBER not in page
    assert student.masked_id_number in page
    assert f'action="/students/{student.pk}/id-number/"' in page


def test_helper_sees_no_management_buttons(school, student):
    pairing = factories.PairingFactory(school=school, student=student)
    page = text(login(pairing.teacher).get(f"/students/{student.pk}/"))
    assert f"/students/{student.pk}/edit/" not in page
    assert f"/pairings/{pairing.pk}/end/" not in page


# Student list


def test_office_lists_the_students_of_her_school_only(alice, student, other_school):
    factories.StudentFactory(school=other_school, name="外校学生")
    page = text(login(alice).get("/students/"))
    assert "王小明" in page
    assert "外校学生" not in page


def test_teacher_lists_only_the_students_they_help(school, student):
    pairing = factories.PairingFactory(school=school, student=student)
    factories.StudentFactory(school=school, name="别班学生")
    page = text(login(pairing.teacher).get("/students/"))
    assert "王小明" in page
    assert "别班学生" not in page


def test_empty_roster_tells_office_how_to_fill_it(alice):
    page = text(login(alice).get("/students/"))
    assert "名册还是空的" in page


@pytest.fixture
def roster(school, semester):
    """A left-behind student with a helper, one without, and a student nobody identified."""
    paired = factories.StudentFactory(school=school, name="张一", student_no="G5201012013000001")
    factories.PairingFactory(school=school, student=paired)
    unpaired = factories.StudentFactory(school=school, name="张二", student_no="G5201012013000002")
    factories.IdentificationFactory(student=unpaired, semester=semester)
    factories.StudentFactory(school=school, name="李三", student_no="G5209992014000003")
    return school


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("q=张", {"张一", "张二"}, {"李三"}),
        ("q=李三", {"李三"}, {"张一", "张二"}),
        ("q=G5201012013", {"张一", "张二"}, {"李三"}),
        ("q=5201012013", set(), {"张一", "张二", "李三"}),  # a prefix, not a substring
        ("category=left_behind", {"张一", "张二"}, {"李三"}),
        ("category=left_behind&paired=no", {"张二"}, {"张一", "李三"}),
        ("category=left_behind&paired=yes", {"张一"}, {"张二", "李三"}),
        ("category=poor", set(), {"张一", "张二", "李三"}),
    ],
)
def test_student_list_search_and_filters(roster, alice, query, shown, hidden):
    # given three students; when alice searches or filters
    page = results(login(alice).get(f"/students/?{query}"))
    # then exactly the matching students are listed
    for name in shown:
        assert name in page
    for name in hidden:
        assert name not in page


def test_no_match_says_to_change_the_filters(roster, alice):
    page = text(login(alice).get("/students/?q=赵"))
    assert "没有符合条件的学生" in page


def test_unpaired_identified_student_is_flagged(roster, alice):
    page = text(login(alice).get("/students/?q=张二"))
    assert "未结对" in page
    assert "留守学生" in page


def test_htmx_search_returns_only_the_results_fragment(roster, alice):
    # when the search box asks through htmx
    response = login(alice).get("/students/?q=张一", headers={"hx-request": "true"})
    page = text(response).strip()
    # then only the #results fragment comes back
    assert response.status_code == 200
    assert page.startswith('<div id="results">')
    assert "<html" not in page
    assert 'role="search"' not in page
    assert "张一" in page
    assert "张二" not in page


STUDENT_LIST_QUERIES = 9


@pytest.mark.parametrize("size", [3, 24])
def test_student_list_query_count_does_not_grow_with_students(
    school, semester, alice, size, django_assert_num_queries
):
    # given `size` students in classes, identified and paired
    school_class = factories.SchoolClassFactory(school=school)
    for _ in range(size):
        pupil = factories.StudentFactory(
            school=school, cohort=school_class.cohort, school_class=school_class
        )
        factories.PairingFactory(school=school, student=pupil)
    client = login(alice)
    # when the roster is listed, then the query count is fixed
    with django_assert_num_queries(STUDENT_LIST_QUERIES):
        response = client.get("/students/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == size


# Creating and editing students


def student_data(**overrides):
    data = {
        "student_no": "G5201012012999001",
        "name": "李小红",
        "gender": "F",
        "birth_date": "2012-01-01",
        "id_number": ID_NUMBER,
        "entry_year": "2024",
        "school_class": "",
        "status": "enrolled",
        "guardian_name": "李奶奶",
        "guardian_relation": "祖母",
        "guardian_phone": "13800000000",
        "address": "某村三组",
        "parents_workplace": "广东东莞",
        "boarding": "on",
    }
    return {**data, **overrides}


def test_office_creates_a_student(alice, school):
    # when alice fills in the form
    response = login(alice).post("/students/new/", student_data())
    # then the student is saved in the cohort of their entry year and she sees the record
    student = Student.objects.get(student_no="G5201012012999001")
    assert response.status_code == 302
    assert response["Location"] == f"/students/{student.pk}/"
    assert student.school == school
    assert student.cohort.entry_year == 2024
    assert student.boarding
    assert "已保存学生 李小红 的信息" in messages_of(response)


def test_bad_id_check_digit_is_shown_beside_the_field_and_nothing_saved(alice):
    # given an ID number whose last character is wrong
    bad = wrong_check_char(ID_NUMBER)
    # when alice submits it
    response = login(alice).post("/students/new/", student_data(id_number=bad))
    # then the form comes back with the error beside the field and her typed values
    page = text(response)
    assert response.status_code == 200
    assert "身份证号校验位错误" in field_errors(response, "id_number")
    assert f'value="{bad}"' in page
    assert 'value="李小红"' in page
    assert 'value="广东东莞"' in page
    assert not Student.objects.exists()


def test_class_of_another_entry_year_is_refused(alice, school_class):
    response = login(alice).post(
        "/students/new/", student_data(entry_year="2023", school_class=school_class.pk)
    )
    assert "所选班级不属于该入学年份" in field_errors(response, "school_class")
    assert not Student.objects.exists()


def test_class_of_another_school_cannot_be_picked(alice, other_school):
    foreign_class = factories.SchoolClassFactory(school=other_school)
    response = login(alice).post("/students/new/", student_data(school_class=foreign_class.pk))
    assert response.status_code == 200
    assert field_errors(response, "school_class")
    assert not Student.objects.exists()


def test_office_edits_a_student(alice, student):
    data = student_data(student_no=student.student_no, name="王小明", guardian_phone="13900000000")
    response = login(alice).post(f"/students/{student.pk}/edit/", data)
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.guardian_phone == "13900000000"


def test_outsider_cannot_edit_a_student(charlie, student):
    data = student_data(student_no=student.student_no, name="改名")
    response = login(charlie).post(f"/students/{student.pk}/edit/", data)
    assert response.status_code == 404
    student.refresh_from_db()
    assert student.name == "王小明"


# Category identification


def test_identification_propose_then_approve_makes_the_student_identified(alice, student, semester):
    client = login(alice)
    # given alice proposes the student as left-behind
    response = client.post(
        f"/students/{student.pk}/identify/",
        {
            "semester": semester.pk,
            "category": "left_behind",
            "source": "school",
            "note": "父母在外",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/students/{student.pk}/"
    proposal = Identification.objects.get(student=student)
    assert proposal.state == Identification.State.PROPOSED
    assert "王小明" in text(client.get("/identifications/"))
    # when she approves it
    response = client.post(f"/identifications/{proposal.pk}/approve/", follow=True)
    # then the student is identified and shows up under the category
    assert response.redirect_chain == [("/identifications/", 302)]
    assert "已认定：王小明 · 留守学生" in text(response)
    proposal.refresh_from_db()
    assert proposal.state == Identification.State.APPROVED
    assert proposal.approved_by == alice
    assert "王小明" not in text(client.get("/identifications/"))
    assert "王小明" in text(client.get("/students/?category=left_behind"))


def test_approve_from_student_page_returns_there(alice, proposal, student):
    response = login(alice).post(f"/identifications/{proposal.pk}/approve/", {"next": "student"})
    assert response["Location"] == f"/students/{student.pk}/"


def test_approve_needs_post(alice, proposal):
    response = login(alice).get(f"/identifications/{proposal.pk}/approve/")
    assert response.status_code == 405
    proposal.refresh_from_db()
    assert proposal.state == Identification.State.PROPOSED


def test_duplicate_proposal_is_refused_in_chinese(alice, student, semester):
    factories.IdentificationFactory(student=student, semester=semester)
    response = login(alice).post(
        f"/students/{student.pk}/identify/",
        {"semester": semester.pk, "category": "left_behind", "source": "school"},
    )
    assert response.status_code == 200
    assert "已有“留守学生”的认定" in field_errors(response, "category")
    assert Identification.objects.filter(student=student).count() == 1


def test_semester_of_another_school_cannot_be_picked(alice, student, other_school):
    foreign = factories.SemesterFactory(school=other_school)
    response = login(alice).post(
        f"/students/{student.pk}/identify/",
        {"semester": foreign.pk, "category": "poor", "source": "school"},
    )
    assert field_errors(response, "semester")
    assert not Identification.objects.exists()


def test_identification_list_shows_pending_of_own_school_only(alice, proposal, other_school):
    factories.IdentificationFactory(
        student=factories.StudentFactory(school=other_school, name="外校学生"),
        state=Identification.State.PROPOSED,
        approved_at=None,
    )
    page = text(login(alice).get("/identifications/"))
    assert "王小明" in page
    assert "外校学生" not in page


def test_reject_drops_a_proposal(alice, proposal):
    response = login(alice).post(f"/identifications/{proposal.pk}/reject/")
    assert response["Location"] == "/identifications/"
    assert "已驳回该认定申请" in messages_of(response)
    assert not Identification.objects.filter(pk=proposal.pk).exists()


def test_reject_of_an_approved_identification_is_refused_and_kept(alice, student, semester):
    approved = factories.IdentificationFactory(student=student, semester=semester)
    response = login(alice).post(f"/identifications/{approved.pk}/reject/")
    assert response["Location"] == "/identifications/"
    assert "已认定的记录不能驳回" in messages_of(response)
    approved.refresh_from_db()
    assert approved.state == Identification.State.APPROVED


# Semesters


def test_semester_list_shows_own_semesters_and_marks_the_current(alice, semester, other_school):
    factories.SemesterFactory(school=other_school, code="2019-2020-1")
    page = text(login(alice).get("/semesters/"))
    assert semester.code in page
    assert "当前学期" in page
    assert "2019-2020-1" not in page


@pytest.mark.parametrize(
    ("code", "start", "end"),
    [
        ("2030-2031-1", dt.date(2030, 9, 1), dt.date(2031, 1, 31)),
        ("2030-2031-2", dt.date(2031, 2, 1), dt.date(2031, 7, 31)),
    ],
)
def test_semester_created_with_default_dates(alice, school, code, start, end):
    # when alice adds a semester with empty dates
    response = login(alice).post("/semesters/", {"code": code, "start": "", "end": ""})
    # then it gets the default teaching dates of its term
    assert response.status_code == 302
    assert response["Location"] == "/semesters/"
    semester = Semester.objects.get(school=school, code=code)
    assert (semester.start, semester.end) == (start, end)


def test_semester_created_with_own_dates(alice, school):
    login(alice).post(
        "/semesters/", {"code": "2030-2031-1", "start": "2030-08-28", "end": "2031-01-20"}
    )
    semester = Semester.objects.get(school=school, code="2030-2031-1")
    assert (semester.start, semester.end) == (dt.date(2030, 8, 28), dt.date(2031, 1, 20))


@pytest.mark.parametrize("code", ["2030-2032-1", "2030-2031-3", "abc"])
def test_bad_semester_code_is_refused_beside_the_field(alice, code):
    response = login(alice).post("/semesters/", {"code": code, "start": "", "end": ""})
    assert response.status_code == 200
    assert "学期代码应形如 2025-2026-1" in field_errors(response, "code")
    assert not Semester.objects.exists()


def test_duplicate_semester_code_is_refused(alice, semester):
    response = login(alice).post("/semesters/", {"code": semester.code, "start": "", "end": ""})
    assert response.status_code == 200
    assert f"本校已有学期 {semester.code}" in field_errors(response, "code")
    assert Semester.objects.count() == 1


def test_office_edits_semester_dates(alice, semester):
    start, end = semester.start + dt.timedelta(days=2), semester.end - dt.timedelta(days=5)
    response = login(alice).post(
        f"/semesters/{semester.pk}/edit/", {"start": start.isoformat(), "end": end.isoformat()}
    )
    assert response["Location"] == "/semesters/"
    semester.refresh_from_db()
    assert (semester.start, semester.end) == (start, end)


def test_semester_end_before_start_is_refused(alice, semester):
    before = (semester.start, semester.end)
    response = login(alice).post(
        f"/semesters/{semester.pk}/edit/",
        {
            "start": semester.start.isoformat(),
            "end": (semester.start - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "结束日期必须晚于开学日期" in field_errors(response, "end")
    semester.refresh_from_db()
    assert (semester.start, semester.end) == before


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("2030-09-01", "9999-12-31", "end"), ("0001-01-01", "2031-01-31", "start")],
)
def test_semester_created_outside_its_school_year_is_refused_beside_the_field(
    alice, start, end, field
):
    # when alice adds a semester that would end in year 9999 (or start in year 1)
    response = login(alice).post("/semesters/", {"code": "2030-2031-1", "start": start, "end": end})
    # then the page says which dates the semester may have, beside the field, and keeps
    # what she typed; nothing is saved
    assert response.status_code == 200
    assert "学期 2030-2031-1 的日期应在 2030-08-01 至 2031-08-31 之间" in field_errors(
        response, field
    )
    assert f'value="{end}"' in text(response)
    assert not Semester.objects.exists()


def test_semester_edited_past_its_school_year_is_refused_beside_the_field(alice, semester):
    before = (semester.start, semester.end)
    year = int(semester.code[:4])
    response = login(alice).post(
        f"/semesters/{semester.pk}/edit/",
        {"start": semester.start.isoformat(), "end": "9999-12-31"},
    )
    assert response.status_code == 200
    assert f"学期 {semester.code} 的日期应在 {year}-08-01 至 {year + 1}-08-31 之间" in field_errors(
        response, "end"
    )
    semester.refresh_from_db()
    assert (semester.start, semester.end) == before


def test_term_1_edited_into_term_2_is_refused_beside_the_field(alice, school):
    # given both terms of 2030-2031 with their default dates
    term1 = factories.SemesterFactory(school=school, code="2030-2031-1")
    factories.SemesterFactory(school=school, code="2030-2031-2")
    # when alice moves term 1's end past the start of term 2
    response = login(alice).post(
        f"/semesters/{term1.pk}/edit/", {"start": "2030-09-01", "end": "2031-02-20"}
    )
    # then it is refused beside the end, naming term 2's start
    assert response.status_code == 200
    assert "第一学期应在第二学期（2030-2031-2）开学日期 2031-02-01 之前结束" in field_errors(
        response, "end"
    )
    term1.refresh_from_db()
    assert term1.end == dt.date(2031, 1, 31)


def test_outsider_cannot_change_semester_dates(charlie, semester):
    before = (semester.start, semester.end)
    response = login(charlie).post(
        f"/semesters/{semester.pk}/edit/", {"start": "2000-01-01", "end": "2000-06-30"}
    )
    assert response.status_code == 404
    semester.refresh_from_db()
    assert (semester.start, semester.end) == before


# Classes


def test_class_list_shows_own_classes_and_homeroom_teachers(alice, bob, school, other_school):
    factories.SchoolClassFactory(school=school, name="七(2)班", homeroom_teacher=bob)
    factories.SchoolClassFactory(school=other_school, name="外校班")
    page = text(login(alice).get("/classes/"))
    assert "七(2)班" in page
    assert "同事乙" in page
    assert "外校班" not in page


def test_office_creates_a_class_with_homeroom_teacher(alice, bob, school):
    response = login(alice).post(
        "/classes/", {"entry_year": "2025", "name": "七(3)班", "homeroom_teacher": bob.pk}
    )
    assert response["Location"] == "/classes/"
    school_class = SchoolClass.objects.get(school=school, name="七(3)班")
    assert school_class.cohort.entry_year == 2025
    assert school_class.homeroom_teacher == bob


def test_homeroom_teacher_from_another_school_is_not_a_choice(alice, charlie):
    # when alice names charlie, who works at another school, as homeroom teacher
    response = login(alice).post(
        "/classes/", {"entry_year": "2025", "name": "七(3)班", "homeroom_teacher": charlie.pk}
    )
    # then he is not even among the choices and nothing is saved
    assert response.status_code == 200
    assert "选择一个有效的选项" in field_errors(response, "homeroom_teacher")
    assert "外校丙" not in text(response)
    assert not SchoolClass.objects.exists()


def test_duplicate_class_name_in_a_cohort_is_refused(alice, school_class):
    response = login(alice).post(
        "/classes/",
        {"entry_year": school_class.cohort.entry_year, "name": school_class.name},
    )
    assert response.status_code == 200
    assert f"已有班级“{school_class.name}”" in field_errors(response, "name")
    assert SchoolClass.objects.count() == 1


def test_office_edits_a_class(alice, bob, school_class):
    response = login(alice).post(
        f"/classes/{school_class.pk}/edit/",
        {
            "entry_year": school_class.cohort.entry_year,
            "name": "七(9)班",
            "homeroom_teacher": bob.pk,
        },
    )
    assert response["Location"] == "/classes/"
    school_class.refresh_from_db()
    assert school_class.name == "七(9)班"
    assert school_class.homeroom_teacher == bob


def test_class_edit_refuses_homeroom_teacher_from_another_school(alice, charlie, school_class):
    response = login(alice).post(
        f"/classes/{school_class.pk}/edit/",
        {
            "entry_year": school_class.cohort.entry_year,
            "name": "七(9)班",
            "homeroom_teacher": charlie.pk,
        },
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in field_errors(response, "homeroom_teacher")
    school_class.refresh_from_db()
    assert school_class.name == "七(1)班"
    assert school_class.homeroom_teacher is None


def test_class_with_students_keeps_its_entry_year(alice, school, school_class):
    factories.StudentFactory(school=school, cohort=school_class.cohort, school_class=school_class)
    response = login(alice).post(
        f"/classes/{school_class.pk}/edit/", {"entry_year": "2019", "name": school_class.name}
    )
    assert "班级已有学生，不能更改入学年份" in field_errors(response, "entry_year")
    school_class.refresh_from_db()
    assert school_class.cohort.entry_year == 2024


def test_outsider_cannot_edit_a_class(charlie, school_class):
    response = login(charlie).post(
        f"/classes/{school_class.pk}/edit/", {"entry_year": "2024", "name": "改名"}
    )
    assert response.status_code == 404
    school_class.refresh_from_db()
    assert school_class.name == "七(1)班"
